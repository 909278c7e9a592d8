"""The /map page: a folium (Leaflet) map whose layers, legends and popups live in /static/map.js.

folium gives the page skeleton and the plugin assets (VectorGrid, MarkerCluster), rewritten to
the app's own /vendor copies by `localize_assets`. Everything the database says is fetched by
the browser as JSON and put into the page with textContent, never as HTML.
"""

from __future__ import annotations

import json
from typing import Any

import folium
from branca.element import Element, MacroElement
from folium.elements import JSCSSMixin
from folium.plugins import MarkerCluster, VectorGridProtobuf
from jinja2 import Template

from map_ui.assets import localize_assets
from service.domain.assessment import GRADE_CLASS_ZH
from service.domain.record_flags import COMMITTEES, PARTY_ORGS

# 金水区 when the jurisdiction has no geometry yet
FALLBACK_CENTRE = (34.80, 113.68)


def script_json(value: Any) -> str:
    """JSON safe inside a <script> element (no </script>, no HTML comment openers)."""
    text = json.dumps(value, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


class PluginAssets(JSCSSMixin, MacroElement):
    """Only the JS/CSS of the Leaflet plugins the page's own script uses."""

    default_js = [*VectorGridProtobuf.default_js, *MarkerCluster.default_js]
    default_css = list(MarkerCluster.default_css)

    def __init__(self) -> None:
        super().__init__()
        self._name = "PluginAssets"


class WanggeLayers(JSCSSMixin, MacroElement):
    """The page's configuration as JSON and /static/map.js, an ES module that reads it."""

    default_css = [("wangge_map_css", "/static/map.css")]
    _template = Template(
        """
        {% macro header(this, kwargs) %}
        <script id="map-config" type="application/json">{{ this.config_json }}</script>
        <script type="module" src="/static/map.js"></script>
        {% endmacro %}
        """
    )

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__()
        self._name = "WanggeLayers"
        self.config_json = script_json(config)


def render_map_page(
    *,
    user: str,
    role: str,
    level: str,
    extent: list[float] | None,
    basemap: dict[str, Any],
    layers: dict[str, int],
    head: str = "",
    header: str = "",
) -> str:
    """The whole HTML page for one user (their jurisdiction's extent, no data inline)."""
    fmap = folium.Map(
        location=FALLBACK_CENTRE,
        zoom_start=12,
        tiles=None,
        control_scale=False,  # map.js adds a metric-only scale bar
        max_zoom=19,
    )
    config = {
        "user": user,
        "role": role,
        "level": level,
        "extent": extent,
        "minZoom": layers,
        "basemap": basemap,
        "map": fmap.get_name(),
        # the company-grade layer's classes, and what the party coverage layer counts (the
        # same rule as /api/stats/party-coverage)
        "gradeClasses": GRADE_CLASS_ZH,
        "partyCoverage": {"committees": list(COMMITTEES), "orgs": list(PARTY_ORGS)},
    }
    root: Any = fmap.get_root()
    root.header.add_child(
        Element('<meta name="viewport" content="width=device-width, initial-scale=1">'),
        name="viewport",
    )
    if head:  # the shell's <title>, favicon and stylesheet (service/api/pages/shell.py)
        root.header.add_child(Element(head), name="shell_head")
    else:
        root.title = "覆盖地图 · 网格"
    if header:
        root.html.add_child(Element(header), name="shell_header")
    fmap.add_child(PluginAssets())
    fmap.add_child(WanggeLayers(config))
    localize_assets(fmap)
    return str(fmap.get_root().render())
