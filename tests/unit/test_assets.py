"""folium pages reference only local assets, each of which exists in node_modules."""

from __future__ import annotations

import re

import folium
import pytest
from folium.plugins import MarkerCluster

from map_ui.assets import ExternalAsset, localize_assets
from service.settings import PROJECT_ROOT


def test_map_html_has_no_external_urls() -> None:
    m = folium.Map(location=[34.8, 113.7], zoom_start=12, tiles=None)
    MarkerCluster().add_to(m)
    folium.Marker([34.8, 113.7]).add_to(m)
    html = localize_assets(m).get_root().render()
    urls = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert urls, "expected script and stylesheet links"
    assert not [u for u in urls if u.startswith(("http:", "https:", "//"))]
    for url in urls:
        if url.startswith("/vendor/"):
            assert (PROJECT_ROOT / "map_ui" / "node_modules" / url[len("/vendor/") :]).is_file(), (
                url
            )


def test_unknown_external_asset_raises() -> None:
    m = folium.Map(tiles=None)
    m.default_js = [*m.default_js, ("mystery", "https://example.invalid/x.js")]
    with pytest.raises(ExternalAsset):
        localize_assets(m)
