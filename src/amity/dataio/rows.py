"""One file row -> the clean fields of a contact or company, with a message per bad field."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from amity.companies.schemas import CompanyCreate
from amity.contacts.schemas import ContactCreate
from amity.core.schemas import Address, SocialProfile
from amity.dataio import normalise as norm
from amity.dataio.mapping import ADDRESS, IGNORE
from amity.dataio.reader import CARD_ERROR

STAGES = {"subscriber": "subscriber", "lead": "lead", "qualified": "qualified",
          "marketing qualified lead": "qualified", "sales qualified lead": "qualified",
          "mql": "qualified", "sql": "qualified", "opportunity": "opportunity",
          "customer": "customer", "client": "customer", "evangelist": "evangelist",
          "churned": "churned", "former customer": "churned"}
SIZES = ("1-10", "11-50", "51-200", "201-500", "501-1000", "1001-5000", "5001+")


@dataclass
class Options:
    region: str = "US"
    day_first: bool = False
    match: str = "update_empty"  # update_empty | overwrite | skip | create
    all_or_nothing: bool = False

    @classmethod
    def of(cls, raw: dict[str, Any], default_region: str) -> Options:
        region = str(raw.get("default_region") or default_region).upper()
        return cls(region=region, day_first=bool(raw.get("day_first", region != "US")),
                   match=str(raw.get("match", "update_empty")),
                   all_or_nothing=bool(raw.get("all_or_nothing", False)))


@dataclass
class RowData:
    values: dict[str, Any] = field(default_factory=dict)  # ContactCreate/CompanyCreate input
    company_name: str | None = None  # a contact's company, found or created by name
    emails: list[str] = field(default_factory=list)
    errors: list[dict[str, str]] = field(default_factory=list)
    blank: bool = False
    model: Any = None  # the validated ContactCreate/CompanyCreate of a row without errors

    def fail(self, fld: str, message: str) -> None:
        self.errors.append({"field": fld, "message": message})


def _collect(headers: list[str], mapping: dict[str, str],
             raw: list[str]) -> dict[str, list[str]]:
    got: dict[str, list[str]] = {}
    for h, value in zip(headers, raw, strict=False):
        target = mapping.get(h, IGNORE)
        if target != IGNORE and value is not None and str(value).strip():
            got.setdefault(target, []).append(str(value))
    return got


def _clean(row: RowData, fld: str, fn: Any, *args: Any) -> Any:
    try:
        return fn(*args)
    except ValueError as exc:
        row.fail(fld, str(exc))
        return None


def _address(row: RowData, got: dict[str, list[str]]) -> dict[str, Any] | None:
    parts = {k: norm.clean_text(got[k][0]) for k in ADDRESS if k in got}
    if not parts:
        return None
    if "country" in parts:
        parts["country"] = _clean(row, "country", norm.country, parts["country"])
    return {k: v for k, v in parts.items() if v}


def _custom(row: RowData, got: dict[str, list[str]]) -> dict[str, Any]:
    return {t[7:]: norm.clean_text(v[0]) for t, v in got.items() if t.startswith("custom:")}


def contact_row(headers: list[str], mapping: dict[str, str], raw: list[str],
                opts: Options) -> RowData:
    row = RowData()
    if raw and raw[0].startswith(CARD_ERROR):
        row.fail("card", raw[0].removeprefix(CARD_ERROR))
        return row
    got = _collect(headers, mapping, raw)
    if not got:
        row.blank = True
        return row
    v: dict[str, Any] = {}
    first = norm.name_case(got["first_name"][0]) if "first_name" in got else ""
    last = norm.name_case(got["last_name"][0]) if "last_name" in got else ""
    if not (first or last) and "full_name" in got:
        first, last = norm.split_full_name(got["full_name"][0])
    if "middle_name" in got and first:
        first = f"{first} {norm.name_case(got['middle_name'][0])}"
    if first:
        v["first_name"] = first
    if last:
        v["last_name"] = last
    for key in ("nickname", "job_title", "department", "source", "gender", "language"):
        if key in got:
            v[key] = norm.clean_text(got[key][0])
    if "time_zone" in got:
        v["time_zone"] = norm.clean_text(got["time_zone"][0])
    if "notes" in got:
        v["personal_notes"] = got["notes"][0].strip()
    if "lifecycle_stage" in got:
        stage = STAGES.get(norm.clean_text(got["lifecycle_stage"][0]).lower())
        if stage is None:
            row.fail("lifecycle_stage", f"'{got['lifecycle_stage'][0]}' is not a lifecycle "
                     f"stage ({', '.join(sorted(set(STAGES.values())))})")
        else:
            v["lifecycle_stage"] = stage
    if "do_not_contact" in got:
        flag = _clean(row, "do_not_contact", norm.boolean, got["do_not_contact"][0])
        if flag is not None:
            v["do_not_contact"] = flag
    if "birthday" in got:
        born = _clean(row, "birthday", lambda s: norm.parse_date(s, day_first=opts.day_first),
                      got["birthday"][0])
        if born is not None:
            v["birthday"] = born.isoformat()
    emails: list[dict[str, Any]] = []
    for target in ("email", "email:work", "email:home"):
        for value in got.get(target, []):
            for one in norm.split_list(value.replace(" ", ",")) or [value]:
                addr = _clean(row, "email", norm.email, one)
                if addr and addr not in row.emails:
                    row.emails.append(addr)
                    emails.append({"email": addr, "label": target.partition(":")[2] or None})
    if emails:
        v["emails"] = emails
    phones: list[dict[str, Any]] = []
    seen: set[str] = set()
    for target in ("phone", "phone:mobile", "phone:work", "phone:home"):
        for value in got.get(target, []):
            e164 = _clean(row, "phone", norm.phone, value, opts.region)
            if e164 and e164 not in seen:
                seen.add(e164)
                phones.append({"number": e164, "label": target.partition(":")[2] or None})
    if phones:
        v["phones"] = phones
    addr = _address(row, got)
    if addr and not row.errors:
        v["addresses"] = [_dump(Address, addr, row, "address")]
    profiles: list[dict[str, Any]] = []
    for value in got.get("website", []):
        link = _clean(row, "website", norm.url, value)
        if link:
            profiles.append({"network": "website", "url": link})
    for network in ("linkedin", "twitter", "facebook", "instagram", "github"):
        if network in got:
            prof = _clean(row, network, norm.social, network, got[network][0])
            if prof:
                profiles.append({k: val for k, val in prof.items() if val})
    if profiles:
        v["social_profiles"] = [_dump(SocialProfile, p, row, p["network"]) for p in profiles]
    if "tags" in got:
        v["tags"] = [t for value in got["tags"] for t in norm.split_list(value)]
    custom = _custom(row, got)
    if custom:
        v["custom_fields"] = custom
    if "company" in got:
        row.company_name = norm.clean_text(got["company"][0])
    row.values = v
    if not row.errors:
        _check_schema(row, ContactCreate)
    return row


def company_row(headers: list[str], mapping: dict[str, str], raw: list[str],
                opts: Options) -> RowData:
    got = _collect(headers, mapping, raw)
    row = RowData()
    if not got:
        row.blank = True
        return row
    v: dict[str, Any] = {}
    if "name" in got:
        v["name"] = norm.clean_text(got["name"][0])
    else:
        row.fail("name", "A company needs a name")
    for key in ("industry", "description"):
        if key in got:
            v[key] = norm.clean_text(got[key][0]) if key != "description" else \
                got[key][0].strip()
    if "website" in got:
        link = _clean(row, "website", norm.url, got["website"][0])
        if link:
            v["website"] = link
    if "domain" in got:
        dom = _clean(row, "domain", norm.domain_from_url, got["domain"][0])
        if dom:
            v["domain"] = dom
    elif v.get("website"):
        v["domain"] = norm.domain_from_url(v["website"])
    if "email" in got and "domain" not in v:
        addr = _clean(row, "email", norm.email, got["email"][0])
        if addr:
            v["domain"] = norm.company_domain_from_email(addr)
    if "phone" in got:
        v["phone"] = _clean(row, "phone", norm.phone, got["phone"][0], opts.region)
    if "size" in got:
        size = norm.clean_text(got["size"][0]).replace(" ", "")
        if size not in SIZES:
            row.fail("size", f"'{got['size'][0]}' is not one of {', '.join(SIZES)}")
        else:
            v["size"] = size
    if "employee_count" in got:
        text = norm.clean_text(got["employee_count"][0]).replace(",", "")
        if text.isdigit():
            v["employee_count"] = int(text)
        else:
            row.fail("employee_count", f"'{got['employee_count'][0]}' is not a whole number")
    addr = _address(row, got)
    if addr:
        v["address"] = addr
    if "tags" in got:
        v["tags"] = [t for value in got["tags"] for t in norm.split_list(value)]
    custom = _custom(row, got)
    if custom:
        v["custom_fields"] = custom
    row.values = {k: val for k, val in v.items() if val is not None}
    if not row.errors:
        _check_schema(row, CompanyCreate)
    return row


def _dump(model: Any, value: dict[str, Any], row: RowData, fld: str) -> dict[str, Any]:
    """The value in its stored form (every key), so merging compares like with like."""
    try:
        return dict(model.model_validate(value).model_dump(mode="json"))
    except ValidationError as exc:
        row.fail(fld, "; ".join(e["msg"] for e in exc.errors()))
        return value


def _check_schema(row: RowData, model: Any) -> None:
    try:
        row.model = model.model_validate(row.values)
    except ValidationError as exc:
        for err in exc.errors():
            loc = ".".join(str(p) for p in err["loc"]) or "row"
            row.fail(loc, err["msg"].removeprefix("Value error, "))
