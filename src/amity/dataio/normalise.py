"""Cleaning values on the way in: names, emails, phones, countries, dates, URLs, handles.

Each function returns the clean value or raises ``ValueError`` with a message for people; the
row builder turns that into a per-field error on the row.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from functools import lru_cache
from urllib.parse import urlsplit

import pycountry

from amity.core.contactinfo import normalise_email, normalise_phone
from amity.core.errors import ValidationFailed

PARTICLES = {"van", "von", "der", "den", "de", "del", "della", "di", "da", "du", "la", "le",
             "ten", "ter", "bin", "al", "dos", "das", "y"}
FREE_MAIL = {"gmail.com", "googlemail.com", "yahoo.com", "yahoo.co.uk", "hotmail.com",
             "outlook.com", "live.com", "msn.com", "aol.com", "icloud.com", "me.com",
             "gmx.de", "gmx.net", "web.de", "proton.me", "protonmail.com", "mail.com",
             "yandex.ru", "orange.fr", "free.fr", "t-online.de", "qq.com", "163.com"}
COUNTRY_ALIASES = {"uk": "GB", "u.k.": "GB", "england": "GB", "scotland": "GB", "wales": "GB",
                   "great britain": "GB", "britain": "GB", "usa": "US", "u.s.a.": "US",
                   "u.s.": "US", "america": "US", "united states": "US", "deutschland": "DE",
                   "allemagne": "DE", "españa": "ES", "espana": "ES", "italia": "IT",
                   "holland": "NL", "the netherlands": "NL", "nederland": "NL",
                   "schweiz": "CH", "suisse": "CH", "österreich": "AT", "osterreich": "AT",
                   "russia": "RU", "south korea": "KR", "korea": "KR", "czech republic": "CZ",
                   "ivory coast": "CI", "vietnam": "VN", "iran": "IR", "turkey": "TR",
                   "brasil": "BR", "méxico": "MX", "belgique": "BE", "belgië": "BE"}
SOCIAL_HOSTS = {"linkedin": "https://www.linkedin.com/in/", "twitter": "https://x.com/",
                "x": "https://x.com/", "facebook": "https://www.facebook.com/",
                "instagram": "https://www.instagram.com/", "github": "https://github.com/"}
EXCEL_EPOCH = date(1899, 12, 30)
_WS = re.compile(r"\s+")
# compiled once: a large import calls these for every row
_SERIAL = re.compile(r"\d{1,5}(\.0+)?")
_NO_YEAR = re.compile(r"--\d{2}-?\d{2}")
_ISO_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T")
_NUMERIC_DATE = re.compile(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2}|\d{4})")
_SCHEME = re.compile(r"^[a-z][a-z0-9+.\-]*://", re.IGNORECASE)
_HANDLE = re.compile(r"[A-Za-z0-9_.\-]{1,100}")
_LIST_SEP = re.compile(r"[,;|]|:::")
_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%d %b %Y", "%d %B %Y",
                 "%b %d, %Y", "%B %d, %Y", "%b %d %Y", "%B %d %Y", "%d-%b-%Y", "%d-%b-%y")


def clean_text(raw: str) -> str:
    return _WS.sub(" ", raw.replace("\u00a0", " ")).strip()


def _cap_word(word: str) -> str:
    def cap(part: str) -> str:
        if not part:
            return part
        low = part.lower()
        if low.startswith("mc") and len(low) > 2:
            return "Mc" + low[2].upper() + low[3:]
        if "'" in low[:3] and len(low) > 2:  # O'Brien, D'Angelo
            head, _, tail = low.partition("'")
            return head.capitalize() + "'" + tail.capitalize()
        return low.capitalize()

    return "-".join(cap(p) for p in word.split("-"))


@lru_cache(maxsize=65536)  # names repeat: a file has far fewer distinct names than rows
def name_case(raw: str) -> str:
    """Trimmed; a word written all in capitals or all in lower case is re-cased ('MCDONALD' ->
    'McDonald', "o'brien" -> "O'Brien"), particles stay lower case ('van der Berg'), and a word
    already in mixed case ('DeVito', 'McDonald') is kept as typed."""
    words = clean_text(raw).split(" ")
    out = []
    for w in words:
        letters = [c for c in w if c.isalpha()]
        if letters and not (all(c.isupper() for c in letters)
                            or all(c.islower() for c in letters)):
            out.append(w)
        elif len(words) > 1 and w.lower() in PARTICLES:
            out.append(w.lower())
        else:
            out.append(_cap_word(w))
    return " ".join(out)


def split_full_name(raw: str) -> tuple[str, str]:
    """'Doe, Jane' or 'Jane van der Berg' -> (first, last); particles start the last name."""
    text = clean_text(raw)
    if "," in text:
        last, _, first = text.partition(",")
        return name_case(first), name_case(last)
    words = text.split(" ")
    if len(words) == 1:
        return name_case(words[0]), ""
    for i, w in enumerate(words[1:], start=1):
        if w.lower() in PARTICLES:
            return name_case(" ".join(words[:i])), name_case(" ".join(words[i:]))
    return name_case(" ".join(words[:-1])), name_case(words[-1])


# An unquoted ASCII local part (RFC 5322 dot-atom), which email_validator keeps as written.
_LOCAL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")


@lru_cache(maxsize=8192)
def _mail_domain(domain: str) -> str | None:
    """A domain as email_validator normalises it, None if it refuses it. Validating a domain
    is most of the cost of validating an address and files repeat domains, hence the cache."""
    try:
        return normalise_email("x@" + domain).rpartition("@")[2]
    except ValidationFailed:
        return None


def email(raw: str) -> str:
    """The address as ``core.contactinfo.normalise_email`` gives it (lower case, domain
    normalised); a plain local part takes a shortcut with the domain's validation cached,
    anything else (quoted, non-ASCII, too long, invalid) goes through the full validation."""
    text = clean_text(raw).removeprefix("mailto:")
    local, at, domain = text.rpartition("@")
    if at and len(local) <= 64 and _LOCAL.fullmatch(local):
        clean = _mail_domain(domain)
        if clean is not None and len(local) + 1 + len(clean) <= 254:
            return f"{local}@{clean}".lower()
    try:
        return normalise_email(text)
    except ValidationFailed as exc:
        raise ValueError(f"'{raw}' is not a valid email address") from exc


def phone(raw: str, region: str) -> str:
    try:
        return normalise_phone(clean_text(raw).removeprefix("tel:"), region)
    except ValidationFailed as exc:
        raise ValueError(f"'{raw}' is not a valid phone number for region {region}") from exc


@lru_cache(maxsize=4096)
def country(raw: str) -> str:
    """An ISO 3166 alpha-2 code from a code, an alpha-3 code or a name ('Germany', 'UK')."""
    text = clean_text(raw)
    alias = COUNTRY_ALIASES.get(text.lower())
    if alias:
        return alias
    try:
        found = pycountry.countries.lookup(text)
    except LookupError:
        try:
            matches = pycountry.countries.search_fuzzy(text)
        except LookupError:
            matches = []
        if len(matches) != 1:
            raise ValueError(f"'{raw}' is not a country name or ISO 3166 code") from None
        found = matches[0]
    return str(found.alpha_2)


def parse_date(raw: str, *, day_first: bool) -> date:
    """ISO and common written dates, 'MM/DD/YYYY' or 'DD/MM/YYYY' (``day_first``), 'DD.MM.YYYY'
    and Excel serial numbers (days since 1899-12-30)."""
    text = clean_text(raw)
    if _SERIAL.fullmatch(text):
        serial = int(float(text))
        if 1 <= serial <= 80_000:
            return EXCEL_EPOCH + timedelta(days=serial)
    if _NO_YEAR.fullmatch(text):
        raise ValueError(f"'{raw}' has no year")
    if "T" in text and _ISO_TIME.match(text):
        return datetime.fromisoformat(text.replace("Z", "+00:00")).date()
    m = _NUMERIC_DATE.fullmatch(text)
    if m:
        a, b, y = (int(x) for x in m.groups())
        if len(m.group(3)) == 2:
            y += 2000 if y < 30 else 1900
        dotted = "." in text
        day, month = (a, b) if (day_first or dotted) else (b, a)
        if month > 12 and day <= 12:
            day, month = month, day
        try:
            return date(y, month, day)
        except ValueError as exc:
            raise ValueError(f"'{raw}' is not a date") from exc
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"'{raw}' is not a date (try 2024-01-31)")


def url(raw: str) -> str:
    text = clean_text(raw)
    if not _SCHEME.match(text):
        text = "https://" + text
    parts = urlsplit(text)
    if parts.scheme.lower() not in ("http", "https") or "." not in (parts.hostname or ""):
        raise ValueError(f"'{raw}' is not a web address")
    return text


def domain_from_url(raw: str) -> str:
    host = urlsplit(url(raw)).hostname or ""
    return host.lower().removeprefix("www.")


def company_domain_from_email(address: str) -> str | None:
    domain = address.rsplit("@", 1)[-1].lower()
    return None if domain in FREE_MAIL else domain


def social(network: str, raw: str) -> dict[str, str]:
    """A profile from a handle ('@ada', 'ada') or a profile URL."""
    text = clean_text(raw)
    base = SOCIAL_HOSTS.get(network, "")
    if "/" in text or "." in text:
        link = url(text)
        handle = urlsplit(link).path.strip("/").rsplit("/", 1)[-1].lstrip("@")
        return {"network": network, "handle": handle or text, "url": link}
    handle = text.lstrip("@")
    if not _HANDLE.fullmatch(handle):
        raise ValueError(f"'{raw}' is not a {network} handle")
    return {"network": network, "handle": handle, "url": base + handle if base else ""}


def boolean(raw: str) -> bool:
    low = clean_text(raw).lower()
    if low in ("1", "true", "yes", "y", "x", "oui", "ja", "on"):
        return True
    if low in ("0", "false", "no", "n", "non", "nein", "off"):
        return False
    raise ValueError(f"'{raw}' is not yes/no")


def split_list(raw: str) -> list[str]:
    return [p for p in (clean_text(x) for x in _LIST_SEP.split(raw)) if p]
