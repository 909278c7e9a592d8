"""Seeded demo reports (事件) with their full status history, as numpy columns."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import numpy as np
import shapely

from gis_data.demo_city import Territory
from gis_data.tessellate import sample_points
from service.domain.vocabulary import STATUSES

CHAIN = (0, 1, 3, 4, 5, 6, 7)  # the normal life cycle, as indices into STATUSES
REJECTED = 2
OPEN = (0, 1, 3, 4)
ESCALATION = ("community", "street", "district")
FIRE_CODES = ("fire_lane_blocked", "ebike_corridor", "fire_equipment_damaged")
HOUR = np.timedelta64(3600, "s")


def _hours(delta: np.ndarray) -> np.ndarray:
    return np.asarray(delta).astype("timedelta64[s]").astype(np.float64) / 3600.0


# Final-status probabilities by age: under a day, under a week, older.
_BY_AGE = np.array(
    [
        [0.5, 0.25, 0.0, 0.15, 0.1, 0.0, 0.0, 0.0],
        [0.05, 0.1, 0.08, 0.15, 0.22, 0.15, 0.1, 0.15],
        [0.0, 0.01, 0.08, 0.03, 0.06, 0.05, 0.05, 0.72],
    ]
)
_COMMON = {
    "clutter": 10,
    "improper_waste": 8,
    "ebike_corridor": 8,
    "fire_lane_blocked": 6,
    "occupying_shared_space": 7,
    "illegal_construction": 5,
    "green_space_parking": 4,
    "posters_graffiti": 4,
    "residential_noise": 4,
    "property_service_quality": 5,
    "dog_management": 3,
    "property_dispute": 3,
    "neighbour_dispute": 3,
}
_SPOTS = (
    "3号楼东侧",
    "北门口",
    "地下车库入口",
    "2单元楼道",
    "小区主路",
    "西侧围墙边",
    "垃圾站旁",
    "南门外人行道",
    "5号楼楼顶",
    "1号楼底商",
    "中心花园",
    "东侧消防通道",
)
_TAILS = (
    "请尽快处理。",
    "已拍照留存。",
    "居民多次反映。",
    "现场已劝导，需部门处置。",
    "影响居民出行。",
)


@dataclass
class Catalogue:
    """The event categories as loaded from the database, in a fixed order."""

    codes: list[str]
    names_zh: list[str]
    departments: list[str]
    deadline_hours: np.ndarray


@dataclass
class Reports:
    ids: list[str]
    xy: np.ndarray
    cell: np.ndarray  # index into Territory.cells
    area: np.ndarray  # index into Territory.areas, -1 on roads
    category: np.ndarray
    status: np.ndarray
    escalation: np.ndarray
    created: np.ndarray  # datetime64[s], UTC
    deadline: np.ndarray
    updated: np.ndarray
    closed: np.ndarray  # NaT unless closed
    accuracy: np.ndarray
    by_hand: np.ndarray
    descriptions: list[str]
    # the history, one row per transition
    ev_report: np.ndarray
    ev_from: np.ndarray  # -1 for the first event
    ev_to: np.ndarray
    ev_at: np.ndarray


def daytime(now: np.datetime64, days_ago: np.ndarray, china_hour: np.ndarray) -> np.ndarray:
    """UTC instants at `china_hour` (UTC+8) `days_ago` days before `now`; never after `now`."""
    day = np.timedelta64(86400, "s")
    midnight = ((now + 8 * HOUR).astype("datetime64[D]").astype("datetime64[s]")) - 8 * HOUR
    at = midnight - days_ago * day + (china_hour * 3600).astype("timedelta64[s]")
    return np.where(at > now, at - day, at)


def seeded_uuids(rng: np.random.Generator, n: int) -> list[str]:
    """`n` random version-4 UUIDs drawn from `rng` (deterministic for a seed)."""
    raw = np.frombuffer(rng.bytes(16 * n), dtype=np.uint8).reshape(n, 16).copy()
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80
    return [str(uuid.UUID(bytes=row.tobytes())) for row in raw]


def _locate(
    t: Territory, households: np.ndarray, n: int, rng: np.random.Generator, cell_weight: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Report positions: 3/4 inside a 小区 (by households), the rest on the cell's roads."""
    area_index = {a[0]: i for i, a in enumerate(t.areas)}
    counts = rng.multinomial(n, cell_weight / cell_weight.sum())
    xy, cells, areas = [], [], []
    for ci in np.flatnonzero(counts):
        _, _, geom, codes = t.cells[ci]
        members = [area_index[c] for c in codes]
        k_in = int(rng.binomial(counts[ci], 0.75)) if members else 0
        if k_in:
            w = households[members] / households[members].sum()
            for ai, m in zip(members, rng.multinomial(k_in, w), strict=True):
                if m:
                    xy.append(sample_points(t.areas[ai][3], int(m), rng))
                    areas.append(np.full(m, ai))
        k_road = int(counts[ci]) - k_in
        if k_road:
            road = (
                geom.difference(shapely.union_all([t.areas[i][3] for i in members]))
                if (members)
                else geom
            )
            xy.append(sample_points(road, k_road, rng))
            areas.append(np.full(k_road, -1))
        cells.append(np.full(counts[ci], ci))
    return np.concatenate(xy), np.concatenate(cells), np.concatenate(areas)


def _categories(cat: Catalogue, n: int, rng: np.random.Generator) -> np.ndarray:
    w = np.array([_COMMON.get(c, 1.0) for c in cat.codes], dtype=float)
    return rng.choice(len(cat.codes), size=n, p=w / w.sum())


def _force_fire(t: Territory, cells: np.ndarray, category: np.ndarray, cat: Catalogue) -> None:
    """Make sure the first two streets each have some fire-routed reports."""
    fire = [cat.codes.index(c) for c in FIRE_CODES if c in cat.codes]
    street_of_cell = np.array([c[1][:9] for c in t.cells])
    for s_code, _, _ in t.streets[:2]:
        mine = np.flatnonzero(street_of_cell[cells] == s_code)[:3]
        for k, i in enumerate(mine):
            category[i] = fire[k % len(fire)]


def build_reports(
    t: Territory,
    households: np.ndarray,
    cat: Catalogue,
    n: int,
    now: np.datetime64,
    rng: np.random.Generator,
) -> Reports:
    """`n` reports over the last ~4 months, each with a consistent status history."""
    area_ix = {a[0]: i for i, a in enumerate(t.areas)}
    cell_hh = np.array([sum(households[area_ix[a]] for a in c[3]) for c in t.cells], dtype=float)
    xy, cells, areas = _locate(t, households, n, rng, cell_hh + 150.0)
    category = _categories(cat, n, rng)
    _force_fire(t, cells, category, cat)
    created = daytime(now, rng.integers(0, 120, n), rng.uniform(7.5, 20.0, n))
    age_h = _hours(now - created)
    band = np.digitize(age_h, [24.0, 24.0 * 7])
    u = rng.random(n)
    status = (u[:, None] > np.cumsum(_BY_AGE[band], axis=1)).sum(axis=1)
    deadline_h = cat.deadline_hours[category]
    deadline = created + (deadline_h * 3600).astype("timedelta64[s]")
    r = Reports(
        seeded_uuids(rng, n),
        xy,
        cells,
        areas,
        category,
        status,
        np.zeros(n, dtype=np.int64),
        created,
        deadline,
        created.copy(),
        np.full(n, np.datetime64("NaT"), dtype="datetime64[s]"),
        np.round(rng.uniform(3, 25, n), 1),
        rng.random(n) < 0.1,
        [],
        np.empty(0, np.int64),
        np.empty(0, np.int64),
        np.empty(0, np.int64),
        np.empty(0, "datetime64[s]"),
    )
    _history(r, deadline_h, now, rng)
    r.descriptions = _describe(t, r, cat, rng)
    return r


def _history(
    r: Reports, deadline_h: np.ndarray, now: np.datetime64, rng: np.random.Generator
) -> None:
    """Event times along each report's path; escalation, updated_at and closed_at from them."""
    n = len(r.status)
    rejected = r.status == REJECTED
    pos = np.array([CHAIN.index(s) if s != REJECTED else 1 for s in range(len(STATUSES))])
    steps = pos[r.status]  # transitions after 'reported'
    # Reported -> handled takes 30%-140% of the category's deadline, split over four steps.
    split = (
        rng.dirichlet([1.0, 1.5, 2.0, 4.0], n) * (deadline_h * rng.uniform(0.3, 1.4, n))[:, None]
    )
    dur = np.column_stack([split, rng.uniform(2, 30, n), rng.uniform(1, 24, n)])
    cum = np.cumsum(dur, axis=1)
    last = np.where(steps > 0, cum[np.arange(n), np.maximum(steps - 1, 0)], 0.0)
    room = _hours(now - r.created)
    cum *= np.where(last > room, 0.95 * room / np.maximum(last, 1e-9), 1.0)[:, None]
    offsets = np.column_stack([np.zeros(n), cum])
    ev_report = np.repeat(np.arange(n), steps + 1)
    k = np.arange(len(ev_report)) - np.repeat(np.cumsum(steps + 1) - (steps + 1), steps + 1)
    chain = np.array(CHAIN)
    ev_to = chain[k]
    ev_to[(k == 1) & rejected[ev_report]] = REJECTED
    r.ev_report, r.ev_to = ev_report, ev_to
    r.ev_from = np.where(k == 0, -1, chain[np.maximum(k - 1, 0)])
    r.ev_at = r.created[ev_report] + (offsets[ev_report, k] * 3600).astype("timedelta64[s]")
    r.updated = r.created + (offsets[np.arange(n), steps] * 3600).astype("timedelta64[s]")
    r.closed = np.where(r.status == 7, r.updated, np.datetime64("NaT"))
    handled = np.where(steps >= 4, r.created + (offsets[:, 4] * 3600).astype("timedelta64[s]"), now)
    late_h = np.where(rejected, 0.0, _hours(handled - r.deadline))
    r.escalation = np.digitize(late_h, [24.0, 72.0])


def _describe(t: Territory, r: Reports, cat: Catalogue, rng: np.random.Generator) -> list[str]:
    spots = rng.integers(len(_SPOTS), size=len(r.status))
    tails = rng.integers(len(_TAILS), size=len(r.status))
    comm_name = {c[0]: c[1] for c in t.communities}
    out = []
    for a, ci, c, s, tl in zip(
        r.area.tolist(),
        r.cell.tolist(),
        r.category.tolist(),
        spots.tolist(),
        tails.tolist(),
        strict=True,
    ):
        place = t.areas[a][1] + _SPOTS[s] if a >= 0 else f"{comm_name[t.cells[ci][1]]}辖区道路"
        out.append(f"{place}发现{cat.names_zh[c]}问题，{_TAILS[tl]}")
    return out
