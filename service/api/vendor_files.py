"""/vendor: the browser packages of map_ui/package.json, and only those.

node_modules also holds the dev tools (ESLint) and every package's own dependencies; only the
packages the pages load ("dependencies", not "devDependencies") are served.
"""

from __future__ import annotations

import json
from pathlib import Path

from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope


def runtime_packages(package_json: Path) -> frozenset[str]:
    """The names under "dependencies" (scoped names keep their @scope/ prefix)."""
    data = json.loads(package_json.read_text(encoding="utf-8"))
    return frozenset(data.get("dependencies", {}))


class PackageFiles(StaticFiles):
    """StaticFiles over node_modules that answers 404 outside the allowed packages."""

    def __init__(self, *, directory: Path, packages: frozenset[str]) -> None:
        super().__init__(directory=directory)
        self.allowed = packages

    async def get_response(self, path: str, scope: Scope) -> Response:
        parts = path.replace("\\", "/").lstrip("/").split("/")
        name = "/".join(parts[:2]) if parts and parts[0].startswith("@") else parts[0]
        if name not in self.allowed:
            raise HTTPException(status_code=404)
        return await super().get_response(path, scope)
