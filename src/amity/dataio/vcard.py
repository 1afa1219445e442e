"""vCard 2.1, 3.0 and 4.0 read with vobject, and written for exports."""

from __future__ import annotations

import contextlib
import quopri
from dataclasses import dataclass, field
from typing import Any

import vobject


@dataclass
class CardValues:
    full_name: str = ""
    given: str = ""
    middle: str = ""
    family: str = ""
    nickname: str = ""
    emails: list[str] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)
    org: str = ""
    department: str = ""
    title: str = ""
    street: str = ""
    city: str = ""
    region: str = ""
    postal_code: str = ""
    country: str = ""
    birthday: str = ""
    note: str = ""
    urls: list[str] = field(default_factory=list)
    categories: str = ""
    error: str = ""


def _text(value: Any) -> str:
    if isinstance(value, list):
        return " ".join(_text(v) for v in value if v)
    return " ".join(str(value or "").split()) if not isinstance(value, str) else value.strip()


def _decoded(line: Any) -> str:
    """A 2.1 property's value, undoing QUOTED-PRINTABLE and its charset if vobject left it."""
    value = line.value
    params = {k.upper(): [str(x).upper() for x in v] for k, v in line.params.items()}
    enc = params.get("ENCODING", [])
    if isinstance(value, str) and "QUOTED-PRINTABLE" in enc:
        charset = (params.get("CHARSET") or ["UTF-8"])[0]
        with contextlib.suppress(UnicodeError, LookupError):
            value = quopri.decodestring(value.encode("latin-1")).decode(charset)
    return _text(value)


def _children(card: Any, name: str) -> list[Any]:
    return list(card.contents.get(name, []))


def card_values(text: str) -> CardValues:
    """The fields of one card; an unreadable card gives ``error`` and nothing else."""
    try:
        card = vobject.readOne(text, allowQP=True, ignoreUnreadable=True)
    except Exception as exc:  # vobject raises ParseError and others on damaged cards
        return CardValues(error=f"unreadable vCard: {exc}")
    v = CardValues()
    for fn in _children(card, "fn")[:1]:
        v.full_name = _decoded(fn)
    for n in _children(card, "n")[:1]:
        name = n.value
        if isinstance(name, str):
            parts = name.split(";") + [""] * 3
            v.family, v.given, v.middle = (_text(p) for p in parts[:3])
        else:
            v.family, v.given = _text(name.family), _text(name.given)
            v.middle = _text(name.additional)
            if "QUOTED-PRINTABLE" in str(n.params).upper():
                v.family, v.given = (_decoded_str(x, n) for x in (v.family, v.given))
    for nick in _children(card, "nickname")[:1]:
        v.nickname = _decoded(nick)
    v.emails = [_text(e.value) for e in _children(card, "email") if _text(e.value)]
    v.phones = [_text(t.value).removeprefix("tel:") for t in _children(card, "tel")
                if _text(t.value)]
    for org in _children(card, "org")[:1]:
        parts = org.value if isinstance(org.value, list) else str(org.value).split(";")
        v.org = _text(parts[0]) if parts else ""
        v.department = _text(parts[1]) if len(parts) > 1 else ""
    for title in _children(card, "title")[:1]:
        v.title = _decoded(title)
    for adr in _children(card, "adr")[:1]:
        a = adr.value
        if isinstance(a, str):
            parts = a.split(";") + [""] * 7
            street, city, region, postal, country = parts[2:7]
        else:
            street, city, region, postal, country = (a.street, a.city, a.region, a.code,
                                                     a.country)
        v.street, v.city, v.region = _text(street), _text(city), _text(region)
        v.postal_code, v.country = _text(postal), _text(country)
    for bday in _children(card, "bday")[:1]:
        v.birthday = _text(bday.value)
    for note in _children(card, "note")[:1]:
        v.note = _decoded(note)
    v.urls = [_text(u.value) for u in _children(card, "url") if _text(u.value)]
    cats = [c.value for c in _children(card, "categories")]
    v.categories = ", ".join(_text(x) for c in cats for x in (c if isinstance(c, list) else [c]))
    if not (v.full_name or v.given or v.family or v.emails or v.phones):
        v.error = "the card has no name, email or phone"
    return v


def _decoded_str(value: str, line: Any) -> str:
    try:
        return quopri.decodestring(value.encode("latin-1")).decode("utf-8")
    except UnicodeError:
        return value


def write_card(*, first: str, last: str, full: str, emails: list[str], phones: list[str],
               org: str | None, title: str | None, note: str | None,
               birthday: str | None, urls: list[str]) -> str:
    card = vobject.vCard()
    card.add("n").value = vobject.vcard.Name(family=last, given=first)
    card.add("fn").value = full or " ".join(p for p in (first, last) if p) or "(no name)"
    for e in emails:
        card.add("email").value = e
    for p in phones:
        tel = card.add("tel")
        tel.value = p
    if org:
        card.add("org").value = [org]
    if title:
        card.add("title").value = title
    if note:
        card.add("note").value = note
    if birthday:
        card.add("bday").value = birthday
    for u in urls:
        card.add("url").value = u
    return str(card.serialize())
