/* /meetings: the register of joint meetings (联席会议). The board shows meetings due by the
 * cadence and decisions past their follow-up day; a meeting opens with its agenda, where the
 * meeting's staff add items and the staff or the owner department mark decisions done.
 * All text from the server goes in with textContent (el), never as HTML. */
import { callJSON, el, getJSON } from "/static/common.js";

const $ = (id) => document.getElementById(id);
const KIND_ZH = { street_joint: "街道联席会议", grid_quarterly: "网格员季度联席会议", community: "社区联席会议" };
const state = { me: null, board: null, open: null };

function place(row) {
  return row.community_name ? `${row.street_name} · ${row.community_name}` : row.street_name;
}

function owner(item) {
  return item.owner_department_zh || item.owner_text || "未指定";
}

function itemNode(item, { withMeeting = false } = {}) {
  const cls = item.done_at ? "done" : item.overdue ? "late" : "";
  const li = el("li", { class: cls, "data-item": String(item.id) });
  li.append(el("div", { class: "topic" }, item.topic));
  if (item.decision) li.append(el("div", {}, `决定：${item.decision}`));
  const meta = [`责任单位：${owner(item)}`];
  if (item.due_on) meta.push(`期限：${item.due_on}`);
  if (item.report_id) meta.push(`关联事件：${item.report_description || item.report_id}`);
  if (withMeeting) meta.push(`会议：${item.held_on} ${item.meeting_title}（${place(item)}）`);
  li.append(el("div", { class: "meta" }, meta.join("　")));
  const status = item.done_at
    ? el("span", { class: "ok" }, `已办结（${item.done_by || ""} ${item.done_at.slice(0, 10)}）`)
    : item.overdue ? el("span", { class: "overdue" }, "已超期") : el("span", {}, "办理中");
  li.append(status);
  if (item.report_id) {
    const link = el("a", { href: `/work?case=${encodeURIComponent(item.report_id)}` }, " 查看事件");
    li.append(link);
  }
  if (item.can_mark_done) {
    const btn = el("button", { type: "button", class: "mark-done" }, "标记办结");
    btn.addEventListener("click", () => markDone(item, li));
    li.append(" ", btn);
  }
  return li;
}

async function markDone(item, li) {
  const note = window.prompt("办结说明（可不填）", "") ?? null;
  if (note === null) return;
  try {
    await callJSON(`/api/meetings/items/${item.id}/done`, { method: "POST", json: { note } });
  } catch (err) {
    li.append(el("p", { class: "error", role: "alert" }, err.message));
    return;
  }
  await loadBoard();
  await loadList();
  if (state.open) await openMeeting(state.open);
}

function renderBoard(board) {
  const rows = board.cadence.filter((c) => c.months > 0);
  $("cadence-rows").replaceChildren(...rows.map((c) => {
    const status = c.overdue ? el("td", { class: "overdue" }, "已逾期")
      : el("td", { class: "ok" }, c.next_due === board.today ? "本期应召开" : "正常");
    const tr = el("tr", {});
    for (const text of [place(c), c.kind_zh, c.last_held || "从未召开", c.next_due || "按需召开"]) {
      tr.append(el("td", {}, text));
    }
    tr.append(status);
    return tr;
  }));
  $("cadence-empty").hidden = rows.length > 0;
  $("overdue").replaceChildren(...board.overdue.map((i) => itemNode(i, { withMeeting: true })));
  $("overdue-count").textContent = String(board.overdue.length);
  $("overdue-empty").hidden = board.overdue.length > 0;
}

async function loadBoard() {
  try {
    state.board = await getJSON("/api/meetings/board");
  } catch (err) {
    $("board-error").textContent = err.message;
    return;
  }
  renderBoard(state.board);
}

function query() {
  const q = new URLSearchParams();
  if ($("f-from").value) q.set("from", $("f-from").value);
  if ($("f-to").value) q.set("to", $("f-to").value);
  return q;
}

async function loadList() {
  const q = query();
  $("export").href = `/api/meetings/export.csv?${q}`;
  let rows;
  try {
    rows = await getJSON(`/api/meetings?${q}`);
  } catch (err) {
    $("board-error").textContent = err.message;
    return;
  }
  $("meeting-rows").replaceChildren(...rows.map((m) => {
    const tr = el("tr", { "data-meeting": String(m.id), tabindex: "0" });
    const cells = [m.held_on, m.kind_zh, place(m), m.title, String(m.items), String(m.open_items)];
    for (const text of cells) tr.append(el("td", {}, text));
    tr.append(el("td", m.overdue_items ? { class: "overdue" } : {}, String(m.overdue_items)));
    tr.addEventListener("click", () => openMeeting(m.id));
    tr.addEventListener("keydown", (e) => { if (e.key === "Enter") openMeeting(m.id); });
    return tr;
  }));
  $("list-empty").hidden = rows.length > 0;
}

async function openMeeting(id) {
  let m;
  try {
    m = await getJSON(`/api/meetings/${id}`);
  } catch (err) {
    $("board-error").textContent = err.message;
    return;
  }
  state.open = id;
  $("detail").hidden = false;
  $("d-title").textContent = `${m.held_on} ${m.title}`;
  const depts = m.participants.map((code) => deptName(code)).join("、") || "无";
  $("d-facts").textContent = `${m.kind_zh} · ${place(m)} · 参会部门：${depts} · 登记人：${m.created_by}`;
  $("d-note").textContent = m.note;
  $("d-items").replaceChildren(...m.agenda.map((i) => itemNode(i)));
  if (!m.agenda.length) $("d-items").append(el("li", { class: "hint" }, "尚无议题"));
  $("item-form").hidden = !m.writable;
  $("detail").scrollIntoView({ block: "start" });
}

function deptName(code) {
  const found = (state.board?.departments || []).find((d) => d.code === code);
  return found ? found.name_zh : code;
}

async function addItem(event) {
  event.preventDefault();
  $("i-error").textContent = "";
  const body = { topic: $("i-topic").value.trim() };
  const report = $("i-report").value.trim();
  if (report) body.report_id = report;
  if ($("i-decision").value.trim()) body.decision = $("i-decision").value.trim();
  if ($("i-dept").value) body.owner_department = $("i-dept").value;
  if ($("i-owner").value.trim()) body.owner_text = $("i-owner").value.trim();
  if ($("i-due").value) body.due_on = $("i-due").value;
  $("i-save").disabled = true;
  try {
    await callJSON(`/api/meetings/${state.open}/items`, { method: "POST", json: body });
    $("item-form").reset();
    await openMeeting(state.open);
    await loadBoard();
    await loadList();
  } catch (err) {
    $("i-error").textContent = err.message;
  } finally {
    $("i-save").disabled = false;
  }
}

function kindsFor(role) {
  if (role === "community_staff") return ["community"];
  return ["street_joint", "grid_quarterly"];
}

function openNew() {
  $("new-form").reset();
  $("n-error").textContent = "";
  $("n-date").value = state.board.today;
  $("n-date").max = state.board.today;
  $("new-meeting").showModal();
}

async function saveNew(event) {
  event.preventDefault();
  $("n-error").textContent = "";
  const body = {
    kind: $("n-kind").value,
    held_on: $("n-date").value,
    title: $("n-title").value.trim(),
    participants: [...$("n-depts").querySelectorAll("input:checked")].map((i) => i.value),
    note: $("n-note").value.trim(),
  };
  if (!$("n-street-box").hidden) body.street = $("n-street").value;
  $("n-save").disabled = true;
  try {
    const m = await callJSON("/api/meetings", { method: "POST", json: body });
    $("new-meeting").close();
    await loadBoard();
    await loadList();
    await openMeeting(m.id);
  } catch (err) {
    $("n-error").textContent = err.message;
  } finally {
    $("n-save").disabled = false;
  }
}

function setUpForms() {
  const { board, me } = state;
  for (const d of board.departments) {
    $("i-dept").add(new Option(d.name_zh, d.code));
    const box = el("input", { type: "checkbox", value: d.code });
    const label = el("label", {});
    label.append(box, d.name_zh);
    $("n-depts").append(label);
  }
  for (const kind of kindsFor(me.role)) $("n-kind").add(new Option(KIND_ZH[kind], kind));
  const districtLevel = ["district_bureau", "admin"].includes(me.role);
  if (districtLevel) {
    const streets = new Map(board.cadence.map((c) => [c.street_code, c.street_name]));
    for (const [code, name] of streets) $("n-street").add(new Option(name, code));
    $("n-street-box").hidden = false;
  }
  $("open-new").hidden = !board.can_write;
  $("open-new").addEventListener("click", openNew);
  $("n-cancel").addEventListener("click", () => $("new-meeting").close());
  $("new-form").addEventListener("submit", saveNew);
  $("item-form").addEventListener("submit", addItem);
  $("detail-close").addEventListener("click", () => { $("detail").hidden = true; state.open = null; });
  $("filters").addEventListener("submit", (e) => { e.preventDefault(); loadList(); });
}

async function start() {
  try {
    state.me = await getJSON("/api/me");
  } catch (err) {
    $("board-error").textContent = err.message;
    return;
  }
  await loadBoard();
  if (!state.board) return;
  setUpForms();
  await loadList();
  document.body.dataset.ready = "1"; // the board and the list are drawn
}

start();
