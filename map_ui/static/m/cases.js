/* 我的上报 and 待核查 on the phone, with the page's own helpers (app.js) and outbox (queue.js).
 * A verification goes through the outbox like every other record, so it works offline and is
 * sent once when back online. */
import {
  api, refreshPending, resizePhoto, show, statusName, sync, toast, uuid,
} from "/static/m/app.js";
import { Outbox } from "/static/m/queue.js";

const $m = (id) => document.getElementById(id);
const CACHE = { mine: "wangge_cases_mine", verify: "wangge_cases_verify" };
let verifyPhoto = null;

function item(text, onclick) {
  const li = document.createElement("li");
  li.textContent = text;
  li.tabIndex = 0;
  li.addEventListener("click", onclick);
  return li;
}

async function loadQueue(queue) {
  try {
    const resp = await api(`/api/cases?queue=${queue}&limit=100`);
    if (resp.ok) {
      const items = (await resp.json()).items;
      localStorage.setItem(CACHE[queue], JSON.stringify(items));
      return items;
    }
  } catch (err) { /* offline: what was last seen */ }
  return JSON.parse(localStorage.getItem(CACHE[queue]) || "[]");
}

async function renderMine() {
  const items = await loadQueue("mine");
  const ul = $m("mine-list");
  ul.replaceChildren(...items.map((r) => {
    const li = item(`${r.category_name_zh} · ${statusName(r.status)} · ${r.description || "（无描述）"}`,
      () => openDetail(r));
    li.dataset.id = r.id;
    li.dataset.status = r.status;
    const last = document.createElement("small");
    last.textContent = r.last_at ? `最近一步：${statusName(r.last_status)} ${new Date(r.last_at).toLocaleString("zh-CN")}${r.last_note ? ` · ${r.last_note}` : ""}` : "";
    li.append(last);
    return li;
  }));
  $m("mine-empty").hidden = items.length > 0;
}

async function renderVerify() {
  const items = await loadQueue("verify");
  const done = JSON.parse(localStorage.getItem("wangge_verified_pending") || "[]");
  const ul = $m("verify-list");
  ul.replaceChildren(...items.filter((r) => !done.includes(r.id)).map((r) => {
    const li = item(`${r.category_name_zh} · ${r.grid_code || ""} · ${r.description || "（无描述）"}`, () => openVerify(r));
    li.dataset.id = r.id;
    return li;
  }));
  $m("verify-empty").hidden = ul.children.length > 0;
}

async function openDetail(r) {
  show("mcase");
  $m("mcase-title").textContent = `${r.category_name_zh} · ${statusName(r.status)}`;
  $m("mcase-history").replaceChildren();
  $m("mcase-photos").replaceChildren();
  try {
    const resp = await api(`/api/reports/${r.id}`);
    if (!resp.ok) return;
    const d = await resp.json();
    $m("mcase-title").textContent = `${d.category_name_zh} · ${statusName(d.status)}`;
    $m("mcase-history").replaceChildren(...d.history.map((h) => {
      const li = document.createElement("li");
      li.textContent = `${new Date(h.created_at).toLocaleString("zh-CN")} ${statusName(h.to_status)} ${h.actor || "系统"}${h.note ? ` · ${h.note}` : ""}`;
      return li;
    }));
    $m("mcase-photos").replaceChildren(...d.photos.map((p) => {
      const img = document.createElement("img");
      img.src = p.url;
      img.alt = p.is_evidence ? "处置照片" : "现场照片";
      return img;
    }));
  } catch (err) { $m("mcase-title").textContent += "（离线）"; }
}

function openVerify(r) {
  verifyPhoto = null;
  $m("verify-report").textContent = `${r.category_name_zh} · ${r.grid_code || ""} · ${r.description || "（无描述）"}`;
  $m("verify-report").dataset.id = r.id;
  $m("verify-note").value = "";
  $m("verify-thumb").replaceChildren();
  $m("verify-error").textContent = "";
  show("verify-one");
}

async function addVerifyPhoto(event) {
  const file = event.target.files[0];
  if (!file) return;
  verifyPhoto = { id: uuid(), blob: await resizePhoto(file) };
  const img = document.createElement("img");
  img.alt = "核查照片";
  img.src = URL.createObjectURL(verifyPhoto.blob);
  $m("verify-thumb").replaceChildren(img);
  event.target.value = "";
}

async function verify(passed) {
  const id = $m("verify-report").dataset.id;
  const note = $m("verify-note").value.trim();
  if (!passed && !note) { $m("verify-error").textContent = "核查不通过须说明原因"; return; }
  if (!verifyPhoto) { $m("verify-error").textContent = "请拍摄现场照片"; return; }
  const to = passed ? "verified" : "in_progress";
  await Outbox.addAll([
    { kind: "photo", label: "核查照片", method: "POST", url: `/api/reports/${id}/photos`,
      photo: { id: verifyPhoto.id, blob: verifyPhoto.blob } },
    { kind: "transition", label: passed ? "核查通过" : "核查不通过", method: "POST",
      url: `/api/reports/${id}/transitions`, json: { to, note, expected: "handled" } },
  ]);
  const done = JSON.parse(localStorage.getItem("wangge_verified_pending") || "[]");
  localStorage.setItem("wangge_verified_pending", JSON.stringify([...done, id]));
  toast(navigator.onLine ? "已保存，正在同步" : "已保存在手机上，联网后自动同步");
  await refreshPending();
  sync();
  await renderVerify();
  show("verify");
}

function wireCases() {
  $m("mine-btn").addEventListener("click", async () => { show("mine"); await renderMine(); });
  $m("verify-btn").addEventListener("click", async () => { show("verify"); await renderVerify(); });
  for (const b of document.querySelectorAll("[data-back]")) b.addEventListener("click", () => show(b.dataset.back));
  $m("verify-photo").addEventListener("change", addVerifyPhoto);
  $m("verify-pass").addEventListener("click", () => verify(true));
  $m("verify-fail").addEventListener("click", () => verify(false));
  // after each sync the server has the latest: refresh the lists that are open
  document.addEventListener("wangge:synced", async () => {
    const waiting = (await Outbox.all()).filter((r) => r.kind === "transition" && r.state === "pending");
    const ids = waiting.map((r) => r.url.split("/")[3]);
    localStorage.setItem("wangge_verified_pending", JSON.stringify(ids));
    if (!$m("mine").hidden) await renderMine();
    if (!$m("verify").hidden) await renderVerify();
  });
}

wireCases();
