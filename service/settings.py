"""Typed settings, read from the environment with the prefix WANGGE_."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parents[1]
LOCAL_SOCKET_DIR = PROJECT_ROOT / ".pgdata" / "run"


def local_database_url(user: str, database: str = "wangge") -> str:
    """URL of the project-local cluster started by `make db` (Unix socket in .pgdata/run)."""
    return f"postgresql+psycopg://{user}@/{database}?host={LOCAL_SOCKET_DIR}&port=5432"


class Settings(BaseSettings):
    """Everything the service can be told; safe defaults for a local demo."""

    model_config = SettingsConfigDict(env_prefix="WANGGE_", env_file=None, extra="ignore")

    # The app connects as a role that owns nothing (row-level security applies to it);
    # migrations run as the owner. Outside the local cluster both may be the same URL.
    database_url: str = Field(default_factory=lambda: local_database_url("wangge_app"))
    migration_database_url: str | None = None
    db_pool_size: int = 10
    db_pool_max_overflow: int = 10
    db_pool_timeout_s: float = 5.0
    db_statement_timeout_ms: int = 15_000
    # connections per process of the asynchronous pool that files reports (service.db.async_pool)
    db_async_pool_size: int = 10
    # A report acknowledged with 201 must survive a database crash: commits wait for the WAL
    # whatever the server's default (the local dev cluster runs with synchronous_commit=off).
    db_synchronous_commit: Literal["on", "local", "remote_write", "remote_apply"] = "on"

    data_dir: Path = PROJECT_ROOT / "var"
    photo_dir: Path | None = None

    secret_key: str = "change-me-in-production-wangge-demo-secret"
    token_ttl_minutes: int = 12 * 60
    session_ttl_minutes: int = 12 * 60
    # Browser session cookie: Secure only behind HTTPS (off for the local demo over http).
    cookie_secure: bool = False
    # Failed logins: at most this many per account / per client address within the window.
    login_max_failures_per_account: int = 5
    login_max_failures_per_address: int = 20
    login_failure_window_s: int = 15 * 60
    min_password_length: int = 8

    # Domain settings (DOMAIN.md): grid size by households, old-community cut-off year.
    grid_households_min: int = 150
    grid_households_max: int = 500
    renovation_cutoff_year: int = 2005
    target_party_org_coverage: float = 0.9
    target_property_service_coverage: float = 1.0
    target_owners_committee_coverage: float = 0.8
    target_renovation_coverage: float = 1.0
    reference_date: date | None = None

    # Limits (each one a setting with a safe default).
    max_body_bytes: int = 2 * 1024 * 1024
    max_photo_bytes: int = 10 * 1024 * 1024
    max_photo_pixels: int = 40_000_000
    max_geometry_vertices: int = 20_000
    max_page_size: int = 1000
    max_bbox_degrees2: float = 4.0
    max_json_depth: int = 64
    max_json_items: int = 50_000
    max_import_bytes: int = 50 * 1024 * 1024  # boundary import uploads

    tianditu_key: str | None = None
    # Rendered vector tiles kept in each app process (bytes; 0 turns the cache off).
    tile_cache_bytes: int = 64 * 1024 * 1024

    # Field reporting: seconds between overdue-escalation passes; 0 disables them.
    escalation_interval_s: float = 300.0

    @property
    def effective_migration_url(self) -> str:
        """The owner's URL: explicit, or the app URL with the local owner role swapped in."""
        if self.migration_database_url:
            return self.migration_database_url
        return self.database_url.replace("://wangge_app@", "://wangge@", 1)

    @property
    def effective_photo_dir(self) -> Path:
        return self.photo_dir or (self.data_dir / "photos")


def get_settings() -> Settings:
    """Settings from the environment (call once at start-up, then pass them along)."""
    return Settings()
