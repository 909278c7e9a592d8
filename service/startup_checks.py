"""Settings an installation must not run with (the demo may): checked before anything starts."""

from __future__ import annotations

from service.settings import DEMO_SECRET_KEY, Settings

MIN_SECRET_KEY_LENGTH = 32


class UnsafeSettings(RuntimeError):
    """The settings would run an installation insecurely; the message lists every reason."""


def unsafe_settings(settings: Settings) -> list[str]:
    """What is wrong with these settings for an installation (empty for the demo)."""
    if settings.environment == "demo":
        return []
    problems = []
    secret = settings.auth.secret_key.get_secret_value()
    if secret == DEMO_SECRET_KEY:
        problems.append(
            "WANGGE_SECRET_KEY is the demo's published default; set a random one"
            " (python3 -c 'import secrets; print(secrets.token_urlsafe(48))')"
        )
    elif len(secret) < MIN_SECRET_KEY_LENGTH:
        problems.append(f"WANGGE_SECRET_KEY is shorter than {MIN_SECRET_KEY_LENGTH} characters")
    if not settings.auth.cookie_secure:
        problems.append("WANGGE_COOKIE_SECURE must be true behind HTTPS")
    return problems


def refuse_unsafe_settings(settings: Settings) -> None:
    """Raise UnsafeSettings when an installation is configured like the demo."""
    problems = unsafe_settings(settings)
    if problems:
        raise UnsafeSettings(
            f"refusing to start with WANGGE_ENVIRONMENT={settings.environment}: "
            + "; ".join(problems)
        )
