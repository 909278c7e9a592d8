"""Request limits (body size, JSON depth and width, NaN literals) and the last-resort JSON 500."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from service.api.limits import LimitExceeded, scan_json
from service.settings import Settings
from tests.conftest import TestDatabase

SMALL_BODY = 4096


@pytest.fixture(scope="module")
def small_limits_client(
    test_db: TestDatabase, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TestClient]:
    """The real app with tiny limits, over the migrated test database (no demo data needed)."""
    from service.main import create_app

    settings = Settings(
        database_url=test_db.app_url,
        migration_database_url=test_db.owner_url,
        data_dir=tmp_path_factory.mktemp("limits"),
        max_body_bytes=SMALL_BODY,
        max_photo_bytes=SMALL_BODY,
        max_json_depth=8,
        max_json_items=100,
    )
    app = create_app(settings)

    def boom() -> None:
        raise RuntimeError("secret internals: password=hunter2 at /srv/app.py")

    app.add_api_route("/test-only/boom", boom, methods=["GET"])
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def _detail(response) -> dict:  # type: ignore[no-untyped-def]
    return response.json()["detail"]


def test_declared_body_over_limit_is_413_naming_the_limit(small_limits_client: TestClient) -> None:
    r = small_limits_client.post(
        "/api/auth/token",
        content=b"x" * (SMALL_BODY + 1),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert r.status_code == 413
    assert _detail(r)["where"] == {"limit": "max_body_bytes", "max": SMALL_BODY}
    assert "max_body_bytes" in _detail(r)["message"]
    assert _detail(r)["message_zh"]


def test_streamed_body_without_length_is_counted(small_limits_client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(10):
            yield b"y" * 1000

    r = small_limits_client.post(
        "/api/auth/token",
        content=chunks(),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert r.status_code == 413
    assert _detail(r)["where"]["limit"] == "max_body_bytes"


def test_lying_content_length_cannot_smuggle_a_large_json_body(
    small_limits_client: TestClient,
) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"a": "' + b"z" * (SMALL_BODY * 2) + b'"}'

    r = small_limits_client.post(
        "/api/geometry/validate", content=chunks(), headers={"content-type": "application/json"}
    )
    assert r.status_code == 413


def test_deep_json_is_refused_before_parsing(small_limits_client: TestClient) -> None:
    body = "[" * 9 + "]" * 9
    r = small_limits_client.post(
        "/api/anything", content=body, headers={"content-type": "application/json"}
    )
    assert r.status_code == 422
    assert _detail(r)["code"] == "json_too_deep"
    assert _detail(r)["where"]["limit"] == "max_json_depth"


def test_wide_json_is_refused(small_limits_client: TestClient) -> None:
    body = json.dumps(list(range(101)))
    r = small_limits_client.post(
        "/api/anything", content=body, headers={"content-type": "application/json"}
    )
    assert r.status_code == 413
    assert _detail(r)["where"]["limit"] == "max_json_items"


def test_nan_literal_is_refused_even_though_python_json_accepts_it(
    small_limits_client: TestClient,
) -> None:
    assert json.loads("[NaN]")  # the reason this check exists
    r = small_limits_client.post(
        "/api/anything",
        content='{"coordinates": [NaN, 34.7]}',
        headers={"content-type": "application/json"},
    )
    assert r.status_code == 422
    assert _detail(r)["code"] == "json_non_finite"
    assert _detail(r)["where"]["byte_offset"] == 17


def test_unexpected_error_is_json_500_without_internals(small_limits_client: TestClient) -> None:
    r = small_limits_client.get("/test-only/boom")
    assert r.status_code == 500
    assert _detail(r)["code"] == "internal_error"
    assert "hunter2" not in r.text and "Traceback" not in r.text


def test_ordinary_requests_pass_through(small_limits_client: TestClient) -> None:
    r = small_limits_client.get("/health")
    assert r.status_code == 200, r.text


@pytest.mark.parametrize(
    ("body", "ok"),
    [
        (b'{"a": "[[[[[[[[[[[[[[[[[[[[[[[[ NaN Infinity"}', True),  # inside strings: text
        (b'{"a": "\\"[[[[[[[[[[[[[[[[[[[[[["}', True),  # escaped quote does not end the string
        (b"[" * 8 + b"]" * 8, True),
        (b"[" * 9 + b"]" * 9, False),
        (b"[1, -Infinity]", False),
        (b'{"k": ' + b",".join(b"1" for _ in range(100)) + b"}", True),
    ],
)
def test_scanner_reads_strings_and_escapes(body: bytes, ok: bool) -> None:
    try:
        scan_json(body, max_depth=8, max_items=100)
    except LimitExceeded:
        assert not ok
    else:
        assert ok


def test_database_range_errors_are_422_not_500(
    small_limits_client: TestClient, test_db: TestDatabase
) -> None:
    from tests.api.reliability_helpers import own_admin_headers

    headers = own_admin_headers(test_db, small_limits_client)
    r = small_limits_client.post("/api/users/1107233898779/deactivate", headers=headers)
    assert r.status_code == 422, r.text
    assert _detail(r)["code"] == "value_out_of_range"
    assert _detail(r)["where"] == {"sqlstate": "22003"}
