"""The deal form as posted, turned into the input the deal services take, and their errors
turned into messages next to the fields they concern."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationError

from amity.core.errors import DomainError

FORM_ERROR = "_form"
DEAL_FIELDS = ("name", "amount", "currency", "expected_close_date", "probability",
               "contact_id", "pipeline_id", "stage_id", "next_step", "description", "source")


class DealForm(BaseModel):
    """Every value is checked by ``DealCreate`` / ``DealUpdate``, not here."""

    name: str = ""
    amount: str = ""
    currency: str = "EUR"
    expected_close_date: str = ""
    probability: str = ""
    contact_id: str = ""
    pipeline_id: str = ""
    stage_id: str = ""
    next_step: str = ""
    description: str = ""
    source: str = ""
    version: str = ""


def deal_payload(form: DealForm, *, create: bool) -> dict[str, Any]:
    """The fields filled in (an empty optional field is left out on create, cleared on edit)."""
    data: dict[str, Any] = {"name": form.name.strip(), "currency": form.currency.strip().upper()}
    if form.amount.strip():
        data["amount"] = form.amount.strip().replace(",", "")
    elif create:
        data["amount"] = "0"
    optional = {"expected_close_date": form.expected_close_date, "next_step": form.next_step,
                "description": form.description, "source": form.source}
    for key, value in optional.items():
        if value.strip():
            data[key] = value.strip()
        elif not create:
            data[key] = None
    if form.probability.strip():
        data["probability"] = form.probability.strip()
    for key in ("contact_id", "pipeline_id", "stage_id") if create else ():
        value = getattr(form, key).strip()
        if value:
            data[key] = value
    if not create and form.version.strip().isdigit():
        data["version"] = int(form.version)
    return data


def _field(loc: str | None) -> str:
    head = (loc or "").split(".", 1)[0]
    return head if head in DEAL_FIELDS else FORM_ERROR


def deal_errors(exc: ValidationError | DomainError) -> dict[str, str]:
    errors: dict[str, str] = {}
    if isinstance(exc, DomainError):
        errors[_field(exc.field)] = exc.message
        return errors
    for err in exc.errors():
        loc = ".".join(str(p) for p in err.get("loc", ()))
        errors.setdefault(_field(loc), str(err.get("msg", "invalid value"))
                          .removeprefix("Value error, "))
    return errors
