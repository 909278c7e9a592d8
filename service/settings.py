"""Typed settings, read from the environment with the prefix WANGGE_."""

from __future__ import annotations

import ipaddress
from datetime import date
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from service.domain.basemap import BaseMap, parse_basemap
from service.domain.meetings import KINDS as MEETING_KINDS

PROJECT_ROOT = Path(__file__).resolve().parents[1]
LOCAL_SOCKET_DIR = PROJECT_ROOT / ".pgdata" / "run"
DEMO_SECRET_KEY = "change-me-in-production-wangge-demo-secret"


def local_database_url(user: str, database: str = "wangge") -> str:
    """URL of the project-local cluster started by `make db` (Unix socket in .pgdata/run)."""
    return f"postgresql+psycopg://{user}@/{database}?host={LOCAL_SOCKET_DIR}&port=5432"


# the seeds: streets meet monthly, with the grid workers quarterly; communities as needed
MEETING_CADENCE_DEFAULT = {"street_joint": 1, "grid_quarterly": 3, "community": 0}


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
    # Row-level security is the second line of defence: the app refuses to start when its role
    # bypasses it (superuser, BYPASSRLS, owner of the tables) unless this is set (tests, tools).
    allow_rls_bypass: bool = False

    data_dir: Path = PROJECT_ROOT / "var"
    photo_dir: Path | None = None

    # "demo" is the local demo and the tests; anything else is an installation, which refuses
    # to start with the demo secret (service.startup_checks).
    environment: Literal["demo", "production"] = "demo"
    secret_key: str = DEMO_SECRET_KEY
    token_ttl_minutes: int = 12 * 60
    session_ttl_minutes: int = 12 * 60
    # Browser session cookie: Secure only behind HTTPS (off for the local demo over http).
    cookie_secure: bool = False
    # Failed logins: at most this many per (account, address) pair / per address in the window.
    login_max_failures_per_account: int = 5
    login_max_failures_per_address: int = 20
    login_failure_window_s: int = 15 * 60
    # Past max failures per account (from all addresses together) each try at that account
    # waits base × 2^(failures − max) seconds after the last failure, at most the max.
    login_delay_base_s: int = 1
    login_delay_max_s: int = 60
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
    # 小区 records (docs/records.md): the flags' thresholds and the party coverage targets
    maintenance_fund_floor: float = 0.30
    committee_party_share_target: float = 0.5
    committee_party_share_target_new: float = 0.6
    new_committee_months: int = 36
    # party organisation coverage of owners' committees, by year (80% → 90% → 100%)
    party_org_targets: dict[int, float] = Field(
        default_factory=lambda: {2025: 0.8, 2026: 0.9, 2027: 1.0}
    )
    # Property companies: lowest quarterly score for each credit grade (below C's: D), the
    # size of the 十佳十差 lists, and the supervision phone /public shows (per street code,
    # else the default).
    grade_floor_a: float = 90.0
    grade_floor_b: float = 80.0
    grade_floor_c: float = 60.0
    ranking_size: int = 10
    supervision_phone: str = "12345"
    supervision_phones: dict[str, str] = Field(default_factory=dict)
    max_xlsx_bytes: int = 5 * 1024 * 1024

    # Limits (each one a setting with a safe default).
    max_body_bytes: int = 2 * 1024 * 1024
    max_photo_bytes: int = 10 * 1024 * 1024
    max_photo_pixels: int = 40_000_000
    max_geometry_vertices: int = 20_000
    max_page_size: int = 1000
    max_bbox_degrees2: float = 4.0
    max_patrol_track_m: float = 100_000.0  # a day's walk through grids, not a drive
    max_png_pixels: int = 16_000_000  # PNG decodes whole (no draft mode): a lower cap
    photo_decode_slots: int = 2  # photos decoded at once per process
    max_json_depth: int = 64
    max_json_items: int = 50_000
    max_import_bytes: int = 50 * 1024 * 1024  # boundary import uploads
    # A zipped upload: at most this much unpacked in all, no member compressed past the ratio.
    max_import_expanded_bytes: int = 200 * 1024 * 1024
    max_import_compression_ratio: int = 200

    # Long downloads (exports) run on a pool of their own, never the shared one: at most
    # export_max_concurrent at once per process, export_max_per_user per account (more: 429
    # with Retry-After). A client that takes no bytes for stream_send_timeout_s is cut off.
    export_max_concurrent: int = 8
    export_max_per_user: int = 2
    export_retry_after_s: int = 15
    stream_send_timeout_s: float = 30.0

    # HTTP server limits (service.http_server): request line + headers, the time a client may
    # take to send them, and how long an idle keep-alive connection stays open.
    http_max_header_bytes: int = 32 * 1024
    http_header_timeout_s: float = 10.0
    http_body_timeout_s: float = 30.0  # longest pause between two pieces of a request body
    http_keep_alive_s: int = 5
    # Reverse proxies (comma-separated addresses or CIDRs) whose X-Forwarded-For is believed;
    # empty (the default): the peer address is the client address, whatever headers say.
    trusted_proxies: str = ""

    tianditu_key: str | None = None
    # The base map of every map page (docs/base-map.md): none, tianditu-vector,
    # tianditu-imagery, amap, xyz:<crs>:<url>, wmts:<crs>:<url>. Empty: 天地图 vector when a
    # key is set, else none (no request leaves the host).
    basemap: str = ""
    # Rendered vector tiles kept in each app process (bytes; 0 turns the cache off).
    tile_cache_bytes: int = 64 * 1024 * 1024

    # Field reporting: seconds between overdue-escalation passes; 0 disables them.
    escalation_interval_s: float = 300.0
    # Whether the app's own processes run the escalation schedule. An installation runs it in
    # the scheduler unit instead (`wangge scheduler`); either way a PostgreSQL advisory lock
    # lets exactly one process run it.
    escalation_in_app: bool = True

    # Production server (`wangge serve`): 0 workers = one per core (at least 2).
    workers: int = 0
    bind_host: str = "127.0.0.1"
    bind_port: int = 8000
    # Seconds in-flight requests get to finish after SIGTERM before workers are stopped.
    graceful_timeout_s: float = 30.0
    log_format: Literal["json", "text"] = "text"
    log_level: str = "info"
    # Client addresses or networks (comma-separated) that may read /metrics; others get 404.
    metrics_allowed_from: str = "127.0.0.1,::1"

    # Case handling (/work, /api/cases): how far back 已办结 reaches, and the default page size.
    case_finished_recent_days: int = 7
    case_page_size: int = 50

    # Performance assessment (docs/residents.md): each indicator's weight in the score out of
    # 100, and the mean handling time (report to 销号, hours) that earns the full speed mark.
    assessment_weights: dict[str, float] = Field(
        default_factory=lambda: {
            "on_time": 30.0,
            "satisfaction": 25.0,
            "speed": 10.0,
            "reopened": 15.0,
            "overdue": 15.0,
            "escalation": 5.0,
        }
    )
    assessment_target_hours: float = 72.0

    # Joint meetings (docs/residents.md): months between meetings of each kind, 0 = as needed.
    # Residents' survey answers one client (address) may give one 小区 per 24 hours.
    survey_max_per_client_per_day: int = Field(default=3, ge=1, le=100)
    # A partial value keeps the defaults of the kinds it does not name.
    meeting_cadence_months: dict[str, int] = Field(
        default_factory=lambda: dict(MEETING_CADENCE_DEFAULT)
    )

    @field_validator("meeting_cadence_months")
    @classmethod
    def _cadence(cls, value: dict[str, int]) -> dict[str, int]:
        unknown = sorted(set(value) - set(MEETING_KINDS))
        if unknown:
            raise ValueError(f"unknown meeting kinds {unknown}; known: {sorted(MEETING_KINDS)}")
        if any(not 0 <= months <= 24 for months in value.values()):
            raise ValueError("months between meetings must be 0 (as needed) to 24")
        return {**MEETING_CADENCE_DEFAULT, **value}

    @model_validator(mode="after")
    def _basemap_is_usable(self) -> Settings:
        self.base_map()  # a bad WANGGE_BASEMAP stops the app at start, saying why
        return self

    def base_map(self) -> BaseMap:
        """The configured base map (see service/domain/basemap.py)."""
        spec = self.basemap or ("tianditu-vector" if self.tianditu_key else "none")
        return parse_basemap(spec, self.tianditu_key)

    @field_validator("metrics_allowed_from")
    @classmethod
    def _networks(cls, value: str) -> str:
        """Refuse at start-up what /metrics could not parse later."""
        for item in value.split(","):
            if item.strip():
                ipaddress.ip_network(item.strip(), strict=False)  # ValueError names the item
        return value

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
