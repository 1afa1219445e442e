"""HTML forms <-> the domain's input schemas, and errors shown next to the field they concern."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError

from amity.contacts.schemas import ContactCreate
from amity.core.errors import DomainError

CONTACT_FIELDS = ("first_name", "last_name", "email", "phone", "lifecycle_stage", "tags",
                  "personal_notes")
FORM_ERROR = "_form"  # an error about the form as a whole (not one field)


class ContactForm(BaseModel):
    """The new-contact form as posted; every value is checked by ``ContactCreate``."""

    first_name: str = ""
    last_name: str = ""
    email: str = ""
    phone: str = ""
    lifecycle_stage: str = "lead"
    tags: str = ""
    personal_notes: str = ""


@dataclass
class FormErrors:
    by_field: dict[str, str] = field(default_factory=dict)

    def add(self, name: str, message: str) -> None:
        self.by_field.setdefault(name, message)

    def __bool__(self) -> bool:
        return bool(self.by_field)

    def get(self, name: str) -> str | None:
        return self.by_field.get(name)


def _form_field(api_field: str | None) -> str:
    """Map an API field path ('emails.0.email', 'tags.3') onto the form's input name."""
    if not api_field:
        return FORM_ERROR
    head = api_field.split(".", 1)[0]
    return {"emails": "email", "phones": "phone"}.get(head, head) if head in (
        *CONTACT_FIELDS, "emails", "phones") else FORM_ERROR


def _clean(message: str) -> str:
    return message.removeprefix("Value error, ")


def errors_from(exc: ValidationError | DomainError) -> FormErrors:
    errors = FormErrors()
    if isinstance(exc, DomainError):
        errors.add(_form_field(exc.field), exc.message)
        return errors
    for err in exc.errors():
        loc = ".".join(str(p) for p in err.get("loc", ()))
        errors.add(_form_field(loc), _clean(str(err.get("msg", "invalid value"))))
    return errors


def split_tags(raw: str) -> list[str]:
    seen: dict[str, str] = {}
    for part in raw.split(","):
        tag = part.strip()
        if tag and tag.casefold() not in seen:
            seen[tag.casefold()] = tag
    return list(seen.values())


def contact_create(form: ContactForm) -> ContactCreate:
    """Build the API's create schema from the form; raises pydantic's ValidationError."""
    values = form.model_dump()
    data: dict[str, Any] = {}
    for name in ("first_name", "last_name", "personal_notes"):
        if values.get(name, "").strip():
            data[name] = values[name]
    if values.get("lifecycle_stage"):
        data["lifecycle_stage"] = values["lifecycle_stage"]
    if values.get("email", "").strip():
        data["emails"] = [{"email": values["email"], "primary": True}]
    if values.get("phone", "").strip():
        data["phones"] = [{"number": values["phone"], "primary": True}]
    tags = split_tags(values.get("tags", ""))
    if tags:
        data["tags"] = tags
    return ContactCreate.model_validate(data)
