"""Photos: EXIF and GPS gone, type from the bytes, size and pixel caps, at most six, retries."""

from __future__ import annotations

import io
import uuid

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from service.settings import Settings
from tests.api.field_helpers import points_in_community_of, report_body


@pytest.fixture(scope="module")
def spots(owner_engine) -> list[tuple[float, float]]:
    return points_in_community_of(owner_engine, "worker1", 10, seed=31)


def _file(client, auth_headers, spot) -> str:
    body = report_body(*spot)
    assert (
        client.post("/api/reports", json=body, headers=auth_headers["worker1"]).status_code == 201
    )
    return body["id"]


def _jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (120, 80), (10, 120, 200))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    gps = {1: "N", 2: (34.0, 47.0, 30.0), 3: "E", 4: (113.0, 40.0, 10.0)}
    exif[0x8825] = gps  # GPSInfo IFD
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def _upload(client, headers, rid, data, name="p.jpg", **form):
    return client.post(
        f"/api/reports/{rid}/photos",
        files={"file": (name, data, "image/jpeg")},
        data=form,
        headers=headers,
    )


def test_exif_and_gps_are_removed(client: TestClient, auth_headers, spots, settings) -> None:
    raw = _jpeg_with_gps()
    assert Image.open(io.BytesIO(raw)).getexif().get_ifd(0x8825), "fixture must carry GPS"
    rid = _file(client, auth_headers, spots[0])
    r = _upload(client, auth_headers["worker1"], rid, raw)
    assert r.status_code == 201, r.text
    got = client.get(r.json()["url"], headers=auth_headers["community1"])
    assert got.status_code == 200 and got.headers["content-type"] == "image/jpeg"
    stored = Image.open(io.BytesIO(got.content))
    assert stored.format == "JPEG" and stored.size == (120, 80)
    assert len(stored.getexif()) == 0 and b"Exif" not in got.content
    assert b"PhoneMaker" not in got.content
    files = list(settings.effective_photo_dir.rglob(f"{r.json()['id']}.jpg"))
    assert len(files) == 1
    detail = client.get(f"/api/reports/{rid}", headers=auth_headers["worker1"]).json()
    assert [p["id"] for p in detail["photos"]] == [r.json()["id"]]


def test_png_is_accepted_and_stored_as_jpeg(client, auth_headers, spots) -> None:
    out = io.BytesIO()
    Image.new("RGBA", (30, 30), (0, 0, 0, 0)).save(out, "PNG")
    rid = _file(client, auth_headers, spots[1])
    r = _upload(client, auth_headers["worker1"], rid, out.getvalue(), name="x.png")
    assert r.status_code == 201
    assert (
        Image.open(
            io.BytesIO(client.get(r.json()["url"], headers=auth_headers["worker1"]).content)
        ).format
        == "JPEG"
    )


@pytest.mark.parametrize(
    "data",
    [b"not an image at all", b"GIF89a" + b"\0" * 40, b"\xff\xd8\xff\xe0" + b"\0" * 100],
)
def test_fake_images_are_refused(client, auth_headers, spots, data, settings) -> None:
    rid = _file(client, auth_headers, spots[2])
    before = (
        set(settings.effective_photo_dir.glob("*"))
        if settings.effective_photo_dir.exists()
        else set()
    )
    r = _upload(client, auth_headers["worker1"], rid, data)
    assert r.status_code == 422
    assert r.json()["detail"]["where"] == {"field": "file"}
    after = (
        set(settings.effective_photo_dir.glob("*"))
        if settings.effective_photo_dir.exists()
        else set()
    )
    assert after == before


@pytest.fixture(scope="module")
def tight_client(settings):
    """The app with small photo limits (bytes and pixels)."""
    from service.main import create_app

    tight = Settings(
        **{**settings.model_dump(), "max_photo_bytes": 200_000, "max_photo_pixels": 1_000_000}
    )
    with TestClient(create_app(tight)) as c:
        yield c


def test_oversize_file_is_413(tight_client, auth_headers, spots) -> None:
    rid = _file(tight_client, auth_headers, spots[3])
    noise = Image.effect_noise((700, 700), 100).convert("RGB")
    out = io.BytesIO()
    noise.save(out, "PNG")
    assert len(out.getvalue()) > 200_000
    r = _upload(tight_client, auth_headers["worker1"], rid, out.getvalue(), name="big.png")
    assert r.status_code == 413


def test_decompression_bomb_is_refused_before_decoding(tight_client, auth_headers, spots) -> None:
    rid = _file(tight_client, auth_headers, spots[4])
    out = io.BytesIO()
    Image.new("1", (12_000, 12_000)).save(out, "PNG")  # 144 Mpx in a few kilobytes
    assert len(out.getvalue()) < 200_000
    r = _upload(tight_client, auth_headers["worker1"], rid, out.getvalue(), name="bomb.png")
    assert r.status_code == 413
    assert "pixels" in r.json()["detail"]["message"]


def test_at_most_six_photos_and_retries_are_safe(client, auth_headers, spots) -> None:
    rid = _file(client, auth_headers, spots[5])
    headers = auth_headers["worker1"]
    data = _jpeg_with_gps()
    pid = str(uuid.uuid4())
    first = _upload(client, headers, rid, data, id=pid)
    again = _upload(client, headers, rid, data, id=pid)
    assert (first.status_code, again.status_code) == (201, 200)
    for _ in range(5):
        assert _upload(client, headers, rid, data).status_code == 201
    seventh = _upload(client, headers, rid, data)
    assert seventh.status_code == 409
    detail = client.get(f"/api/reports/{rid}", headers=headers).json()
    assert len(detail["photos"]) == 6


def test_photos_are_jurisdiction_checked(client, auth_headers, spots) -> None:
    rid = _file(client, auth_headers, spots[6])
    r = _upload(client, auth_headers["worker1"], rid, _jpeg_with_gps())
    url = r.json()["url"]
    assert client.get(url, headers=auth_headers["dept-fire"]).status_code == 404
    assert (
        client.get(f"/api/photos/{uuid.uuid4()}", headers=auth_headers["admin"]).status_code == 404
    )
    assert _upload(client, auth_headers["dept-fire"], rid, _jpeg_with_gps()).status_code == 404
    assert _upload(client, auth_headers["planner"], rid, _jpeg_with_gps()).status_code == 403
