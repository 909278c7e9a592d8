/* /work: queues with live counts, filters, keyset paging, bulk 受理/派遣, the badge. */
import { STATUS_ZH } from "/static/common.js";
import { api, el, timeLeft } from "./api.js";
import { openCase } from "./case.js";
import { initResidents } from "./residents.js";

const $ = (id) => document.getElementById(id);
const POLL_MS = 20000;
const state = { me: null, counts: {}, queue: null, cursor: null, selected: new Set(), departments: [] };
const SEEN_KEY = "wangge_work_seen";

async function start() {
  state.me = await api("/api/me");
  const categories = await api("/api/categories");
  const deps = new Map(categories.map((c) => [c.department, c.department_name_zh]));
  state.departments = [...deps].map(([code, name]) => ({ code, name }));
  state.categories = categories;
  for (const c of categories) $("f-category").add(new Option(c.name_zh, c.code));
  for (const d of state.departments) {
    $("f-department").add(new Option(d.name, d.code));
    $("bulk-department").add(new Option(d.name, d.code));
  }
  await loadPlaces();
  initResidents(state);
  await refreshCounts();
  const first = Object.keys(state.counts)[0];
  const params = new URLSearchParams(location.search);
  if (first) await showQueue(params.get("queue") || first);
  // a link from elsewhere (e.g. a meeting's agenda item) opens one case: /work?case=<id>
  if (params.get("case")) await openCase(params.get("case"), state);
  setInterval(refreshCounts, POLL_MS);
}

/* The community and grid filters: pick-lists of my jurisdiction, by name (never typed codes). */
async function loadPlaces() {
  const places = await api("/api/cases/places");
  const multiStreet = new Set(places.communities.map((c) => c.street_name)).size > 1;
  for (const c of places.communities) {
    $("f-community").add(new Option(multiStreet ? `${c.street_name} · ${c.name}` : c.name, c.code));
  }
  $("f-community").addEventListener("change", loadGrids);
}

async function loadGrids() {
  const grid = $("f-grid");
  grid.replaceChildren(new Option("全部网格", ""));
  const community = $("f-community").value;
  grid.disabled = !community;
  if (!community) return;
  const places = await api(`/api/cases/places?community=${encodeURIComponent(community)}`);
  for (const g of places.grid_cells) {
    const option = new Option(g.label_zh, g.code);
    option.title = g.code;
    grid.add(option);
  }
}

export async function refreshCounts() {
  const since = localStorage.getItem(SEEN_KEY) || new Date().toISOString();
  if (!localStorage.getItem(SEEN_KEY)) localStorage.setItem(SEEN_KEY, since);
  const data = await api(`/api/cases/counts?since=${encodeURIComponent(since)}`);
  state.counts = data.queues;
  const nav = $("queues");
  nav.replaceChildren();
  let fresh = 0;
  for (const [name, q] of Object.entries(data.queues)) {
    if (name !== "finished") fresh += q.new;
    nav.append(el("button", { type: "button", dataset: { queue: name },
      onclick: () => showQueue(name) }, el("span", {}, q.label_zh), el("b", {}, String(q.count))));
    if (name === state.queue) nav.lastChild.setAttribute("aria-current", "true");
  }
  $("badge-count").textContent = String(fresh);
  $("badge").dataset.new = String(fresh);
}

function filterParams() {
  const p = new URLSearchParams();
  const add = (key, id) => { const v = $(id).value.trim(); if (v) p.set(key, v); };
  add("category", "f-category"); add("department", "f-department"); add("community", "f-community");
  add("grid", "f-grid"); add("q", "f-q");
  if ($("f-from").value) p.set("created_from", `${$("f-from").value}T00:00:00+08:00`);
  if ($("f-to").value) p.set("created_to", `${$("f-to").value}T23:59:59+08:00`);
  return p;
}

export async function showQueue(name, append = false) {
  state.queue = name;
  if (!append) { state.cursor = null; state.selected.clear(); $("case-rows").replaceChildren(); }
  for (const b of $("queues").querySelectorAll("button")) b.setAttribute("aria-current", String(b.dataset.queue === name));
  const p = filterParams();
  p.set("queue", name);
  if (state.cursor) p.set("cursor", state.cursor);
  $("list-error").textContent = "";
  const ticket = (state.ticket = (state.ticket || 0) + 1);
  let page;
  try { page = await api(`/api/cases?${p}`); } catch (err) { $("list-error").textContent = err.message; return; }
  if (ticket !== state.ticket) return; // a later request (another queue or filter) wins
  if (!append) $("case-rows").replaceChildren();
  for (const item of page.items) $("case-rows").append(row(item));
  state.cursor = page.next_cursor;
  $("more").hidden = !page.next_cursor;
  $("list-empty").hidden = $("case-rows").children.length > 0;
  renderBulk();
}

function row(item) {
  const box = el("input", { type: "checkbox", ariaLabel: "选择", dataset: { id: item.id },
    onclick: (e) => { e.stopPropagation(); toggle(item.id, e.target.checked); } });
  const open = ["closed", "rejected"].includes(item.status) ? "—" : timeLeft(item.time_left_s);
  const deadline = el("td", { className: item.time_left_s < 0 && open !== "—" ? "overdue" : "" }, open);
  const place = [item.community_name, item.grid_code].filter(Boolean).join(" / ");
  const desc = item.my_part ? `${item.description}（协办：${item.my_part}）` : item.description;
  return el("tr", { dataset: { id: item.id }, onclick: () => openCase(item.id, state) },
    el("td", {}, box), el("td", {}, item.category_name_zh), el("td", {}, desc || "（无描述）"),
    el("td", {}, place), el("td", {}, item.department_name_zh), deadline,
    el("td", {}, STATUS_ZH[item.status] || item.status));
}

function toggle(id, on) {
  if (on) state.selected.add(id); else state.selected.delete(id);
  renderBulk();
}

function renderBulk() {
  const canAccept = state.queue === "accept";
  const canDispatch = state.queue === "dispatch";
  $("bulk").hidden = !(canAccept || canDispatch);
  $("bulk-accept").hidden = !canAccept;
  $("bulk-dispatch-box").hidden = !canDispatch;
  $("bulk-count").textContent = String(state.selected.size);
}

async function bulk(to) {
  if (!state.selected.size) { $("list-error").textContent = "请先勾选事件"; return; }
  const body = { ids: [...state.selected], to };
  if (to === "dispatched") body.department = $("bulk-department").value;
  try {
    await api("/api/cases/bulk", { method: "POST", json: body });
  } catch (err) { $("list-error").textContent = err.message; return; }
  await reload();
}

export async function reload() {
  await refreshCounts();
  await showQueue(state.queue);
}

function wire() {
  $("filters").addEventListener("submit", (e) => { e.preventDefault(); showQueue(state.queue); });
  $("more").addEventListener("click", () => showQueue(state.queue, true));
  $("bulk-accept").addEventListener("click", () => bulk("accepted"));
  $("bulk-dispatch").addEventListener("click", () => bulk("dispatched"));
  $("select-all").addEventListener("change", (e) => {
    for (const box of $("case-rows").querySelectorAll("input[type=checkbox]")) {
      box.checked = e.target.checked;
      toggle(box.dataset.id, box.checked);
    }
  });
  $("badge").addEventListener("click", () => { localStorage.setItem(SEEN_KEY, new Date().toISOString()); refreshCounts(); });
  $("viewer").addEventListener("click", () => { $("viewer").hidden = true; });
}

wire();
start();
