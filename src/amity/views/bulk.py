"""Bulk actions over a contact list's selection: add a tag, assign an owner, delete.

Each record changes through the contacts service (so each change is audited and publishes its
events, in the request's one transaction) and only if the actor may edit (or delete) that
record; the others are counted and named in the result, never changed.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Literal

from sqlalchemy.orm import Session

from amity.auth.access import Permission, check_owner, check_record
from amity.auth.models import User
from amity.contacts import service as contacts
from amity.contacts.models import Contact
from amity.contacts.schemas import ContactUpdate
from amity.core.errors import DomainError, ValidationFailed
from amity.core.text import fold

MAX_BULK = 500  # one request, one transaction: bigger changes belong to an import
Action = Literal["tag", "owner", "delete"]
PERMISSION: dict[str, Permission] = {"tag": Permission.CONTACTS_EDIT,
                                     "owner": Permission.CONTACTS_EDIT,
                                     "delete": Permission.CONTACTS_DELETE}


@dataclass
class BulkPlan:
    action: Action
    allowed: list[Contact] = field(default_factory=list)
    refused: list[Contact] = field(default_factory=list)


@dataclass
class BulkResult:
    action: Action
    changed: int = 0
    unchanged: int = 0  # already as asked (the tag was there, the owner was the same)
    refused: list[str] = field(default_factory=list)  # names of records left alone


def plan(db: Session, *, actor: User, action: Action, contacts_: list[Contact]) -> BulkPlan:
    """Split the selection into records the actor may change and those they may not."""
    if len(contacts_) > MAX_BULK:
        raise ValidationFailed("bulk.too_many", f"Select at most {MAX_BULK} contacts at a "
                               "time (narrow the filters)", "ids")
    out = BulkPlan(action=action)
    for c in contacts_:
        try:
            check_record(db, actor, c, PERMISSION[action], entity="contact")
        except DomainError:
            out.refused.append(c)
        else:
            out.allowed.append(c)
    return out


def apply(db: Session, *, actor: User, plan_: BulkPlan, tag: str = "",
          owner_id: uuid.UUID | None = None, region: str = "US") -> BulkResult:
    """Carry out a plan made in the same transaction."""
    result = BulkResult(action=plan_.action, refused=[c.display_name for c in plan_.refused])
    if plan_.action == "tag":
        tag = tag.strip()
        if not tag:
            raise ValidationFailed("bulk.tag_required", "Give the tag to add", "tag")
    if plan_.action == "owner" and owner_id is not None:
        check_owner(db, actor, owner_id, Permission.CONTACTS_EDIT, field="owner_id")
    for c in plan_.allowed:
        if plan_.action == "delete":
            contacts.delete_contact(db, contact=c, actor=actor)
            result.changed += 1
            continue
        if plan_.action == "tag":
            if any(t.key == fold(tag) for t in c.tags):
                result.unchanged += 1
                continue
            data = ContactUpdate(tags=[t.name for t in c.tags] + [tag])
        else:
            if c.owner_id == owner_id:
                result.unchanged += 1
                continue
            data = ContactUpdate(owner_id=owner_id)
        contacts.update_contact(db, contact=c, data=data, actor=actor, region=region)
        result.changed += 1
    return result
