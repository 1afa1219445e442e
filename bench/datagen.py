"""Realistic, reproducible contact payloads from built-in name lists (no downloads)."""

from __future__ import annotations

import random
from typing import Any

import phonenumbers

from amity.ops.seed_names import (
    CITIES,
    DOMAINS,
    FIRST_NAMES,
    JOB_TITLES,
    LAST_NAMES,
    SOURCES,
    STAGES,
    TAGS,
    US_AREAS,
    ascii_fold,
)


class ContactGenerator:
    """Deterministic for a seed; every payload passes the API's validation."""

    def __init__(self, seed: int = 42) -> None:
        self.rng = random.Random(seed)
        self.counter = 0

    def phone(self) -> str:
        r = self.rng
        while True:
            kind = r.random()
            if kind < 0.75:
                raw = f"+1 {r.choice(US_AREAS)} {r.randint(201, 989)} {r.randint(0, 9999):04d}"
            elif kind < 0.85:
                raw = f"+44 20 7{r.randint(100, 999)} {r.randint(0, 9999):04d}"
            elif kind < 0.95:
                raw = f"+33 1 {r.randint(40, 49)} {r.randint(10, 99)} {r.randint(10, 99)} " \
                      f"{r.randint(10, 99)}"
            else:
                raw = f"+49 30 {r.randint(2000000, 9999999)}"
            try:
                num = phonenumbers.parse(raw, "US")
            except phonenumbers.NumberParseException:
                continue
            if phonenumbers.is_valid_number(num):
                return raw

    def contact(self) -> dict[str, Any]:
        r = self.rng
        self.counter += 1
        first, last = r.choice(FIRST_NAMES), r.choice(LAST_NAMES)
        local = f"{ascii_fold(first)}.{ascii_fold(last)}{self.counter}"
        body: dict[str, Any] = {
            "first_name": first, "last_name": last,
            "emails": [{"email": f"{local}@{r.choice(DOMAINS)}", "label": "work"}],
            "lifecycle_stage": r.choice(STAGES),
        }
        if r.random() < 0.3:
            body["emails"].append({"email": f"{ascii_fold(first)}{self.counter}@gmail.com",
                                   "label": "home"})
        n_phones = r.choices([0, 1, 2], weights=[2, 6, 2])[0]
        if n_phones:
            body["phones"] = [{"number": self.phone()} for _ in range(n_phones)]
        if title := r.choice(JOB_TITLES):
            body["job_title"] = title
        if source := r.choice(SOURCES):
            body["source"] = source
        if n_tags := r.choices([0, 1, 2, 3], weights=[4, 3, 2, 1])[0]:
            body["tags"] = r.sample(TAGS, n_tags)
        if r.random() < 0.25:
            city, region, country = r.choice(CITIES)
            body["addresses"] = [{"label": "work", "street": f"{r.randint(1, 999)} Main Street",
                                  "city": city, "region": region, "country": country,
                                  "postal_code": f"{r.randint(10000, 99999)}"}]
        return body

    def batch(self, n: int) -> list[dict[str, Any]]:
        return [self.contact() for _ in range(n)]

    def substring_query(self) -> str:
        """Four consecutive letters from the middle of a real last name."""
        name = self.rng.choice([n for n in LAST_NAMES if len(n) >= 6 and n.isalpha()])
        start = self.rng.randint(1, len(name) - 4)
        return name[start:start + 4].lower()

    def typo_query(self) -> str:
        """A last name (ASCII, 6+ letters) with one interior letter replaced."""
        name = self.rng.choice([n for n in LAST_NAMES if len(n) >= 6 and n.isascii()
                                and n.isalpha()])
        i = self.rng.randint(1, len(name) - 2)
        letters = [c for c in "aeioulnrst" if c != name[i].lower()]
        return name[:i] + self.rng.choice(letters) + name[i + 1:]
