"""Reading the 12345 hotline's work-order export (CSV or .xlsx) into rows, by Chinese headers.

The file's size is capped by the route; an .xlsx is checked against the zip-bomb caps of the
小区 sheet before it is parsed (record_sheet.check_zip); at most MAX_ROWS orders.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from openpyxl import load_workbook

from service.imports.record_sheet import SheetRefused, check_zip

MAX_ROWS = 5000
# header → field; several spellings the hotline systems use
HEADERS = {
    "工单编号": "external_ref",
    "工单号": "external_ref",
    "诉求内容": "description",
    "内容": "description",
    "事件类别": "category",
    "类别": "category",
    "经度": "lon",
    "纬度": "lat",
    "坐标系": "crs",
    "办理时限": "deadline",
    "办结时限": "deadline",
    "来电人": "caller_name",
    "联系电话": "caller_phone",
    "地址": "address",
}
REQUIRED = ("external_ref", "description", "category", "lon", "lat")
LABEL = {"external_ref": "工单编号", "description": "诉求内容", "category": "事件类别",
         "lon": "经度", "lat": "纬度"}  # fmt: skip


@dataclass
class OrderRow:
    row: int  # the file's row number (header is row 1)
    values: dict[str, Any] = field(default_factory=dict)


def _text(value: Any) -> Any:
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _rows_of(header: list[str], cells: Any) -> list[OrderRow]:
    columns = {i: HEADERS[h] for i, h in enumerate(header) if h in HEADERS}
    missing = [LABEL[f] for f in REQUIRED if f not in columns.values()]
    if missing:
        raise SheetRefused(
            "第 1 行缺少列：" + "、".join(missing), "missing columns: " + ", ".join(missing)
        )
    out = []
    for number, values in enumerate(cells, start=2):
        if number > MAX_ROWS + 1:
            raise SheetRefused(f"工单超过 {MAX_ROWS} 条", f"more than {MAX_ROWS} orders")
        if all(v is None or str(v).strip() == "" for v in values):
            continue
        row = OrderRow(number)
        for i, value in enumerate(values):
            if i in columns:
                row.values[columns[i]] = _text(value)
        out.append(row)
    return out


def _read_csv(data: bytes) -> list[OrderRow]:
    for encoding in ("utf-8-sig", "gb18030"):  # hotline exports are often GBK
        try:
            decoded = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - gb18030 decodes every byte string
        raise SheetRefused("无法识别文件编码", "unknown encoding")
    try:
        reader = csv.reader(io.StringIO(decoded, newline=""))
        header = [h.strip() for h in next(reader, [])]
        return _rows_of(header, reader)
    except csv.Error as exc:
        raise SheetRefused("CSV 文件格式错误", f"malformed CSV: {exc}") from None


def _read_xlsx(data: bytes) -> list[OrderRow]:
    check_zip(data)
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged workbook
        raise SheetRefused(
            "无法读取该 Excel 文件", f"unreadable workbook: {type(exc).__name__}"
        ) from None
    try:
        sheet = wb.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        header = [str(h).strip() if h is not None else "" for h in next(rows, ())]
        return _rows_of(header, rows)
    finally:
        wb.close()


def read_orders(data: bytes, filename: str) -> list[OrderRow]:
    """The orders of an uploaded export (.csv or .xlsx, by the file's name)."""
    name = filename.lower()
    if name.endswith(".xlsx"):
        return _read_xlsx(data)
    if name.endswith(".csv"):
        return _read_csv(data)
    raise SheetRefused("只接受 .csv 或 .xlsx 文件", "only .csv or .xlsx")


def as_datetime(value: Any) -> datetime | None:
    """A deadline cell: an Excel date/time or text like 2026-03-01 18:00 (None if empty);
    ValueError when unreadable. Naive times are China time (+08:00)."""
    from datetime import timedelta, timezone

    china = timezone(timedelta(hours=8))
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        found = value
    elif isinstance(value, date):
        found = datetime(value.year, value.month, value.day, 23, 59)
    else:
        found = datetime.fromisoformat(str(value).strip().replace("/", "-"))
    return found if found.tzinfo else found.replace(tzinfo=china)
