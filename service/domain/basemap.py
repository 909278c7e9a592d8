"""The base map under every map page, from one setting (WANGGE_BASEMAP); see docs/base-map.md.

    none                     no base map: a plain background, our own names on top (default;
                             the pages then make no request off the host)
    tianditu-vector          天地图 vector + annotation (needs WANGGE_TIANDITU_KEY); CGCS2000,
    tianditu-imagery         which is WGS84 within centimetres for a map
    amap                     an AutoNavi-style GCJ-02 street map
    xyz:<crs>:<url>          any XYZ (or WMTS REST/KVP) template with {z} {x} {y} ({s} optional),
    wmts:<crs>:<url>         crs: wgs84, cgcs2000 or gcj02

With a GCJ-02 base map the pages shift every overlay into GCJ-02 for display (and clicks back);
the data and the API stay WGS84.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

TIANDITU = (
    "https://t{{s}}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
    "&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={{z}}&TILEROW={{y}}"
    "&TILECOL={{x}}&tk={key}"
)
AMAP = (
    "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8"
    "&x={x}&y={y}&z={z}"
)
CRS_OF = {"wgs84": "wgs84", "cgcs2000": "wgs84", "gcj02": "gcj02"}


class BaseMapSettingError(ValueError):
    """WANGGE_BASEMAP (or the key it needs) is not usable; the message says why."""


@dataclass(frozen=True)
class TileSource:
    url: str
    subdomains: str = ""
    max_zoom: int = 18
    attribution: str = ""


@dataclass(frozen=True)
class BaseMap:
    name: str
    crs: str  # the frame the tiles are drawn in: wgs84 or gcj02
    layers: tuple[TileSource, ...] = field(default_factory=tuple)

    def for_page(self) -> dict[str, Any]:
        """The JSON the browser's basemap module reads."""
        return {
            "name": self.name,
            "crs": self.crs,
            "layers": [
                {
                    "url": t.url,
                    "subdomains": t.subdomains,
                    "maxZoom": t.max_zoom,
                    "attribution": t.attribution,
                }
                for t in self.layers
            ],
        }

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


NO_BASEMAP = BaseMap(name="none", crs="wgs84")


def _tianditu(kind: str, key: str | None) -> BaseMap:
    if not key:
        raise BaseMapSettingError(
            f"WANGGE_BASEMAP=tianditu-{kind} needs WANGGE_TIANDITU_KEY (a 天地图 browser key)"
        )
    base, notes = ("vec", "cva") if kind == "vector" else ("img", "cia")
    return BaseMap(
        name=f"tianditu-{kind}",
        crs="wgs84",
        layers=(
            TileSource(TIANDITU.format(layer=base, key=key), "01234567", 18, "天地图"),
            TileSource(TIANDITU.format(layer=notes, key=key), "01234567", 18),
        ),
    )


def _custom(kind: str, rest: str) -> BaseMap:
    crs, sep, url = rest.partition(":")
    if not sep or crs not in CRS_OF:
        raise BaseMapSettingError(
            f"WANGGE_BASEMAP={kind}:<crs>:<url> needs a crs of wgs84, cgcs2000 or gcj02"
            f" first (got {crs!r})"
        )
    if not url.startswith(("http://", "https://", "/")):
        raise BaseMapSettingError(f"WANGGE_BASEMAP: the tile URL must be http(s) (got {url!r})")
    missing = [p for p in ("{z}", "{x}", "{y}") if p not in url]
    if missing:
        raise BaseMapSettingError(f"WANGGE_BASEMAP: the tile URL lacks {', '.join(missing)}")
    subdomains = "1234" if "{s}" in url else ""
    return BaseMap(name=kind, crs=CRS_OF[crs], layers=(TileSource(url, subdomains, 19),))


def parse_basemap(spec: str | None, tianditu_key: str | None = None) -> BaseMap:
    """The base map a WANGGE_BASEMAP value names; BaseMapSettingError says what is wrong."""
    value = (spec or "").strip()
    if value in ("", "none"):
        return NO_BASEMAP
    if value in ("tianditu-vector", "tianditu-imagery"):
        return _tianditu(value.split("-", 1)[1], tianditu_key)
    if value == "amap":
        return BaseMap("amap", "gcj02", (TileSource(AMAP, "1234", 18, "高德地图"),))
    kind, sep, rest = value.partition(":")
    if sep and kind in ("xyz", "wmts"):
        return _custom(kind, rest)
    raise BaseMapSettingError(
        f"WANGGE_BASEMAP={value!r} is not one of none, tianditu-vector, tianditu-imagery, amap,"
        " xyz:<crs>:<url>, wmts:<crs>:<url>"
    )
