"""The hostile input corpus: cases generated only for the routes the app actually has.

A case names its target route; the corpus for a target exists only when `create_app()` has
that route, so cases appear (and run) as the feature branches land on main. Each target has a
minimum case count, and the test asserts the total against the sum for the present targets.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.fixtures.hostile import images

DATA = json.loads(
    (Path(__file__).resolve().parents[1] / "fixtures" / "hostile" / "cases.json").read_text(
        encoding="utf-8"
    )
)
GEOMETRIES: list[dict[str, Any]] = DATA["geometries"]
RAW_BODIES: list[dict[str, str]] = DATA["raw_bodies"]
TEXTS: list[dict[str, str]] = DATA["texts"]

VALIDATE = ("POST", "/api/geometry/validate")
REPORTS = ("POST", "/api/reports")
PHOTOS = ("POST", "/api/reports/{report_id}/photos")
PATROLS = ("POST", "/api/patrols")
GRID_REDRAW = ("PUT", "/api/grids/{code}/geometry")
AREA = {"types": ["Polygon", "MultiPolygon"]}  # the corpus's geometries are all for area fields


@dataclass(frozen=True)
class Context:
    """What building a request needs: a valid base report, limits, a report to attach to."""

    category: str
    inside_point: list[float]
    max_photo_bytes: int
    max_body_bytes: int
    report_id: str | None = None
    grid_code: str = "000000000000000"


@dataclass
class Case:
    """One hostile request and what it must get."""

    name: str
    target: tuple[str, str]
    user: str
    # Built late (fresh UUIDs per run, a report id known only at run time).
    build: Callable[[Context], dict[str, Any]]
    report_id_key: str | None = None  # JSON key holding the record id that must not exist after
    accepted_as_text: bool = False  # legitimate input: 2xx expected, checked where shown
    tags: list[str] = field(default_factory=list)

    @property
    def id(self) -> str:
        return f"{self.target[1].split('/')[2]}-{self.name}"


def _json(body: Any) -> dict[str, Any]:
    return {"json": body}


def _raw(body: str | bytes) -> dict[str, Any]:
    content = body.encode("utf-8", "surrogatepass") if isinstance(body, str) else body
    return {"content": content, "headers": {"content-type": "application/json"}}


def _deep(depth: int) -> str:
    return '{"geometry": ' + "[" * depth + "]" * depth + "}"


def _huge_array(items: int) -> str:
    return '{"geometry": {"type": "Polygon", "coordinates": [' + ",".join(["0"] * items) + "]}}"


def _many_vertices(count: int) -> dict[str, Any]:
    ring = [[113.6 + (i % 1000) * 1e-5, 34.7 + (i // 1000) * 1e-5] for i in range(count - 1)]
    return {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}


def validate_cases() -> list[Case]:
    cases = [
        Case(
            g["name"], VALIDATE, "admin", lambda c, g=g: _json({"geometry": g["geometry"], **AREA})
        )
        for g in GEOMETRIES
    ]
    cases += [
        Case(r["name"], VALIDATE, "admin", lambda c, r=r: _raw(r["body"])) for r in RAW_BODIES
    ]
    cases += [
        Case("invalid_utf8_bytes", VALIDATE, "admin", lambda c: _raw(b'{"geometry": "\xff\xfe"}')),
        Case("deeply_nested_100k", VALIDATE, "admin", lambda c: _raw(_deep(100_000))),
        Case("deeply_nested_65", VALIDATE, "admin", lambda c: _raw(_deep(65))),
        Case("huge_flat_array", VALIDATE, "admin", lambda c: _raw(_huge_array(200_000))),
        Case(
            "polygon_100k_vertices",
            VALIDATE,
            "admin",
            lambda c: _json({"geometry": _many_vertices(100_000)}),
        ),
        Case(
            "polygon_25k_vertices_under_body_limit",
            VALIDATE,
            "admin",
            lambda c: _json({"geometry": _many_vertices(25_000)}),
        ),
        Case(
            "unknown_field",
            VALIDATE,
            "admin",
            lambda c: _json({"geometry": {"type": "Point", "coordinates": [113.6, 34.7]}, "x": 1}),
        ),
        Case(
            "bad_enumeration_type",
            VALIDATE,
            "admin",
            lambda c: _json(
                {"geometry": {"type": "Point", "coordinates": [113.6, 34.7]}, "types": ["Blob"]}
            ),
        ),
        Case(
            "wrong_type_for_field",
            VALIDATE,
            "admin",
            lambda c: _json(
                {"geometry": {"type": "Point", "coordinates": [113.6, 34.7]}, "types": ["Polygon"]}
            ),
        ),
        Case(
            "form_encoded_not_json",
            VALIDATE,
            "admin",
            lambda c: {"data": {"geometry": "POINT(113 34)"}},
        ),
    ]
    return cases


def _report(ctx: Context, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "category": ctx.category,
        "location": {"type": "Point", "coordinates": ctx.inside_point},
        "crs": "wgs84",
        "accuracy_m": 8.0,
        "placed_by_hand": False,
        "description": "可靠性测试：恶意输入",
    }
    body.update(changes)
    return {k: v for k, v in body.items() if v is not _DROP}


_DROP = object()


def report_cases() -> list[Case]:
    def point(coords: Any) -> dict[str, Any]:
        return {"type": "Point", "coordinates": coords}

    def report_case(name: str, **changes: Any) -> Case:
        return Case(
            name, REPORTS, "worker1", lambda c: _json(_report(c, **changes)), report_id_key="id"
        )

    def raw_report(name: str, location_literal: str) -> Case:
        def build(c: Context) -> dict[str, Any]:
            body = json.dumps(_report(c, location="@LOC@"))
            return _raw(body.replace('"@LOC@"', location_literal))

        return Case(name, REPORTS, "worker1", build, report_id_key="id")

    cases = [
        raw_report("nan_longitude", '{"type": "Point", "coordinates": [NaN, 34.75]}'),
        raw_report("infinity_latitude", '{"type": "Point", "coordinates": [113.66, Infinity]}'),
        raw_report("overflow_1e400", '{"type": "Point", "coordinates": [1e400, 34.75]}'),
        report_case("string_coordinates", location=point(["113.66", "34.75"])),
        report_case("null_coordinates", location=point(None)),
        report_case("one_coordinate", location=point([113.66])),
        report_case("lat_lon_swapped", location=point([34.75, 113.66])),
        report_case("outside_china_london", location=point([-0.1276, 51.5072])),
        report_case("outside_district_beijing", location=point([116.397, 39.908])),
        report_case("null_island", location=point([0, 0])),
        report_case(
            "polygon_for_point",
            location={
                "type": "Polygon",
                "coordinates": [
                    [[113.66, 34.76], [113.67, 34.76], [113.67, 34.77], [113.66, 34.76]]
                ],
            },
        ),
        report_case("crs_member", location={**point([113.66, 34.75]), "crs": {"type": "name"}}),
        report_case("location_as_wkt", location="POINT(113.66 34.75)"),
        report_case("missing_location", location=_DROP),
        report_case("bad_crs_enum", crs="epsg3857"),
        report_case("unknown_category", category="no_such_category"),
        report_case("category_sql_injection", category="x' OR '1'='1"),
        report_case("negative_accuracy", accuracy_m=-5),
        report_case("absurd_accuracy", accuracy_m=1e12),
        report_case("accuracy_as_text", accuracy_m="very good"),
        report_case("placed_by_hand_not_bool", placed_by_hand="maybe"),
        report_case("description_too_long", description="长" * 5000),
        report_case("description_nul_byte", description="abc\x00def"),
        report_case("id_not_uuid", id="not-a-uuid"),
        report_case("unknown_field_status", status="closed"),
        report_case("unknown_field_reporter", reporter_id=1),
        report_case("patrol_does_not_exist", patrol_id=str(uuid.uuid4())),
        Case("deeply_nested", REPORTS, "worker1", lambda c: _raw(_deep(10_000))),
        Case("huge_array", REPORTS, "worker1", lambda c: _raw(_huge_array(100_000))),
        Case(
            "body_over_limit",
            REPORTS,
            "worker1",
            lambda c: _json(_report(c, description="x" * (c.max_body_bytes + 10))),
        ),
        Case("array_body", REPORTS, "worker1", lambda c: _raw("[]")),
        Case("truncated_body", REPORTS, "worker1", lambda c: _raw('{"id": "')),
    ]
    cases += [
        Case(
            f"text_{t['name']}",
            REPORTS,
            "worker1",
            lambda c, t=t: _json(_report(c, description=t["text"])),
            report_id_key="id",
            accepted_as_text=True,
        )
        for t in TEXTS
    ]
    return cases


def _upload(data: bytes, filename: str, content_type: str) -> dict[str, Any]:
    return {"files": {"file": (filename, data, content_type)}}


def photo_cases() -> list[Case]:
    def photo(name: str, make: Callable[[Context], bytes], fname: str, ctype: str) -> Case:
        return Case(name, PHOTOS, "worker1", lambda c: _upload(make(c), fname, ctype))

    return [
        photo(
            "oversized", lambda c: images.oversized_jpeg(c.max_photo_bytes), "big.jpg", "image/jpeg"
        ),
        photo("truncated_jpeg", lambda c: images.truncated_jpeg(), "cut.jpg", "image/jpeg"),
        photo("fake_jpeg_text", lambda c: images.fake_jpeg(), "fake.jpg", "image/jpeg"),
        photo("html_as_image", lambda c: images.html_as_image(), "x.jpg", "image/jpeg"),
        photo("svg_with_script", lambda c: images.svg_with_script(), "x.svg", "image/svg+xml"),
        photo(
            "jpeg_magic_garbage", lambda c: images.jpeg_magic_then_garbage(), "g.jpg", "image/jpeg"
        ),
        photo(
            "decompression_bomb_png",
            lambda c: images.decompression_bomb_png(),
            "b.png",
            "image/png",
        ),
        photo("png_header_huge", lambda c: images.png_header_only_huge(), "h.png", "image/png"),
        photo("empty_file", lambda c: b"", "empty.jpg", "image/jpeg"),
        Case("no_file_field", PHOTOS, "worker1", lambda c: {"data": {"nothing": "here"}}),
    ]


def patrol_cases() -> list[Case]:
    line_nan = (
        '{"id": "%s", "track": {"type": "LineString",'
        ' "coordinates": [[113.66, 34.75], [NaN, 34.76]]}}'
    )
    return [
        Case("nan_in_track", PATROLS, "worker1", lambda c: _raw(line_nan % uuid.uuid4())),
        Case("deeply_nested", PATROLS, "worker1", lambda c: _raw(_deep(10_000))),
        Case("huge_array", PATROLS, "worker1", lambda c: _raw(_huge_array(100_000))),
        Case("array_body", PATROLS, "worker1", lambda c: _raw("[]")),
        Case("id_not_uuid", PATROLS, "worker1", lambda c: _json({"id": "nope"})),
        Case(
            "unknown_fields_only",
            PATROLS,
            "worker1",
            lambda c: _json({"id": str(uuid.uuid4()), "worker_id": 1, "admin": True}),
        ),
    ]


def grid_redraw_cases() -> list[Case]:
    """Redrawing a cell: every hostile geometry, as admin, on a real active cell."""
    return [
        Case(g["name"], GRID_REDRAW, "admin", lambda c, g=g: _json({"geometry": g["geometry"]}))
        for g in GEOMETRIES
    ]


# target → (case builder, minimum number of cases it must contribute)
TARGETS: dict[tuple[str, str], tuple[Callable[[], list[Case]], int]] = {
    VALIDATE: (validate_cases, 45),
    REPORTS: (report_cases, 35),
    PHOTOS: (photo_cases, 9),
    PATROLS: (patrol_cases, 5),
    GRID_REDRAW: (grid_redraw_cases, 25),
}


def present_routes() -> set[tuple[str, str]]:
    """(method, path) of every route in the app's OpenAPI document right now."""
    from service.main import create_app

    paths = create_app().openapi()["paths"]
    return {(method.upper(), path) for path, item in paths.items() for method in item}


def corpus() -> tuple[list[Case], int]:
    """The cases for the present targets and the minimum total they must reach."""
    routes = present_routes()
    cases: list[Case] = []
    minimum = 0
    for target, (build, least) in TARGETS.items():
        if _has_route(routes, target):
            cases += build()
            minimum += least
    return cases, minimum


def _has_route(routes: set[tuple[str, str]], target: tuple[str, str]) -> bool:
    method, path = target
    if "{" not in path:
        return target in routes
    prefix, suffix = path.split("{", 1)[0], path.rsplit("}", 1)[1]
    return any(m == method and p.startswith(prefix) and p.endswith(suffix) for m, p in routes)
