"""The secret-key guard: an installation refuses to start with the demo's settings."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from service.main import create_app
from service.settings import DEMO_SECRET_KEY, Settings
from service.startup_checks import UnsafeSettings, unsafe_settings

STRONG = "k" * 48


def test_demo_may_keep_the_demo_secret() -> None:
    assert unsafe_settings(Settings(environment="demo")) == []


def test_production_refuses_the_demo_secret_and_insecure_cookie() -> None:
    problems = unsafe_settings(Settings(environment="production", secret_key=DEMO_SECRET_KEY))
    assert any("WANGGE_SECRET_KEY" in p for p in problems)
    assert any("WANGGE_COOKIE_SECURE" in p for p in problems)
    with pytest.raises(UnsafeSettings):
        create_app(Settings(environment="production"))


def test_production_refuses_a_short_secret() -> None:
    problems = unsafe_settings(
        Settings(environment="production", secret_key="short", cookie_secure=True)
    )
    assert problems == ["WANGGE_SECRET_KEY is shorter than 32 characters"]


def test_production_with_a_real_secret_is_accepted() -> None:
    s = Settings(environment="production", secret_key=STRONG, cookie_secure=True)
    assert unsafe_settings(s) == []


def test_wangge_serve_refuses_before_listening(tmp_path: Path) -> None:
    env = {**os.environ, "WANGGE_ENVIRONMENT": "production", "WANGGE_DATA_DIR": str(tmp_path)}
    env.pop("WANGGE_SECRET_KEY", None)
    done = subprocess.run(  # noqa: S603
        [str(Path(sys.executable).parent / "wangge"), "serve"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "demo's published default" in done.stderr


def test_metrics_networks_are_checked_at_start() -> None:
    assert Settings(metrics_allowed_from="10.0.0.0/8, ::1").server.metrics_allowed_from
    with pytest.raises(ValueError, match="not-a-network"):
        Settings(metrics_allowed_from="127.0.0.1,not-a-network")


def test_worker_count_from_cores_is_at_least_two() -> None:
    from service.serve import worker_count

    assert worker_count(Settings()) == max(2, len(os.sched_getaffinity(0)))
    assert worker_count(Settings(workers=3)) == 3
    assert worker_count(Settings(workers=3), requested=5) == 5


def test_wangge_serve_starts_uvicorn_with_the_http_limits(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from service import serve as serve_module

    seen: dict[str, object] = {}
    monkeypatch.setattr(serve_module, "refuse_rls_bypass", lambda settings: None)
    # it would point this process's metrics at a directory of worker files
    monkeypatch.setattr(serve_module, "prepare_metrics_dir", lambda settings: None)
    monkeypatch.setattr(serve_module.uvicorn, "run", lambda app, **kw: seen.update(kw))
    settings = Settings(data_dir=tmp_path, http_max_header_bytes=4096, http_keep_alive_s=7)
    serve_module.serve(settings, workers=2)
    assert seen["http"] == "service.http_server:GuardedH11Protocol"  # stalled writers aborted
    assert seen["h11_max_incomplete_event_size"] == 4096
    assert seen["timeout_keep_alive"] == 7
    assert seen["proxy_headers"] is False
    assert seen["workers"] == 2
