"""Generate a community's grid cells from its 小区 (pure: shapely only).

1. Units: every 小区 clipped to the community; one above the household maximum is cut into
   ceil(h / max) equal-area strips (households shared by area) and recorded as split.
2. Clusters: units are grown into clusters over a Delaunay neighbour graph, seeded in
   reading order, adding the nearest neighbour that still fits under the maximum until the
   cluster reaches the middle of the range; clusters left under the minimum join a
   neighbouring cluster when the sum fits.
3. Cover: the space between 小区 (roads, open land) goes to the nearest cluster (Voronoi
   cells of points along the 小区 boundaries), so the cells partition the community.
4. Codes: reading order, fresh sequence numbers (grid_codes).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

import shapely
from shapely.geometry import MultiPolygon
from shapely.geometry.base import BaseGeometry
from shapely.strtree import STRtree

from service.domain.grid_codes import cell_code, reading_order
from service.domain.grid_geometry import (
    LocalFrame,
    as_multipolygon,
    clip_to_box,
    equal_area_cut,
    largest_remainder,
    polygons_of,
)

SAMPLE_SPACING_M = 15.0


@dataclass(frozen=True)
class AreaInput:
    """A 小区 as the generator sees it (geometry in WGS84)."""

    id: int
    code: str
    geom: BaseGeometry
    households: int


@dataclass
class ProposedCell:
    code: str
    geom: MultiPolygon  # WGS84
    households: int
    area_ids: list[int]
    split_shares: dict[int, int] = field(default_factory=dict)  # 小区 id → households here
    flags: list[str] = field(default_factory=list)


@dataclass
class _Unit:
    area_id: int
    geom: BaseGeometry  # lon/lat
    households: int
    split: bool


def generate_cells(
    community_code: str,
    community_geom: BaseGeometry,
    areas: list[AreaInput],
    sequences: list[int] | None = None,
    *,
    households_min: int = 150,
    households_max: int = 500,
) -> list[ProposedCell]:
    """The proposed cells of one community; `sequences` are the codes' numbers to use."""
    frame = LocalFrame.around(community_geom)
    community_m = frame.to_metric(community_geom)
    units = _units(community_geom, areas, households_max, frame)
    clusters = _clusters(units, frame, community_m.bounds, households_min, households_max)
    regions = _cover(community_geom, units, clusters, frame)
    order = reading_order(_points(regions, frame), community_m.bounds)
    seqs = sequences if sequences is not None else list(range(1, len(regions) + 1))
    cells = []
    for rank, idx in enumerate(order):
        members = [units[u] for u in clusters[idx]]
        cells.append(_proposed(community_code, seqs[rank], regions[idx], members))
    for cell in cells:
        if cell.households < households_min:
            cell.flags.append("households_below_min")
        elif cell.households > households_max:
            cell.flags.append("households_above_max")
    return cells


def _proposed(
    community_code: str,
    seq: int,
    region: BaseGeometry,
    members: list[_Unit],
) -> ProposedCell:
    geom = as_multipolygon(region)
    ids = sorted({u.area_id for u in members})
    shares: dict[int, int] = {}
    for u in members:
        if u.split:
            shares[u.area_id] = shares.get(u.area_id, 0) + u.households
    return ProposedCell(
        code=cell_code(community_code, seq),
        geom=geom,
        households=sum(u.households for u in members),
        area_ids=ids,
        split_shares=shares,
    )


def _points(geoms: list[BaseGeometry], frame: LocalFrame) -> list[tuple[float, float]]:
    """Representative points of lon/lat geometries, in the metric frame."""
    reps = shapely.points([frame.to_metric(g.representative_point()).coords[0] for g in geoms])
    return [(float(x), float(y)) for x, y in shapely.get_coordinates(reps)]


def _units(
    community: BaseGeometry, areas: list[AreaInput], hmax: int, frame: LocalFrame
) -> list[_Unit]:
    """小区 clipped to the community and to each other, big ones cut into strips."""
    frame_units: list[_Unit] = []
    ordered = sorted(areas, key=lambda a: a.code)
    clipped = [community.intersection(a.geom) for a in ordered]
    tree = STRtree(clipped)
    for k, area in enumerate(ordered):
        geom = clipped[k]
        # overlapping 小区 (bad data): the one with the lower code keeps the overlap
        earlier = [int(j) for j in tree.query(geom, predicate="intersects") if j < k]
        if earlier:
            geom = geom.difference(shapely.union_all([clipped[j] for j in earlier]))
        geom = MultiPolygon(polygons_of(geom, frame.deg2(0.01)))
        if geom.is_empty:
            continue
        parts = max(1, math.ceil(area.households / hmax)) if hmax > 0 else 1
        pieces = [p for p in equal_area_cut(geom, parts, frame.x_scale) if not p.is_empty]
        shares = largest_remainder(area.households, [p.area for p in pieces])
        for piece, share in zip(pieces, shares, strict=True):
            frame_units.append(_Unit(area.id, piece, share, split=len(pieces) > 1))
    return frame_units


def _neighbours(points: list[tuple[float, float]]) -> list[set[int]]:
    n = len(points)
    graph: list[set[int]] = [set() for _ in range(n)]
    if n <= 3:
        for i in range(n):
            graph[i] = set(range(n)) - {i}
        return graph
    index = {p: i for i, p in enumerate(points)}
    edges = shapely.delaunay_triangles(shapely.multipoints(points), only_edges=True)
    for line in shapely.get_parts(edges):
        (ax, ay), (bx, by) = line.coords[0], line.coords[1]
        a = index.get((float(ax), float(ay)))
        b = index.get((float(bx), float(by)))
        if a is not None and b is not None and a != b:
            graph[a].add(b)
            graph[b].add(a)
    return graph


def _clusters(
    units: list[_Unit],
    frame: LocalFrame,
    bounds: tuple[float, float, float, float],
    hmin: int,
    hmax: int,
) -> list[list[int]]:
    if not units:
        return [[]]
    pts = _points([u.geom for u in units], frame)
    graph = _neighbours(pts)
    target = (hmin + hmax) / 2
    owner = [-1] * len(units)
    clusters: list[list[int]] = []
    for seed in reading_order(pts, bounds):
        if owner[seed] >= 0:
            continue
        cid = len(clusters)
        members, total = [seed], units[seed].households
        owner[seed] = cid
        while total < target:
            frontier = {j for m in members for j in graph[m] if owner[j] < 0}
            fits = [j for j in frontier if total + units[j].households <= hmax]
            if not fits:
                break
            sx, sy = pts[seed]
            nxt = min(fits, key=lambda j: (pts[j][0] - sx) ** 2 + (pts[j][1] - sy) ** 2)
            members.append(nxt)
            owner[nxt] = cid
            total += units[nxt].households
        clusters.append(members)
    return _merge_small(clusters, units, graph, hmin, hmax)


def _merge_small(
    clusters: list[list[int]], units: list[_Unit], graph: list[set[int]], hmin: int, hmax: int
) -> list[list[int]]:
    def total(c: list[int]) -> int:
        return sum(units[i].households for i in c)

    changed = True
    while changed:
        changed = False
        owner = {u: ci for ci, c in enumerate(clusters) for u in c}
        for ci, c in enumerate(clusters):
            if not c or total(c) >= hmin:
                continue
            near = {owner[j] for m in c for j in graph[m]} - {ci}
            fits = [o for o in near if clusters[o] and total(clusters[o]) + total(c) <= hmax]
            if fits:
                best = min(fits, key=lambda o: total(clusters[o]))
                clusters[best] = clusters[best] + c
                clusters[ci] = []
                changed = True
                break
    return [c for c in clusters if c] or [[]]


def _cover(
    community: BaseGeometry, units: list[_Unit], clusters: list[list[int]], frame: LocalFrame
) -> list[BaseGeometry]:
    """Regions partitioning the community: each cluster's units plus its nearest open space."""
    if len(clusters) == 1:
        return [community]
    taken = shapely.union_all([u.geom for u in units])
    open_space = community.difference(taken)
    reach = _nearest_reach(units, clusters, frame, community)
    regions: list[BaseGeometry] = []
    for ci, members in enumerate(clusters):
        space = clip_to_box(open_space, *reach[ci].bounds).intersection(reach[ci])
        region = shapely.union_all([space] + [units[u].geom for u in members])
        # floating-point noise can make neighbours overlap by slivers: earlier regions win
        if regions:
            hits = shapely.intersects(regions, region)
            near = [r for r, hit in zip(regions, hits, strict=True) if hit]
            if near:
                region = region.difference(shapely.union_all(near))
        regions.append(region)
    return _fill_gaps(community, regions, frame)


def _nearest_reach(
    units: list[_Unit], clusters: list[list[int]], frame: LocalFrame, community: BaseGeometry
) -> list[BaseGeometry]:
    """For each cluster, the ground nearer to it than to any other (lon/lat polygons):
    Voronoi cells, in metres, of points every few metres along its units' boundaries."""
    labels: dict[tuple[float, float], int] = {}
    for ci, members in enumerate(clusters):
        for u in members:
            ring = frame.to_metric(units[u].geom.boundary)
            for x, y in shapely.get_coordinates(shapely.segmentize(ring, SAMPLE_SPACING_M)):
                labels.setdefault((round(float(x), 2), round(float(y), 2)), ci)
    # a deterministic sub-centimetre jitter keeps regularly spaced points off the
    # co-circular degeneracies that make GEOS's Voronoi cells invalid
    rng = random.Random(len(labels))
    points = list(labels)
    jittered = [(x + rng.uniform(-0.005, 0.005), y + rng.uniform(-0.005, 0.005)) for x, y in points]
    envelope = frame.to_metric(community).envelope.buffer(100.0)
    cells = shapely.voronoi_polygons(
        shapely.multipoints(jittered), extend_to=envelope, ordered=True
    )
    by_cluster: list[list[BaseGeometry]] = [[] for _ in clusters]
    for point, cell in zip(points, shapely.get_parts(cells), strict=True):
        by_cluster[labels[point]].append(cell)
    return [frame.to_wgs84(_union_cells(c)) for c in by_cluster]


def _union_cells(cells: list[BaseGeometry]) -> BaseGeometry:
    """Union of Voronoi cells (a coverage); snapped to a centimetre grid if GEOS balks."""
    try:
        return shapely.coverage_union_all(cells)
    except shapely.errors.GEOSException:
        return shapely.union_all(cells, grid_size=0.01)


def _fill_gaps(
    community: BaseGeometry, regions: list[BaseGeometry], frame: LocalFrame
) -> list[BaseGeometry]:
    """Give slivers left by floating-point noise to the region sharing most of their edge."""
    gaps = polygons_of(community.difference(shapely.union_all(regions)), frame.deg2(1e-6))
    for gap in gaps:
        ring = gap.buffer(frame.deg(0.01))
        best = max(range(len(regions)), key=lambda i: regions[i].intersection(ring).area)
        regions[best] = regions[best].union(gap)
    return regions
