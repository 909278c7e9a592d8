"""Seeded demo accounts and grid assignments (every account's password is `demo`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from gis_data.demo_city import Territory

DEMO_PASSWORD = "demo"
UNASSIGNED_CELLS = 5  # cells left without a primary worker, on purpose
_SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰红建国志文斌浩宇鑫晨雪梅琳"


@dataclass(frozen=True)
class DemoUser:
    """An account row; jurisdiction by code (resolved to ids by the loader)."""

    username: str
    display_name: str
    role: str
    street_code: str | None = None
    community_code: str | None = None
    department_code: str | None = None


@dataclass(frozen=True)
class Assignment:
    username: str
    cell_code: str
    is_primary: bool
    valid_from: date
    valid_to: date | None = None


def department_username(code: str) -> str:
    """`dept-fire` for fire and rescue, `dept-<code>` with dashes for the others."""
    return "dept-fire" if code == "fire_rescue" else "dept-" + code.replace("_", "-")


def _person(rng: np.random.Generator) -> str:
    given = "".join(rng.choice(list(_GIVEN), size=int(rng.integers(1, 3))))
    return str(rng.choice(list(_SURNAMES))) + given


def build_users(
    t: Territory, departments: list[tuple[str, str]], rng: np.random.Generator
) -> tuple[list[DemoUser], list[Assignment], dict[str, str]]:
    """All demo accounts, the grid assignments and the primary worker of each cell (by code)."""
    users = [
        DemoUser("admin", "系统管理员", "admin"),
        DemoUser("district", f"{t.district_name}住建局物管办", "district_bureau"),
        DemoUser("planner", f"{t.district_name}规划分析员", "planner"),
    ]
    users += [
        DemoUser(f"street{i + 1}", f"{name}物管办", "street_office", street_code=code)
        for i, (code, name, _) in enumerate(t.streets)
    ]
    users += [
        DemoUser(
            f"community{i + 1}",
            f"{name}物业专干 {_person(rng)}",
            "community_staff",
            community_code=code,
        )
        for i, (code, name, _, _) in enumerate(t.communities)
    ]
    users += [
        DemoUser(department_username(d), f"{t.district_name}{zh}", "department", department_code=d)
        for d, zh in departments
    ]
    workers, assignments, primary = _workers(t, rng)
    return users + workers, assignments, primary


def _workers(
    t: Territory, rng: np.random.Generator
) -> tuple[list[DemoUser], list[Assignment], dict[str, str]]:
    by_community: dict[str, list[str]] = {}
    for code, c_code, _, _ in t.cells:
        by_community.setdefault(c_code, []).append(code)
    first = t.communities[0][0]
    spare = [c for c in (cell[0] for cell in t.cells) if not c.startswith(first)]
    picks = rng.choice(len(spare), size=min(UNASSIGNED_CELLS, len(spare)), replace=False)
    unassigned = {spare[i] for i in picks}
    workers: list[DemoUser] = []
    assignments: list[Assignment] = []
    primary: dict[str, str] = {}
    start = date(2023, 3, 1)
    for c_code, cells in by_community.items():
        chunk = 3 if len(cells) <= 30 else 6
        for group in np.array_split(np.array(cells), max(1, int(np.ceil(len(cells) / chunk)))):
            name = f"worker{len(workers) + 1}"
            workers.append(
                DemoUser(name, f"网格员 {_person(rng)}", "grid_worker", community_code=c_code)
            )
            since = start + timedelta(days=int(rng.integers(0, 600)))
            for cell in (str(g) for g in group):
                if cell in unassigned:
                    continue
                assignments.append(Assignment(name, cell, True, since))
                primary[cell] = name
    _history(assignments, workers, rng)
    return workers, assignments, primary


def _history(
    assignments: list[Assignment], workers: list[DemoUser], rng: np.random.Generator
) -> None:
    """A few ended primary assignments (staff turnover) and some backup (non-primary) ones."""
    names = [w.username for w in workers]
    for a in list(assignments[:: max(1, len(assignments) // 12)]):
        other = names[int(rng.integers(len(names)))]
        if other != a.username:
            assignments.append(
                Assignment(
                    other, a.cell_code, True, date(2022, 6, 1), a.valid_from - timedelta(days=1)
                )
            )
    for a in list(assignments[1 :: max(1, len(assignments) // 20)]):
        other = names[int(rng.integers(len(names)))]
        if other != a.username:
            assignments.append(Assignment(other, a.cell_code, False, a.valid_from))
