"""The 小区 records as an Excel sheet: Chinese headers, drop-downs, and reading it back.

The sheet keeps each record's version in a column, so a row edited from a stale download is
refused on upload instead of overwriting a colleague's newer change.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from service.domain.records import FIELDS, display
from service.errors import SheetRefused

SHEET = "小区"
OPTIONS = "选项"
# Columns before the editable ones: shown for orientation, never written back.
FIXED = (
    ("code", "小区编码"),
    ("name", "小区名称"),
    ("community_name", "社区"),
    ("version", "版本"),
)
EDITABLE_BY_HEADER = {f.label_zh: f for f in FIELDS}
MAX_ROWS = 5000
# An .xlsx is a zip: refuse one that would inflate beyond this (a zip bomb), before parsing.
# The declared sizes are binding: Python's zipfile (which openpyxl reads through) stops each
# member at its declared size, so a member that lies about it cannot inflate further.
MAX_UNPACKED_BYTES = 64 * 1024 * 1024


@dataclass
class SheetRow:
    row: int  # the spreadsheet's row number (header is row 1)
    code: str
    version: int | None
    values: dict[str, Any] = field(default_factory=dict)  # field name → raw cell value


def _cell_value(name: str, value: Any) -> Any:
    spec = next((f for f in FIELDS if f.name == name), None)
    if value is None:
        return None
    if spec is not None and spec.kind in ("enum", "bool", "items"):
        return display(name, value)
    if isinstance(value, Decimal):
        return float(value)
    return value


def _set(ws: Worksheet, row: int, col: int, value: Any) -> None:
    if isinstance(value, str):
        # A workbook cannot hold control characters; input refuses them, older rows may have.
        value = ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)
    cell = ws.cell(row=row, column=col, value=value)
    if isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"  # user text is text, never a formula
    if isinstance(value, date):
        cell.number_format = "yyyy-mm-dd"


def table_workbook(title: str, headers: list[str], rows: list[list[Any]]) -> bytes:
    """A one-sheet workbook of a table (headers, then rows), cells written as `build_sheet`
    writes them: user text stays text, never a formula."""
    return tables_workbook([(title, headers, rows)])


def tables_workbook(tables: list[tuple[str, list[str], list[list[Any]]]]) -> bytes:
    """A workbook of one sheet per (title, headers, rows), written as `table_workbook`."""
    wb = Workbook()
    for index, (title, headers, rows) in enumerate(tables):
        ws = wb.active if index == 0 else wb.create_sheet()
        assert ws is not None
        ws.title = title[:31]
        for col, header in enumerate(headers, start=1):
            ws.cell(row=1, column=col, value=header)
            ws.column_dimensions[get_column_letter(col)].width = max(8, len(header) * 2 + 2)
        ws.freeze_panes = "A2"
        for r, row in enumerate(rows, start=2):
            for col, value in enumerate(row, start=1):
                _set(ws, r, col, value)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def build_sheet(records: list[dict[str, Any]], companies: list[str]) -> bytes:
    """The workbook: one row per 小区, a hidden sheet of options behind the drop-downs."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = SHEET
    options = wb.create_sheet(OPTIONS)
    options.sheet_state = "hidden"
    headers = [label for _, label in FIXED] + [f.label_zh for f in FIELDS]
    for col, header in enumerate(headers, start=1):
        ws.cell(row=1, column=col, value=header)
        ws.column_dimensions[get_column_letter(col)].width = max(10, len(header) * 2 + 2)
    ws.freeze_panes = "C2"
    for r, record in enumerate(records, start=2):
        for col, (name, _) in enumerate(FIXED, start=1):
            _set(ws, r, col, record.get(name))
        for col, f in enumerate(FIELDS, start=len(FIXED) + 1):
            _set(ws, r, col, _cell_value(f.name, record.get(f.name)))
    last = max(len(records) + 1, 2) + 200  # room for the office to fill in
    _add_dropdowns(ws, options, companies, last)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _add_dropdowns(ws: Worksheet, options: Worksheet, companies: list[str], last: int) -> None:
    option_col = 0
    for col, f in enumerate(FIELDS, start=len(FIXED) + 1):
        if f.kind in ("enum", "bool"):
            assert f.labels is not None
            values = [str(v) for v in f.labels.values()]
        elif f.kind == "company":
            values = companies
        else:
            continue
        option_col += 1
        letter = get_column_letter(option_col)
        options.cell(row=1, column=option_col, value=f.label_zh)
        for i, value in enumerate(values, start=2):
            _set(options, i, option_col, value)
        end = max(len(values) + 1, 2)
        dv = DataValidation(
            type="list",
            formula1=f"'{OPTIONS}'!${letter}$2:${letter}${end}",
            allow_blank=f.kind != "enum",
            showErrorMessage=True,
            errorTitle="不是可选值",
            error=f"请从下拉列表中选择{f.label_zh}",
        )
        ws.add_data_validation(dv)
        target = get_column_letter(col)
        dv.add(f"{target}2:{target}{last}")


def check_zip(data: bytes) -> None:
    """Refuse a file that is not a zip, or that would unpack beyond MAX_UNPACKED_BYTES."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            unpacked = sum(i.file_size for i in z.infolist())
    except zipfile.BadZipFile:
        raise SheetRefused("文件不是有效的 Excel（.xlsx）文件", "not an .xlsx file") from None
    if unpacked > MAX_UNPACKED_BYTES:
        raise SheetRefused("文件解压后过大", "the workbook unpacks beyond the limit")


def read_sheet(data: bytes) -> tuple[list[SheetRow], list[dict[str, Any]]]:
    """The rows of an uploaded sheet, and refusals about its columns (unknown headers)."""
    check_zip(data)
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged workbook
        raise SheetRefused(
            "无法读取该 Excel 文件", f"unreadable workbook: {type(exc).__name__}"
        ) from None
    if SHEET not in wb.sheetnames:
        raise SheetRefused(f"找不到工作表“{SHEET}”", f"no sheet named {SHEET}")
    rows = wb[SHEET].iter_rows(values_only=True)
    header = [str(h).strip() if h is not None else "" for h in next(rows, ())]
    if "小区编码" not in header:
        raise SheetRefused("第 1 行缺少“小区编码”列", "no 小区编码 column in row 1")
    refusals = []
    columns: dict[int, str] = {}
    fixed_labels = {label: name for name, label in FIXED}
    for index, title in enumerate(header):
        if title in EDITABLE_BY_HEADER:
            columns[index] = EDITABLE_BY_HEADER[title].name
        elif title in fixed_labels:
            columns[index] = "_" + fixed_labels[title]
        elif title:
            refusals.append(
                {"row": 1, "column": title[:40], "code": None, "message_zh": "未知的列"}
            )
    out: list[SheetRow] = []
    for number, cells in enumerate(rows, start=2):
        if number > MAX_ROWS + 1:
            raise SheetRefused(f"行数超过 {MAX_ROWS}", f"more than {MAX_ROWS} rows")
        if all(c is None or str(c).strip() == "" for c in cells):
            continue
        out.append(_row(number, cells, columns))
    wb.close()
    return out, refusals


def _row(number: int, cells: tuple[Any, ...], columns: dict[int, str]) -> SheetRow:
    row = SheetRow(row=number, code="", version=None)
    for index, value in enumerate(cells):
        name = columns.get(index)
        if name is None:
            continue
        if name == "_code":
            row.code = str(value or "").strip()
        elif name == "_version":
            row.version = int(value) if isinstance(value, (int, float)) else None
        elif not name.startswith("_"):
            row.values[name] = value.date() if isinstance(value, datetime) else value
    return row
