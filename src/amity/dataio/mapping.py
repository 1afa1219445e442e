"""What a column can be mapped to, and the mapping suggested from a file's header names.

A mapping is ``{column: target}``; a target is a field below, ``custom:<key>`` for a custom
field, or ``ignore``. Multi-valued targets (emails, phones, tags, websites) may take several
columns; every other target at most one.
"""

from __future__ import annotations

import re

from sqlalchemy.orm import Session

from amity.core.customfields import definitions_for
from amity.core.errors import ValidationFailed
from amity.dataio import record_custom, records

ADDRESS = ("street", "city", "region", "postal_code", "country")
CONTACT_FIELDS = ("first_name", "last_name", "middle_name", "full_name", "nickname",
                  "job_title", "department", "company", "lifecycle_stage", "source",
                  "birthday", "gender", "language", "time_zone", "notes", "do_not_contact",
                  "email", "email:work", "email:home", "phone", "phone:mobile", "phone:work",
                  "phone:home", *ADDRESS, "website", "linkedin", "twitter", "facebook",
                  "instagram", "github", "tags")
COMPANY_FIELDS = ("name", "domain", "website", "industry", "size", "employee_count", "phone",
                  "description", "email", *ADDRESS, "tags")
MULTI = {"email", "email:work", "email:home", "phone", "phone:mobile", "phone:work",
         "phone:home", "tags", "website"}
IGNORE = "ignore"


def _key(header: str) -> str:
    return re.sub(r"[^a-z0-9]", "", header.lower())


def _numbered(pattern: str, target: str, n: int = 3) -> dict[str, str]:
    return {_key(pattern.format(i=i)): target for i in range(1, n + 1)}


_CONTACT_SYNONYMS: dict[str, str] = {
    **{_key(h): "first_name" for h in ("First Name", "Firstname", "Given Name", "Forename",
                                       "Prénom", "Vorname", "fname")},
    **{_key(h): "last_name" for h in ("Last Name", "Lastname", "Surname", "Family Name",
                                      "Nom", "Nachname", "lname")},
    **{_key(h): "middle_name" for h in ("Middle Name", "Additional Name")},
    **{_key(h): "full_name" for h in ("Name", "Full Name", "Fullname", "Contact Name",
                                      "Display Name", "Contact")},
    **{_key(h): "nickname" for h in ("Nickname", "Nick Name")},
    **{_key(h): "job_title" for h in ("Job Title", "Title", "Position", "Role",
                                      "Organization 1 - Title", "Organization Title")},
    **{_key(h): "department" for h in ("Department", "Organization 1 - Department",
                                       "Organization Department")},
    **{_key(h): "company" for h in ("Company", "Company Name", "Organization",
                                    "Organization 1 - Name", "Organization Name",
                                    "Organisation", "Employer", "Account Name")},
    **{_key(h): "lifecycle_stage" for h in ("Lifecycle Stage", "Stage", "Status")},
    **{_key(h): "source" for h in ("Source", "Lead Source", "Original Source")},
    **{_key(h): "birthday" for h in ("Birthday", "Birth Date", "Date of Birth", "DOB")},
    **{_key(h): "gender" for h in ("Gender", "Sex")},
    **{_key(h): "language" for h in ("Language", "Preferred Language")},
    **{_key(h): "time_zone" for h in ("Time Zone", "Timezone")},
    **{_key(h): "notes" for h in ("Notes", "Note", "Comments")},
    **{_key(h): "do_not_contact" for h in ("Do Not Contact", "Unsubscribed")},
    **{_key(h): "email" for h in ("Email", "E-mail", "Email Address", "E-mail Address",
                                  "Mail", "Primary Email", "Work Email",
                                  "E-mail 2 Address", "E-mail 3 Address")},
    **_numbered("E-mail {i} - Value", "email"), **_numbered("Email {i}", "email"),
    **_numbered("E-mail {i}", "email"),
    **{_key(h): "phone" for h in ("Phone", "Phone Number", "Telephone", "Tel",
                                  "Primary Phone", "Business Phone", "Business Phone 2",
                                  "Company Main Phone", "Other Phone")},
    **_numbered("Phone {i} - Value", "phone"), **_numbered("Phone {i}", "phone"),
    **{_key(h): "phone:mobile" for h in ("Mobile", "Mobile Phone", "Mobile Phone Number",
                                         "Cell", "Cell Phone", "Handy")},
    **{_key(h): "phone:home" for h in ("Home Phone", "Home Phone 2")},
    **{_key(h): "street" for h in ("Street", "Street Address", "Address",
                                   "Address 1 - Street", "Business Street",
                                   "Address Line 1")},
    **{_key(h): "city" for h in ("City", "Town", "Address 1 - City", "Business City")},
    **{_key(h): "region" for h in ("State", "Region", "State/Region", "Province", "County",
                                   "Address 1 - Region", "Business State")},
    **{_key(h): "postal_code" for h in ("Postal Code", "Zip", "Zip Code", "Postcode",
                                        "Address 1 - Postal Code", "Business Postal Code")},
    **{_key(h): "country" for h in ("Country", "Country/Region", "Address 1 - Country",
                                    "Business Country/Region", "Country Code")},
    **{_key(h): "website" for h in ("Website", "Web Page", "Web Site", "URL", "Website URL",
                                    "Homepage", "Personal Web Page")},
    **_numbered("Website {i} - Value", "website"), **_numbered("Website {i}", "website"),
    **{_key(h): "linkedin" for h in ("LinkedIn", "LinkedIn URL", "LinkedIn Profile")},
    **{_key(h): "twitter" for h in ("Twitter", "Twitter Username", "Twitter Handle", "X")},
    **{_key(h): "facebook" for h in ("Facebook", "Facebook URL")},
    **{_key(h): "instagram" for h in ("Instagram",)},
    **{_key(h): "github" for h in ("GitHub",)},
    **{_key(h): "tags" for h in ("Tags", "Labels", "Categories", "Group Membership",
                                 "Groups", "Keywords")},
}
_COMPANY_SYNONYMS: dict[str, str] = {
    **{_key(h): "name" for h in ("Name", "Company", "Company Name", "Organization",
                                 "Organisation", "Account Name")},
    **{_key(h): "domain" for h in ("Domain", "Company Domain Name", "Domain Name")},
    **{_key(h): "website" for h in ("Website", "Website URL", "Web Site", "URL", "Homepage")},
    **{_key(h): "industry" for h in ("Industry", "Sector")},
    **{_key(h): "size" for h in ("Size", "Company Size")},
    **{_key(h): "employee_count" for h in ("Employees", "Number of Employees",
                                           "Employee Count", "Headcount")},
    **{_key(h): "phone" for h in ("Phone", "Phone Number", "Telephone", "Main Phone")},
    **{_key(h): "description" for h in ("Description", "About", "Notes")},
    **{_key(h): "email" for h in ("Email", "E-mail", "Email Address")},
    **{k: v for k, v in _CONTACT_SYNONYMS.items() if v in ADDRESS},
    **{_key(h): "tags" for h in ("Tags", "Labels", "Categories")},
}


def fields_for(entity: str) -> tuple[str, ...]:
    if entity in records.FIELDS:
        return records.FIELDS[entity]
    return CONTACT_FIELDS if entity == "contacts" else COMPANY_FIELDS


def suggest(entity: str, headers: list[str], custom_keys: list[str]) -> dict[str, str]:
    """A target for each header: a known synonym, a custom field's key or label, or ignore.
    A single-valued target goes to the first column that names it."""
    if entity in records.FIELDS:
        suggested = records.suggest(entity, headers)
        record_custom.suggest(headers, suggested, custom_keys)
        return suggested
    synonyms = _CONTACT_SYNONYMS if entity == "contacts" else _COMPANY_SYNONYMS
    custom = {_key(k): f"custom:{k}" for k in custom_keys}
    taken: set[str] = set()
    out: dict[str, str] = {}
    for h in headers:
        k = _key(re.sub(r"\s*\(\d+\)$", "", h))
        target = synonyms.get(k) or custom.get(k) or IGNORE
        if target != IGNORE and target not in MULTI and target in taken:
            target = IGNORE
        taken.add(target)
        out[h] = target
    return out


def custom_keys(db: Session, entity: str) -> list[str]:
    if entity in records.FIELDS:
        return record_custom.custom_keys(db, entity)
    return sorted(definitions_for(db, "contact" if entity == "contacts" else "company"))


def validate(db: Session, entity: str, headers: list[str],
             mapping: dict[str, str]) -> dict[str, str]:
    """Every column named must exist and every target be known; single targets used once;
    a contact import needs a name, email or phone column, a company import a name column."""
    known = set(fields_for(entity))
    keys = set(custom_keys(db, entity))
    clean: dict[str, str] = {}
    used: dict[str, str] = {}
    for column, target in mapping.items():
        if column not in headers:
            raise ValidationFailed("mapping.unknown_column", f"The file has no column "
                                   f"'{column}'", f"mapping.{column}")
        if target == IGNORE:
            clean[column] = target
            continue
        if target.startswith("custom:"):
            if target[7:] not in keys:
                raise ValidationFailed("mapping.unknown_field", f"No custom field "
                                       f"'{target[7:]}' is defined", f"mapping.{column}")
        elif target not in known:
            raise ValidationFailed("mapping.unknown_field", f"'{target}' is not a field of "
                                   f"{entity}; use one of {', '.join(sorted(known))}, "
                                   "custom:<key> or ignore", f"mapping.{column}")
        if target not in MULTI and target in used:
            raise ValidationFailed("mapping.duplicate_field", f"Columns '{used[target]}' and "
                                   f"'{column}' are both mapped to '{target}'",
                                   f"mapping.{column}")
        used[target] = column
        clean[column] = target
    for h in headers:
        clean.setdefault(h, IGNORE)
    targets = {t.split(":")[0] if not t.startswith("custom:") else t for t in used}
    if entity == "contacts" and not targets & {"first_name", "last_name", "full_name",
                                                "email", "phone"}:
        raise ValidationFailed("mapping.no_identity", "Map at least one column to a name, "
                               "email or phone", "mapping")
    missing = [f for f in records.REQUIRED.get(entity, ()) if f not in targets]
    if missing:
        raise ValidationFailed("mapping.required", "Map a column to "
                               + ", ".join(missing), "mapping")
    if entity == "companies" and "name" not in targets:
        raise ValidationFailed("mapping.no_name", "Map a column to the company name", "mapping")
    return clean
