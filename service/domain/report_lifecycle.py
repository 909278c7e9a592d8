"""The report life cycle: which status may follow which, and which roles may move it (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from service.domain.policy import TRANSITION_RIGHTS, may_transition
from service.domain.vocabulary import STATUSES
from service.errors import TransitionRefused

# Which moves exist at all: every (from, to) some role has a right to (policy.TRANSITION_RIGHTS,
# the single table of who may make which move). Grid workers may only confirm a fix on site
# (handled → verified); a failed verification sends the report back to in_progress.
TRANSITIONS: Final[frozenset[tuple[str, str]]] = frozenset().union(*TRANSITION_RIGHTS.values())
REJECT_REASONS: Final = ("duplicate", "invalid")


@dataclass(frozen=True)
class TransitionRequest:
    current: str
    target: str
    role: str
    note: str
    reason: str | None = None
    duplicate_of: str | None = None
    has_evidence_photo: bool = False


def allowed_targets(current: str, role: str) -> list[str]:
    """The statuses `role` may move a report in `current` to."""
    return sorted(to for frm, to in TRANSITION_RIGHTS.get(role, ()) if frm == current)


def check_transition(req: TransitionRequest) -> None:
    """Raise TransitionRefused unless the move is allowed with the given input."""
    if req.target not in STATUSES:
        raise TransitionRefused("input", f"unknown status {req.target!r}", "未知状态", field="to")
    if (req.current, req.target) not in TRANSITIONS:
        raise TransitionRefused(
            "state",
            f"a report in status {req.current!r} cannot move to {req.target!r}",
            f"当前状态「{req.current}」不能变更为「{req.target}」",
            field="to",
        )
    if not may_transition(req.role, req.current, req.target):
        raise TransitionRefused(
            "role",
            f"role {req.role} may not move a report from {req.current} to {req.target}",
            "无权执行此状态变更",
        )
    _check_input(req)


def _check_input(req: TransitionRequest) -> None:
    if req.target == "rejected":
        if req.reason not in REJECT_REASONS:
            raise TransitionRefused(
                "input",
                "rejection needs reason 'duplicate' or 'invalid'",
                "驳回须注明原因：重复或无效",
                field="reason",
            )
        if req.reason == "duplicate" and not req.duplicate_of:
            raise TransitionRefused(
                "input",
                "a duplicate needs duplicate_of",
                "重复事件须指明原事件",
                field="duplicate_of",
            )
    if req.target == "handled":
        if not req.note.strip():
            raise TransitionRefused(
                "input", "handling needs a note", "办结须填写处置说明", field="note"
            )
        if not req.has_evidence_photo:
            raise TransitionRefused(
                "input",
                "handling needs an evidence photo (upload with evidence=true first)",
                "办结须先上传处置照片",
                field="photos",
            )
