// 物业服务企业考核: grades on a map and in numbers, the quarter's ranking and lists, the
// registry, the score sheet for communities and streets, and the district's grading.

import { addBaseMap, displayFrame, pageBaseMap } from "/static/basemap.js";
import { csrfToken, el } from "/static/common.js";

const config = JSON.parse(document.getElementById("records-config").textContent);
// the classes of the grade layer (service/domain/assessment.py GRADE_CLASS_ZH), as on /map
const GRADE_COLOURS = { A: "#1a9850", B: "#91cf60", C: "#fc8d59", D: "#d73027",
  no_company: "#9ecae1", none: "#525252" };
const GRADES = Object.entries(config.gradeClasses).map(([code, label]) => [code, label, GRADE_COLOURS[code]]);
const LISTS = { red: "红榜", black: "黑榜", grey: "灰榜" };
const quarterInput = document.getElementById("quarter");

async function getJSON(url) {
  const r = await fetch(url, { credentials: "same-origin" });
  return r.ok ? r.json() : null;
}

async function post(url, body) {
  const r = await fetch(url, {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRF-Token": csrfToken() },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { ok: r.ok, body: await r.json() };
}

function colour(grade) { return (GRADES.find((g) => g[0] === grade) || [0, 0, "#bdbdbd"])[2]; }

async function drawMap() {
  const legend = document.getElementById("legend");
  for (const [, label, fill] of GRADES) {
    legend.appendChild(el("span", { style: `background:${fill}` }));
    legend.appendChild(document.createTextNode(label));
  }
  const data = await getJSON("/api/map/company-grades");
  if (!data || !window.L) { return null; }
  // the configured base map; with a GCJ-02 one the 小区 are drawn shifted into it
  const basemap = pageBaseMap();
  const frame = displayFrame(basemap);
  const map = window.L.map("grade-map", { preferCanvas: true });
  addBaseMap(map, basemap);
  const layer = window.L.geoJSON(data, {
    coordsToLatLng: frame.coordsToLatLng,
    style: (f) => ({ color: "#555", weight: 0.5, fillColor: colour(f.properties.grade), fillOpacity: 0.8 }),
    onEachFeature: (f, l) => {
      const box = el("div", { class: "grade-popup" });
      box.appendChild(el("b", {}, f.properties.name));
      const label = (GRADES.find((g) => g[0] === f.properties.grade) || [0, f.properties.grade])[1];
      box.appendChild(el("div", {}, (f.properties.company || "无物业服务企业") + " · " + label));
      l.bindPopup(box);
    },
  }).addTo(map);
  if (data.features.length) { map.fitBounds(layer.getBounds()); } else { map.setView(frame.toDisplay(34.75, 113.66), 12); }
  return { map, layer, frame };
}

async function drawStats() {
  const rows = (await getJSON("/api/stats/company-grades")) || [];
  document.querySelector("#grade-stats tbody").replaceChildren(...rows.map((r) => {
    const tr = el("tr", { "data-grade": r.grade });
    for (const v of [(GRADES.find((g) => g[0] === r.grade) || [0, r.grade])[1], r.areas, r.households]) {
      tr.appendChild(el("td", {}, v));
    }
    return tr;
  }));
}

function rankingList(title, rows) {
  const box = el("div");
  box.appendChild(el("h3", {}, title));
  const ol = el("ol");
  for (const r of rows) { ol.appendChild(el("li", {}, `${r.company} · ${r.score} 分 · ${r.grade}级`)); }
  if (!rows.length) { ol.appendChild(el("li", {}, "暂无")); }
  box.appendChild(ol);
  return box;
}

async function drawQuarter() {
  const q = quarterInput.value;
  const view = await getJSON("/api/company-grades/" + encodeURIComponent(q));
  const ranking = document.getElementById("ranking");
  if (!view) { ranking.replaceChildren(el("p", {}, "季度格式应为如 2026Q4")); return; }
  const supervised = view.key_supervision.map((g) => g.company).join("、") || "无";
  ranking.replaceChildren(rankingList("十佳", view.best), rankingList("十差", view.worst),
    el("p", {}, "重点监管企业（D级）：" + supervised));
  document.getElementById("lists").replaceChildren(...view.lists.map((e) =>
    el("li", { class: e.list_kind }, `${LISTS[e.list_kind]}：${e.company}（${e.reason}，${e.listed_on} 起）`)));
}

async function drawRegistry() {
  const rows = (await getJSON("/api/property-companies")) || [];
  document.querySelector("#registry tbody").replaceChildren(...rows.map((c) => {
    const tr = el("tr");
    const lists = c.lists.map((e) => LISTS[e.kind]).join("、");
    for (const v of [c.name, c.credit_code || "", c.credit_grade, c.areas_served, c.has_party_org ? "有" : "无", lists]) {
      tr.appendChild(el("td", {}, v));
    }
    return tr;
  }));
}

// the score sheet's item fed by the residents' surveys (service/domain/surveys.py FED_ITEM)
const FED_ITEM = "owner_satisfaction";
let surveyScore = null; // the score the chosen 小区's surveys give this quarter, or null
let basisAsked = 0; // the latest look-up; an earlier answer arriving late is dropped

async function showSurveyBasis() {
  const select = document.querySelector("#score-form select[name=residential_area]");
  const input = document.querySelector(`#score-form input[name=${FED_ITEM}]`);
  const basis = document.getElementById("survey-basis");
  const override = document.getElementById("override");
  if (!input || !select.value) { return; }
  const query = new URLSearchParams({ residential_area: select.value, quarter: quarterInput.value });
  const asked = ++basisAsked;
  const found = await getJSON("/api/assessments/satisfaction?" + query);
  if (asked !== basisAsked) { return; } // another 小区 or quarter was chosen meanwhile
  override.checked = false;
  document.querySelector("#score-form input[name=satisfaction_reason]").value = "";
  surveyScore = found && found.responses ? found.score : null;
  if (surveyScore !== null) {
    basis.textContent = `业主评价与满意度：${surveyScore} 分，依据 ${found.responses} 份问卷`
      + `（满意 ${found.satisfied}、基本满意 ${found.basically}、不满意 ${found.dissatisfied}）`;
    input.value = surveyScore;
    input.dataset.fromSurveys = "1";
  } else {
    basis.textContent = found ? "本季度该小区没有满意度问卷，请人工评分“业主评价与满意度”"
      : "无法读取问卷情况";
    // clear a score the surveys filled in, never one typed by hand
    if (input.dataset.fromSurveys) { input.value = ""; }
    delete input.dataset.fromSurveys;
  }
  document.getElementById("override-box").hidden = surveyScore === null;
  applyOverride();
}

function applyOverride() {
  // with surveys the item is theirs unless staff choose to adjust it, giving a reason
  const input = document.querySelector(`#score-form input[name=${FED_ITEM}]`);
  const adjusting = document.getElementById("override").checked;
  const reason = document.querySelector("#score-form input[name=satisfaction_reason]");
  input.readOnly = surveyScore !== null && !adjusting;
  if (surveyScore !== null && !adjusting) { input.value = surveyScore; }
  document.getElementById("reason-box").hidden = surveyScore !== null && !adjusting;
  document.getElementById("reason-label").textContent = surveyScore === null ? "评分说明（选填）" : "调整理由";
  reason.required = surveyScore !== null && adjusting;
}

async function drawSheets() {
  if (!config.canReadSheets) { return; }
  const rows = (await getJSON("/api/assessments?quarter=" + encodeURIComponent(quarterInput.value))) || [];
  const body = document.querySelector("#sheets tbody");
  body.replaceChildren(...rows.map((r) => {
    const tr = el("tr", { "data-area": r.residential_area });
    const fed = r.scores[FED_ITEM];
    for (const v of [r.residential_area_name, r.company, r.total, fed === undefined ? "—" : fed, r.satisfaction_zh]) {
      tr.appendChild(el("td", {}, v));
    }
    return tr;
  }));
  if (!rows.length) {
    const tr = el("tr");
    tr.appendChild(el("td", { colspan: "5" }, "本季度暂无评分"));
    body.appendChild(tr);
  }
}

async function setUpScoring() {
  const form = document.getElementById("score-form");
  // until the 小区 and the sheet's items are in, the form cannot be sent (nor sent natively)
  const button = form.querySelector("button[type=submit]");
  if (button) { button.disabled = true; }
  let items = null;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (items === null) { return; }
    const scores = {};
    for (const item of items) { scores[item.code] = Number(form.elements[item.code].value); }
    const answer = await post("/api/assessments", {
      residential_area: select.value, quarter: quarterInput.value, scores,
      evidence: form.elements.evidence.value,
      satisfaction_reason: form.elements.satisfaction_reason.value,
    });
    const msg = document.getElementById("score-msg");
    msg.textContent = answer.ok
      ? `已提交：${answer.body.company} 得分 ${answer.body.total}` + (answer.body.satisfaction_zh ? `（业主评价与满意度 ${answer.body.satisfaction_score} 分，${answer.body.satisfaction_zh}）` : "")
      : (answer.body.detail && answer.body.detail.message_zh) || "提交失败";
    msg.className = answer.ok ? "msg ok" : "msg error";
    if (answer.ok) { await drawSheets(); }
  });
  const select = form.querySelector("select[name=residential_area]");
  const [areas, sheetItems] = await Promise.all([
    getJSON("/api/residential-areas"), getJSON("/api/assessment-items")]);
  for (const a of (areas || []).filter((x) => x.property_company)) {
    select.appendChild(el("option", { value: a.code }, `${a.name}（${a.property_company}）`));
  }
  const box = document.getElementById("items");
  for (const item of sheetItems || []) {
    const label = el("label", {}, null);
    label.appendChild(el("span", {}, `${item.name_zh}（权重 ${item.weight}）`));
    label.appendChild(el("input", { type: "number", min: "0", max: "100", step: "0.1", name: item.code, required: "" }));
    box.appendChild(label);
  }
  select.addEventListener("change", showSurveyBasis);
  quarterInput.addEventListener("change", showSurveyBasis);
  document.getElementById("override").addEventListener("change", applyOverride);
  await showSurveyBasis();
  items = sheetItems || [];
  if (button) { button.disabled = false; }
  form.dataset.ready = "true";
}

if (config.canDecide) {
  document.getElementById("decide").addEventListener("click", async () => {
    const answer = await post("/api/company-grades/" + encodeURIComponent(quarterInput.value));
    const msg = document.getElementById("decide-msg");
    msg.textContent = answer.ok ? `已评定 ${answer.body.grades.length} 家企业`
      : (answer.body.detail && answer.body.detail.message_zh) || "评定失败";
    msg.className = answer.ok ? "msg ok" : "msg error";
    if (answer.ok) { await Promise.all([drawQuarter(), drawRegistry(), drawStats()]); }
  });
}
quarterInput.addEventListener("change", drawQuarter);
quarterInput.addEventListener("change", drawSheets);
if (config.canAssess) { setUpScoring(); }
/** The grade map once drawn (`import('/static/records/companies.js').then((m) => m.ready)`). */
export const ready = drawMap();
drawStats();
drawQuarter();
drawRegistry();
drawSheets();
