"""Typed, grouped settings, read from the environment (WANGGE_*).

Each group is a model of its own (`settings.database.pool_size`, `settings.limits.max_page_size`);
every field names its environment variable once, as its alias: `WANGGE_` + the alias in capitals
(`pool_size` is WANGGE_DB_POOL_SIZE). The variables keep the flat names installations already
use (deploy/wangge.env.template lists them all), and `Settings(max_page_size=…)` takes the same
flat names, so tests and tools set one value without spelling out its group.

A value that is out of range, of the wrong type or inconsistent with another (a minimum above
its maximum) stops the process at start with one line naming the variable: `get_settings()`
raises `InvalidSettings`. What an installation must not run with although the values are valid
(the demo's secret, cookies without HTTPS) is refused by service.startup_checks.
"""

from __future__ import annotations

import ipaddress
import json
import os
import typing
from collections.abc import Mapping
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from service.domain.basemap import BaseMap, parse_basemap
from service.domain.meetings import KINDS as MEETING_KINDS
from service.domain.performance import DEFAULT_WEIGHTS, INDICATOR_ZH

PROJECT_ROOT = Path(__file__).resolve().parents[1]
LOCAL_SOCKET_DIR = PROJECT_ROOT / ".pgdata" / "run"
DEMO_SECRET_KEY = "change-me-in-production-wangge-demo-secret"
ENV_PREFIX = "WANGGE_"
DATABASE_DRIVER = "postgresql+psycopg"


def local_database_url(user: str, database: str = "wangge") -> str:
    """URL of the project-local cluster started by `make db` (Unix socket in .pgdata/run)."""
    return f"{DATABASE_DRIVER}://{user}@/{database}?host={LOCAL_SOCKET_DIR}&port=5432"


def env(name: str, default: Any = ..., **constraints: Any) -> Any:
    """A field read from WANGGE_<name> (also accepted under its field name in Python)."""
    if callable(default):
        return Field(default_factory=default, validation_alias=name, **constraints)
    return Field(default, validation_alias=name, **constraints)


def _database_url(value: str) -> str:
    """A SQLAlchemy URL for psycopg 3. Kept as the text given: the local cluster's and the
    highly available installation's URLs have no host before the path (the hosts are query
    parameters), which URL types requiring a host refuse, and rendering a parsed URL would hide
    its password."""
    try:
        url = make_url(value)
    except ArgumentError:
        raise ValueError("not a database URL (postgresql+psycopg://user@host/database)") from None
    if url.drivername != DATABASE_DRIVER:
        raise ValueError(f"the URL must start with {DATABASE_DRIVER}:// (got {url.drivername}://)")
    if not url.database:
        raise ValueError("the URL names no database")
    return value


def _networks(value: str) -> str:
    """Comma-separated addresses or CIDRs, each checked (what the app parses later)."""
    for item in (part.strip() for part in value.split(",")):
        if item:
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise ValueError(f"{item!r} is not an address or network") from None
    return value


DatabaseUrl = Annotated[str, AfterValidator(_database_url)]
Networks = Annotated[str, AfterValidator(_networks)]
Share = Annotated[float, Field(ge=0.0, le=1.0)]  # a rate or a target, 0–1
Bytes = Annotated[int, Field(gt=0)]
Seconds = Annotated[float, Field(gt=0)]


class Group(BaseModel):
    """A group of settings; fields are given by variable name (env) or field name."""

    model_config = ConfigDict(
        frozen=True, extra="forbid", validate_by_name=True, validate_by_alias=True
    )


def _not_above(group: BaseModel, low: str, high: str, why: str) -> None:
    """Refuse a lower bound above its upper bound, naming both variables."""
    fields = type(group).model_fields
    lo, hi = getattr(group, low), getattr(group, high)
    if lo > hi:
        raise ValueError(
            f"{env_name(fields[low])}={lo} is above {env_name(fields[high])}={hi} ({why})"
        )


class DatabaseSettings(Group):
    """The app connects as a role that owns nothing (row-level security applies to it);
    migrations, the scheduler and operator commands as the owner."""

    url: DatabaseUrl = env("database_url", lambda: local_database_url("wangge_app"))
    # the owner's URL; none: the app URL with the local owner role swapped in
    migration_url: DatabaseUrl | None = env("migration_database_url", None)
    pool_size: int = env("db_pool_size", 10, ge=1)
    pool_max_overflow: int = env("db_pool_max_overflow", 10, ge=0)
    pool_timeout_s: Seconds = env("db_pool_timeout_s", 5.0)
    statement_timeout_ms: int = env("db_statement_timeout_ms", 15_000, ge=0)  # 0: none
    # connections per process of the asynchronous pool that files reports and renders tiles
    async_pool_size: int = env("db_async_pool_size", 10, ge=1)
    # A report acknowledged with 201 must survive a database crash: commits wait for the WAL
    # whatever the server's default (the local dev cluster runs with synchronous_commit=off).
    synchronous_commit: Literal["on", "local", "remote_write", "remote_apply"] = env(
        "db_synchronous_commit", "on"
    )
    # Row-level security is the second line of defence: the app refuses to start when its role
    # bypasses it (superuser, BYPASSRLS, owner of the tables) unless this is set (tests, tools).
    allow_rls_bypass: bool = env("allow_rls_bypass", False)

    @property
    def owner_url(self) -> str:
        """The owner's URL: explicit, or the app URL with the local owner role swapped in."""
        if self.migration_url:
            return self.migration_url
        return self.url.replace("://wangge_app@", "://wangge@", 1)


class AuthSettings(Group):
    """Accounts, sessions and failed logins."""

    secret_key: SecretStr = env("secret_key", SecretStr(DEMO_SECRET_KEY))
    token_ttl_minutes: int = env("token_ttl_minutes", 12 * 60, gt=0)
    session_ttl_minutes: int = env("session_ttl_minutes", 12 * 60, gt=0)
    # Browser session cookie: Secure only behind HTTPS (off for the local demo over http).
    cookie_secure: bool = env("cookie_secure", False)
    # Failed logins: at most this many per (account, address) pair / per address in the window.
    login_max_failures_per_account: int = env("login_max_failures_per_account", 5, ge=1)
    login_max_failures_per_address: int = env("login_max_failures_per_address", 20, ge=1)
    login_failure_window_s: int = env("login_failure_window_s", 15 * 60, gt=0)
    # Past max failures per account (from all addresses together) each try at that account
    # waits base × 2^(failures − max) seconds after the last failure, at most the max.
    login_delay_base_s: int = env("login_delay_base_s", 1, ge=0)
    login_delay_max_s: int = env("login_delay_max_s", 60, ge=0)
    min_password_length: int = env("min_password_length", 8, ge=1)

    @model_validator(mode="after")
    def _delays(self) -> AuthSettings:
        _not_above(
            self, "login_delay_base_s", "login_delay_max_s", "the first delay is the shortest"
        )
        return self


class HttpSettings(Group):
    """The HTTP server's limits (service.http_server) and whose forwarded headers count."""

    # request line + headers, the time a client may take to send them, and how long an idle
    # keep-alive connection stays open
    max_header_bytes: Bytes = env("http_max_header_bytes", 32 * 1024)
    header_timeout_s: Seconds = env("http_header_timeout_s", 10.0)
    body_timeout_s: Seconds = env("http_body_timeout_s", 30.0)  # longest pause within a body
    keep_alive_s: int = env("http_keep_alive_s", 5, ge=1)
    # a client that takes no bytes of an answer for this long is cut off
    stream_send_timeout_s: Seconds = env("stream_send_timeout_s", 30.0)
    # Reverse proxies (comma-separated addresses or CIDRs) whose X-Forwarded-For is believed;
    # empty (the default): the peer address is the client address, whatever headers say.
    trusted_proxies: Networks = env("trusted_proxies", "")


class LimitSettings(Group):
    """What one request may ask for (each a setting with a safe default)."""

    max_body_bytes: Bytes = env("max_body_bytes", 2 * 1024 * 1024)
    max_json_depth: int = env("max_json_depth", 64, ge=1)
    max_json_items: int = env("max_json_items", 50_000, ge=1)
    max_page_size: int = env("max_page_size", 1000, ge=1)
    max_bbox_degrees2: float = env("max_bbox_degrees2", 4.0, gt=0)
    max_geometry_vertices: int = env("max_geometry_vertices", 20_000, ge=4)
    max_patrol_track_m: float = env("max_patrol_track_m", 100_000.0, gt=0)  # a day's walk


class PhotoSettings(Group):
    """Uploaded photos: sizes, and how many are decoded at once per process."""

    max_bytes: Bytes = env("max_photo_bytes", 10 * 1024 * 1024)
    max_pixels: int = env("max_photo_pixels", 40_000_000, gt=0)
    max_png_pixels: int = env("max_png_pixels", 16_000_000, gt=0)  # PNG decodes whole: lower
    decode_slots: int = env("photo_decode_slots", 2, ge=1)


class ImportSettings(Group):
    """Uploaded files: boundary imports (zipped or not) and spreadsheets."""

    max_bytes: Bytes = env("max_import_bytes", 50 * 1024 * 1024)
    # A zipped upload: at most this much unpacked in all, no member compressed past the ratio.
    max_expanded_bytes: Bytes = env("max_import_expanded_bytes", 200 * 1024 * 1024)
    max_compression_ratio: int = env("max_import_compression_ratio", 200, ge=1)
    max_xlsx_bytes: Bytes = env("max_xlsx_bytes", 5 * 1024 * 1024)


class ExportSettings(Group):
    """Long downloads run on a pool of their own, never the shared one: at most max_concurrent
    at once per process, max_per_user per account (more: 429 with Retry-After)."""

    max_concurrent: int = env("export_max_concurrent", 8, ge=1)
    max_per_user: int = env("export_max_per_user", 2, ge=1)
    retry_after_s: int = env("export_retry_after_s", 15, ge=1)

    @model_validator(mode="after")
    def _per_user(self) -> ExportSettings:
        _not_above(self, "max_per_user", "max_concurrent", "one account's share of all")
        return self


class MapSettings(Group):
    """The base map of every map page (docs/base-map.md) and the tiles kept per process."""

    tianditu_key: str | None = env("tianditu_key", None)
    # none, tianditu-vector, tianditu-imagery, amap, xyz:<crs>:<url>, wmts:<crs>:<url>; empty:
    # 天地图 vector when a key is set, else none (no request leaves the host)
    basemap: str = env("basemap", "")
    # rendered vector tiles kept in each app process (bytes; 0 turns the cache off)
    tile_cache_bytes: int = env("tile_cache_bytes", 64 * 1024 * 1024, ge=0)

    @model_validator(mode="after")
    def _basemap_is_usable(self) -> MapSettings:
        self.base_map()  # BaseMapSettingError (a ValueError) names WANGGE_BASEMAP and says why
        return self

    def base_map(self) -> BaseMap:
        """The configured base map (see service/domain/basemap.py)."""
        spec = self.basemap or ("tianditu-vector" if self.tianditu_key else "none")
        return parse_basemap(spec, self.tianditu_key)


class StatsSettings(Group):
    """Coverage statistics: answers kept per process under the data versions they read."""

    cache_bytes: int = env("stats_cache_bytes", 16 * 1024 * 1024, ge=0)  # 0 turns it off


class EscalationSettings(Group):
    """The overdue-report escalation schedule (service.services.escalation)."""

    interval_s: float = env("escalation_interval_s", 300.0, ge=0)  # 0: never
    # Whether the app's own processes run the schedule. An installation runs it in the scheduler
    # unit instead (`wangge scheduler`); either way an advisory lock lets one process run it.
    in_app: bool = env("escalation_in_app", True)
    # A pass's one UPDATE touches every overdue report, so it gets longer than a request's
    # db_statement_timeout_ms; a pass still running after this is stuck, not slow. 0: none.
    statement_timeout_ms: int = env("escalation_statement_timeout_ms", 300_000, ge=0)


class ServerSettings(Group):
    """The production server (`wangge serve`) and its logs and metrics."""

    workers: int = env("workers", 0, ge=0)  # 0: one per core (at least 2)
    bind_host: str = env("bind_host", "127.0.0.1", min_length=1)
    bind_port: int = env("bind_port", 8000, ge=0, le=65535)  # 0: any free port
    # seconds in-flight requests get to finish after SIGTERM before workers are stopped
    graceful_timeout_s: float = env("graceful_timeout_s", 30.0, ge=0)
    log_format: Literal["json", "text"] = env("log_format", "text")
    log_level: Literal["critical", "error", "warning", "info", "debug"] = env("log_level", "info")
    # client addresses or networks (comma-separated) that may read /metrics; others get 404
    metrics_allowed_from: Networks = env("metrics_allowed_from", "127.0.0.1,::1")

    @field_validator("log_level", mode="before")
    @classmethod
    def _lower(cls, value: Any) -> Any:
        return value.lower() if isinstance(value, str) else value


class PolicySettings(Group):
    """The policy's figures (DOMAIN.md): grid size by households, the old-community cut-off
    year, the coverage targets, and the day the statistics are as of."""

    grid_households_min: int = env("grid_households_min", 150, ge=0)
    grid_households_max: int = env("grid_households_max", 500, ge=1)
    renovation_cutoff_year: int = env("renovation_cutoff_year", 2005, ge=1949, le=2100)
    target_party_org_coverage: Share = env("target_party_org_coverage", 0.9)
    target_property_service_coverage: Share = env("target_property_service_coverage", 1.0)
    target_owners_committee_coverage: Share = env("target_owners_committee_coverage", 0.8)
    target_renovation_coverage: Share = env("target_renovation_coverage", 1.0)
    reference_date: date | None = env("reference_date", None)  # none: today (demos fix it)

    @model_validator(mode="after")
    def _households(self) -> PolicySettings:
        _not_above(self, "grid_households_min", "grid_households_max", "a grid's range")
        return self

    def today(self) -> date:
        """The reference date, else today (UTC)."""
        return self.reference_date or datetime.now(UTC).date()


class RecordSettings(Group):
    """小区 records (docs/records.md): the flags' thresholds and the party coverage targets."""

    maintenance_fund_floor: Share = env("maintenance_fund_floor", 0.30)
    committee_party_share_target: Share = env("committee_party_share_target", 0.5)
    committee_party_share_target_new: Share = env("committee_party_share_target_new", 0.6)
    new_committee_months: int = env("new_committee_months", 36, ge=0)
    # party organisation coverage of owners' committees, by year (80% → 90% → 100%)
    party_org_targets: dict[int, Share] = env(
        "party_org_targets", lambda: {2025: 0.8, 2026: 0.9, 2027: 1.0}
    )


class CompanySettings(Group):
    """Property companies: the lowest quarterly score of each credit grade (below C's: D), the
    size of the 十佳十差 lists, and the supervision phone /public shows (per area code, else the
    default)."""

    grade_floor_a: float = env("grade_floor_a", 90.0, ge=0, le=100)
    grade_floor_b: float = env("grade_floor_b", 80.0, ge=0, le=100)
    grade_floor_c: float = env("grade_floor_c", 60.0, ge=0, le=100)
    ranking_size: int = env("ranking_size", 10, ge=1)
    supervision_phone: str = env("supervision_phone", "12345", min_length=1)
    supervision_phones: dict[str, str] = env("supervision_phones", dict)

    @model_validator(mode="after")
    def _grades(self) -> CompanySettings:
        _not_above(self, "grade_floor_c", "grade_floor_b", "a higher grade needs more")
        _not_above(self, "grade_floor_b", "grade_floor_a", "a higher grade needs more")
        return self


class CaseSettings(Group):
    """Case handling (/work, /api/cases)."""

    finished_recent_days: int = env("case_finished_recent_days", 7, ge=1)  # how far 已办结 reaches
    page_size: int = env("case_page_size", 50, ge=1)


class AssessmentSettings(Group):
    """Performance assessment (docs/residents.md): each indicator's weight in the score out of
    100, and the mean handling time (report to 销号, hours) that earns the full speed mark."""

    weights: dict[str, float] = env("assessment_weights", lambda: dict(DEFAULT_WEIGHTS))
    target_hours: float = env("assessment_target_hours", 72.0, gt=0)

    @field_validator("weights")
    @classmethod
    def _known_indicators(cls, value: dict[str, float]) -> dict[str, float]:
        unknown = sorted(set(value) - set(INDICATOR_ZH))
        if unknown:
            raise ValueError(
                f"{unknown[0]!r} is not an indicator; one of {', '.join(INDICATOR_ZH)}"
            )
        if any(w < 0 for w in value.values()):
            raise ValueError("a weight is negative")
        if not any(w > 0 for w in value.values()):
            raise ValueError("no indicator has a weight")
        return value


# the seeds: streets meet monthly, with the grid workers quarterly; communities as needed
MEETING_CADENCE_DEFAULT = {"street_joint": 1, "grid_quarterly": 3, "community": 0}


class ResidentSettings(Group):
    """Residents' voice (docs/residents.md): joint meetings' cadence and the public survey."""

    # months between meetings of each kind, 0 = as needed; a partial value keeps the defaults
    # of the kinds it does not name
    meeting_cadence_months: dict[str, int] = env(
        "meeting_cadence_months", lambda: dict(MEETING_CADENCE_DEFAULT)
    )
    # residents' survey answers one client (address) may give one 小区 per 24 hours
    survey_max_per_client_per_day: int = env("survey_max_per_client_per_day", 3, ge=1, le=100)

    @field_validator("meeting_cadence_months")
    @classmethod
    def _cadence(cls, value: dict[str, int]) -> dict[str, int]:
        unknown = sorted(set(value) - set(MEETING_KINDS))
        if unknown:
            raise ValueError(f"unknown meeting kinds {unknown}; known: {sorted(MEETING_KINDS)}")
        if any(not 0 <= months <= 24 for months in value.values()):
            raise ValueError("months between meetings must be 0 (as needed) to 24")
        return {**MEETING_CADENCE_DEFAULT, **value}


class Settings(BaseSettings):
    """Everything the service can be told, by group; safe defaults for a local demo."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="forbid", frozen=True)

    # "demo" is the local demo and the tests; anything else is an installation, which refuses
    # to start with the demo secret (service.startup_checks).
    environment: Literal["demo", "production"] = "demo"
    data_dir: Path = PROJECT_ROOT / "var"
    photo_dir: Path | None = None  # none: data_dir/photos

    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    auth: AuthSettings = Field(default_factory=AuthSettings)
    http: HttpSettings = Field(default_factory=HttpSettings)
    limits: LimitSettings = Field(default_factory=LimitSettings)
    photos: PhotoSettings = Field(default_factory=PhotoSettings)
    imports: ImportSettings = Field(default_factory=ImportSettings)
    exports: ExportSettings = Field(default_factory=ExportSettings)
    maps: MapSettings = Field(default_factory=MapSettings)
    stats: StatsSettings = Field(default_factory=StatsSettings)
    escalation: EscalationSettings = Field(default_factory=EscalationSettings)
    server: ServerSettings = Field(default_factory=ServerSettings)
    policy: PolicySettings = Field(default_factory=PolicySettings)
    records: RecordSettings = Field(default_factory=RecordSettings)
    companies: CompanySettings = Field(default_factory=CompanySettings)
    cases: CaseSettings = Field(default_factory=CaseSettings)
    assessment: AssessmentSettings = Field(default_factory=AssessmentSettings)
    residents: ResidentSettings = Field(default_factory=ResidentSettings)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Arguments first, then the WANGGE_* variables under their flat names."""
        return init_settings, FlatEnvironment(settings_cls)

    @model_validator(mode="before")
    @classmethod
    def _group_flat_names(cls, data: Any) -> Any:
        """`max_page_size=…` (an argument under its variable's name) goes to its group;
        a flat name beats the same value inside a group dict given alongside it."""
        if not isinstance(data, Mapping):
            return data
        data = dict(data)
        owners = flat_names()
        for name in [k for k in data if k in owners and owners[k][0] is not None]:
            group, field = owners[name]
            current = data.get(group) or {}
            if isinstance(current, BaseModel):
                current = current.model_dump()
            data[group] = {**current, field: data.pop(name)}
        return data

    @model_validator(mode="after")
    def _across_groups(self) -> Settings:
        if self.cases.page_size > self.limits.max_page_size:
            raise ValueError(
                f"WANGGE_CASE_PAGE_SIZE={self.cases.page_size} is above"
                f" WANGGE_MAX_PAGE_SIZE={self.limits.max_page_size}"
            )
        return self

    @property
    def effective_photo_dir(self) -> Path:
        return self.photo_dir or (self.data_dir / "photos")

    def replace(self, **values: Any) -> Settings:
        """A copy with some values changed (flat names, as in the environment), validated."""
        return type(self)(**{**self.model_dump(), **values})


def env_name(field: FieldInfo, name: str | None = None) -> str:
    """The environment variable of a field (its alias, else its name)."""
    alias = field.validation_alias if isinstance(field.validation_alias, str) else name
    return ENV_PREFIX + str(alias).upper()


def groups() -> dict[str, type[Group]]:
    """The groups of Settings by attribute name."""
    found = {}
    for name, info in Settings.model_fields.items():
        if isinstance(info.annotation, type) and issubclass(info.annotation, Group):
            found[name] = info.annotation
    return found


def flat_names() -> dict[str, tuple[str | None, str]]:
    """Flat name (the variable without WANGGE_, lower case) → (group or None, field)."""
    names: dict[str, tuple[str | None, str]] = {}
    grouped = groups()
    for top in Settings.model_fields:
        if top not in grouped:
            names[top] = (None, top)
            continue
        for name, info in grouped[top].model_fields.items():
            names[env_name(info, name)[len(ENV_PREFIX) :].lower()] = (top, name)
    return names


def _field(group: str | None, name: str) -> FieldInfo:
    if group is None:
        return Settings.model_fields[name]
    return groups()[group].model_fields[name]


def _structured(field: FieldInfo) -> bool:
    """A dict or list setting, given as JSON in its variable."""
    return typing.get_origin(field.annotation) in (dict, list)


class InvalidSettings(ValueError):
    """A setting's value is not usable; the message is one line naming the variable(s)."""


class FlatEnvironment(PydanticBaseSettingsSource):
    """WANGGE_<NAME> for every field, placed in its group (JSON for dicts)."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # unused: __call__ reads every variable at once

    def __call__(self) -> dict[str, Any]:
        found = {k.lower(): v for k, v in os.environ.items() if k.upper().startswith(ENV_PREFIX)}
        values: dict[str, Any] = {}
        for flat, (group, name) in flat_names().items():
            raw = found.get((ENV_PREFIX + flat).lower())
            if raw is None:
                continue
            value: Any = raw
            if _structured(_field(group, name)):
                try:
                    value = json.loads(raw)
                except json.JSONDecodeError as exc:
                    raise InvalidSettings(
                        f"{ENV_PREFIX}{flat.upper()}: not JSON ({exc.msg})"
                    ) from None
            if group is None:
                values[name] = value
            else:
                values.setdefault(group, {})[name] = value
        return values


def describe(error: ValidationError) -> str:
    """One line naming each variable that is wrong, and why."""
    flat_of: dict[tuple[str | None, str], str] = {}
    for variable, (group, name) in flat_names().items():
        flat_of[(group, name)] = flat_of[(group, variable)] = variable  # by name or by alias
    parts = []
    for item in error.errors():
        loc = [str(p) for p in item["loc"]]
        message = str(item["msg"]).removeprefix("Value error, ")
        flat: str | None = None
        if len(loc) >= 2 and loc[0] in groups():
            flat = flat_of.get((loc[0], loc[1]))
        elif loc:
            flat = flat_of.get((None, loc[0]))
        if flat is None or ENV_PREFIX in message:
            parts.append(message)  # a rule across variables names them itself
            continue
        key = "".join(f"[{p}]" for p in loc[2:])  # which entry of a JSON value
        shown = "(secret)" if flat == "secret_key" else repr(item.get("input"))
        parts.append(f"{ENV_PREFIX}{flat.upper()}{key}={shown}: {message}")
    return "; ".join(parts)


def get_settings() -> Settings:
    """Settings from the environment (call once at start-up, then pass them along);
    InvalidSettings with one line naming the variable when a value is not usable."""
    try:
        return Settings()
    except ValidationError as exc:
        raise InvalidSettings(describe(exc)) from None
