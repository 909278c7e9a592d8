// 小区 page: fill the record form from the API, send only what changed with If-Match, show the
// flags and the history. Every value is set as text or as an input's value, never as HTML.

import { csrfToken, el } from "/static/common.js";
import { initSurvey } from "./survey.js";

const config = JSON.parse(document.getElementById("records-config").textContent);
const form = document.getElementById("record-form");
const msg = document.getElementById("msg");
const api = "/api/residential-areas/" + encodeURIComponent(config.code);
let etag = null;
let current = null;

function inputFor(field) {
  if (field.kind === "enum" || field.kind === "bool") {
    const select = el("select", { name: field.name });
    for (const [code, label] of field.options) { select.appendChild(el("option", { value: code }, label)); }
    return select;
  }
  if (field.kind === "company") {
    const select = el("select", { name: field.name });
    select.appendChild(el("option", { value: "" }, "（无）"));
    for (const name of config.companies) { select.appendChild(el("option", { value: name }, name)); }
    return select;
  }
  if (field.kind === "items") {
    const box = el("fieldset", { "data-name": field.name });
    for (const [code, label] of field.options) {
      const item = el("label");
      item.appendChild(el("input", { type: "checkbox", value: code, name: field.name }));
      item.appendChild(document.createTextNode(label));
      box.appendChild(item);
    }
    return box;
  }
  if (field.name === "note") { return el("textarea", { name: field.name, rows: "3", maxlength: "2000" }); }
  const types = { date: "date", int: "number", share: "number", ratio: "number", phone: "tel" };
  const input = el("input", { name: field.name, type: types[field.kind] || "text" });
  if (field.kind === "share" || field.kind === "ratio") { input.setAttribute("step", "0.001"); }
  return input;
}

function buildForm() {
  const actions = form.querySelector(".actions");
  for (const field of config.fields) {
    const label = el("label", {}, null);
    label.appendChild(el("span", {}, field.label));
    const input = inputFor(field);
    if (!config.canEdit) { input.setAttribute("disabled", ""); }
    label.appendChild(input);
    form.insertBefore(label, actions);
  }
}

function valueOf(field) {
  if (field.kind === "items") {
    return Array.from(form.querySelectorAll(`input[name="${field.name}"]:checked`)).map((i) => i.value);
  }
  const value = form.elements[field.name].value;
  if (field.kind === "bool") { return value === "true"; }
  return value === "" ? null : value;
}

function show(record) {
  current = record;
  for (const field of config.fields) {
    const value = record[field.name];
    if (field.kind === "items") {
      for (const box of form.querySelectorAll(`input[name="${field.name}"]`)) {
        box.checked = (value || []).includes(box.value);
      }
    } else if (field.kind === "bool") {
      form.elements[field.name].value = value ? "true" : "false";
    } else {
      form.elements[field.name].value = value === null || value === undefined ? "" : String(value);
    }
  }
  const flags = document.getElementById("flags");
  flags.replaceChildren(...record.flags.map((f) => el("li", {}, "⚠ " + f.message_zh)));
}

function same(field, a, b) {
  // 改造内容 is a set: the order the boxes are ticked in is not a change (as on the server)
  if (field.kind === "items") { return JSON.stringify([...(a || [])].sort()) === JSON.stringify([...(b || [])].sort()); }
  if (field.kind === "share" || field.kind === "ratio" || field.kind === "int") {
    return (a === null ? null : Number(a)) === (b === null ? null : Number(b));
  }
  return (a === null || a === undefined ? "" : String(a)) === (b === null || b === undefined ? "" : String(b));
}

async function load() {
  const r = await fetch(api, { credentials: "same-origin" });
  if (!r.ok) { msg.textContent = "无法加载该小区（不在辖区内或网络问题）"; msg.className = "msg error"; return; }
  etag = r.headers.get("ETag");
  show(await r.json());
  ready();
  await loadHistory();
}

// Until the record has arrived the form holds no values: typing then would be overwritten, and
// saving would compare against nothing. The form says it is busy and cannot be sent.
function busy() {
  form.setAttribute("aria-busy", "true");
  const button = form.querySelector("button[type=submit]");
  if (button) { button.disabled = true; }
}

function ready() {
  form.removeAttribute("aria-busy");
  form.dataset.loaded = "true";
  const button = form.querySelector("button[type=submit]");
  if (button) { button.disabled = false; }
}

async function loadHistory() {
  const r = await fetch(api + "/history", { credentials: "same-origin" });
  if (!r.ok) { return; }
  const rows = (await r.json()).map((h) => {
    const tr = el("tr");
    const when = new Date(h.changed_at).toLocaleString("zh-CN", { hour12: false });
    for (const text of [when, h.changed_by || "系统", h.attribute_zh, h.old_zh, h.new_zh]) {
      tr.appendChild(el("td", {}, text));
    }
    return tr;
  });
  document.getElementById("history").replaceChildren(...rows);
}

async function save(event) {
  event.preventDefault();
  const body = {};
  for (const field of config.fields) {
    const value = valueOf(field);
    if (!same(field, current[field.name], value)) { body[field.name] = value; }
  }
  if (!Object.keys(body).length) { msg.textContent = "没有修改"; msg.className = "msg"; return; }
  const r = await fetch(api, {
    method: "PATCH",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", "If-Match": etag, "X-CSRF-Token": csrfToken() },
    body: JSON.stringify(body),
  });
  const answer = await r.json();
  if (!r.ok) {
    msg.textContent = (answer.detail && answer.detail.message_zh) || "保存失败";
    msg.className = "msg error";
    return;
  }
  etag = r.headers.get("ETag");
  show(answer);
  msg.textContent = answer.changed.length ? `已保存 ${answer.changed.length} 项修改` : "没有修改";
  msg.className = "msg ok";
  await loadHistory();
}

buildForm();
busy();
form.addEventListener("submit", save);
load();
initSurvey(config);
