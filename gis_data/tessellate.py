"""Seeded tessellation helpers: points in polygons, clipped Voronoi tilings, reading order."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import shapely
from shapely.geometry import MultiPolygon
from shapely.geometry.base import BaseGeometry

Density = Callable[[np.ndarray, np.ndarray], np.ndarray]
# A part smaller than this share of its tile's largest part is a fragment, not a real piece.
FRAGMENT_SHARE = 0.05


def as_multipolygon(geom: BaseGeometry) -> MultiPolygon:
    """The polygonal parts of `geom` as one MultiPolygon (lines and points dropped)."""
    parts = [p for p in shapely.get_parts(geom) if p.geom_type == "Polygon" and not p.is_empty]
    return MultiPolygon(parts)


def sample_points(
    poly: BaseGeometry, n: int, rng: np.random.Generator, density: Density | None = None
) -> np.ndarray:
    """`n` random points strictly inside `poly`, optionally thinned by a density in [0, 1]."""
    xmin, ymin, xmax, ymax = poly.bounds
    shapely.prepare(poly)
    found: list[np.ndarray] = []
    have = 0
    while have < n:
        m = max(64, 4 * (n - have))
        x = rng.uniform(xmin, xmax, m)
        y = rng.uniform(ymin, ymax, m)
        keep = shapely.contains_xy(poly, x, y)
        if density is not None:
            keep &= rng.uniform(0.0, 1.0, m) < density(x, y)
        pts = np.column_stack([x[keep], y[keep]])
        found.append(pts)
        have += len(pts)
    return np.concatenate(found)[:n]


def voronoi_tiles(parent: BaseGeometry, seeds: np.ndarray) -> list[MultiPolygon]:
    """Voronoi cells of `seeds` clipped to `parent`, one per seed, fragments given away."""
    if len(seeds) == 1:
        return [as_multipolygon(parent)]
    xmin, ymin, xmax, ymax = parent.bounds
    pad = max(xmax - xmin, ymax - ymin)
    frame = shapely.box(xmin - pad, ymin - pad, xmax + pad, ymax + pad)
    cells = shapely.voronoi_polygons(shapely.multipoints(seeds), extend_to=frame, ordered=True)
    clipped = shapely.intersection(np.asarray(shapely.get_parts(cells)), parent)
    return absorb_fragments([as_multipolygon(c) for c in clipped])


def relaxed_tiles(
    parent: BaseGeometry, seeds: np.ndarray, iterations: int = 2
) -> tuple[list[MultiPolygon], np.ndarray]:
    """Lloyd-relaxed Voronoi tiles (rounder, more even blocks) and their final seeds."""
    tiles = voronoi_tiles(parent, seeds)
    for _ in range(iterations):
        moved = shapely.get_coordinates(shapely.centroid(np.asarray(tiles, dtype=object)))
        ok = shapely.contains_xy(parent, moved[:, 0], moved[:, 1])
        seeds = np.where(ok[:, None], moved, seeds)
        if len(np.unique(seeds, axis=0)) < len(seeds):
            break
        tiles = voronoi_tiles(parent, seeds)
    return tiles, seeds


def absorb_fragments(tiles: Sequence[MultiPolygon]) -> list[MultiPolygon]:
    """Give each tile's small stray parts to the neighbour sharing the longest border."""
    parts: list[list[BaseGeometry]] = [list(t.geoms) for t in tiles]
    moves: list[tuple[int, BaseGeometry]] = []
    for i, own in enumerate(parts):
        if len(own) < 2:
            continue
        largest = max(p.area for p in own)
        keep = [p for p in own if p.area >= FRAGMENT_SHARE * largest]
        for frag in (p for p in own if p.area < FRAGMENT_SHARE * largest):
            target = _best_neighbour(frag, tiles, i)
            if target is None:
                keep.append(frag)
            else:
                moves.append((target, frag))
        parts[i] = keep
    for target, frag in moves:
        parts[target].append(frag)
    return [
        as_multipolygon(shapely.union_all(p))
        if len(p) > 1
        else as_multipolygon(shapely.GeometryCollection(p))
        for p in parts
    ]


def _best_neighbour(frag: BaseGeometry, tiles: Sequence[MultiPolygon], own: int) -> int | None:
    best, best_len = None, 0.0
    edge = frag.boundary
    for j, tile in enumerate(tiles):
        if j == own or not tile.intersects(frag):
            continue
        shared = edge.intersection(tile.boundary).length
        if shared > best_len:
            best, best_len = j, shared
    return best


def farthest_points(points: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """Indices of `k` well-spread points (greedy farthest-point sampling)."""
    chosen = [int(rng.integers(len(points)))]
    dist = np.hypot(*(points - points[chosen[0]]).T)
    for _ in range(k - 1):
        nxt = int(np.argmax(dist))
        chosen.append(nxt)
        dist = np.minimum(dist, np.hypot(*(points - points[nxt]).T))
    return np.array(chosen)


def reading_order(points: np.ndarray, band: float) -> np.ndarray:
    """Order of points west->east along bands of height `band`, bands north->south."""
    top = points[:, 1].max()
    rows = np.floor((top - points[:, 1]) / band)
    return np.lexsort((points[:, 0], rows))


def split_total(
    total: int, weights: np.ndarray, minimum: int, rng: np.random.Generator
) -> np.ndarray:
    """Integers >= minimum summing to `total`, roughly proportional to `weights`."""
    n = len(weights)
    if total < minimum * n:
        minimum = total // n
    base = np.full(n, minimum, dtype=np.int64)
    rest = total - base.sum()
    if rest > 0:
        base += rng.multinomial(rest, weights / weights.sum())
    return base
