"""The database functions' SQL, one file each in service/db/sql/functions/.

A migration that creates or replaces a function loads its file by name and pins the text it
means by a content hash. Changing a function later: keep the old text as
service/db/sql/history/NAME.HASH.sql (so the old migration still finds what it pinned), edit
the file, and load it from a new migration with the new hash. tests/db/test_sql_functions.py
checks that every function in the migrated database is its file.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

SQL_DIR = Path(__file__).parent / "sql"
FUNCTIONS_DIR = SQL_DIR / "functions"
HISTORY_DIR = SQL_DIR / "history"


class FunctionSqlChanged(RuntimeError):
    """A migration asks for a function text that is neither the current file nor kept history."""


def content_hash(text: str) -> str:
    """The first 12 hex digits of the text's SHA-256: what a migration pins."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def function_sql(name: str, pin: str) -> str:
    """The CREATE OR REPLACE FUNCTION statement of `name` whose content hash is `pin`."""
    current = (FUNCTIONS_DIR / f"{name}.sql").read_text(encoding="utf-8")
    if content_hash(current) == pin:
        return current
    historic = HISTORY_DIR / f"{name}.{pin}.sql"
    if historic.is_file():
        text = historic.read_text(encoding="utf-8")
        if content_hash(text) == pin:
            return text
        raise FunctionSqlChanged(f"{historic} was edited: a historic copy stays as it was")
    raise FunctionSqlChanged(
        f"{name}.sql has hash {content_hash(current)}, the migration pins {pin}: keep the old"
        f" text as {HISTORY_DIR.name}/{name}.{pin}.sql and load the new one from a new migration"
    )


def current_functions() -> dict[str, str]:
    """Every function's current text, by name."""
    return {
        path.stem: path.read_text(encoding="utf-8") for path in sorted(FUNCTIONS_DIR.glob("*.sql"))
    }
