"""Serve every folium/Leaflet asset from the app itself (no CDN), mapped to npm packages.

folium points its pages at public CDNs; `localize_assets(map)` rewrites each element's
default_js/default_css to the copies installed from npm (map_ui/package.json) and served at
/vendor/…. An asset with no local copy raises, so a page can never silently reach the internet.
"""

from __future__ import annotations

from typing import Any

VENDOR = "/vendor"

# asset name used by folium (or a plugin) → local path under /vendor (from map_ui/node_modules)
LOCAL_BY_NAME: dict[str, str | None] = {
    "leaflet": f"{VENDOR}/leaflet/dist/leaflet.js",
    "leaflet_css": f"{VENDOR}/leaflet/dist/leaflet.css",
    "jquery": f"{VENDOR}/jquery/dist/jquery.min.js",
    "bootstrap": f"{VENDOR}/bootstrap/dist/js/bootstrap.bundle.min.js",
    "bootstrap_css": f"{VENDOR}/bootstrap/dist/css/bootstrap.min.css",
    "awesome_markers": f"{VENDOR}/leaflet.awesome-markers/dist/leaflet.awesome-markers.min.js",
    "awesome_markers_css": f"{VENDOR}/leaflet.awesome-markers/dist/leaflet.awesome-markers.css",
    "awesome_markers_font_css": f"{VENDOR}/@fortawesome/fontawesome-free/css/all.min.css",
    "markerclusterjs": f"{VENDOR}/leaflet.markercluster/dist/leaflet.markercluster.js",
    "markerclustercss": f"{VENDOR}/leaflet.markercluster/dist/MarkerCluster.css",
    "markerclusterdefaultcss": f"{VENDOR}/leaflet.markercluster/dist/MarkerCluster.Default.css",
    "vectorGrid": f"{VENDOR}/leaflet.vectorgrid/dist/Leaflet.VectorGrid.bundled.min.js",
    # Not needed by our pages (Bootstrap 3 icons, marker rotation): dropped rather than fetched.
    "glyphicons_css": None,
    "awesome_rotate_css": None,
}


class ExternalAsset(RuntimeError):
    """A folium element wants an asset that has no local copy."""


def _localize(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for name, url in pairs:
        if url.startswith("/"):
            out.append((name, url))
            continue
        if name not in LOCAL_BY_NAME:
            raise ExternalAsset(f"no local copy for asset {name!r} ({url})")
        local = LOCAL_BY_NAME[name]
        if local is not None:
            out.append((name, local))
    return out


def localize_assets(root: Any) -> Any:
    """Rewrite the JS/CSS of `root` (a folium Map or Figure) and all its children; returns root."""
    stack = [root]
    while stack:
        element = stack.pop()
        for attr in ("default_js", "default_css"):
            pairs = getattr(element, attr, None)
            if pairs:
                setattr(element, attr, _localize(list(pairs)))
        stack.extend(getattr(element, "_children", {}).values())
    return root
