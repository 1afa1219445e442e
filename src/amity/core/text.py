"""Text folding used for search keys: lower-case, accents removed, whitespace collapsed."""

from __future__ import annotations

import re
import unicodedata

_WS = re.compile(r"\s+")


def fold(text: str | None) -> str:
    """'  Zoë  O\u2019Brien ' -> 'zoe o'brien': the form search columns store and queries use."""
    if not text:
        return ""
    if text.isascii():  # most text: nothing to decompose, no accents to drop
        return _WS.sub(" ", text).strip().lower()
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    stripped = stripped.replace("\u2019", "'").replace("ß", "ss")
    return _WS.sub(" ", stripped).strip().lower()


def digits(text: str | None) -> str:
    return "".join(ch for ch in (text or "") if ch.isdigit())
