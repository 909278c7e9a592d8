/* Shared browser helpers for every wangge page: the CSRF token, fetch with readable errors,
 * status labels in Chinese and safe DOM building. Import what you need:
 *   import { apiFetch, getJSON, el, statusZh } from "/static/common.js";
 * Text from the server goes into the page with textContent (el) or escapeHtml, never raw. */

export const CSRF_COOKIE = "wangge_csrf";

export const STATUS_ZH = Object.freeze({
  reported: "已上报", accepted: "已受理", rejected: "已驳回", dispatched: "已派遣",
  in_progress: "处置中", handled: "已处置", verified: "已核查", closed: "已销号",
});

/** The Chinese label of a report status (the code itself if unknown). */
export function statusZh(status) {
  return STATUS_ZH[status] || status;
}

/** A cookie's value ("" if absent). */
export function cookie(name) {
  const found = document.cookie.split("; ").find((c) => c.startsWith(`${name}=`));
  return found ? decodeURIComponent(found.slice(name.length + 1)) : "";
}

/** The CSRF token the login set; state-changing requests echo it in X-CSRF-Token. */
export function csrfToken() {
  return cookie(CSRF_COOKIE);
}

const HTML_ESCAPES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** Text made safe to put inside HTML markup (for the rare API that wants a string). */
export function escapeHtml(value) {
  return String(value ?? "").replace(/[&<>"']/g, (ch) => HTML_ESCAPES[ch]);
}

/** An element with attributes and text content (never parsed as HTML). */
export function el(tag, attrs = {}, text = undefined) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, value);
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

const STATUS_SENTENCES = {
  400: "请求有误", 401: "登录已失效，请重新登录", 403: "没有权限执行此操作",
  404: "要找的内容不存在", 409: "内容已被他人修改，请刷新后重试", 413: "提交的内容太大",
  422: "填写的内容有误", 429: "操作太频繁，请稍后再试",
};

/** An API refusal as one Chinese sentence, with where it went wrong when the body says so. */
export class ApiError extends Error {
  constructor(status, detail) {
    const d = detail && typeof detail === "object" ? detail : {};
    super(ApiError.sentence(status, d));
    this.status = status;
    this.code = d.code || null;
    this.where = d.where ?? null;
    this.detail = d; // the server's whole refusal (e.g. a conflict's current_status)
  }

  static sentence(status, d) {
    const base = d.message_zh || STATUS_SENTENCES[status] ||
      (status >= 500 ? "服务器暂时出错，请稍后再试" : `请求未成功（${status}）`);
    const where = ApiError.whereText(d.where);
    return where ? `${base}（${where}）` : base;
  }

  static whereText(where) {
    if (where === null || where === undefined || where === "") return "";
    if (typeof where !== "object") return String(where);
    if (Array.isArray(where)) return where.map(String).join("、");
    // name the field in words; show the values a person recognises (codes, numbers)
    const parts = [];
    if (where.field) parts.push(FIELD_ZH[where.field] || "填写的内容");
    for (const key of ["code", "codes", "index", "line", "row"]) {
      const v = where[key];
      if (v === undefined || v === null || typeof v === "object" && !Array.isArray(v)) continue;
      parts.push(`${FIELD_ZH[key]}：${Array.isArray(v) ? v.join("、") : v}`);
    }
    return parts.join("，");
  }
}

/** Field names of the API in words people use. */
export const FIELD_ZH = Object.freeze({
  worker: "网格员", code: "网格编码", codes: "网格编码", parts: "拆分数量", community: "社区",
  street: "街道", role: "岗位", replace: "替换选项", bbox: "地图范围", category: "问题类别",
  location: "位置", description: "问题描述", photo: "照片", file: "文件", index: "第几项",
  line: "行", row: "行", since: "开始时间", until: "截止时间", status: "状态", area: "范围",
  crs: "坐标系", layer: "图层", format: "格式", username: "用户名", password: "密码",
  held_on: "会议日期", participants: "参会部门", kind: "会议类型", due_on: "办理期限",
  owner_department: "责任部门", topic: "议题", title: "名称",
});

/** fetch() with the session cookie, the CSRF header on writes and JSON bodies. */
export function apiFetch(url, { method = "GET", json, body, headers = {} } = {}) {
  const h = { Accept: "application/json", ...headers };
  if (method !== "GET" && method !== "HEAD") h["X-CSRF-Token"] = csrfToken();
  let payload = body;
  if (json !== undefined) {
    h["Content-Type"] = "application/json";
    payload = JSON.stringify(json);
  }
  return fetch(url, { method, headers: h, body: payload, credentials: "same-origin" });
}

/** Call the API and return its JSON; a refusal throws ApiError with a Chinese sentence. */
export async function callJSON(url, options = {}) {
  let response;
  try {
    response = await apiFetch(url, options);
  } catch {
    throw new ApiError(0, { message_zh: "网络连接失败，请检查网络后重试" });
  }
  if (response.status === 204) return {};
  let data = null;
  try { data = await response.json(); } catch { data = null; }
  if (!response.ok) {
    const detail = data && (data.detail || data);
    throw new ApiError(response.status, detail);
  }
  return data;
}

/** GET some JSON (see callJSON). */
export function getJSON(url) {
  return callJSON(url);
}
