"""The demo's kept records beyond the coverage facts, and two quarters of company assessment.

Runs after the 小区 and accounts are loaded, in the same transaction, with its own random
stream (so the rest of the demo city stays as it was): registry details of the companies,
property officers, owners' committee dates, score sheets by each community's staff for the
last two finished quarters, the district's grades, and the red/black lists they lead to.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from decimal import Decimal

import numpy as np
import psycopg

from service.domain.assessment import GradeFloors, combine, list_kind_for_grade, quarter_of

# The company's underlying quality by its seeded grade: the mean score its 小区 get.
_BASE_SCORE = {"A": 93.0, "B": 85.0, "C": 70.0, "D": 52.0}
_SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗"
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂"
_CREDIT_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def _person(rng: np.random.Generator) -> str:
    return str(rng.choice(list(_SURNAMES))) + "".join(rng.choice(list(_GIVEN), size=2))


def _mobile(rng: np.random.Generator) -> str:
    return (
        "1"
        + str(rng.choice(["35", "38", "39", "58", "86"]))
        + "".join(str(d) for d in rng.integers(0, 10, 8))
    )


def last_quarters(today: date, n: int) -> list[str]:
    """The `n` quarters that ended before today, oldest first."""
    out = []
    day = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1) - timedelta(days=1)
    for _ in range(n):
        out.append(quarter_of(day))
        day = date(day.year, 3 * ((day.month - 1) // 3) + 1, 1) - timedelta(days=1)
    return out[::-1]


def load_company_records(cur: psycopg.Cursor, now: datetime, seed: int) -> int:
    """Fill in the registry, officers, committee dates and assessments; the sheets written."""
    rng = np.random.default_rng(seed + 15)
    _companies(cur, rng)
    _officers_and_committees(cur, rng, now.date())
    return _assessments(cur, rng, now.date())


def _companies(cur: psycopg.Cursor, rng: np.random.Generator) -> None:
    cur.execute("SELECT id FROM district ORDER BY code LIMIT 1")
    district = cur.fetchone()
    cur.execute(
        "INSERT INTO company_list_entry (company_id, list_kind, reason)"
        " SELECT id, 'grey', '业主投诉较多，限期整改' FROM property_company"
        " WHERE list_status = 'grey'"
    )
    cur.execute("SELECT id FROM property_company ORDER BY id")
    for (company_id,) in cur.fetchall():
        code = "91410105" + "".join(rng.choice(list(_CREDIT_CHARS), size=10))
        cur.execute(
            "UPDATE property_company SET credit_code = %s, contact_name = %s,"
            " contact_phone = %s, has_party_org = %s, district_id = %s WHERE id = %s",
            (
                code,
                _person(rng),
                _mobile(rng),
                bool(rng.random() < 0.7),
                district[0] if district else None,
                company_id,
            ),
        )


def _officers_and_committees(cur: psycopg.Cursor, rng: np.random.Generator, today: date) -> None:
    cur.execute(
        "SELECT id, property_service_mode, owners_committee_status FROM residential_area"
        " ORDER BY id"
    )
    rows = cur.fetchall()
    for area_id, mode, committee in rows:
        officer = (_person(rng), _mobile(rng)) if mode != "none" else (None, None)
        registered = term_end = members = None
        if committee in ("established", "interim_committee"):
            registered = today - timedelta(days=int(rng.integers(60, 2200)))
            term_end = registered + timedelta(
                days=5 * 365 if committee == "established" else 2 * 365
            )
            members = int(rng.integers(5, 12))
        cur.execute(
            "UPDATE residential_area SET property_officer_name = %s, property_officer_phone = %s,"
            " owners_committee_registered_on = %s, owners_committee_term_end = %s,"
            " owners_committee_members = %s WHERE id = %s",
            (*officer, registered, term_end, members, area_id),
        )


def _assessments(cur: psycopg.Cursor, rng: np.random.Generator, today: date) -> int:
    # the default sheet (no district); read through jsonb because the loader also runs on the
    # schema before district sheets existed (029), as tests/db/test_partitions.py loads it at 026
    cur.execute(
        "SELECT code, weight FROM assessment_item i WHERE is_active"
        " AND to_jsonb(i) ->> 'district_id' IS NULL ORDER BY position"
    )
    items = cur.fetchall()
    cur.execute(
        "SELECT r.id, r.property_company_id, co.credit_grade, u.id FROM residential_area r"
        " JOIN property_company co ON co.id = r.property_company_id"
        " LEFT JOIN app_user u ON u.community_id = r.community_id AND u.role = 'community_staff'"
        " ORDER BY r.id"
    )
    served = cur.fetchall()
    cur.execute("SELECT id FROM app_user WHERE role = 'district_bureau' ORDER BY id LIMIT 1")
    bureau = cur.fetchone()
    written = 0
    for quarter in last_quarters(today, 2):
        sheets = []
        for area_id, company_id, grade, assessor in served:
            base = _BASE_SCORE[grade]
            scores = {
                code: float(np.clip(rng.normal(base, 4.0), 0, 100).round(1)) for code, _ in items
            }
            weighted = sum((Decimal(str(scores[c])) * Decimal(w) for c, w in items), Decimal(0))
            weights = sum((Decimal(w) for _, w in items), Decimal(0))
            total = (weighted / weights).quantize(Decimal("0.01"))
            cur.execute(
                "INSERT INTO property_assessment (company_id, residential_area_id, quarter,"
                " scores, total, evidence, assessed_by) VALUES (%s, %s, %s, %s, %s, %s, %s)",
                (company_id, area_id, quarter, json.dumps(scores), total, "季度现场检查", assessor),
            )
            sheets.append({"company_id": company_id, "total": total})
            written += 1
        _grade(cur, quarter, combine(sheets, GradeFloors()), bureau[0] if bureau else None)
    return written


def _grade(cur: psycopg.Cursor, quarter: str, graded: list[dict], by: int | None) -> None:
    for row in graded:
        cur.execute(
            "INSERT INTO company_grade (company_id, quarter, score, assessments, grade, rank,"
            " decided_by) VALUES (%s, %s, %s, %s, %s, %s, %s)",
            (
                row["company_id"],
                quarter,
                row["score"],
                row["assessments"],
                row["grade"],
                row["rank"],
                by,
            ),
        )
        cur.execute(
            "UPDATE property_company SET credit_grade = %s WHERE id = %s",
            (row["grade"], row["company_id"]),
        )
        kind = list_kind_for_grade(row["grade"])
        cur.execute(
            "UPDATE company_list_entry SET ended_on = current_date"
            " WHERE company_id = %s AND ended_on IS NULL AND quarter IS NOT NULL",
            (row["company_id"],),
        )
        if kind is not None:
            cur.execute(
                "INSERT INTO company_list_entry (company_id, list_kind, reason, quarter,"
                " listed_on, created_by) VALUES (%s, %s, %s, %s, current_date, %s)",
                (
                    row["company_id"],
                    kind,
                    f"{quarter} 信用等级 {row['grade']}（得分 {row['score']}）",
                    quarter,
                    by,
                ),
            )
        cur.execute(
            "UPDATE property_company SET list_status = coalesce((SELECT e.list_kind"
            " FROM company_list_entry e WHERE e.company_id = %s AND e.ended_on IS NULL"
            " ORDER BY e.id DESC LIMIT 1), 'none') WHERE id = %s",
            (row["company_id"], row["company_id"]),
        )
