"""/vendor serves the browser packages of map_ui/package.json and nothing else of node_modules."""

from __future__ import annotations

from fastapi.testclient import TestClient

from service.main import create_app
from service.settings import Settings


def test_only_runtime_packages_are_served(tmp_path) -> None:
    client = TestClient(create_app(Settings(data_dir=tmp_path)))
    assert client.get("/vendor/leaflet/dist/leaflet.js").status_code == 200
    assert client.get("/vendor/swagger-ui-dist/swagger-ui-bundle.js").status_code == 200
    assert client.get("/vendor/redoc/bundles/redoc.standalone.js").status_code == 200
    assert client.get("/vendor/@fortawesome/fontawesome-free/css/all.min.css").status_code == 200
    # dev tools and transitive dependencies stay private
    assert client.get("/vendor/eslint/package.json").status_code == 404
    assert client.get("/vendor/globals/package.json").status_code == 404
    assert client.get("/vendor/%2e%2e/package.json").status_code == 404
