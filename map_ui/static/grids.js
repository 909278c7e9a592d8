// Grid page actions: cells are picked on the map; each form calls /api/grids/... with the
// session cookie and CSRF header (common.js); refusals are shown as Chinese sentences.
import { callJSON, el } from "/static/common.js";
import { addBaseMap, addNames, displayFrame } from "/static/basemap.js";

const L = window.L;
const config = JSON.parse(document.getElementById("grid-config").textContent);
const map = window[config.map]; // folium's inline script made it before this module runs
const frame = displayFrame(config.basemap);
const message = document.getElementById("grid-message");
const FLAG_ZH = { households_below_min: "户数偏少", households_above_max: "户数偏多" };
const picked = new Map(); // code -> the cell's Leaflet layer, in the order picked
let previewLayer = null;

function say(text, isError) {
  message.textContent = text;
  message.className = isError ? "error" : "";
}

function call(method, url, body) {
  return callJSON(url, { method, json: body });
}

/* ---------- picking cells on the map ---------- */
function renderPicked() {
  const list = document.getElementById("picked-list");
  if (!list) return;
  const codes = [...picked.keys()];
  list.replaceChildren(...(codes.length ? codes.map((c) => el("li", { "data-code": c }, c))
    : [el("li", { class: "empty" }, "尚未选择")]));
  for (const form of ["form-split", "form-assign"]) {
    const input = document.querySelector(`#${form} input[name=code]`);
    if (input) input.value = codes[0] || "";
  }
  const merge = document.querySelector("#form-merge input[name=codes]");
  if (merge) merge.value = codes.join(",");
  document.querySelectorAll("#cell-table tr[data-code]").forEach((tr) => {
    tr.classList.toggle("picked", picked.has(tr.dataset.code));
  });
}

function toggle(layer) {
  const code = layer.feature.properties.code;
  if (picked.has(code)) {
    picked.delete(code);
    layer.setStyle({ color: "#1c7ed6", weight: 2, dashArray: null });
  } else {
    picked.set(code, layer);
    layer.setStyle({ color: "#000", weight: 4, dashArray: "6 3" });
  }
  renderPicked();
}

function wirePicking() {
  map.eachLayer((layer) => {
    const p = layer.feature && layer.feature.properties;
    if (p && p.code && p.households !== undefined && !p.reason_zh) {
      layer.on("click", () => toggle(layer));
    }
  });
  const clear = document.getElementById("picked-clear");
  if (clear) clear.addEventListener("click", () => { [...picked.values()].forEach(toggle); });
}

/* ---------- forms ---------- */
function showPreview(collection) {
  if (previewLayer) { map.removeLayer(previewLayer); }
  previewLayer = L.geoJSON(collection, {
    coordsToLatLng: frame.coordsToLatLng,
    style: { color: "#7048e8", weight: 2, dashArray: "6 4", fillOpacity: 0.1 },
    onEachFeature: function (feature, layer) {
      const p = feature.properties;
      const flags = (p.flags || []).map((f) => FLAG_ZH[f] || "需复核");
      layer.bindTooltip(el("span", {}, `${p.code} · ${p.households} 户${flags.length ? " · " + flags.join("、") : ""}`));
    },
  }).addTo(map);
  if (previewLayer.getBounds().isValid()) { map.fitBounds(previewLayer.getBounds()); }
}

function handle(formId, action) {
  const form = document.getElementById(formId);
  if (!form) { return; }
  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    try { await action(new FormData(form), form); } catch (err) { say(err.message, true); }
  });
}

function needPicked(n, what) {
  if (picked.size < n) throw new Error(`请先在地图上点击选择${n > 1 ? "至少 " + n + " 个" : "一个"}网格，再${what}。`);
}

const applyButton = document.getElementById("generate-apply");
handle("form-generate", async function (data) {
  const body = { community: data.get("community"), dry_run: true, replace: data.get("replace") === "on" };
  const result = await call("POST", "/api/grids/generate", body);
  showPreview(result.cells);
  say(`预览：将生成 ${result.created.length} 个网格（尚未保存，确认后才生效）。`);
  applyButton.disabled = false;
  applyButton.onclick = async function () {
    try {
      const done = await call("POST", "/api/grids/generate", Object.assign({}, body, { dry_run: false }));
      say(`已生成 ${done.created.length} 个网格。`);
      window.location.reload();
    } catch (err) { say(err.message, true); }
  };
});
handle("form-split", async function (data) {
  needPicked(1, "拆分");
  const r = await call("POST", `/api/grids/${encodeURIComponent(data.get("code"))}/split`,
    { parts: Number(data.get("parts")) });
  say("已拆分为 " + r.created.join("、")); window.location.reload();
});
handle("form-merge", async function (data) {
  needPicked(2, "合并");
  const codes = String(data.get("codes")).split(",").filter(Boolean);
  const r = await call("POST", "/api/grids/merge", { codes: codes });
  say("已合并为 " + r.created.join("、")); window.location.reload();
});
handle("form-assign", async function (data) {
  needPicked(1, "分配网格员");
  if (!data.get("worker")) throw new Error("请从列表中选择网格员。");
  const body = { worker: data.get("worker"), role: data.get("role"), replace: data.get("replace") === "on" };
  await call("POST", `/api/grids/${encodeURIComponent(data.get("code"))}/assignments`, body);
  say("已分配。"); window.location.reload();
});

addBaseMap(map, config.basemap);
addNames(map, frame); // street, community and 小区 names; grid codes close in
wirePicking();
renderPicked();
