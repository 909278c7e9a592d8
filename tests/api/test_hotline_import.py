"""12345 hotline work orders from the hotline's Excel/CSV export: the dry run lists the
duplicate order and the order outside the district, apply registers the rest with their order
numbers and deadlines; GBK CSV with GCJ-02 points; the file caps."""

from __future__ import annotations

import io
import uuid
import zipfile
from datetime import datetime, timedelta, timezone

import pytest
from openpyxl import Workbook
from sqlalchemy import text

from tests.api.field_helpers import points_in_community_of

CHINA = timezone(timedelta(hours=8))
HEADER = ["工单编号", "来电人", "联系电话", "诉求内容", "事件类别", "地址", "经度", "纬度",
          "办理时限"]  # fmt: skip


@pytest.fixture(scope="module")
def spots(owner_engine) -> list[tuple[float, float]]:
    return points_in_community_of(owner_engine, "community1", 6, seed=12345)


def _xlsx(rows: list[list[object]]) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(HEADER)
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _upload(client, headers, data: bytes, name: str, **params):
    files = {"file": (name, data, "application/octet-stream")}
    return client.post("/api/hotline/orders", files=files, params=params, headers=headers)


def test_dry_run_lists_duplicate_and_outside_then_apply_writes_the_rest(
    client, auth_headers, spots, owner_engine
) -> None:
    district = auth_headers["district"]
    tag = uuid.uuid4().hex[:6]
    known, a, b, far = (f"GD{tag}{n}" for n in ("01", "02", "03", "04"))
    # an order registered before (from the workbench): the import's duplicate
    r = client.post(
        "/api/complaints",
        json={
            "id": str(uuid.uuid4()), "channel": "hotline", "external_ref": known,
            "category": "improper_waste", "description": "早先登记的工单",
            "location": {"type": "Point", "coordinates": list(spots[0])},
        },
        headers=district,
    )  # fmt: skip
    assert r.status_code == 201, r.text
    deadline = datetime(2031, 5, 1, 18, 0)
    rows = [
        [a, "赵六", "13700002222", "楼道堆放杂物", "improper_waste", "金水路1号", *spots[1],
         deadline],
        [known, "钱七", "13700003333", "同一工单再次导出", "improper_waste", "", *spots[2], None],
        [b, "孙八", "", "消防通道堵塞", "占用堵塞消防通道", "", *spots[3], "2031-05-02 09:30"],
        [far, "周九", "13700004444", "外区来电", "improper_waste", "", 116.40, 39.90, None],
        [f"GD{tag}05", "", "", "类别不明", "no_such_category", "", *spots[4], None],
    ]  # fmt: skip
    data = _xlsx(rows)
    r = _upload(client, district, data, "12345工单.xlsx")
    assert r.status_code == 200, r.text
    plan = r.json()
    assert plan["dry_run"] is True and plan["rows"] == 5
    assert [n["external_ref"] for n in plan["new"]] == [a, b]
    assert plan["duplicates"] == [{"row": 3, "external_ref": known, "reason_zh": "已登记"}]
    assert [(o["row"], o["external_ref"]) for o in plan["outside"]] == [(5, far)]
    assert plan["outside"][0]["coordinates"] == [116.40, 39.90]
    assert plan["refusals"] == [{"row": 6, "column": "事件类别", "message_zh": "未知的事件类别"}]
    assert "13700002222" not in r.text  # the working list carries no phone
    with owner_engine.connect() as conn:
        assert conn.scalar(
            text("SELECT count(*) FROM report WHERE external_ref = ANY(:refs)"),
            {"refs": [a, b, far]},
        ) == 0  # fmt: skip

    r = _upload(client, district, data, "12345工单.xlsx", apply="true")
    assert r.status_code == 200, r.text
    assert [c["external_ref"] for c in r.json()["created"]] == [a, b]
    with owner_engine.connect() as conn:
        stored = conn.execute(
            text(
                "SELECT r.external_ref, r.channel, r.deadline_at, r.status, r.caller_masked,"
                " r.description, c.caller_phone, r.category_code FROM report r"
                " LEFT JOIN report_contact c ON c.report_id = r.id"
                " WHERE r.external_ref = ANY(:refs) ORDER BY r.external_ref"
            ),
            {"refs": [a, b, far]},
        ).all()
    assert [(s.external_ref, s.channel, s.status) for s in stored] == [
        (a, "hotline", "reported"), (b, "hotline", "reported")
    ]  # fmt: skip
    assert stored[0].deadline_at == deadline.replace(tzinfo=CHINA)
    assert stored[1].deadline_at == datetime(2031, 5, 2, 9, 30, tzinfo=CHINA)
    assert stored[0].caller_phone == "13700002222" and stored[0].caller_masked == "赵* 137****2222"
    assert stored[0].description == "楼道堆放杂物（地址：金水路1号）"
    assert stored[1].category_code == "fire_lane_blocked" and stored[1].caller_phone == ""
    # the next import of the same export finds them all registered
    again = _upload(client, district, data, "12345工单.xlsx").json()
    assert again["new"] == [] and {d["external_ref"] for d in again["duplicates"]} == {known, a, b}


def test_a_gbk_csv_with_gcj02_points_is_converted(client, auth_headers, spots, owner_engine):
    district = auth_headers["district"]
    ref = f"CSV{uuid.uuid4().hex[:8]}"
    x, y = spots[5]
    lines = ["工单编号,诉求内容,事件类别,经度,纬度,坐标系",
             f"{ref},油烟扰民,improper_waste,{x},{y},GCJ-02",
             f"{ref},同一工单表内重复,improper_waste,{x},{y},GCJ-02"]  # fmt: skip
    data = "\n".join(lines).encode("gbk")
    r = _upload(client, district, data, "orders.csv", apply="true")
    assert r.status_code == 200, r.text
    assert [c["external_ref"] for c in r.json()["created"]] == [ref]
    assert r.json()["duplicates"] == [{"row": 3, "external_ref": ref, "reason_zh": "表内重复"}]
    with owner_engine.connect() as conn:
        lon, lat, crs = conn.execute(
            text(
                "SELECT ST_X(geom), ST_Y(geom), coordinate_system FROM report"
                " WHERE external_ref = :r"
            ),
            {"r": ref},
        ).one()
    # GCJ-02 lies a few hundred metres off WGS84 in Zhengzhou: the stored point moved
    assert crs == "gcj02" and 0.001 < abs(lon - x) + abs(lat - y) < 0.02


def test_bad_files_are_clear_4xx(client, auth_headers) -> None:
    district = auth_headers["district"]
    r = _upload(client, district, b"a,b\n1,2\n", "orders.csv")
    assert r.status_code == 422 and "工单编号" in r.json()["detail"]["message_zh"]
    r = _upload(client, district, b"PK\x03\x04 not a zip", "orders.xlsx")
    assert r.status_code == 422
    r = _upload(client, district, b"x", "orders.txt")
    assert r.status_code == 422
    # a zip bomb: small on the wire, beyond the unpacked cap once opened
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/worksheets/sheet1.xml", b"\0" * (65 * 1024 * 1024))
    r = _upload(client, district, bomb.getvalue(), "bomb.xlsx")
    assert r.status_code == 422 and r.json()["detail"]["message_zh"] == "文件解压后过大"
    r = _upload(client, district, b"0" * (5 * 1024 * 1024 + 1), "big.csv")
    assert r.status_code == 413
    # only the district imports: a street office, a community, a grid worker may not
    for who in ("street1", "community1", "worker1"):
        assert _upload(client, auth_headers[who], b"", "orders.csv").status_code == 403, who
