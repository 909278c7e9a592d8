/* The workbench's calls to the service: the session cookie travels with them, and every
 * state-changing request echoes the CSRF cookie. */

export const STATUS_ZH = {
  reported: "待受理", accepted: "已受理", rejected: "已驳回", dispatched: "已派遣",
  in_progress: "处置中", handled: "已处置", verified: "已核查", closed: "已销号",
};
export const LEVEL_ZH = { community: "社区", street: "街道", district: "区" };

function cookie(name) {
  const found = document.cookie.split("; ").find((c) => c.startsWith(`${name}=`));
  return found ? decodeURIComponent(found.slice(name.length + 1)) : "";
}

export class ApiError extends Error {
  constructor(status, detail) {
    super((detail && (detail.message_zh || detail.message)) || `错误 ${status}`);
    this.status = status;
    this.detail = detail || {};
  }
}

export async function api(path, { method = "GET", json, form } = {}) {
  const headers = {};
  if (method !== "GET") headers["X-CSRF-Token"] = cookie("wangge_csrf");
  let body;
  if (json !== undefined) { headers["Content-Type"] = "application/json"; body = JSON.stringify(json); }
  if (form !== undefined) body = form;
  const resp = await fetch(path, { method, headers, body, credentials: "same-origin" });
  if (resp.status === 401) { location.assign(`/login?next=${encodeURIComponent(location.pathname)}`); }
  if (!resp.ok) {
    let detail = null;
    try { detail = (await resp.json()).detail; } catch (err) { /* not JSON */ }
    throw new ApiError(resp.status, detail);
  }
  return resp.status === 204 ? null : resp.json();
}

/** "剩余 5 小时" / "超期 2 小时" from seconds to the deadline. */
export function timeLeft(seconds) {
  const abs = Math.abs(seconds);
  const text = abs >= 86400 ? `${Math.floor(abs / 86400)} 天 ${Math.floor((abs % 86400) / 3600)} 小时`
    : abs >= 3600 ? `${Math.floor(abs / 3600)} 小时 ${Math.floor((abs % 3600) / 60)} 分`
      : `${Math.max(1, Math.floor(abs / 60))} 分钟`;
  return seconds < 0 ? `超期 ${text}` : `剩余 ${text}`;
}

export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === "dataset") Object.assign(node.dataset, v);
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null) node[k] = v;
  }
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
}
