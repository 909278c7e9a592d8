"""Open311 answers as JSON or XML (GeoReport v2 shapes), and its error format:
`[{"code": 403, "description": …}]` / `<errors><error><code>…`. Every value is text escaped by
the XML writer; characters XML 1.0 cannot carry are dropped."""

from __future__ import annotations

import json
import re
from typing import Any
from xml.etree import ElementTree as ET

from fastapi import Request
from fastapi.responses import JSONResponse, Response

from service.errors import NotFound

PREFIX = "/open311/"
FORMATS = ("json", "xml")
# what XML 1.0 cannot carry (control characters, lone surrogates, U+FFFE/U+FFFF)
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def check_format(fmt: str) -> str:
    """`json` or `xml`; any other suffix is a 404, as for an unknown path."""
    if fmt not in FORMATS:
        raise NotFound(
            f"unknown format {fmt[:10]!r}: json or xml",
            message_zh="格式只能是 json 或 xml",
            where={"field": "format"},
        )
    return fmt


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return _NOT_XML.sub("", str(value))


def to_xml(root: str, item: str, rows: list[dict[str, Any]]) -> bytes:
    top = ET.Element(root)
    for row in rows:
        node = ET.SubElement(top, item)
        for key, value in row.items():
            ET.SubElement(node, key).text = _text(value)
    return ET.tostring(top, encoding="utf-8", xml_declaration=True)


def answer(
    fmt: str, root: str, item: str, rows: list[dict[str, Any]], status_code: int = 200
) -> Response:
    """The rows as a GeoReport JSON list or XML document."""
    if fmt == "xml":
        return Response(
            to_xml(root, item, rows),
            status_code=status_code,
            media_type="text/xml; charset=utf-8",
        )
    return JSONResponse(rows, status_code=status_code)


def is_open311(request: Request) -> bool:
    return request.url.path.startswith(PREFIX)


def error_answer(
    request: Request,
    status_code: int,
    detail: dict[str, Any],
    headers: dict[str, str] | None = None,
) -> Response:
    """An error in Open311's format: code and description, plus our code, the Chinese message
    and where (field, coordinates)."""
    description = str(detail.get("message", ""))
    if detail.get("message_zh"):
        description = f"{detail['message_zh']} ({description})"
    row: dict[str, Any] = {"code": status_code, "description": description,
                           "error": detail.get("code", "error")}  # fmt: skip
    if detail.get("message_zh"):
        row["message_zh"] = detail["message_zh"]
    where = detail.get("where")
    if where is not None:
        row["where"] = json.dumps(where, ensure_ascii=False, default=str)
    if request.url.path.endswith(".xml"):
        return Response(
            to_xml("errors", "error", [row]),
            status_code=status_code,
            media_type="text/xml; charset=utf-8",
            headers=headers,
        )
    return JSONResponse([row], status_code=status_code, headers=headers)
