"""Pure, seeded generator of the demo city's territory: streets, communities, 小区, grid cells.

Streets are Voronoi tiles of seeded points clipped to the real district (denser towards the old
south-western core), communities tile each street the same way, and each community is cut into
Lloyd-relaxed Voronoi blocks. Some blocks become 小区 (the block shrunk by a road margin), the rest
stay open space. Grid cells are unions of neighbouring blocks, so cells tile the community
exactly and every 小区 lies in exactly one cell.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry import MultiPolygon

from gis_data import demo_names
from gis_data.boundary import DISTRICT_CODE, DISTRICT_NAME, load_district_boundary
from gis_data.demo_scale import DemoScale
from gis_data.tessellate import (
    as_multipolygon,
    farthest_points,
    reading_order,
    relaxed_tiles,
    sample_points,
    split_total,
)
from service.domain.grid_codes import cell_code, order_cells
from service.domain.grid_geometry import LocalFrame

CORE = (113.655, 34.772)  # 紫荆山 / 二七 side: the old, dense part of the district
ROAD_HALF_WIDTH_DEG = 6e-5  # ~6 m each side of the block edge
MAX_PER_COMMUNITY = 999


@dataclass(frozen=True)
class Territory:
    """The generated polygons (WGS84) and how they nest, by code."""

    district_code: str
    district_name: str
    district: MultiPolygon
    streets: list[tuple[str, str, MultiPolygon]]  # code, name, geom
    communities: list[tuple[str, str, str, MultiPolygon]]  # code, name, street code, geom
    areas: list[tuple[str, str, str, MultiPolygon, int]]  # code, name, community, geom, year
    cells: list[tuple[str, str, MultiPolygon, tuple[str, ...]]]  # code, community, geom, 小区


def _core_density(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    d2 = ((x - CORE[0]) * 0.82) ** 2 + (y - CORE[1]) ** 2
    return 0.2 + 0.8 * np.exp(-d2 / (2 * 0.05**2))


def _tile(parent: MultiPolygon, n: int, rng: np.random.Generator, dense: bool) -> list:
    """`n` tiles of `parent` in reading order (west->east, bands north->south)."""
    seeds = sample_points(parent, n, rng, _core_density if dense else None)
    tiles, seeds = relaxed_tiles(parent, seeds, iterations=1 if dense else 2)
    band = np.sqrt(parent.area / n)
    return [tiles[i] for i in reading_order(seeds, band)]


def build_territory(scale: DemoScale, seed: int) -> Territory:
    """Generate the district's streets, communities, 小区 and grid cells for `scale` and `seed`."""
    rng = np.random.default_rng(seed)
    district = load_district_boundary()
    streets = [
        (f"{DISTRICT_CODE}{i + 1:03d}", demo_names.street_name(i), geom)
        for i, geom in enumerate(_tile(district, scale.streets, rng, dense=True))
    ]
    n_comm = scale.streets * scale.communities_per_street
    per_street = split_total(
        n_comm, rng.uniform(0.7, 1.3, scale.streets), max(1, scale.communities_per_street - 2), rng
    )
    names = iter(demo_names.community_names(n_comm, rng))
    communities = []
    for (s_code, _, s_geom), k in zip(streets, per_street, strict=True):
        for j, geom in enumerate(_tile(s_geom, int(k), rng, dense=True)):
            communities.append((f"{s_code}{j + 1:03d}", next(names), s_code, geom))
    territory = Territory(DISTRICT_CODE, DISTRICT_NAME, district, streets, communities, [], [])
    _fill_communities(territory, scale, rng)
    return territory


def _fill_communities(t: Territory, scale: DemoScale, rng: np.random.Generator) -> None:
    n = len(t.communities)
    areas = split_total(scale.residential_areas, rng.uniform(0.5, 1.5, n), 1, rng)
    cells = split_total(scale.grid_cells, areas + 1.0, 2, rng)
    areas = np.minimum(areas, MAX_PER_COMMUNITY)
    cells = np.minimum(cells, MAX_PER_COMMUNITY)
    used: set[str] = set()
    for (c_code, _, _, geom), n_area, n_cell in zip(t.communities, areas, cells, strict=True):
        _fill_one(t, c_code, geom, int(n_area), int(n_cell), rng, used)


def _fill_one(
    t: Territory,
    c_code: str,
    geom: MultiPolygon,
    n_area: int,
    n_cell: int,
    rng: np.random.Generator,
    used: set[str],
) -> None:
    n_block = max(n_area, n_cell) + int(np.ceil(0.15 * n_area)) + 1
    seeds = sample_points(geom, n_block, rng)
    blocks, seeds = relaxed_tiles(geom, seeds, iterations=2)
    housing_list = rng.choice(n_block, size=n_area, replace=False)
    # Cells: group blocks around well-spread centre blocks (小区 blocks first, so that few
    # cells end up without any households).
    if n_cell <= n_area:
        centres = housing_list[farthest_points(seeds[housing_list], n_cell, rng)]
    else:
        centres = farthest_points(seeds, n_cell, rng)
    dist = np.hypot(
        seeds[:, None, 0] - seeds[None, centres, 0], seeds[:, None, 1] - seeds[None, centres, 1]
    )
    group = np.argmin(dist, axis=1)
    group[centres] = np.arange(n_cell)
    housing = set(housing_list.tolist())
    cell_geoms, cell_blocks = [], []
    for g in range(n_cell):
        members = np.flatnonzero(group == g)
        cell_geoms.append(as_multipolygon(shapely.union_all([blocks[i] for i in members])))
        cell_blocks.append([int(i) for i in members])
    # numbered as the product numbers generated cells (service.domain.grid_codes)
    frame = LocalFrame.around(geom)
    order = order_cells([frame.to_metric(c) for c in cell_geoms], frame.to_metric(geom))
    area_no = 0
    for seq, g in enumerate(order, start=1):
        codes = []
        for b in sorted(cell_blocks[g], key=lambda i: (-seeds[i, 1], seeds[i, 0])):
            if b not in housing:
                continue
            area_no += 1
            a_code = f"{c_code}R{area_no:03d}"
            p_old = 0.15 + 0.7 * float(_core_density(seeds[b, 0:1], seeds[b, 1:2])[0])
            old = rng.random() < p_old
            year = int(rng.integers(1980, 2005) if old else rng.integers(2005, 2023))
            name = demo_names.area_name(rng, old, used)
            t.areas.append((a_code, name, c_code, _shrink(blocks[b]), year))
            codes.append(a_code)
        t.cells.append((cell_code(c_code, seq), c_code, cell_geoms[g], tuple(codes)))


def _shrink(block: MultiPolygon) -> MultiPolygon:
    """The 小区 inside a block: the block minus road space, its largest piece kept."""
    for width in (ROAD_HALF_WIDTH_DEG, ROAD_HALF_WIDTH_DEG / 3, ROAD_HALF_WIDTH_DEG / 10):
        inner = block.buffer(-width, join_style="mitre")
        parts = [p for p in shapely.get_parts(inner) if p.geom_type == "Polygon"]
        if parts:
            best = max(parts, key=lambda p: p.area)
            if best.area > 0.3 * block.area:
                return MultiPolygon([best])
    return as_multipolygon(block.buffer(-ROAD_HALF_WIDTH_DEG / 100))
