"""Settings: the flat WANGGE_* names reach their groups, and every rule on values refuses with
one line naming the variable."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from service.settings import (
    PROJECT_ROOT,
    DatabaseSettings,
    InvalidSettings,
    Settings,
    flat_names,
    get_settings,
)

HA_URL = (
    "postgresql+psycopg://wangge_app:pw@/wangge?host=db1,db2&port=5432,5432"
    "&target_session_attrs=read-write&sslmode=require"
)


@pytest.fixture
def environ(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """A clean environment: no WANGGE_* variable from the caller's shell."""
    for name in list(os.environ):
        if name.upper().startswith("WANGGE_"):
            monkeypatch.delenv(name)
    return monkeypatch


def refusal(environ: pytest.MonkeyPatch, **values: str) -> str:
    for name, value in values.items():
        environ.setenv(name, value)
    with pytest.raises(InvalidSettings) as err:
        get_settings()
    line = str(err.value)
    assert "\n" not in line
    return line


def test_flat_variables_reach_their_groups(environ: pytest.MonkeyPatch) -> None:
    environ.setenv("WANGGE_DB_POOL_SIZE", "3")
    environ.setenv("WANGGE_MIGRATION_DATABASE_URL", HA_URL)
    environ.setenv("WANGGE_MAX_PAGE_SIZE", "321")
    environ.setenv("WANGGE_PARTY_ORG_TARGETS", '{"2030": 1.0}')
    environ.setenv("WANGGE_DATA_DIR", "/srv/wangge")
    environ.setenv("wangge_log_level", "DEBUG")  # names and choices are not case-sensitive
    s = get_settings()
    assert s.database.pool_size == 3
    assert s.database.owner_url == HA_URL
    assert s.limits.max_page_size == 321
    assert s.records.party_org_targets == {2030: 1.0}
    assert s.data_dir == Path("/srv/wangge")
    assert s.server.log_level == "debug"


def test_every_field_has_one_variable() -> None:
    names = flat_names()
    assert len(names) == len(set(names))
    assert names["db_pool_size"] == ("database", "pool_size")
    assert names["http_max_header_bytes"] == ("http", "max_header_bytes")
    assert names["environment"] == (None, "environment")


def test_arguments_take_flat_or_grouped_names() -> None:
    s = Settings(max_page_size=321, case_page_size=20, database={"pool_size": 4})
    assert (s.limits.max_page_size, s.cases.page_size, s.database.pool_size) == (321, 20, 4)
    changed = s.replace(max_import_bytes=1000)
    assert changed.imports.max_bytes == 1000 and changed.limits.max_page_size == 321
    # a flat name beats the same field inside its group's values (a copy with one change)
    again = Settings(**{**s.model_dump(), "max_page_size": 25})
    assert again.limits.max_page_size == 25 and again.database.pool_size == 4


def test_a_misspelt_argument_is_refused() -> None:
    with pytest.raises(ValidationError):
        Settings(max_pgae_size=5)


def test_the_owner_url_defaults_to_the_local_owner_role() -> None:
    db = DatabaseSettings(url="postgresql+psycopg://wangge_app@/w?host=/run")
    assert db.owner_url == "postgresql+psycopg://wangge@/w?host=/run"


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("WANGGE_DB_POOL_SIZE", "0", "greater than or equal to 1"),
        ("WANGGE_MAX_BODY_BYTES", "0", "greater than 0"),
        ("WANGGE_MAX_PHOTO_BYTES", "-1", "greater than 0"),
        ("WANGGE_HTTP_HEADER_TIMEOUT_S", "0", "greater than 0"),
        ("WANGGE_BIND_PORT", "70000", "less than or equal to 65535"),
        ("WANGGE_TARGET_PARTY_ORG_COVERAGE", "1.5", "less than or equal to 1"),
        ("WANGGE_ENVIRONMENT", "prod", "'demo' or 'production'"),
        ("WANGGE_LOG_FORMAT", "xml", "'json' or 'text'"),
        ("WANGGE_LOG_LEVEL", "loud", "'critical', 'error', 'warning', 'info' or 'debug'"),
        ("WANGGE_DB_SYNCHRONOUS_COMMIT", "off", "'on', 'local'"),
        ("WANGGE_DATABASE_URL", "mysql://u@h/db", "must start with postgresql+psycopg://"),
        ("WANGGE_DATABASE_URL", "not a url", "not a database URL"),
        ("WANGGE_TRUSTED_PROXIES", "10.0.0.1,bogus", "'bogus' is not an address"),
        ("WANGGE_METRICS_ALLOWED_FROM", "nowhere", "'nowhere' is not an address"),
        ("WANGGE_ASSESSMENT_WEIGHTS", '{"luck": 5}', "'luck' is not an indicator"),
        ("WANGGE_ASSESSMENT_WEIGHTS", '{"speed": 0}', "no indicator has a weight"),
        ("WANGGE_REFERENCE_DATE", "2025-13-01", "valid date"),
        ("WANGGE_ESCALATION_IN_APP", "perhaps", "valid boolean"),
    ],
)
def test_a_bad_value_names_its_variable(
    environ: pytest.MonkeyPatch, variable: str, value: str, says: str
) -> None:
    line = refusal(environ, **{variable: value})
    assert line.startswith(variable) and says in line


@pytest.mark.parametrize(
    ("values", "says"),
    [
        (
            {"WANGGE_GRID_HOUSEHOLDS_MIN": "600"},
            "WANGGE_GRID_HOUSEHOLDS_MIN=600 is above WANGGE_GRID_HOUSEHOLDS_MAX=500",
        ),
        (
            {"WANGGE_LOGIN_DELAY_BASE_S": "90"},
            "WANGGE_LOGIN_DELAY_BASE_S=90 is above WANGGE_LOGIN_DELAY_MAX_S=60",
        ),
        (
            {"WANGGE_EXPORT_MAX_PER_USER": "9"},
            "WANGGE_EXPORT_MAX_PER_USER=9 is above WANGGE_EXPORT_MAX_CONCURRENT=8",
        ),
        ({"WANGGE_GRADE_FLOOR_B": "95"}, "WANGGE_GRADE_FLOOR_B=95.0 is above WANGGE_GRADE_FLOOR_A"),
        ({"WANGGE_CASE_PAGE_SIZE": "5000"}, "WANGGE_CASE_PAGE_SIZE=5000 is above WANGGE_MAX_PAGE"),
    ],
)
def test_a_lower_bound_above_its_upper_bound_is_refused(
    environ: pytest.MonkeyPatch, values: dict[str, str], says: str
) -> None:
    assert says in refusal(environ, **values)


def test_several_problems_on_one_line(environ: pytest.MonkeyPatch) -> None:
    line = refusal(environ, WANGGE_DB_POOL_SIZE="0", WANGGE_MAX_PAGE_SIZE="none")
    assert "WANGGE_DB_POOL_SIZE" in line and "WANGGE_MAX_PAGE_SIZE" in line


def test_a_json_value_that_is_not_json(environ: pytest.MonkeyPatch) -> None:
    line = refusal(environ, WANGGE_SUPERVISION_PHONES="{310101: 123")
    assert line.startswith("WANGGE_SUPERVISION_PHONES: not JSON")


def test_a_bad_entry_of_a_json_value_is_named(environ: pytest.MonkeyPatch) -> None:
    line = refusal(environ, WANGGE_PARTY_ORG_TARGETS='{"2026": 2}')
    assert line.startswith("WANGGE_PARTY_ORG_TARGETS[2026]=2")


def test_the_base_map_is_checked_at_start(environ: pytest.MonkeyPatch) -> None:
    line = refusal(environ, WANGGE_BASEMAP="tianditu-vector")
    assert "needs WANGGE_TIANDITU_KEY" in line


def test_the_secret_is_never_shown(environ: pytest.MonkeyPatch) -> None:
    environ.setenv("WANGGE_SECRET_KEY", "s3cret-value-that-must-not-leak")
    line = refusal(environ, WANGGE_DB_POOL_SIZE="0")
    assert "s3cret" not in line
    environ.delenv("WANGGE_DB_POOL_SIZE")
    assert "s3cret" not in repr(Settings(secret_key="s3cret-x"))


def test_the_deploy_template_is_valid(environ: pytest.MonkeyPatch) -> None:
    template = (PROJECT_ROOT / "deploy" / "wangge.env.template").read_text(encoding="utf-8")
    for line in template.splitlines():
        if line.startswith("WANGGE_"):
            name, value = line.split("=", 1)
            environ.setenv(name, value)
    s = get_settings()
    assert s.environment == "production" and s.escalation.in_app is False


def test_wangge_prints_one_line_for_a_bad_setting() -> None:
    env = {**os.environ, "WANGGE_MAX_BODY_BYTES": "lots"}
    done = subprocess.run(
        [sys.executable, "-c", "from service.cli import main; main()", "check-settings"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "error: WANGGE_MAX_BODY_BYTES='lots': Input should be a valid integer,"
        " unable to parse string as an integer"
    ]
