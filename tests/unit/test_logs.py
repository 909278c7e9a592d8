"""JSON log lines: one object a line, with the request id of the request being served."""

from __future__ import annotations

import json
import logging

from service.logs import JsonFormatter, request_id_from, request_id_var


def _record(msg: str, **extra: object) -> logging.LogRecord:
    record = logging.LogRecord("wangge.test", logging.WARNING, __file__, 1, msg, None, None)
    for k, v in extra.items():
        setattr(record, k, v)
    return record


def test_json_line_has_request_id_and_extras() -> None:
    token = request_id_var.set("req-1")
    try:
        line = JsonFormatter().format(_record("网格 %s", status=503))
    finally:
        request_id_var.reset(token)
    out = json.loads(line)
    assert out["request_id"] == "req-1"
    assert out["level"] == "warning"
    assert out["status"] == 503
    assert "\n" not in line


def test_message_with_newlines_stays_one_line() -> None:
    line = JsonFormatter().format(_record('a\nb\n{"forged": 1}'))
    assert "\n" not in line
    assert json.loads(line)["message"] == 'a\nb\n{"forged": 1}'


def test_request_id_from_refuses_unplain_ids() -> None:
    assert request_id_from("abc-DEF_1.2") == "abc-DEF_1.2"
    for bad in (None, "", "a b", "x" * 65, "id\r\nX-Evil: 1"):
        assert request_id_from(bad) != bad
