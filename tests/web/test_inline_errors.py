"""Every settings and record form shows the API's field errors next to the field: each is
submitted with bad input, answered with a 4xx page whose message sits right after the field
(marked aria-invalid and described by the message), and nothing is stored or audited."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from amity.auth.models import Role, Team, User
from amity.contacts.models import Contact
from amity.core.audit import AuditEntry
from amity.core.customfields import CustomFieldDefinition
from amity.core.db import Database
from amity.deals.models import Deal
from amity.scoring.models import ScoringRule
from amity.sequences.models import Sequence
from tests.web.conftest import page_csrf


def message_next_to(html: str, name: str, error_id: str) -> str:
    """The message for the field named ``name``: the field is marked invalid, described by
    ``error_id``, and the message follows it before any other field begins."""
    field = re.search(rf'<(?:input|select|textarea)[^>]*\bname="{re.escape(name)}"[^>]*>', html)
    assert field, f"no field {name}"
    tag = field.group(0)
    assert 'aria-invalid="true"' in tag, f"{name} is not marked invalid: {tag}"
    assert f'aria-describedby="{error_id}"' in tag, f"{name} is not described by {error_id}"
    after = html[field.end():]
    message = re.match(r'(?:(?!\bname=")[\s\S]){0,4000}?'
                       rf'<p class="field-error" id="{re.escape(error_id)}">([^<]+)</p>', after)
    assert message, f"no message right after {name}"
    return message.group(1)


def _definition(client: TestClient) -> str:
    r = client.post("/api/v1/custom-fields", json={"entity": "contact", "key": "tier",
                                                   "label": "Tier", "type": "text"})
    assert r.status_code == 201
    return str(r.json()["id"])


# (page with the form, where it posts, the bad input, field name (None: a group of fields,
# a fieldset described by the message), error id, table to count)
Case = tuple[str, str, dict[str, Any], str | None, str, Any]
CASES: dict[str, Callable[[TestClient], Case]] = {
    "new contact": lambda c: ("/contacts/new", "/contacts",
                              {"first_name": "Ada", "email": "not-an-email"}, "email",
                              "email-error", Contact),
    "new deal": lambda c: ("/deals/new", "/deals", {"name": "Big", "amount": "lots"},
                           "amount", "amount-error", Deal),
    "new user": lambda c: ("/settings/users", "/settings/users",
                           {"name": "Kim", "email": "nonsense", "role": "sales_rep"},
                           "email", "new.email-error", User),
    "new custom field": lambda c: ("/settings/fields", "/settings/fields",
                                   {"entity": "contact", "key": "Bad Key", "label": "B",
                                    "type": "text"}, "key", "key-error",
                                   CustomFieldDefinition),
    "edit custom field": lambda c: (f"/settings/fields/{_definition(c)}", "",
                                    {"label": "", "type": "text"}, "label", "label-error",
                                    CustomFieldDefinition),
    "new team": lambda c: ("/settings/teams/new", "/settings/teams", {"name": ""}, "name",
                           "name-error", Team),
    "new role": lambda c: ("/settings/roles/new", "/settings/roles", {"name": "bad/name"},
                           "name", "name-error", Role),
    "scoring rule": lambda c: ("/settings/scoring", "/settings/scoring/rules",
                               {"name": "Visits", "kind": "behaviour", "points": "many"},
                               "points", "points-error", ScoringRule),
    "new sequence": lambda c: ("/sequences", "/sequences", {"name": " "}, "name",
                               "name-error", Sequence),
    "sequence step": lambda c: ("/sequences", "/sequences",
                                {"name": "Welcome", "kind": "wait", "wait_hours": ""},
                                None, "steps.0-error", Sequence),
    "best hour on a task step": lambda c: ("/sequences", "/sequences",
                                           {"name": "Calls", "kind": "task",
                                            "task_title": "Call", "timing": "best_hour"},
                                           None, "steps.0-error", Sequence),
    "scoring threshold": lambda c: ("/settings/scoring", "/settings/scoring/threshold",
                                    {"threshold": "0"}, "threshold", "threshold-error",
                                    ScoringRule),
}


def _counts(database: Database, model: Any) -> tuple[int, int]:
    with database.transaction() as s:
        return (int(s.scalar(select(func.count()).select_from(model)) or 0),
                int(s.scalar(select(func.count()).select_from(AuditEntry)) or 0))


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_is_shown_next_to_its_field(case: str, signed_in: TestClient,
                                              client: TestClient, database: Database) -> None:
    page, action, data, name, error_id, model = CASES[case](client)
    token = page_csrf(signed_in, page)
    before = _counts(database, model)
    r = signed_in.post(action or page, data={"csrf_token": token, **data})
    assert 400 <= r.status_code < 500, (case, r.status_code)
    if name is None:
        group = re.search(rf'<fieldset aria-describedby="{re.escape(error_id)}">'
                          rf'(?:(?!</fieldset>)[\s\S])*<p class="field-error" '
                          rf'id="{re.escape(error_id)}">([^<]+)</p>', r.text)
        assert group and group.group(1).strip(), f"no message in the group for {case}"
    else:
        assert message_next_to(r.text, name, error_id).strip()
    assert _counts(database, model) == before, f"{case} changed something"
