/* The workbench's calls to the service (through /static/common.js: the session cookie travels
 * with them, every state-changing request echoes the CSRF cookie) and its small DOM helpers. */
import { ApiError, apiFetch } from "/static/common.js";

export { ApiError };

export const LEVEL_ZH = { community: "社区", street: "街道", district: "区县" };

/** A workbench call: JSON in and out through the shared module (CSRF on writes, a refusal is an
 * ApiError with one Chinese sentence and the server's `detail`); signed out → /login. */
export async function api(path, { method = "GET", json, form } = {}) {
  let resp;
  try {
    resp = await apiFetch(path, { method, json, body: form });
  } catch {
    throw new ApiError(0, { message_zh: "网络连接失败，请检查网络后重试" });
  }
  if (resp.status === 401) { location.assign(`/login?next=${encodeURIComponent(location.pathname)}`); }
  if (!resp.ok) {
    let detail = null;
    try { detail = (await resp.json()).detail; } catch { /* not JSON */ }
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
