/* wangge mobile page: map of my grid, patrols with a GPS track, reports with photos.
 * Everything the worker records goes through the outbox (queue.js) first, online or not. */
import { csrfToken, statusZh } from "/static/common.js";
import { Outbox } from "/static/m/queue.js";
import { groupItems, itemKey, renderOutbox } from "/static/m/outbox_view.js";
import { addBaseMap, addNames, displayFrame } from "/static/basemap.js";

const L = window.L; // Leaflet is a classic script from npm (/vendor)

const ACCURACY_LIMIT_M = 50;
const MAX_PHOTOS = 6;
const PHOTO_MAX_SIDE = 1600;
const SYNC_EVERY_MS = 10000;
const MAX_SERVER_ERRORS = 5; // tries before a record the server keeps failing on is set aside
const POLL_POSITION_MS = 2000;
const THEMES = [
  ["sanitation", "环境卫生"],
  ["greening", "绿化养护"],
  ["repairs", "共用部位维修"],
  ["public_order", "公共秩序"],
  ["safety", "安全隐患（消防、电梯、燃气）"],
  ["decoration_works", "装饰装修"],
  ["floating_population", "流动人口"],
];
const CHECKS = [["not_checked", "未检查"], ["ok", "正常"], ["issue", "有问题"]];

const $ = (id) => document.getElementById(id);
export const state = {
  categories: JSON.parse(localStorage.getItem("wangge_categories") || "[]"),
  position: null,
  manualPoint: null,
  picking: false,
  category: null,
  joinTarget: null,
  photos: [],
  patrol: JSON.parse(localStorage.getItem("wangge_patrol") || "null"),
  syncing: false,
  editing: null, // the refused item being corrected (its records go when the new one is saved)
  sent: JSON.parse(localStorage.getItem("wangge_sent") || "[]"), // my reports the server has
};
const MAX_SENT_KEPT = 200;
export let map;
let meMarker, meCircle, manualMarker, trackLine, reportsLayer, mineLayer;

function uuid() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function toast(text) {
  const t = $("toast");
  t.textContent = text;
  t.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { t.hidden = true; }, 3500);
}

function show(id) {
  for (const s of ["login", "home", "report", "checklist", "queue", "mine", "mcase", "verify", "verify-one"]) {
    if ($(s)) $(s).hidden = s !== id;
  }
  // the map was hidden: measure its size now, so a tap right away lands where it is drawn
  if (id === "home" && map) map.invalidateSize({ pan: false });
}

/* The session is the app's HttpOnly cookie (set by /login); the page only reads the CSRF
 * cookie beside it and echoes it on every state-changing request. */
function loggedIn() { return csrfToken() !== ""; }

function goToLogin() {
  if (navigator.onLine) location.assign("/login?next=/m"); else show("login");
}

function api(path, options = {}) {
  const headers = { ...(options.headers || {}) };
  const method = options.method || "GET";
  if (method !== "GET") headers["X-CSRF-Token"] = csrfToken();
  if (options.json !== undefined) {
    headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(options.json);
  }
  return fetch(path, { method, headers, body: options.body, credentials: "same-origin" });
}

/* ---------- map ---------- */
// The configured base map (cached for offline starts); with a GCJ-02 one everything drawn is
// shifted for display and a tapped point shifted back, so what is sent stays WGS84.
const basemap = JSON.parse(localStorage.getItem("wangge_basemap") || "null");
const frame = displayFrame(basemap);
const shown = (lat, lon) => frame.toDisplay(lat, lon);

async function refreshBasemap() {
  try {
    const resp = await api("/api/map/basemap");
    if (!resp.ok) return;
    const fresh = await resp.json();
    if (JSON.stringify(fresh) !== JSON.stringify(basemap)) {
      localStorage.setItem("wangge_basemap", JSON.stringify(fresh));
      if (basemap !== null) location.reload(); // the frame changed: draw everything again
      else if (fresh.layers.length || fresh.crs !== "wgs84") location.reload();
    }
  } catch (err) { /* offline: the cached choice */ }
}

function initMap() {
  if (map) return;
  map = L.map("map", { zoomControl: true, attributionControl: false }).setView(shown(34.78, 113.68), 14);
  addBaseMap(map, basemap);
  addNames(map, frame); // names from our own data (none offline: the map still works)
  reportsLayer = L.layerGroup().addTo(map);
  mineLayer = L.layerGroup().addTo(map);
  trackLine = L.polyline([], { color: "#1565c0", weight: 4 }).addTo(map);
  map.on("click", (e) => {
    if (!state.picking) return;
    const picked = frame.toData(e.latlng);
    state.manualPoint = { lon: picked.lng, lat: picked.lat };
    if (!manualMarker) manualMarker = L.marker(e.latlng).addTo(map);
    manualMarker.setLatLng(e.latlng);
    state.picking = false;
    openReport(false);
  });
}

async function loadCells() {
  try {
    const resp = await api("/api/field/cells");
    if (resp.status === 401) { goToLogin(); return; } // the session expired or was revoked
    if (!resp.ok) return;
    const data = await resp.json();
    localStorage.setItem("wangge_cells", JSON.stringify(data));
    drawCells(data);
  } catch (err) {
    const cached = localStorage.getItem("wangge_cells");
    if (cached) drawCells(JSON.parse(cached));
  }
}

function drawCells(data) {
  const layer = L.geoJSON(data, {
    coordsToLatLng: frame.coordsToLatLng,
    style: (f) => ({
      color: f.properties.mine ? "#c62828" : "#607d8b",
      weight: f.properties.mine ? 3 : 1,
      fillOpacity: f.properties.mine ? 0.12 : 0.04,
    }),
    onEachFeature: (f, l) => {
      const tip = document.createElement("span"); // a string tooltip would be parsed as HTML
      tip.textContent = `网格 ${f.properties.code}`;
      l.bindTooltip(tip);
    },
  }).addTo(map);
  const mine = data.features.filter((f) => f.properties.mine);
  const bounds = L.geoJSON(mine.length ? { type: "FeatureCollection", features: mine } : data,
    { coordsToLatLng: frame.coordsToLatLng }).getBounds();
  if (bounds.isValid() && !state.position) map.fitBounds(bounds);
  return layer;
}

async function loadNearbyReports() {
  if (!state.position || !navigator.onLine) return;
  const { lon, lat } = state.position;
  try {
    const resp = await api(`/api/reports/nearby?lon=${lon}&lat=${lat}&radius=1000`);
    if (!resp.ok) return;
    reportsLayer.clearLayers();
    for (const r of await resp.json()) {
      const [x, y] = r.location.coordinates;
      const m = L.circleMarker(shown(y, x), { radius: 7, color: "#ef6c00", fillOpacity: 0.8 });
      m.bindPopup(() => {
        const div = document.createElement("div");
        div.textContent = `${r.category_name_zh}（${statusName(r.status)}）${r.description || ""}`;
        return div;
      });
      reportsLayer.addLayer(m);
    }
  } catch (err) { /* offline: keep what is drawn */ }
}

const statusName = statusZh;

/* ---------- position ---------- */
function onPosition(pos) {
  const p = { lon: pos.coords.longitude, lat: pos.coords.latitude,
    accuracy: pos.coords.accuracy, time: new Date(pos.timestamp || Date.now()).toISOString() };
  const first = !state.position;
  state.position = p;
  const ll = shown(p.lat, p.lon);
  if (!meMarker) {
    meCircle = L.circle(ll, { radius: p.accuracy, color: "#1e88e5", weight: 1 }).addTo(map);
    meMarker = L.circleMarker(ll, { radius: 8, color: "#fff", fillColor: "#1e88e5", fillOpacity: 1 }).addTo(map);
  }
  meMarker.setLatLng(ll);
  meCircle.setLatLng(ll).setRadius(p.accuracy);
  $("position").textContent = `已定位 · 精度约 ${Math.round(p.accuracy)} 米`;
  if (first) { map.setView(ll, 16); loadNearbyReports(); }
  if (state.patrol) addTrackPoint(p);
}

function onPositionError(err) {
  $("position").textContent = err.code === 1 ? "未获得定位权限，请在地图上选点" : "暂时无法定位";
}

function watchPosition() {
  if (!navigator.geolocation) { $("position").textContent = "此设备不支持定位"; return; }
  const opts = { enableHighAccuracy: true, maximumAge: 0, timeout: 15000 };
  navigator.geolocation.watchPosition(onPosition, onPositionError, opts);
  // Some phones deliver watch updates lazily; a slow poll keeps the track going.
  setInterval(() => navigator.geolocation.getCurrentPosition(onPosition, () => {}, opts), POLL_POSITION_MS);
}

/* ---------- patrol ---------- */
function savePatrol() { localStorage.setItem("wangge_patrol", JSON.stringify(state.patrol)); }

function metres(a, b) {
  const r = 6371008.8, rad = Math.PI / 180;
  const dx = (b.lon - a.lon) * rad * Math.cos(((a.lat + b.lat) / 2) * rad);
  const dy = (b.lat - a.lat) * rad;
  return Math.hypot(dx, dy) * r;
}

function addTrackPoint(p) {
  const t = state.patrol;
  const last = t.points.length ? { lon: t.points.at(-1)[0], lat: t.points.at(-1)[1] } : null;
  const lastTime = t.times.length ? Date.parse(t.times.at(-1)) : 0;
  if (last && metres(last, p) < 5 && Date.now() - lastTime < 30000) return;
  t.points.push([p.lon, p.lat]);
  t.acc.push(Math.round(p.accuracy * 10) / 10);
  t.times.push(new Date().toISOString());
  savePatrol();
  renderPatrol();
}

function renderPatrol() {
  const on = !!state.patrol;
  $("patrol-btn").textContent = on ? "结束巡查" : "开始巡查";
  $("patrol-bar").hidden = !on;
  if (!on) { trackLine.setLatLngs([]); return; }
  $("patrol-points").textContent = String(state.patrol.points.length);
  trackLine.setLatLngs(state.patrol.points.map(([x, y]) => shown(y, x)));
}

async function togglePatrol() {
  if (!state.patrol) {
    const id = uuid();
    const started = new Date().toISOString();
    state.patrol = { id, started_at: started, points: [], acc: [], times: [], checklist: {}, note: "" };
    savePatrol();
    await Outbox.addAll([{ kind: "patrol", label: "巡查开始", method: "POST", url: "/api/patrols",
      json: { id, started_at: started, checklist: {} } }]);
    if (state.position) addTrackPoint(state.position);
    renderPatrol();
    toast("巡查已开始，正在记录轨迹");
  } else {
    const t = state.patrol;
    t.note = $("patrol-note").value;
    const finish = { ended_at: new Date().toISOString(), checklist: t.checklist, note: t.note };
    // A worker who never moved has one position (repeated): that is no track, and the server
    // refuses it; the patrol ends without one.
    if (new Set(t.points.map((q) => q.join(","))).size >= 2) {
      finish.track = { type: "LineString", coordinates: t.points };
      finish.accuracy_m = t.acc;
      finish.recorded_at = t.times;
    }
    await Outbox.addAll([{ kind: "patrol", label: "巡查结束", method: "POST",
      url: `/api/patrols/${t.id}/finish`, json: finish }]);
    state.patrol = null;
    localStorage.removeItem("wangge_patrol");
    $("patrol-note").value = "";
    renderPatrol();
    toast("巡查已结束");
  }
  await refreshPending();
  sync();
}

function renderChecklist() {
  const ul = $("checklist-items");
  ul.replaceChildren();
  for (const [code, name] of THEMES) {
    const li = document.createElement("li");
    const span = document.createElement("span");
    span.textContent = name;
    const select = document.createElement("select");
    select.dataset.theme = code;
    for (const [value, text] of CHECKS) select.add(new Option(text, value));
    select.value = (state.patrol && state.patrol.checklist[code]) || "not_checked";
    select.addEventListener("change", () => {
      if (!state.patrol) return;
      state.patrol.checklist[code] = select.value;
      savePatrol();
    });
    li.append(span, select);
    ul.append(li);
  }
  $("patrol-note").value = (state.patrol && state.patrol.note) || "";
}

/* ---------- report ---------- */
function reportPoint() {
  if (state.manualPoint) return { ...state.manualPoint, byHand: true };
  if (state.position) return { lon: state.position.lon, lat: state.position.lat, byHand: false };
  return null;
}

function openReport(reset = true) {
  if (reset) {
    state.manualPoint = null;
    state.category = null;
    state.joinTarget = null;
    state.photos = [];
    $("description").value = "";
    $("category-search").value = "";
    $("thumbs").replaceChildren();
    $("duplicates").hidden = true;
    $("category-chosen").textContent = "";
    $("report-error").textContent = "";
    if (manualMarker) { manualMarker.remove(); manualMarker = null; }
  }
  renderCategories();
  renderReportPosition();
  show("report");
}

function renderReportPosition() {
  const pt = reportPoint();
  const acc = state.position ? Math.round(state.position.accuracy) : null;
  const warn = $("accuracy-warning");
  warn.replaceChildren();
  if (!pt) {
    $("report-position").textContent = "尚未定位";
  } else {
    $("report-position").textContent = pt.byHand ? "位置：地图上手动选点（手动选点）"
      : `位置：我的当前位置 · 精度约 ${acc} 米`;
  }
  const needsPick = !pt || (!pt.byHand && acc !== null && acc > ACCURACY_LIMIT_M);
  warn.hidden = !needsPick && !pt?.byHand;
  if (needsPick) {
    warn.append(pt ? `定位精度 ${acc} 米，超过 ${ACCURACY_LIMIT_M} 米，建议在地图上手动选点。` : "无法定位，请在地图上手动选点。");
  }
  if (needsPick || pt?.byHand) {
    const b = document.createElement("button");
    b.type = "button";
    b.id = "pick-on-map";
    b.textContent = pt?.byHand ? "重新选点" : "在地图上选点";
    b.addEventListener("click", () => { state.picking = true; show("home"); toast("请在地图上点击问题位置"); });
    warn.append(b);
  }
}

async function loadCategories() {
  try {
    const resp = await api("/api/categories");
    if (resp.ok) {
      state.categories = await resp.json();
      localStorage.setItem("wangge_categories", JSON.stringify(state.categories));
    }
  } catch (err) { /* offline: the cached catalogue */ }
}

function renderCategories() {
  const q = $("category-search").value.trim().toLowerCase();
  const ul = $("category-list");
  ul.replaceChildren();
  const hits = state.categories.filter((c) => !q || c.name_zh.includes(q) ||
    c.name_en.toLowerCase().includes(q) || c.department_name_zh.includes(q) || c.code.includes(q));
  for (const c of hits.slice(0, 40)) {
    const li = document.createElement("li");
    li.setAttribute("role", "option");
    li.dataset.code = c.code;
    li.textContent = c.name_zh;
    const small = document.createElement("small");
    small.textContent = c.department_name_zh;
    li.append(small);
    li.addEventListener("click", () => chooseCategory(c));
    ul.append(li);
  }
}

function chooseCategory(c) {
  state.category = c;
  state.joinTarget = null;
  $("category-chosen").textContent = `已选：${c.name_zh} → ${c.department_name_zh}（${c.deadline_hours} 小时内处置）`;
  $("category-list").replaceChildren();
  checkDuplicates();
}

async function checkDuplicates() {
  const box = $("duplicates");
  box.hidden = true;
  box.replaceChildren();
  const pt = reportPoint();
  if (!pt || !state.category || !navigator.onLine) return;
  let found = [];
  try {
    const resp = await api(`/api/reports/nearby?category=${encodeURIComponent(state.category.code)}` +
      `&lon=${pt.lon}&lat=${pt.lat}&radius=250`);
    if (resp.ok) found = await resp.json();
  } catch (err) { return; }
  if (!found.length) return;
  const p = document.createElement("p");
  p.textContent = `附近 250 米内已有 ${found.length} 件同类未结事件，是同一问题吗？`;
  box.append(p);
  for (const r of found.slice(0, 5)) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "join";
    b.textContent = `是这件：${Math.round(r.distance_m)} 米 · ${statusName(r.status)} · ${r.description || "（无描述）"}`;
    b.addEventListener("click", () => {
      state.joinTarget = r.id;
      box.replaceChildren();
      const note = document.createElement("p");
      note.textContent = "将把照片补充到该事件，不新建上报。";
      const undo = document.createElement("button");
      undo.type = "button";
      undo.textContent = "不是同一问题，新建上报";
      undo.addEventListener("click", () => { state.joinTarget = null; checkDuplicates(); });
      box.append(note, undo);
    });
    box.append(b);
  }
  const no = document.createElement("button");
  no.type = "button";
  no.textContent = "都不是，继续新上报";
  no.addEventListener("click", () => { box.hidden = true; });
  box.append(no);
  box.hidden = false;
}

async function resizePhoto(file) {
  const bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
  const scale = Math.min(1, PHOTO_MAX_SIDE / Math.max(bitmap.width, bitmap.height));
  const canvas = document.createElement("canvas");
  canvas.width = Math.round(bitmap.width * scale);
  canvas.height = Math.round(bitmap.height * scale);
  canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  return new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.82));
}

async function addPhotos(event) {
  $("report-error").textContent = "";
  for (const file of event.target.files) {
    if (state.photos.length >= MAX_PHOTOS) { $("report-error").textContent = `最多 ${MAX_PHOTOS} 张照片`; break; }
    try {
      const blob = await resizePhoto(file);
      state.photos.push({ id: uuid(), blob });
      const img = document.createElement("img");
      img.alt = "照片";
      img.src = URL.createObjectURL(blob);
      $("thumbs").append(img);
    } catch (err) {
      $("report-error").textContent = "无法读取该照片";
    }
  }
  event.target.value = "";
}

function photoRecords(reportId) {
  return state.photos.map((p, i) => ({ kind: "photo", label: `照片 ${i + 1}`, method: "POST",
    url: `/api/reports/${reportId}/photos`, photo: { id: p.id, blob: p.blob } }));
}

async function submitReport() {
  const button = $("report-submit");
  if (button.disabled) return;
  button.disabled = true;
  button.textContent = "正在保存…";
  try { await saveReport(); } finally {
    button.disabled = false;
    button.textContent = "提交";
  }
}

async function saveReport() {
  const pt = reportPoint();
  const err = $("report-error");
  if (!pt) { err.textContent = "请先定位或在地图上选点"; return; }
  if (!state.category && !state.joinTarget) { err.textContent = "请选择问题类别"; return; }
  let records;
  if (state.joinTarget) {
    if (!state.photos.length) { err.textContent = "补充到已有事件时请至少附一张照片"; return; }
    records = photoRecords(state.joinTarget);
  } else {
    const id = uuid();
    const body = {
      id,
      category: state.category.code,
      location: { type: "Point", coordinates: [pt.lon, pt.lat] },
      crs: "wgs84",
      accuracy_m: state.position ? Math.round(state.position.accuracy * 10) / 10 : null,
      placed_by_hand: pt.byHand,
      description: $("description").value.trim(),
    };
    if (state.patrol) body.patrol_id = state.patrol.id;
    records = [{ kind: "report", label: `上报：${state.category.name_zh}`, method: "POST",
      url: "/api/reports", json: body }, ...photoRecords(id)];
  }
  await Outbox.addAll(records);
  if (state.editing) {
    for (const r of state.editing.records) await Outbox.remove(r.seq);
    state.editing = null;
  }
  toast(navigator.onLine ? "已保存，正在发送" : "已保存在手机上，联网后自动发送");
  show("home");
  await refreshPending();
  sync();
}

/* ---------- sync ---------- */
async function refreshPending() {
  const items = groupItems(await Outbox.all());
  const counts = renderOutbox(items, {
    refusedBox: $("refused"), refusedList: $("refused-list"), refusedCount: $("refused-count"),
    queueList: $("queue-list"),
  }, { onEdit: editItem, onRetry: retryItem, onDelete: deleteItem });
  $("pending-count").textContent = String(counts.waiting);
  $("pending").dataset.failed = String(counts.failed);
  drawMine(items);
}

async function retryItem(item) {
  for (const r of item.records) {
    r.state = "pending";
    delete r.error;
    await Outbox.put(r);
  }
  await refreshPending();
  sync();
}

async function deleteItem(item) {
  if (!window.confirm(`删除“${item.label}”？删除后无法恢复。`)) return;
  for (const r of item.records) await Outbox.remove(r.seq);
  await refreshPending();
}

/* Reopen a refused report with what it had, so the worker corrects it and sends it again. */
function editItem(item) {
  const body = item.report.json;
  openReport(true);
  state.editing = item;
  const [lon, lat] = body.location.coordinates;
  if (body.placed_by_hand) state.manualPoint = { lon, lat };
  const category = state.categories.find((c) => c.code === body.category);
  if (category) chooseCategory(category);
  $("description").value = body.description || "";
  for (const r of item.records.filter((x) => x.kind === "photo")) {
    state.photos.push({ id: uuid(), blob: r.photo.blob });
    const img = document.createElement("img");
    img.alt = "照片";
    img.src = URL.createObjectURL(r.photo.blob);
    $("thumbs").append(img);
  }
  renderReportPosition();
  $("report-error").textContent = `上次未能提交：${item.error}`;
}

/* My reports on the map: those the server has (kept on the phone) and those still waiting. */
function drawMine(items) {
  if (!mineLayer) return;
  mineLayer.clearLayers();
  const dot = (coords, colour, text) => {
    const m = L.circleMarker(shown(coords[1], coords[0]), { radius: 9, color: "#fff", weight: 2,
      fillColor: colour, fillOpacity: 0.95 });
    m.bindPopup(() => { const d = document.createElement("div"); d.textContent = text; return d; });
    mineLayer.addLayer(m);
  };
  for (const r of state.sent) dot(r.coordinates, "#2e7d32", `我的上报：${r.label}（${r.routed}）`);
  for (const item of items) {
    if (!item.report) continue;
    const text = item.failed ? `未能提交：${item.label}` : `等待发送：${item.label}`;
    dot(item.report.json.location.coordinates, item.failed ? "#c62828" : "#9e9e9e", text);
  }
}

function routedText(report) {
  const hours = Math.round((Date.parse(report.deadline) - Date.parse(report.created_at)) / 3600000);
  return `${report.department_name_zh}，${hours} 小时内处置`;
}

function noteSent(record, report) {
  const routed = routedText(report);
  state.sent = [{ id: report.id, label: record.label, routed,
    coordinates: record.json.location.coordinates }, ...state.sent].slice(0, MAX_SENT_KEPT);
  localStorage.setItem("wangge_sent", JSON.stringify(state.sent));
  const name = report.category_name_zh || record.label;
  $("last-sent").textContent = `已上报 → ${routed}（${name}）`;
  $("last-sent").hidden = false;
  toast(`已上报 → ${routed}`);
}

function send(record) {
  if (record.photo) {
    const form = new FormData();
    form.append("file", record.photo.blob, `${record.photo.id}.jpg`);
    form.append("id", record.photo.id);
    return api(record.url, { method: "POST", body: form });
  }
  return api(record.url, { method: record.method, json: record.json });
}

export async function sync() {
  if (state.syncing || !loggedIn()) return;
  state.syncing = true;
  try {
    const records = await Outbox.all();
    // a refused report keeps its photos back: they wait for the corrected report
    const refused = new Set(records.filter((r) => r.state === "failed").map(itemKey));
    for (const record of records) {
      if (record.state !== "pending") continue;
      if (refused.has(itemKey(record))) continue;
      let resp;
      try { resp = await send(record); } catch (err) { break; } // offline: try later
      if (resp.ok) {
        if (record.kind === "report") {
          try { noteSent(record, await resp.json()); } catch (e) { /* sent; no routing shown */ }
        }
        await Outbox.remove(record.seq);
        continue;
      }
      if (resp.status === 401) { toast("登录已失效，请重新登录；待发送记录会保留"); goToLogin(); break; }
      // Busy or a server fault: try again later, in order; but a record the server keeps
      // failing on must not block the outbox forever: after a few tries it is kept as failed.
      if (resp.status >= 500 || resp.status === 429 || resp.status === 408) {
        record.attempts = (record.attempts || 0) + 1;
        if (resp.status < 500 || record.attempts < MAX_SERVER_ERRORS) { await Outbox.put(record); break; }
      }
      // Any other 4xx will not change by sending again: kept for the user, never retried.
      let message = `错误 ${resp.status}`;
      try { const d = (await resp.json()).detail; message = d.message_zh || d.message || message; } catch (e) { /* not JSON */ }
      record.state = "failed";
      record.error = message;
      await Outbox.put(record);
      refused.add(itemKey(record));
    }
  } finally {
    state.syncing = false;
    await refreshPending();
    document.dispatchEvent(new Event("wangge:synced")); // 我的上报 / 待核查 refresh (cases.js)
  }
}

function renderNet() {
  $("net").dataset.online = navigator.onLine ? "1" : "0";
  $("net").textContent = navigator.onLine ? "在线" : "离线";
}

/* ---------- start ---------- */
async function start() {
  show("home");
  initMap();
  renderPatrol();
  await Promise.all([loadCells(), loadCategories(), refreshBasemap()]);
  if (!start.watching) { watchPosition(); start.watching = true; }
  await refreshPending();
  sync();
}

function wire() {
  $("report-btn").addEventListener("click", () => openReport(true));
  $("patrol-btn").addEventListener("click", togglePatrol);
  $("report-cancel").addEventListener("click", () => show("home"));
  $("report-submit").addEventListener("click", submitReport);
  $("category-search").addEventListener("input", renderCategories);
  $("photos").addEventListener("change", addPhotos);
  $("checklist-toggle").addEventListener("click", () => { renderChecklist(); show("checklist"); });
  $("checklist-close").addEventListener("click", () => {
    if (state.patrol) { state.patrol.note = $("patrol-note").value; savePatrol(); }
    show("home");
  });
  $("pending").addEventListener("click", async () => { await refreshPending(); show("queue"); });
  $("queue-close").addEventListener("click", () => show("home"));
  $("sync-now").addEventListener("click", sync);
  window.addEventListener("online", () => { renderNet(); sync(); });
  window.addEventListener("offline", renderNet);
  setInterval(sync, SYNC_EVERY_MS);
  renderNet();
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/m/sw.js", { scope: "/m" }).catch(() => {});
  }
}

// 我的上报 and 待核查 (cases.js) use the page's own helpers
export { api, refreshPending, resizePhoto, show, statusName, toast, uuid };

wire();
if (loggedIn()) start(); else goToLogin();
