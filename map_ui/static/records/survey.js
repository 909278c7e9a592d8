// 小区 page, residents' satisfaction survey: this quarter's tally (the suggested score of the
// property company assessment's 业主评价与满意度 item) and the public link staff hand out.
import { csrfToken } from "/static/common.js";

const $ = (id) => document.getElementById(id);

function showLink(path) {
  const link = $("survey-link");
  if (!path) {
    link.removeAttribute("href");
    link.textContent = "尚未生成";
    $("survey-make").textContent = "生成调查链接";
    return;
  }
  link.href = path;
  link.textContent = location.origin + path;
  $("survey-make").textContent = "更换链接（旧链接将失效）";
}

async function makeLink(api) {
  $("survey-msg").textContent = "";
  const r = await fetch(api, { method: "POST", credentials: "same-origin",
    headers: { "X-CSRF-Token": csrfToken() } });
  const body = await r.json();
  if (!r.ok) {
    $("survey-msg").textContent = (body.detail && body.detail.message_zh) || "生成失败";
    return;
  }
  showLink(body.path);
  $("survey-msg").textContent = "已生成，可将链接或其二维码张贴在小区内";
}

export async function initSurvey(config) {
  const code = encodeURIComponent(config.code);
  const summary = await fetch(`/api/surveys/summary?residential_area=${code}`,
    { credentials: "same-origin" });
  if (!summary.ok) return; // not a staff role: the section stays hidden
  const data = await summary.json();
  const row = data.areas[0];
  $("survey").hidden = false;
  $("survey-tally").textContent = !row || !row.responses
    ? `本季度（${data.quarter}）尚无答卷`
    : `本季度（${data.quarter}）共 ${row.responses} 份答卷（居民填写 ${row.from_residents} 份），` +
      `满意率 ${(row.rate * 100).toFixed(1)}%；物业考核“业主评价与满意度”建议得分 ${row.suggested_score}`;
  if (!config.canEdit) return;
  const api = `/api/residential-areas/${code}/survey-link`;
  const link = await fetch(api, { credentials: "same-origin" });
  showLink(link.ok ? (await link.json()).path : null);
  $("survey-make").hidden = false;
  $("survey-make").addEventListener("click", () => makeLink(api));
}
