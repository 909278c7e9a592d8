"""Commit before answering: FastAPI exits request-scoped dependencies (and so commits the
request's transaction in `get_session`) only after the response has been sent. A client told
"saved" (and a phone that drops the record from its outbox) must find it saved, and its next
request must see it; the field-reporting writes therefore commit as their last database step.
"""

from __future__ import annotations

from sqlalchemy.orm import Session


def commit_before_answering(session: Session) -> None:
    """Commit now; the row-level security settings end with this transaction."""
    session.commit()
