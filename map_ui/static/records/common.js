// Shared by the records pages: element building (text only, never HTML) and the CSRF echo.

export function csrfToken() {
  // the login sets the wangge_csrf cookie; writes echo it in X-CSRF-Token (docs/auth.md)
  const found = document.cookie.split("; ").find((c) => c.startsWith("wangge_csrf="));
  return found ? decodeURIComponent(found.slice("wangge_csrf=".length)) : "";
}

export function el(tag, attrs = {}, text = null) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) { node.setAttribute(k, v); }
  if (text !== null && text !== undefined) { node.textContent = String(text); }
  return node;
}
