"""Errors of the sequences domain (mapped to problem+json by the API)."""

from __future__ import annotations

from amity.core.errors import Conflict, ValidationFailed


class AlreadyEnrolled(Conflict):
    def __init__(self) -> None:
        super().__init__("sequence.already_enrolled",
                         "This contact is already enrolled in this sequence", "contact_id")


class SequenceDisabled(ValidationFailed):
    def __init__(self) -> None:
        super().__init__("sequence.disabled", "This sequence is disabled", "sequence_id")


class SequenceEmpty(ValidationFailed):
    def __init__(self) -> None:
        super().__init__("sequence.empty", "This sequence has no steps", "sequence_id")


class NotActive(Conflict):
    def __init__(self) -> None:
        super().__init__("enrolment.not_active", "This enrolment is not active", "status")
