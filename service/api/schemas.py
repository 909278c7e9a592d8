"""Request bodies that accept only the fields a role may set (no mass assignment).

Subclass `StrictModel` for every request body: an unknown field (say `status` in a grid
worker's report) is a 422 naming the field, never silently ignored or written. Give each role
its own model when roles may set different fields (e.g. `ReportCreate` for the field worker has
no status, department, street, deadline or grid; a triage model for staff adds what they set).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator

from service.domain.plain_text import CONTROL_CHARACTERS


def _refuse_controls(value: Any) -> None:
    if isinstance(value, str):
        found = CONTROL_CHARACTERS.search(value)
        if found:
            raise ValueError(f"control character U+{ord(found.group()):04X} is not allowed in text")
    elif isinstance(value, list | tuple | set):
        for item in value:
            _refuse_controls(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            _refuse_controls(key)
            _refuse_controls(item)


class StrictModel(BaseModel):
    """Base for request bodies: unknown fields are rejected, strings are stripped, and text
    with control characters is refused (422 naming the field)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="after")
    @classmethod
    def _no_control_characters(cls, value: Any) -> Any:
        _refuse_controls(value)
        return value
