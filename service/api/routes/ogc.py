"""OGC API – Features Part 1 (Core, GeoJSON, HTML) at /ogc, over the same layers as exports."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from service.api.deps import SessionDep, SettingsDep, require
from service.api.routes.ogc_html import render_html
from service.db.repositories.export_layers import ExportFilter
from service.db.repositories.ogc import feature_by_id, features_page, layer_extent
from service.domain.export_formats import LAYERS
from service.domain.export_labels import layer_schema
from service.domain.ogc_datetime import parse_ogc_datetime
from service.domain.principal import Principal
from service.errors import NotFound, ValidationFailed
from service.services.exports import parse_bbox

router = APIRouter(prefix="/ogc", tags=["ogc"])
OgcUser = Annotated[Principal, Depends(require("ogc:read"))]
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
]
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
SCHEMA_REL = "http://www.opengis.net/def/rel/ogc/1.0/schema"
SCHEMA_JSON = "application/schema+json"
GEOJSON = "application/geo+json"


def _wants_html(request: Request, f: str | None) -> bool:
    if f:
        return f == "html"
    accept = request.headers.get("accept", "")
    return "text/html" in accept and "json" not in accept


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/") + "/ogc"


def _link(href: str, rel: str, type_: str, title: str = "") -> dict[str, str]:
    link = {"href": href, "rel": rel, "type": type_}
    if title:
        link["title"] = title
    return link


def _answer(
    request: Request, f: str | None, body: dict[str, Any], kind: str, media: str
) -> Response:
    if _wants_html(request, f):
        return HTMLResponse(render_html(kind, body))
    return JSONResponse(body, media_type=media)


@router.get("", summary="OGC API landing page")
def landing(request: Request, me: OgcUser, f: str | None = None) -> Response:
    base = _base(request)
    oas = ".".join(request.app.openapi_version.split(".")[:2])
    body = {
        "title": "wangge 网格 — OGC API Features",
        "description": "街道、社区、小区、网格、事件与巡查图层",
        "links": [
            _link(f"{base}?f=json", "self", "application/json", "this document"),
            _link(f"{base}?f=html", "alternate", "text/html", "HTML"),
            # the OpenAPI version the app really writes (FastAPI: 3.1.x)
            _link(f"{base}/api", "service-desc", f"application/vnd.oai.openapi+json;version={oas}"),
            _link(f"{base}/conformance", "conformance", "application/json"),
            _link(f"{base}/collections", "data", "application/json"),
        ],
    }
    return _answer(request, f, body, "landing", "application/json")


@router.get("/api", summary="OpenAPI definition", include_in_schema=False)
def api_definition(request: Request, me: OgcUser) -> RedirectResponse:
    return RedirectResponse(str(request.base_url).rstrip("/") + "/openapi.json")


@router.get("/conformance", summary="Conformance classes")
def conformance(request: Request, me: OgcUser, f: str | None = None) -> Response:
    return _answer(request, f, {"conformsTo": CONFORMANCE}, "conformance", "application/json")


def _collection(request: Request, name: str, extent: list[float] | None) -> dict[str, Any]:
    info = LAYERS[name]
    url = f"{_base(request)}/collections/{name}"
    out: dict[str, Any] = {
        "id": name,
        "title": info.title_zh,
        "description": f"{info.title_zh} ({name}), {info.geometry_type}",
        "itemType": "feature",
        "crs": [CRS84],
        "links": [
            _link(url, "self", "application/json"),
            _link(f"{url}/items", "items", GEOJSON, info.title_zh),
            _link(f"{url}/items?f=html", "items", "text/html", info.title_zh),
            # each property with its Chinese title (OGC API – Features Part 5)
            _link(f"{url}/schema", SCHEMA_REL, SCHEMA_JSON, f"{info.title_zh}的字段"),
        ],
    }
    if extent:
        out["extent"] = {"spatial": {"bbox": [extent], "crs": CRS84}}
    return out


@router.get("/collections", summary="Collections")
def collections(
    request: Request, session: SessionDep, me: OgcUser, f: str | None = None
) -> Response:
    scope = request.state.scope
    body = {
        "links": [_link(f"{_base(request)}/collections", "self", "application/json")],
        "collections": [
            _collection(request, n, layer_extent(session, n, me, scope)) for n in LAYERS
        ],
    }
    return _answer(request, f, body, "collections", "application/json")


def _known(collection_id: str) -> str:
    if collection_id not in LAYERS:
        raise NotFound(
            f"no collection {collection_id!r}",
            message_zh="没有这个图层",
            where={"collection": collection_id},
        )
    return collection_id


@router.get("/collections/{collection_id}", summary="One collection")
def collection(
    collection_id: str, request: Request, session: SessionDep, me: OgcUser, f: str | None = None
) -> Response:
    name = _known(collection_id)
    body = _collection(request, name, layer_extent(session, name, me, request.state.scope))
    return _answer(request, f, body, "collection", "application/json")


@router.get(
    "/collections/{collection_id}/schema",
    summary="The collection's properties with Chinese titles (JSON Schema, Features Part 5)",
)
def schema(collection_id: str, request: Request, me: OgcUser) -> JSONResponse:
    name = _known(collection_id)
    body = layer_schema(LAYERS[name], f"{_base(request)}/collections/{name}/schema")
    return JSONResponse(body, media_type=SCHEMA_JSON)


def _page_links(request: Request, name: str, limit: int, offset: int, more: bool) -> list:
    url = f"{_base(request)}/collections/{name}/items"
    params = {k: v for k, v in request.query_params.items() if k not in ("offset", "f")}

    def href(off: int, fmt: str = "json") -> str:
        return f"{url}?{urlencode({**params, 'limit': limit, 'offset': off, 'f': fmt})}"

    links = [
        _link(href(offset), "self", GEOJSON),
        _link(href(offset, "html"), "alternate", "text/html"),
    ]
    if more:
        links.append(_link(href(offset + limit), "next", GEOJSON, "next page"))
    if offset > 0:
        links.append(_link(href(max(offset - limit, 0)), "prev", GEOJSON, "previous page"))
    return links


@router.get("/collections/{collection_id}/items", summary="Features of a collection")
def items(
    collection_id: str,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    me: OgcUser,
    bbox: str | None = None,
    datetime: Annotated[
        str | None,
        Query(
            description="an instant or an interval start/end ('..' open) on the layer's time"
            " (reports and grid cells: created; patrols: started; boundaries: updated)"
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
    f: str | None = None,
) -> Response:
    name = _known(collection_id)
    limit = min(limit, settings.limits.max_page_size)
    since, until = parse_ogc_datetime(datetime)
    flt = ExportFilter(bbox=parse_bbox(bbox), since=since, until=until)
    feats, matched = features_page(
        session, name, me, request.state.scope, flt, limit=limit, offset=offset
    )
    body = {
        "type": "FeatureCollection",
        "features": feats,
        "numberMatched": matched,
        "numberReturned": len(feats),
        "links": _page_links(request, name, limit, offset, offset + len(feats) < matched),
    }
    return _answer(request, f, body, "items", GEOJSON)


@router.get("/collections/{collection_id}/items/{feature_id}", summary="One feature")
def item(
    collection_id: str,
    feature_id: str,
    request: Request,
    session: SessionDep,
    me: OgcUser,
    f: str | None = None,
) -> Response:
    name = _known(collection_id)
    if len(feature_id) > 64:
        raise ValidationFailed("feature id too long", where={"featureId": feature_id[:64]})
    feat = feature_by_id(session, name, me, request.state.scope, feature_id)
    if feat is None:
        raise NotFound(
            "no such feature",
            message_zh="没有这个要素",
            where={"collection": name, "featureId": feature_id},
        )
    url = f"{_base(request)}/collections/{name}"
    feat["links"] = [
        _link(f"{url}/items/{feature_id}", "self", GEOJSON),
        _link(url, "collection", "application/json"),
    ]
    return _answer(request, f, feat, "item", GEOJSON)
