"""deploy/ stays true to the code: every setting in the template, units run real commands."""

from __future__ import annotations

import re

import typer

from service.cli import app as cli_app
from service.settings import PROJECT_ROOT, Settings, flat_names

DEPLOY = PROJECT_ROOT / "deploy"


def test_template_names_every_setting() -> None:
    template = (DEPLOY / "wangge.env.template").read_text(encoding="utf-8")
    named = set(re.findall(r"^#? ?(WANGGE_[A-Z0-9_]+)=", template, flags=re.M))
    expected = {f"WANGGE_{name.upper()}" for name in flat_names()}
    assert expected - named == set(), "settings missing from deploy/wangge.env.template"
    assert named - expected == set(), "the template names variables nothing reads"


def test_template_is_production_ready_but_for_the_secret() -> None:
    template = (DEPLOY / "wangge.env.template").read_text(encoding="utf-8")
    active = dict(
        line.split("=", 1) for line in template.splitlines() if line.startswith("WANGGE_")
    )
    assert active["WANGGE_ENVIRONMENT"] == "production"
    assert active["WANGGE_COOKIE_SECURE"] == "true"
    assert active["WANGGE_ESCALATION_IN_APP"] == "false"  # the scheduler unit runs it
    assert "target_session_attrs=read-write" in template  # the HA URL is shown


def test_units_run_existing_commands() -> None:
    commands = set(typer.main.get_command(cli_app).commands)  # type: ignore[attr-defined]
    for unit, command in (("wangge.service", "serve"), ("wangge-scheduler.service", "scheduler")):
        text = (DEPLOY / "systemd" / unit).read_text(encoding="utf-8")
        line = next(ln for ln in text.splitlines() if ln.startswith("ExecStart="))
        assert line.split()[-1] == command and command in commands
        assert "EnvironmentFile=/etc/wangge/wangge.env" in text


def test_graceful_stop_fits_in_systemd_stop_timeout() -> None:
    text = (DEPLOY / "systemd" / "wangge.service").read_text(encoding="utf-8")
    stop = int(re.search(r"^TimeoutStopSec=(\d+)", text, flags=re.M).group(1))  # type: ignore[union-attr]
    assert stop > Settings().server.graceful_timeout_s
