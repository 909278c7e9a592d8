"""Vector tiles: the per-process cache of rendered tiles, who may read them and their ETag.

Every map pan asks for dozens of tiles: one statement on the asynchronous pool checks the token,
reads the data versions and renders (or only checks, for a cached tile). A cached entry is
tagged with the versions it was rendered at and keyed by jurisdiction. Which jurisdiction a
token has is remembered only as a hint to find its entries: the token is checked by the
database on every request, in the same statement as the versions.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from psycopg import AsyncConnection

from service.db.repositories.tiles import LAYERS, TileAnswer, TileLayer, check_tile, render_tile
from service.domain.policy import scope_for
from service.domain.principal import Principal
from service.domain.tile_cache import JurisdictionHints, TileCache
from service.errors import Forbidden, NotAuthenticated, ValidationFailed
from service.settings import PolicySettings


@dataclass(frozen=True)
class Tile:
    etag: str
    body: bytes


def tile_layer(name: str, z: int, x: int, y: int) -> TileLayer:
    """The layer asked for, with x/y inside the zoom level; ValidationFailed naming it."""
    spec = LAYERS.get(name)
    if spec is None:
        raise ValidationFailed(
            f"unknown layer {name!r}; one of {sorted(LAYERS)}",
            message_zh="图层不存在",
            where={"field": "layer", "value": name},
        )
    if x >= 2**z or y >= 2**z:
        raise ValidationFailed(
            "tile x/y outside the zoom level", message_zh="瓦片坐标超出范围", where=[z, x, y]
        )
    return spec


def _authorised(answer: TileAnswer) -> Principal:
    if answer.principal is None:
        raise NotAuthenticated.invalid_token()
    if scope_for(answer.principal, "tile:read") is None:
        raise Forbidden.for_action(answer.principal.role, "tile:read")
    return answer.principal


def _jurisdiction_key(me: Principal) -> tuple[Any, ...]:
    return (me.role, me.district_id, me.street_id, me.community_id, me.department_id)


def _etag(key: tuple[Any, ...], versions: tuple[int, ...]) -> str:
    digest = hashlib.blake2b(repr((key, versions)).encode(), digest_size=12).hexdigest()
    return f'W/"{digest}"'


class TileService:
    """The tiles of one process (built in the app's lifespan, sized from the settings)."""

    def __init__(self, cache_bytes: int, policy: PolicySettings) -> None:
        self.cache = TileCache(max_bytes=cache_bytes)
        self.hints = JurisdictionHints()  # token digest → its jurisdiction key at its last tile
        self.policy = policy

    async def tile(
        self,
        conn: AsyncConnection[Any],
        spec: TileLayer,
        digest: str,
        z: int,
        x: int,
        y: int,
        crs: str,
    ) -> Tile:
        """The tile and its ETag: from the cache when neither the versions nor the asker's
        jurisdiction changed, else rendered."""
        today = self.policy.today().isoformat() if spec.name == "grid_cell" else None
        cutoff = self.policy.renovation_cutoff_year
        tile_key = (spec.name, z, x, y, cutoff, today, crs)
        hint = self.hints.get(digest)
        cache = self.cache
        if z < spec.min_zoom or (hint is not None and cache.tag_of((*tile_key, hint)) is not None):
            answer = await check_tile(conn, spec, digest)
            key = (*tile_key, _jurisdiction_key(_authorised(answer)))
            if z < spec.min_zoom:
                return Tile(_etag(key, ()), b"")
            cached = cache.get(key, tag=answer.versions)
            if cached is not None:
                return Tile(_etag(key, answer.versions), cached)
        answer = await render_tile(
            conn, spec, digest, z, x, y, cutoff=cutoff, today=today or "", gcj02=crs == "gcj02"
        )
        key = (*tile_key, _jurisdiction_key(_authorised(answer)))
        self.hints[digest] = key[-1]
        body = answer.tile or b""
        cache.put(key, body, tag=answer.versions)
        return Tile(_etag(key, answer.versions), body)
