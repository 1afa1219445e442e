"""Normalising emails, phone numbers, URLs and countries with the libraries that do it well."""

from __future__ import annotations

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from amity.core.errors import ValidationFailed


def normalise_email(raw: str, field: str = "email") -> str:
    """Validated, lower-cased address; a clear 422 naming ``field`` if it is not an address."""
    try:
        return validate_email(raw.strip(), check_deliverability=False).normalized.lower()
    except (EmailNotValidError, AttributeError) as exc:
        raise ValidationFailed("email.invalid", f"'{raw}' is not a valid email address: {exc}",
                               field) from exc


def normalise_phone(raw: str, region: str, field: str = "phone") -> str:
    """E.164 form ('+14155550123'); numbers without a country code are read in ``region``."""
    try:
        num = phonenumbers.parse(str(raw).strip(), region.upper())
    except phonenumbers.NumberParseException as exc:
        raise ValidationFailed("phone.invalid", f"'{raw}' is not a phone number", field) from exc
    if not phonenumbers.is_possible_number(num) or not phonenumbers.is_valid_number(num):
        raise ValidationFailed("phone.invalid", f"'{raw}' is not a valid phone number", field)
    return str(phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164))


def domain_of(email: str) -> str:
    return email.rsplit("@", 1)[-1].lower()
