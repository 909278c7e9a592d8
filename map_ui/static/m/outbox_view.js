/* What the worker sees of the outbox: one item per report (a report and its photos are one),
 * refused items in red with their reason and 修改 / 重试 / 删除, waiting items in grey. */
import { el } from "/static/common.js";

const PHOTO_URL = /^\/api\/reports\/([^/]+)\/photos$/;
const PATROL_URL = /^\/api\/patrols\/([^/]+)\/finish$/;

/** The report (or patrol) a record belongs to. */
export function itemKey(record) {
  if (record.kind === "report") return `report:${record.json.id}`;
  const photo = PHOTO_URL.exec(record.url || "");
  if (photo) return `report:${photo[1]}`;
  if (record.kind === "patrol") {
    const finish = PATROL_URL.exec(record.url || "");
    return `patrol:${finish ? finish[1] : record.json.id}`;
  }
  return `record:${record.seq}`;
}

/** Records grouped into items, oldest first: {key, label, records, failed, error, report}. */
export function groupItems(records) {
  const items = new Map();
  for (const r of records) {
    const key = itemKey(r);
    if (!items.has(key)) {
      items.set(key, { key, label: r.label, records: [], failed: false, error: "", report: null,
        created: r.created });
    }
    const item = items.get(key);
    item.records.push(r);
    if (r.kind === "report") { item.report = r; item.label = r.label; }
    if (r.state === "failed" && !item.failed) { item.failed = true; item.error = r.error || ""; }
  }
  return [...items.values()];
}

function itemRow(item, actions) {
  const li = el("li", { class: item.failed ? "item failed" : "item waiting", "data-key": item.key });
  const photos = item.records.filter((r) => r.kind === "photo").length;
  const text = el("div", { class: "item-text" });
  text.append(el("b", {}, item.label + (photos ? `（${photos} 张照片）` : "")));
  text.append(el("span", { class: "item-state" },
    item.failed ? `未能提交：${item.error}` : "等待发送"));
  li.append(text);
  if (!item.failed) return li;
  const buttons = el("div", { class: "item-actions" });
  if (item.report) {
    const edit = el("button", { type: "button", class: "edit" }, "修改");
    edit.addEventListener("click", () => actions.onEdit(item));
    buttons.append(edit);
  }
  const retry = el("button", { type: "button", class: "retry" }, "重试");
  retry.addEventListener("click", () => actions.onRetry(item));
  const remove = el("button", { type: "button", class: "delete" }, "删除");
  remove.addEventListener("click", () => actions.onDelete(item));
  buttons.append(retry, remove);
  li.append(buttons);
  return li;
}

/** Fill the home screen's refused box and the queue list; returns {waiting, failed} counts. */
export function renderOutbox(items, { refusedBox, refusedList, refusedCount, queueList }, actions) {
  const failed = items.filter((i) => i.failed);
  const waiting = items.filter((i) => !i.failed);
  refusedList.replaceChildren(...failed.map((i) => itemRow(i, actions)));
  refusedCount.textContent = `${failed.length} 条未能提交`;
  refusedBox.hidden = failed.length === 0;
  queueList.replaceChildren(...items.map((i) => itemRow(i, actions)));
  if (!items.length) queueList.append(el("li", { class: "item" }, "没有待发送的记录"));
  return { waiting: waiting.length, failed: failed.length };
}
