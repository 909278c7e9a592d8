"""A photo id is never a handle on another street's photo: an id that is taken answers 409 with
nothing written (no file replaced, none added, no row), one answer whether the owner is visible
or not, and files live at paths the client does not choose."""

from __future__ import annotations

import hashlib
import io
import uuid
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import Engine, text

from tests.api.field_helpers import points_in_community_of, report_body


def _points_in_street_of(engine: Engine, username: str) -> tuple[float, float]:
    """A point in an active grid cell of `username`'s street (owner connection)."""
    with engine.connect() as conn:
        x, y = conn.execute(
            text(
                "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(gc.geom) p"
                " FROM grid_cell gc JOIN community c ON c.id = gc.community_id"
                " JOIN app_user u ON u.street_id = c.street_id"
                " WHERE u.username = :u AND gc.is_active ORDER BY gc.code LIMIT 1) s"
            ),
            {"u": username},
        ).one()
    return float(x), float(y)


def _image(colour: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(out, "JPEG")
    return out.getvalue()


def _file(client: TestClient, headers: dict[str, str], spot: tuple[float, float]) -> str:
    body = report_body(*spot)
    r = client.post("/api/reports", json=body, headers=headers)
    assert r.status_code == 201, r.text
    return str(body["id"])


def _upload(client, headers, rid, data, pid):  # type: ignore[no-untyped-def]
    return client.post(
        f"/api/reports/{rid}/photos",
        files={"file": ("p.jpg", data, "image/jpeg")},
        data={"id": pid},
        headers=headers,
    )


def _snapshot(folder: Path) -> dict[str, str]:
    if not folder.exists():
        return {}
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in folder.rglob("*")
        if p.is_file()
    }


@pytest.fixture(scope="module")
def street1_report(client, auth_headers, owner_engine) -> str:  # type: ignore[no-untyped-def]
    spot = points_in_community_of(owner_engine, "worker1", 1, seed=77)[0]
    return _file(client, auth_headers["worker1"], spot)


@pytest.fixture(scope="module")
def street2_report(client, auth_headers, owner_engine) -> str:  # type: ignore[no-untyped-def]
    return _file(client, auth_headers["street2"], _points_in_street_of(owner_engine, "street2"))


def test_a_taken_id_from_another_street_is_409_and_nothing_is_written(
    client, auth_headers, settings, owner_engine, street1_report, street2_report
) -> None:  # type: ignore[no-untyped-def]
    pid = str(uuid.uuid4())
    mine = _upload(client, auth_headers["worker1"], street1_report, _image((200, 0, 0)), pid)
    assert mine.status_code == 201, mine.text
    original = client.get(mine.json()["url"], headers=auth_headers["worker1"]).content
    before = _snapshot(settings.effective_photo_dir)

    stranger = _upload(client, auth_headers["street2"], street2_report, _image((0, 0, 200)), pid)
    assert stranger.status_code == 409, stranger.text
    assert stranger.json()["detail"]["where"] == {"field": "id"}
    assert str(street1_report) not in stranger.text  # nothing about the owner's report

    assert _snapshot(settings.effective_photo_dir) == before  # no file replaced or added
    assert client.get(mine.json()["url"], headers=auth_headers["worker1"]).content == original
    with owner_engine.connect() as conn:
        rows = conn.execute(
            text("SELECT report_id FROM photo WHERE id = :id"), {"id": pid}
        ).scalars()
        assert [str(r) for r in rows] == [street1_report]
    # The stranger still cannot read it.
    assert client.get(f"/api/photos/{pid}", headers=auth_headers["street2"]).status_code == 404


def test_the_answer_is_the_same_whether_the_owner_is_visible_or_not(
    client, auth_headers, street1_report, street2_report
) -> None:  # type: ignore[no-untyped-def]
    seen, unseen = str(uuid.uuid4()), str(uuid.uuid4())
    assert _upload(client, auth_headers["street2"], street2_report, _image((1, 2, 3)), seen)
    assert _upload(client, auth_headers["worker1"], street1_report, _image((4, 5, 6)), unseen)
    # street2's own id reused for a different photo vs. an id street2 cannot see
    own = _upload(client, auth_headers["street2"], street2_report, _image((7, 8, 9)), seen)
    other = _upload(client, auth_headers["street2"], street2_report, _image((7, 8, 9)), unseen)
    assert own.status_code == other.status_code == 409
    assert own.json() == other.json()


def test_files_live_under_their_report_not_at_a_client_chosen_path(
    client, auth_headers, settings, street1_report
) -> None:  # type: ignore[no-untyped-def]
    pid = str(uuid.uuid4())
    r = _upload(client, auth_headers["worker1"], street1_report, _image((9, 9, 9)), pid)
    assert r.status_code == 201
    assert (settings.effective_photo_dir / street1_report / f"{pid}.jpg").is_file()
    assert not (settings.effective_photo_dir / f"{pid}.jpg").exists()
    again = _upload(client, auth_headers["worker1"], street1_report, _image((9, 9, 9)), pid)
    assert again.status_code == 200  # the caller's own retry


def test_decoding_slots_answer_429_when_all_are_busy(
    client, auth_headers, settings, street1_report, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    decoder = client.app.state.photo_decoder  # the process's slots, built in the lifespan
    monkeypatch.setattr(decoder, "wait_s", 0.2)
    gate = decoder.slots
    held = [gate.acquire(timeout=5) for _ in range(settings.photos.decode_slots)]
    assert all(held)
    try:
        busy = _upload(
            client, auth_headers["worker1"], street1_report, _image((3, 3, 3)), str(uuid.uuid4())
        )
    finally:
        for _ in held:
            gate.release()
    assert busy.status_code == 429 and busy.headers["Retry-After"] == "2"
    pid = str(uuid.uuid4())
    ok = _upload(client, auth_headers["worker1"], street1_report, _image((3, 3, 3)), pid)
    assert ok.status_code == 201, ok.text
