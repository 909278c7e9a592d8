"""The assessment against a hand count: a small fixture of cases in February 2021 (long before
the demo city's reports) in street1's and street2's streets, figures worked out by hand."""

from __future__ import annotations

import csv
import io
import uuid

import pytest
from openpyxl import load_workbook
from sqlalchemy import text

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# (street, created, deadline, closed or None, status, channel, reopened, escalation, visits)
# times are China time on 2021-02-dd (or 03-dd): "02-01 08" = 2021-02-01 08:00+08
CASES = [
    ("A", "02-01 08", "02-02 08", "02-01 20", "closed", "complaint", 0, "community", ["satisfied"]),
    ("A", "02-03 08", "02-04 08", "02-05 08", "closed", "hotline", 1, "community",
     ["dissatisfied", "basically"]),
    ("A", "02-10 08", "02-11 08", None, "dispatched", "complaint", 0, "street", []),
    ("A", "02-12 08", "02-13 08", "02-12 09", "rejected", "patrol", 0, "community", []),
    ("A", "02-20 08", "02-21 08", "02-20 14", "closed", "patrol", 0, "community", []),
    ("B", "02-15 08", "02-16 08", "02-15 10", "closed", "complaint", 0, "community", ["satisfied"]),
    ("A", "03-01 08", "03-02 08", "03-01 09", "closed", "patrol", 0, "community", []),
]  # fmt: skip


def _at(value: str | None) -> str | None:
    return None if value is None else f"2021-{value}:00:00+08"


@pytest.fixture(scope="module")
def fixture(owner_engine) -> dict[str, str]:
    """The cases, inserted as the owner; the codes of street A (street1's) and B (street2's)."""
    with owner_engine.begin() as conn:
        units = conn.execute(
            text(
                "SELECT u.username, s.id AS street_id, s.code AS street_code,"
                " (SELECT c.id FROM community c WHERE c.street_id = s.id ORDER BY c.code"
                "  LIMIT 1) AS community_id, s.district_id"
                " FROM app_user u JOIN street s ON s.id = u.street_id"
                " WHERE u.username IN ('street1', 'street2')"
            )
        ).mappings()
        where = {("A" if u["username"] == "street1" else "B"): dict(u) for u in units}
        reporter = conn.scalar(text("SELECT id FROM app_user WHERE username = 'community1'"))
        for street, created, deadline, closed, status, channel, reopened, level, visits in CASES:
            unit = where[street]
            rid = uuid.uuid4()
            conn.execute(
                text(
                    "INSERT INTO report (id, geom, category_code, reporter_id, community_id,"
                    " street_id, district_id, department_id, deadline_at, created_at,"
                    " closed_at, status, channel, reopened_count, escalation_level)"
                    " SELECT :id, ST_PointOnSurface(c.geom), 'fire_lane_blocked', :rep, c.id,"
                    " :s, :d, (SELECT department_id FROM event_category"
                    "  WHERE code = 'fire_lane_blocked'), :deadline, :created, :closed,"
                    " :status, :channel, :reopened, :level FROM community c WHERE c.id = :c"
                ),
                {
                    "id": rid,
                    "rep": reporter,
                    "c": unit["community_id"],
                    "s": unit["street_id"],
                    "d": unit["district_id"],
                    "deadline": _at(deadline),
                    "created": _at(created),
                    "closed": _at(closed),
                    "status": status,
                    "channel": channel,
                    "reopened": reopened,
                    "level": level,
                },  # fmt: skip
            )
            for i, result in enumerate(visits):
                conn.execute(
                    text(
                        "INSERT INTO return_visit (report_id, result, actor_id, district_id,"
                        " created_at) VALUES (:id, :r, :a, :d, :at)"
                    ),
                    {
                        "id": rid,
                        "r": result,
                        "a": reporter,
                        "d": unit["district_id"],
                        "at": f"2021-03-0{i + 2} 10:00:00+08",
                    },  # fmt: skip
                )
    return {"A": where["A"]["street_code"], "B": where["B"]["street_code"]}


def _units(client, headers, **params) -> dict[str, dict]:
    r = client.get("/api/performance", params=params, headers=headers)
    assert r.status_code == 200, r.text
    return {u["code"]: u for u in r.json()["units"]}


def test_a_months_figures_match_the_hand_count(client, auth_headers, fixture) -> None:
    units = _units(client, auth_headers["district"], period="2021-02", by="street")
    a, b = units[fixture["A"]], units[fixture["B"]]
    # street A: 5 received, 1 rejected; closed 12 h (on time), 48 h (late), 6 h (on time);
    # one open past its deadline (overdue, escalated to the street); one reopened case
    assert (a["received"], a["rejected"], a["closed"], a["on_time"]) == (5, 1, 3, 2)
    assert a["handling_hours"] == pytest.approx((12 + 48 + 6) / 3)
    assert (a["reopened"], a["visited"], a["satisfied"]) == (1, 2, 2)  # latest visit counts
    assert (a["overdue"], a["escalated"]) == (2, 1)
    assert a["on_time_rate"] == pytest.approx(2 / 3)
    assert a["reopened_rate"] == a["escalation_rate"] == pytest.approx(1 / 4)
    assert a["overdue_rate"] == pytest.approx(2 / 4) and a["satisfaction_rate"] == 1.0
    # 30 × 2/3 + 25 × 1 + 10 × 1 (22 h ≤ 72 h) + 15 × 3/4 + 15 × 2/4 + 5 × 3/4 = 77.5
    assert a["score"] == 77.5
    assert (b["received"], b["closed"], b["on_time"], b["score"]) == (1, 1, 1, 100.0)
    assert (b["rank"], a["rank"]) == (1, 2)
    # every other street had no case that month: listed, unscored, unranked
    assert all(u["received"] == 0 and u["rank"] is None for c, u in units.items()
               if c not in fixture.values())  # fmt: skip


def test_the_quarter_adds_march(client, auth_headers, fixture) -> None:
    a = _units(client, auth_headers["district"], period="2021Q1", by="street")[fixture["A"]]
    assert (a["received"], a["closed"], a["on_time"]) == (6, 4, 3)
    assert a["handling_hours"] == pytest.approx((12 + 48 + 6 + 1) / 4)


def test_by_department_and_jurisdiction(client, auth_headers, fixture) -> None:
    fire = _units(client, auth_headers["district"], period="2021-02", by="department")
    assert fire["fire_rescue"]["received"] == 6
    # a street office sees its own street only; a department its own department only
    mine = _units(client, auth_headers["street1"], period="2021-02", by="street")
    assert list(mine) == [fixture["A"]] and mine[fixture["A"]]["received"] == 5
    by_dep = _units(client, auth_headers["street1"], period="2021-02", by="department")
    assert by_dep["fire_rescue"]["received"] == 5
    dept = _units(client, auth_headers["dept-fire"], period="2021-02", by="department")
    assert list(dept) == ["fire_rescue"] and dept["fire_rescue"]["received"] == 6
    community = _units(client, auth_headers["district"], period="2021-02", by="community")
    assert sum(u["received"] for u in community.values()) == 6


def test_csv_and_refusals(client, auth_headers, fixture) -> None:
    headers = auth_headers["district"]
    r = client.get("/api/performance/assessment.csv", params={"period": "2021-02"}, headers=headers)
    assert r.status_code == 200 and r.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0][:4] == ["排名", "层级", "编码", "名称"]
    a = next(row for row in rows if row[2] == fixture["A"])
    assert a[0] == "2" and a[4] == "5" and a[7] == "66.7%" and a[-1] == "77.5"
    r = client.get("/api/performance/assessment.xlsx", params={"period": "2021-02"},
                   headers=headers)  # fmt: skip
    assert r.status_code == 200 and r.headers["content-type"].startswith(XLSX)
    book = load_workbook(io.BytesIO(r.content))
    cells = [["" if c is None else str(c) for c in row]
             for row in book.worksheets[0].iter_rows(values_only=True)]  # fmt: skip
    table = rows[: rows.index([])]  # the CSV's first section; the trend follows an empty line
    assert cells[0] == table[0] and sorted(cells[1:]) == sorted(table[1:])  # the CSV's table
    # the trend: a section of the CSV, the second sheet of the workbook
    trend = rows[rows.index([]) + 1 :]
    assert trend[0] == ["得分趋势（近 6 期）"]
    assert trend[1][:4] == ["编码", "名称", "2020-09 得分", "2020-09 排名"]
    assert trend[1][-2:] == ["2021-02 得分", "2021-02 排名"]
    a_trend = next(row for row in trend[2:] if row[0] == fixture["A"])
    assert a_trend[-2:] == ["77.5", "2"] and a_trend[2:4] == ["", ""]  # unscored in 2020-09
    sheet2 = book.worksheets[1]
    assert sheet2.title == "得分趋势"
    cells2 = [["" if c is None else str(c) for c in row]
              for row in sheet2.iter_rows(values_only=True)]  # fmt: skip
    assert cells2[0] == trend[1] and sorted(cells2[1:]) == sorted(trend[2:])
    for bad in ("2021-13", "21Q1", "2021Q5", "last month"):
        r = client.get("/api/performance", params={"period": bad}, headers=headers)
        assert r.status_code == 422 and r.json()["detail"]["where"] == {"field": "period"}, bad
    r = client.get("/api/performance", params={"period": "2021-02", "by": "grid"}, headers=headers)
    assert r.status_code == 422
    assert client.get(
        "/api/performance", params={"period": "2021-02"}, headers=auth_headers["worker1"]
    ).status_code == 403  # fmt: skip


def _trend(client, headers, **params) -> dict:
    r = client.get("/api/performance/trend", params=params, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


def test_the_trend_is_the_single_periods_figures(client, auth_headers, fixture) -> None:
    headers = auth_headers["district"]
    for period, count, by, labels in (
        ("2021-03", 3, "street", ["2021-01", "2021-02", "2021-03"]),
        ("2021Q2", 2, "community", ["2021Q1", "2021Q2"]),
        ("2021-02", 2, "department", ["2021-01", "2021-02"]),
    ):
        trend = _trend(client, headers, period=period, by=by, count=count)
        assert trend["periods"] == labels and trend["by"] == by
        for label in labels:
            single = _units(client, headers, period=label, by=by)
            assert {u["code"] for u in trend["units"]} == set(single)
            for unit in trend["units"]:
                point = next(p for p in unit["points"] if p["period"] == label)
                one = single[unit["code"]]
                assert (point["score"], point["rank"], point["received"]) == (
                    one["score"],
                    one["rank"],
                    one["received"],
                ), (label, unit["code"])
    feb = _trend(client, headers, period="2021-03", by="street", count=3)
    a = next(u for u in feb["units"] if u["code"] == fixture["A"])
    assert [p["score"] for p in a["points"]] == [None, 77.5, 100.0]  # March: one case on time
    # the latest period's ranking orders the units
    assert feb["units"][0]["points"][-1]["rank"] == 1
    # left out, the count follows the kind: 6 months or 4 quarters
    assert len(_trend(client, headers, period="2021-02")["periods"]) == 6
    assert _trend(client, headers, period="2021Q1")["periods"] == [
        "2020Q2", "2020Q3", "2020Q4", "2021Q1"
    ]  # fmt: skip


def test_the_trend_keeps_the_jurisdiction_and_refuses_bad_input(
    client, auth_headers, fixture
) -> None:
    mine = _trend(client, auth_headers["street1"], period="2021-02", by="street", count=2)
    assert [u["code"] for u in mine["units"]] == [fixture["A"]]
    assert [p["received"] for p in mine["units"][0]["points"]] == [0, 5]
    theirs = _trend(client, auth_headers["street2"], period="2021-02", by="street", count=2)
    assert [u["code"] for u in theirs["units"]] == [fixture["B"]]
    headers = auth_headers["district"]
    for params in ({"period": "2021-02", "count": 1}, {"period": "2021-02", "count": 13},
                   {"period": "2021Q5"}, {"period": "2021-02", "by": "grid"}):  # fmt: skip
        r = client.get("/api/performance/trend", params=params, headers=headers)
        assert r.status_code == 422, params
    r = client.get("/api/performance/trend", params={"period": "2021-02"},
                   headers=auth_headers["worker1"])  # fmt: skip
    assert r.status_code == 403
