"""Errors of the customer-service domain that have no general counterpart in core."""

from __future__ import annotations

from amity.core.errors import DomainError


class Gone(DomainError):
    """410: the thing existed but can no longer be used (an expired or replaced survey link,
    an attachment whose stored bytes are missing)."""

    status = 410


class TooLarge(DomainError):
    """413: an upload over the configured size limit."""

    status = 413
