"""Pydantic building blocks shared by every domain's input and output schemas."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Generic, TypeVar
from zoneinfo import available_timezones

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

T = TypeVar("T")


def has_nul(value: Any) -> bool:
    """True if a NUL character is in a string anywhere inside ``value`` (keys included).

    ``repr`` shows a NUL as ``\\x00``, so text without that in its repr has none: one call in
    C answers for almost every input (each nested input model runs this check again on its part,
    and a large import runs it for every row). Only a repr that shows it, which text holding a
    backslash followed by 'x00' also does, is looked at value by value."""
    if isinstance(value, str):
        return "\x00" in value
    if "\\x00" not in repr(value):
        return False
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
        elif isinstance(item, dict):
            stack.extend(item)
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
    return False


class Input(BaseModel):
    """Request bodies: unknown fields are refused so typos do not pass silently, and text with
    a NUL character (which no database column can hold) is refused as a whole with a 422."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @model_validator(mode="before")
    @classmethod
    def _no_nul(cls, data: Any) -> Any:
        if has_nul(data):
            raise ValueError("text must not contain NUL (\\u0000) characters")
        return data


class Output(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class PageOut(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(
        None, description="Pass as `cursor` to get the next page; null on the last page.")


Name = Annotated[str, StringConstraints(max_length=200)]
ShortText = Annotated[str, StringConstraints(max_length=500)]
LongText = Annotated[str, StringConstraints(max_length=100_000)]
Label = Annotated[str, StringConstraints(max_length=40)]

_ZONES: set[str] | None = None


def _check_zone(value: str | None) -> str | None:
    global _ZONES
    if value is None:
        return None
    if _ZONES is None:
        _ZONES = available_timezones()
    if value not in _ZONES:
        raise ValueError(f"'{value}' is not an IANA time zone such as 'Europe/Paris'")
    return value


TimeZoneName = Annotated[str | None, AfterValidator(_check_zone)]


def _check_country(value: str | None) -> str | None:
    if value is None:
        return None
    if len(value) != 2 or not value.isalpha():
        raise ValueError("country must be a 2-letter ISO 3166 code such as 'US' or 'FR'")
    return value.upper()


CountryCode = Annotated[str | None, AfterValidator(_check_country)]


class Address(Input):
    label: Label | None = None
    street: ShortText | None = None
    city: Name | None = None
    region: Name | None = None
    postal_code: Annotated[str, StringConstraints(max_length=20)] | None = None
    country: CountryCode = None


class ImportantDate(Input):
    label: Name = Field(description="e.g. 'Wedding anniversary', 'Daughter's wedding'")
    date: date
    recurring: bool = Field(True, description="Repeats every year (birthdays, anniversaries)")


class SocialProfile(Input):
    network: Annotated[str, StringConstraints(min_length=1, max_length=40)]
    handle: Name | None = None
    url: Annotated[str, StringConstraints(max_length=500)] | None = None


CustomFieldValues = dict[Annotated[str, StringConstraints(max_length=63)], Any]
