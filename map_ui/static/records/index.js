// 小区台账: the 小区 of the jurisdiction with their flags, and the Excel round trip
// (download, upload for a dry run, then apply all or nothing). Text is set as text only.

import { csrfToken, el } from "/static/common.js";

const config = JSON.parse(document.getElementById("records-config").textContent);
const SHEET = "/api/residential-areas/sheet.xlsx";

let latestLoad = 0;

// Only the newest request draws the list: an earlier one answering late (the reload after an
// upload, then a flag chosen) must not replace the list the flag asked for.
async function loadAreas() {
  const mine = ++latestLoad;
  const table = document.getElementById("areas");
  table.setAttribute("aria-busy", "true");
  const flag = document.getElementById("flag").value;
  const url = "/api/residential-areas" + (flag ? "?flag=" + encodeURIComponent(flag) : "");
  const r = await fetch(url, { credentials: "same-origin" });
  const found = r.ok ? await r.json() : null;
  if (mine !== latestLoad) { return; }
  table.removeAttribute("aria-busy");
  table.dataset.flag = flag;
  if (found === null) { return; }
  const rows = found.map((a) => {
    const tr = el("tr", { "data-code": a.code });
    const name = el("td");
    name.appendChild(el("a", { href: "/residential-areas/" + encodeURIComponent(a.code) }, a.name));
    tr.appendChild(name);
    tr.appendChild(el("td", {}, a.community_name));
    tr.appendChild(el("td", {}, a.labels_zh.property_service_mode));
    tr.appendChild(el("td", {}, a.property_company || ""));
    tr.appendChild(el("td", { class: "flag-cell" }, a.flags.map((f) => f.message_zh).join("；")));
    return tr;
  });
  document.querySelector("#areas tbody").replaceChildren(...rows);
  document.getElementById("count").textContent = `共 ${rows.length} 个`;
}

function fillTable(id, rows, cells) {
  const table = document.getElementById(id);
  table.hidden = rows.length === 0;
  table.querySelector("tbody").replaceChildren(...rows.map((row) => {
    const tr = el("tr");
    for (const value of cells(row)) { tr.appendChild(el("td", {}, value ?? "")); }
    return tr;
  }));
}

async function send(apply) {
  const form = document.getElementById("upload");
  const msg = document.getElementById("bulk-msg");
  const body = new FormData(form);
  const r = await fetch(SHEET + (apply ? "?apply=true" : ""), {
    method: "POST",
    credentials: "same-origin",
    headers: { "X-CSRF-Token": csrfToken() },
    body,
  });
  const answer = await r.json();
  const applyButton = document.getElementById("apply");
  if (!r.ok) {
    const detail = answer.detail || {};
    msg.textContent = detail.message_zh || "上传失败";
    msg.className = "msg error";
    if (detail.where && detail.where.refusals) {
      fillTable("refusals", detail.where.refusals, (x) => [x.row, x.code, x.column, x.message_zh]);
    }
    applyButton.disabled = true;
    return;
  }
  fillTable("changes", answer.changes, (c) => [c.row, c.code, c.column, c.old, c.new]);
  fillTable("refusals", answer.refusals, (x) => [x.row, x.code, x.column, x.message_zh]);
  if (apply) {
    msg.textContent = `已写入 ${answer.applied} 项修改`;
    msg.className = "msg ok";
    applyButton.disabled = true;
    await loadAreas();
    return;
  }
  msg.textContent = `检查结果：${answer.changes.length} 项修改，${answer.refusals.length} 处不能接受` +
    (answer.refusals.length ? "（请修改表格后重新上传）" : "");
  msg.className = answer.refusals.length ? "msg error" : "msg";
  applyButton.disabled = answer.refusals.length > 0 || answer.changes.length === 0;
}

document.getElementById("flag").addEventListener("change", loadAreas);
if (config.canEdit) {
  document.getElementById("upload").addEventListener("submit", (e) => { e.preventDefault(); send(false); });
  document.getElementById("apply").addEventListener("click", () => send(true));
}
loadAreas();
