"""Request bodies that accept only the fields a role may set (no mass assignment).

Subclass `StrictModel` for every request body: an unknown field (say `status` in a grid
worker's report) is a 422 naming the field, never silently ignored or written. Give each role
its own model when roles may set different fields (e.g. `ReportCreate` for the field worker has
no status, department, street, deadline or grid; a triage model for staff adds what they set).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class StrictModel(BaseModel):
    """Base for request bodies: unknown fields are rejected, strings are stripped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
