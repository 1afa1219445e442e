"""Domain errors: a stable code, a message for people, and the offending field.

The API maps them once to RFC 9457 problem+json; nothing else in the domains knows about HTTP.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A request that cannot be carried out as asked (bad input, a rule broken)."""

    status = 422

    def __init__(self, code: str, message: str, field: str | None = None,
                 **extra: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field
        self.extra = extra


class ValidationFailed(DomainError):
    status = 422


class NotFound(DomainError):
    status = 404

    def __init__(self, entity: str, message: str | None = None) -> None:
        super().__init__(f"{entity}.not_found", message or f"{entity} not found")


class Forbidden(DomainError):
    status = 403

    def __init__(self, message: str = "You may not do this") -> None:
        super().__init__("forbidden", message)


class Conflict(DomainError):
    status = 409


class PreconditionFailed(DomainError):
    status = 412

    def __init__(self, message: str = "The record was changed by someone else; reload it") -> None:
        super().__init__("version.stale", message, "version")


class PreconditionRequired(DomainError):
    status = 428
