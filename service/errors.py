"""One exception tree for the domain, and one table mapping it to HTTP status codes."""

from __future__ import annotations

from typing import Any


class WanggeError(Exception):
    """Base of every domain error: a message for people (zh + en) and where it happened."""

    status_code = 400
    code = "error"

    def __init__(
        self,
        message: str,
        *,
        where: Any = None,
        message_zh: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.message_zh = message_zh
        self.where = where
        self.headers = headers

    def body(self) -> dict[str, Any]:
        detail: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.message_zh:
            detail["message_zh"] = self.message_zh
        if self.where is not None:
            detail["where"] = self.where
        return {"detail": detail}


class NotFound(WanggeError):
    status_code = 404
    code = "not_found"


class OutsideJurisdiction(NotFound):
    """Raised for objects outside the caller's area: answered as 404, never confirming existence."""


class NotAuthenticated(WanggeError):
    status_code = 401
    code = "not_authenticated"

    @classmethod
    def invalid_token(cls) -> NotAuthenticated:
        """A token that is unknown, revoked, expired, or of a deactivated user."""
        return cls(
            "invalid or expired token",
            message_zh="登录已失效，请重新登录",
            headers={"WWW-Authenticate": "Bearer"},
        )


class Forbidden(WanggeError):
    status_code = 403
    code = "forbidden"

    @classmethod
    def for_action(cls, role: str, action: str) -> Forbidden:
        """A role that POLICY does not give `action`."""
        return cls(f"role {role} may not {action}", message_zh="无权执行此操作")

    @classmethod
    def csrf(cls) -> Forbidden:
        """A cookie session's write without the matching CSRF echo."""
        return cls("missing or wrong CSRF token", message_zh="请求校验失败，请刷新页面")


class Conflict(WanggeError):
    status_code = 409
    code = "conflict"


class GeometryInvalid(WanggeError):
    status_code = 422
    code = "geometry_invalid"


class OutsideArea(WanggeError):
    status_code = 422
    code = "outside_area"


class ValidationFailed(WanggeError):
    status_code = 422
    code = "validation_failed"


class PayloadTooLarge(WanggeError):
    status_code = 413
    code = "payload_too_large"


class TooManyRequests(WanggeError):
    status_code = 429
    code = "too_many_requests"


class ServiceUnavailable(WanggeError):
    status_code = 503
    code = "service_unavailable"


class TransitionRefused(WanggeError):
    """A report move the life cycle does not allow; `kind` says why and picks the answer:
    "role" (403, this role may not), "state" (409, not from this status), "input" (422)."""

    _ANSWERS = {"role": Forbidden, "state": Conflict, "input": ValidationFailed}

    def __init__(self, kind: str, message: str, message_zh: str, field: str | None = None):
        where = {"field": field} if field and kind != "role" else None
        super().__init__(message, message_zh=message_zh, where=where)
        self.kind = kind
        self.field = field
        answer = self._ANSWERS[kind]
        self.status_code = answer.status_code
        self.code = answer.code


class PhotoRefused(WanggeError):
    """An uploaded photo that is too big (413) or not a readable image (422)."""

    def __init__(self, status: int, message: str, message_zh: str) -> None:
        super().__init__(message, message_zh=message_zh, where={"field": "file"})
        self.status = status
        answer = PayloadTooLarge if status == 413 else ValidationFailed
        self.status_code = answer.status_code
        self.code = answer.code
