/* One case on /work: map, photos, facts, history, duplicates nearby, and the action buttons the
 * signed-in role may use on it (the server's allowed_transitions decide which). */
import { addBaseMap, addNames, displayFrame, pageBaseMap } from "/static/basemap.js";
import { STATUS_ZH } from "/static/common.js";
import { api, el, LEVEL_ZH, timeLeft } from "./api.js";
import { reload } from "./work.js";

const L = window.L; // Leaflet is a classic script from npm (/vendor)
// the configured base map; with a GCJ-02 one the case is drawn shifted into it (data stay WGS84)
const basemap = pageBaseMap();
export const frame = displayFrame(basemap);

const $ = (id) => document.getElementById(id);
let map = null;
let layer = null;
let current = null;
let context = null;

// (from, to) → the button's label; the Chinese labels are the ones the offices use
const LABELS = {
  "reported>accepted": "受理", "reported>rejected": "驳回", "accepted>dispatched": "派遣",
  "dispatched>accepted": "退回", "in_progress>accepted": "退回",
  "dispatched>in_progress": "开始处置", "in_progress>handled": "处置完成",
  "handled>verified": "核查通过", "handled>in_progress": "核查不通过", "verified>closed": "销号",
};

export async function openCase(id, workState) {
  context = workState;
  $("case-error").textContent = "";
  $("case").dataset.loading = "1"; // until the fresh data is drawn
  try {
    current = await api(`/api/cases/${id}`);
  } catch (err) {
    $("list-error").textContent = err.message;
    return;
  } finally {
    delete $("case").dataset.loading;
  }
  $("case").hidden = false;
  $("case").dataset.id = id;
  render();
}

function render() {
  const c = current;
  $("case-title").textContent = `${c.category_name_zh}`;
  $("case-status").textContent = `状态：${STATUS_ZH[c.status] || c.status}`;
  $("case-status").dataset.status = c.status;
  const open = !["closed", "rejected"].includes(c.status);
  const facts = [
    ["描述", c.description || "（无描述）"], ["上报人", c.reporter],
    ["上报时间", new Date(c.created_at).toLocaleString("zh-CN")],
    ["网格", c.grid_code || "—"], ["小区", c.residential_area ? c.residential_area.name : "—"],
    ["社区", c.community_code || "—"], ["街道", c.street_code || "—"],
    ["处置部门", c.department_name_zh],
    ["处置时限", `${new Date(c.deadline).toLocaleString("zh-CN")}${open ? `（${timeLeft(c.time_left_s)}）` : ""}`],
    ["升级层级", LEVEL_ZH[c.escalation_level] || c.escalation_level],
  ];
  $("case-facts").replaceChildren(...facts.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]));
  $("case-photos").replaceChildren(...c.photos.map((p) => el("img", {
    src: p.url, alt: p.is_evidence ? "处置照片" : "现场照片", title: p.is_evidence ? "处置照片" : "现场照片",
    onclick: () => { $("viewer-img").src = p.url; $("viewer").hidden = false; } })));
  $("case-history").replaceChildren(...c.history.map((h) => el("li", {},
    `${new Date(h.created_at).toLocaleString("zh-CN")} · ${h.actor || "系统"} · ` +
    `${STATUS_ZH[h.from_status] || "—"} → ${STATUS_ZH[h.to_status] || h.to_status}` +
    (h.note ? ` · ${h.note}` : ""))));
  $("case-assists").replaceChildren(...(c.assists.length ? c.assists.map((a) => el("li", {},
    `${a.department_name_zh}：${a.part}（${STATUS_ZH[a.status] || a.status}）${a.note ? ` ${a.note}` : ""}`))
    : [el("li", { className: "hint" }, "无")]));
  renderDuplicates();
  renderActions();
  drawMap();
  document.dispatchEvent(new CustomEvent("wangge:case-rendered", { detail: c }));
}

function renderDuplicates() {
  const c = current;
  const canJoin = c.allowed_transitions.includes("rejected");
  $("case-duplicates").replaceChildren(...(c.duplicates.length ? c.duplicates.map((d) => el("li", {},
    `${Math.round(d.distance_m || 0)} 米 · ${STATUS_ZH[d.status]} · ${d.description || "（无描述）"} `,
    canJoin ? el("button", { type: "button", className: "join", dataset: { id: d.id },
      onclick: () => act("rejected", { reason: "duplicate", duplicate_of: d.id }) }, "合并为重复") : null))
    : [el("li", { className: "hint" }, "无")]));
}

function note() { return $("action-note") ? $("action-note").value.trim() : ""; }

function renderActions() {
  const c = current;
  const box = $("case-actions");
  box.replaceChildren();
  const moves = c.allowed_transitions.filter((to) => LABELS[`${c.status}>${to}`]);
  if (moves.length || c.my_assist) box.append(el("textarea", { id: "action-note", rows: 2, maxLength: 4000, placeholder: "办理意见 / 说明" }));
  for (const to of moves) {
    const label = LABELS[`${c.status}>${to}`];
    if (to === "rejected") box.append(...rejectControls());
    else if (to === "dispatched") box.append(...dispatchControls());
    else if (to === "handled") box.append(...handledControls());
    else box.append(el("button", { type: "button", dataset: { to }, className: label === "退回" || label === "核查不通过" ? "secondary" : "", onclick: () => act(to) }, label));
  }
  if (c.my_assist) box.append(...assistControls(c.my_assist));
}

function rejectControls() {
  const reason = el("select", { id: "reject-reason", ariaLabel: "驳回原因" });
  reason.add(new Option("无效", "invalid"));
  reason.add(new Option("重复", "duplicate"));
  const original = el("select", { id: "reject-original", ariaLabel: "原事件" });
  for (const d of current.duplicates) original.add(new Option(`${d.category_name_zh} · ${d.description || d.id.slice(0, 8)}`, d.id));
  const go = el("button", { type: "button", className: "secondary", dataset: { to: "rejected" }, onclick: () => {
    const extra = { reason: reason.value };
    if (reason.value === "duplicate") {
      if (!original.value) { $("case-error").textContent = "重复事件须选择原事件"; return; }
      extra.duplicate_of = original.value;
    }
    act("rejected", extra);
  } }, "驳回");
  return [reason, original, go];
}

function dispatchControls() {
  const dep = el("select", { id: "dispatch-department", ariaLabel: "派遣部门" });
  for (const d of context.departments) dep.add(new Option(d.name, d.code));
  const preset = (context.categories || []).find((c) => c.code === current.category);
  dep.value = preset ? preset.department : current.department;
  const assist = el("select", { id: "assist-department", ariaLabel: "协办部门" });
  assist.add(new Option("（无协办部门）", ""));
  for (const d of context.departments) assist.add(new Option(d.name, d.code));
  const part = el("input", { id: "assist-part", placeholder: "协办部门承担的工作", maxLength: 1000 });
  const go = el("button", { type: "button", dataset: { to: "dispatched" }, onclick: () => {
    const extra = { department: dep.value };
    if (assist.value) {
      if (!part.value.trim()) { $("case-error").textContent = "请填写协办部门承担的工作"; return; }
      extra.assist = [{ department: assist.value, part: part.value.trim() }];
    }
    act("dispatched", extra);
  } }, "派遣");
  return [dep, go, el("span", { className: "hint" }, "联合处置："), assist, part];
}

function handledControls() {
  const file = el("input", { id: "evidence", type: "file", accept: "image/*", ariaLabel: "处置照片" });
  const go = el("button", { type: "button", dataset: { to: "handled" }, onclick: async () => {
    if (!note()) { $("case-error").textContent = "请填写处置说明"; return; }
    if (!file.files.length && !current.photos.some((p) => p.is_evidence)) { $("case-error").textContent = "请上传处置照片"; return; }
    if (file.files.length) {
      const form = new FormData();
      form.append("file", file.files[0]);
      form.append("evidence", "true");
      form.append("id", crypto.randomUUID());
      try { await api(`/api/reports/${current.id}/photos`, { method: "POST", form }); } catch (err) { $("case-error").textContent = err.message; return; }
    }
    act("handled");
  } }, "处置完成");
  return [el("label", {}, "处置照片 ", file), go];
}

function assistControls(part) {
  const next = { dispatched: ["in_progress", "开始处置"], in_progress: ["handled", "处置完成"] }[part.status];
  const label = el("span", { className: "hint" }, `本部门协办：${part.part}（${STATUS_ZH[part.status]}）`);
  if (!next) return [label];
  return [label, el("button", { type: "button", dataset: { assist: next[0] }, onclick: async () => {
    try {
      await api(`/api/cases/${current.id}/assist`, { method: "POST", json: { to: next[0], note: note() } });
    } catch (err) { $("case-error").textContent = err.message; return; }
    await openCase(current.id, context);
    await reload();
  } }, next[1])];
}

async function act(to, extra = {}) {
  $("case-error").textContent = "";
  const body = { to, note: note(), expected: current.status, ...extra };
  try {
    await api(`/api/reports/${current.id}/transitions`, { method: "POST", json: body });
  } catch (err) {
    const now = err.detail && err.detail.current_status;
    $("case-error").textContent = now ? `${err.message}（当前状态：${STATUS_ZH[now] || now}）` : err.message;
    return;
  }
  await openCase(current.id, context);
  await reload();
}

function drawMap() {
  if (!map) {
    map = L.map("case-map", { attributionControl: false });
    addBaseMap(map, basemap);
    addNames(map, frame);
    layer = L.layerGroup().addTo(map);
  }
  layer.clearLayers();
  const c = current;
  const point = L.circleMarker(frame.toDisplay(c.lat, c.lon), { radius: 8, color: "#c62828", fillOpacity: 0.9 }).addTo(layer);
  const shapes = [];
  const draw = (geometry, style) => L.geoJSON(geometry, { style, coordsToLatLng: frame.coordsToLatLng }).addTo(layer);
  if (c.cell) shapes.push(draw(c.cell.geometry, { color: "#1565c0", weight: 2, fillOpacity: 0.05 }));
  if (c.residential_area) {
    // the 小区's name on the map (text only): something to go by without a base map
    const area = draw(c.residential_area.geometry, { color: "#2e7d32", weight: 1, fillOpacity: 0.08 });
    area.bindTooltip(el("span", {}, c.residential_area.name), { permanent: true, direction: "center", className: "case-area-name" });
    shapes.push(area);
  }
  map.invalidateSize();
  const bounds = shapes.length ? L.featureGroup(shapes).getBounds() : null;
  if (bounds && bounds.isValid()) map.fitBounds(bounds.pad(0.2)); else map.setView(point.getLatLng(), 17);
}

/** The case map and what is on it (for tests: `import('/static/work/case.js')`). */
export function caseMap() { return { map, layer, frame }; }

$("case-close").addEventListener("click", () => { $("case").hidden = true; });
