/* /work, residents' side: 登记投诉 (a point on the map, or a 小区 found by address search),
 * the 待回访 list, and on a case its source, caller and return visits (回访). */
import { addBaseMap, addNames, pageBaseMap } from "/static/basemap.js";
import { api, el } from "./api.js";
import { frame, openCase } from "./case.js";
import { reload } from "./work.js";
const L = window.L; // Leaflet is a classic script from npm (/vendor)

const $ = (id) => document.getElementById(id);
const REGISTRARS = ["community_staff", "street_office", "district_bureau", "admin"];
const RESULTS = [["satisfied", "满意"], ["basically", "基本满意"], ["dissatisfied", "不满意"]];
const pick = { location: null, area: null };
let map = null;
let marker = null;
let placesLayer = null;
let workState = null;

export function initResidents(state) {
  workState = state;
  if (!REGISTRARS.includes(state.me.role)) return;
  $("open-complaint").hidden = false;
  $("open-visits").hidden = false;
  for (const c of state.categories) $("c-category").add(new Option(c.name_zh, c.code));
  $("open-complaint").addEventListener("click", openForm);
  $("open-visits").addEventListener("click", showPending);
  $("c-cancel").addEventListener("click", () => $("complaint").close());
  $("c-search").addEventListener("click", search);
  $("c-q").addEventListener("keydown", (e) => { if (e.key === "Enter") { e.preventDefault(); search(); } });
  $("complaint-form").addEventListener("submit", (e) => { e.preventDefault(); submit(); });
  $("visits-close").addEventListener("click", () => { $("visits").hidden = true; });
}

async function openForm() {
  $("complaint-form").reset();
  $("c-error").textContent = "";
  $("c-places").replaceChildren();
  setPick(null, null);
  $("complaint").showModal();
  if (!map) {
    map = L.map("c-map", { attributionControl: false });
    addBaseMap(map, pageBaseMap());
    addNames(map, frame);
    // the click is where the base map shows it; the report gets its WGS84 position
    map.on("click", (e) => { const at = frame.toData(e.latlng); setPick([at.lng, at.lat], null); });
  }
  map.invalidateSize();
  // centred on the 小区 of my jurisdiction: the address search over everything
  const places = await api(`/api/complaints/places?q=${encodeURIComponent("区")}`).catch(() => []);
  const pts = places.map((p) => frame.toDisplay(p.lat, p.lon));
  if (pts.length) map.fitBounds(L.latLngBounds(pts).pad(0.3)); else map.setView([34.77, 113.68], 13);
  drawPlaces(places);
}

// The jurisdiction's 小区 as named dots: something to aim at on a map without a base map, and a
// click on one picks that 小区. Names go in as text nodes, never as markup.
function drawPlaces(places) {
  if (placesLayer) placesLayer.remove();
  placesLayer = L.layerGroup(places.map((p) =>
    L.circleMarker(frame.toDisplay(p.lat, p.lon), { radius: 6, color: "#1565c0", weight: 2, fillOpacity: 0.4 })
      .bindTooltip(el("span", {}, p.name), { direction: "top" })
      .on("click", (e) => { L.DomEvent.stopPropagation(e); setPick(null, p); }))).addTo(map);
}

/** The dialog's map and what was picked, in WGS84 (for tests: `import('/static/work/residents.js')`). */
export function complaintMap() { return { map, pick }; }

function setPick(location, area) {
  pick.location = location;
  pick.area = area;
  if (marker) { marker.remove(); marker = null; }
  const at = location || (area && [area.lon, area.lat]);
  if (at && map) marker = L.marker(frame.toDisplay(at[1], at[0])).addTo(map);
  $("c-where").textContent = area ? `小区：${area.name}（${area.community_name}）`
    : location ? `地图选点：${location[0].toFixed(6)}, ${location[1].toFixed(6)}` : "未选择位置";
}

async function search() {
  const q = $("c-q").value.trim();
  if (!q) return;
  let found;
  try { found = await api(`/api/complaints/places?q=${encodeURIComponent(q)}`); } catch (err) { $("c-error").textContent = err.message; return; }
  $("c-places").replaceChildren(...(found.length ? found.map((p) => el("li", {},
    el("button", { type: "button", className: "place", onclick: () => { setPick(null, p); map.setView(frame.toDisplay(p.lat, p.lon), 17); } },
      `${p.name} · ${p.community_name} · ${p.street_name}`)))
    : [el("li", { className: "hint" }, "本辖区内没有找到")]));
}

async function submit() {
  $("c-error").textContent = "";
  if (!pick.location && !pick.area) { $("c-error").textContent = "请在地图上选点，或搜索并选择小区"; return; }
  const body = {
    id: crypto.randomUUID(), channel: $("c-channel").value, category: $("c-category").value,
    description: $("c-description").value.trim(), caller_name: $("c-name").value.trim(),
    caller_phone: $("c-phone").value.trim(),
  };
  if ($("c-ref").value.trim()) body.external_ref = $("c-ref").value.trim();
  if (pick.area) body.residential_area = pick.area.code;
  else body.location = { type: "Point", coordinates: pick.location };
  let made;
  try { made = await api("/api/complaints", { method: "POST", json: body }); } catch (err) { $("c-error").textContent = err.message; return; }
  $("complaint").close();
  await reload();
  await openCase(made.id, workState);
}

async function showPending() {
  $("visits").hidden = false;
  let rows;
  try { rows = await api("/api/return-visits/pending?limit=200"); } catch (err) { $("visits-list").replaceChildren(el("li", { className: "error" }, err.message)); return; }
  $("visits-list").replaceChildren(...(rows.length ? rows.map((r) => el("li", {},
    el("button", { type: "button", className: "place", onclick: () => openCase(r.id, workState) },
      `${new Date(r.closed_at).toLocaleString("zh-CN")} 销号 · ${r.channel_zh} · ${r.category_name_zh} · ${r.description || "（无描述）"}${r.caller ? ` · ${r.caller}` : ""}`)))
    : [el("li", { className: "hint" }, "暂无待回访事件")]));
}

/** The case panel's resident part, drawn after every render of the case. */
function renderCase(c) {
  const box = $("case-resident");
  const facts = [["来源", c.channel_zh]];
  if (c.external_ref) facts.push(["工单号", c.external_ref]);
  if (c.caller) facts.push([c.caller.masked ? "来电人（已隐藏）" : "来电人", c.caller.display || "—"]);
  if (c.media_url) {
    // an http(s) URL the Open311 client sent (checked when filed); opened without a referrer
    facts.push(["来电人照片", el("a", { id: "case-media", href: c.media_url, target: "_blank", rel: "noopener noreferrer", referrerPolicy: "no-referrer" }, "查看（外部链接）")]);
  }
  if (c.reopened_count) facts.push(["重办次数", String(c.reopened_count)]);
  const parts = [el("dl", { className: "facts" }, ...facts.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]))];
  if (c.return_visits.length) {
    parts.push(el("h3", {}, "回访记录"), el("ol", { className: "history" }, ...c.return_visits.map((v) => el("li", {},
      `${new Date(v.created_at).toLocaleString("zh-CN")} · ${v.actor} · ${v.result_zh}${v.reopened ? "（已重新办理）" : ""}${v.note ? ` · ${v.note}` : ""}`))));
  }
  if (c.needs_return_visit && REGISTRARS.includes(workState.me.role)) parts.push(visitForm(c));
  box.replaceChildren(...parts);
}

function visitForm(c) {
  const result = el("select", { id: "visit-result", ariaLabel: "回访结果" });
  for (const [code, zh] of RESULTS) result.add(new Option(zh, code));
  const note = el("textarea", { id: "visit-note", rows: 2, maxLength: 4000, placeholder: "居民意见" });
  const reopen = el("input", { id: "visit-reopen", type: "checkbox" });
  const error = el("p", { className: "error", role: "alert" });
  const go = el("button", { type: "button", id: "visit-save", onclick: async () => {
    const body = { result: result.value, note: note.value.trim(), reopen: reopen.checked && result.value === "dissatisfied" };
    try { await api(`/api/cases/${c.id}/return-visits`, { method: "POST", json: body }); } catch (err) { error.textContent = err.message; return; }
    await openCase(c.id, workState);
    await reload();
    if (!$("visits").hidden) await showPending();
  } }, "记录回访");
  return el("section", { className: "actions visit" }, el("h3", {}, "回访"), result, note,
    el("label", {}, reopen, " 不满意，重新办理"), go, error);
}

document.addEventListener("wangge:case-rendered", (e) => renderCase(e.detail));
