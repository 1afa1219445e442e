"""Who may see and change interactions and tasks: derived from the records they concern.

An interaction is visible to whoever may view one of its contacts; with no contact, its company
or deal; with none of those, it counts as a record of its owner under the contacts permission.
Changing it needs the edit permission on one of those. A task is visible to its assignee, its
owner and whoever may view its contact, company or deal (a task about nothing: its owner's
record under the contacts permission); the assignee and the owner may change it unless they
may change nothing at all, others need the edit permission on one of its records.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, false, or_, select, true
from sqlalchemy.orm import Session

from amity.activities.models import Interaction, InteractionParticipant, Task
from amity.auth.access import Permission, scope_for, team_user_ids
from amity.auth.models import User
from amity.companies.models import Company
from amity.contacts.models import Contact
from amity.core.errors import Forbidden, NotFound
from amity.deals.models import Deal

P = InteractionParticipant
EDIT_PERMISSIONS = (Permission.CONTACTS_EDIT, Permission.COMPANIES_EDIT, Permission.DEALS_EDIT,
                    Permission.TICKETS_EDIT)


def _perm(entity: str, action: str) -> Permission:
    return Permission(f"{entity}.{action}")


def owner_condition(db: Session, user: User, owner: Any,
                    permission: Permission) -> ColumnElement[bool]:
    """SQL: the row's owner lies within the user's scope for ``permission``."""
    scope = scope_for(user, permission)
    if scope == "all":
        return true()
    cond: ColumnElement[bool] = false()
    if scope == "own":
        cond = owner == user.id
    elif scope == "team":
        cond = or_(owner.is_(None), owner.in_(sorted(team_user_ids(db, user))))
    return cond


def within(db: Session, user: User, owner_id: uuid.UUID | None,
           permission: Permission) -> bool:
    scope = scope_for(user, permission)
    if scope == "all":
        return True
    if scope == "own":
        return owner_id == user.id
    if scope == "team":
        return owner_id is None or owner_id in team_user_ids(db, user)
    return False


def _related(db: Session, user: User, model: Any, ref: Any, perm: Permission
             ) -> ColumnElement[bool]:
    cond = owner_condition(db, user, model.owner_id, perm)
    if cond is true():
        not_null: ColumnElement[bool] = ref.is_not(None)
        return not_null
    if cond is false():
        return false()
    return exists(select(model.id).where(model.id == ref, cond))


def interaction_condition(db: Session, user: User, action: str = "view") -> ColumnElement[bool]:
    """SQL over ``Interaction``: the rows the user may see (or change, ``action='edit'``)."""
    contact = owner_condition(db, user, Contact.owner_id, _perm("contacts", action))
    company = _related(db, user, Company, Interaction.company_id, _perm("companies", action))
    deal = _related(db, user, Deal, Interaction.deal_id, _perm("deals", action))
    own = owner_condition(db, user, Interaction.owner_id, _perm("contacts", action))
    if all(c is true() for c in (contact, own)) and scope_for(
            user, _perm("companies", action)) == scope_for(user, _perm("deals", action)) == "all":
        return true()
    has_contact = exists(select(P.id).where(P.interaction_id == Interaction.id,
                                            P.contact_id.is_not(None)))
    by_contact: ColumnElement[bool] = has_contact if contact is true() else (
        false() if contact is false() else exists(
            select(P.id).join(Contact, Contact.id == P.contact_id)
            .where(P.interaction_id == Interaction.id, contact)))
    orphan = and_(Interaction.company_id.is_(None), Interaction.deal_id.is_(None), own)
    return or_(by_contact, and_(~has_contact, or_(company, deal, orphan)))


def _owners(db: Session, model: Any, ids: Iterable[uuid.UUID | None]
            ) -> list[uuid.UUID | None]:
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return []
    return list(db.scalars(select(model.owner_id).where(model.id.in_(wanted))))


def may_touch_interaction(db: Session, user: User, interaction: Interaction,
                          action: str) -> bool:
    contact_ids = interaction.contact_ids
    if contact_ids:
        perm = _perm("contacts", action)
        return any(within(db, user, o, perm) for o in _owners(db, Contact, contact_ids))
    if interaction.company_id or interaction.deal_id:
        return any(within(db, user, o, _perm("companies", action))
                   for o in _owners(db, Company, [interaction.company_id])) or any(
            within(db, user, o, _perm("deals", action))
            for o in _owners(db, Deal, [interaction.deal_id]))
    return within(db, user, interaction.owner_id, _perm("contacts", action))


def check_interaction(db: Session, user: User, interaction: Interaction, *,
                      write: bool) -> None:
    """404 unless the user may see it; 403 when writing without the edit permission."""
    if not may_touch_interaction(db, user, interaction, "view"):
        raise NotFound("interaction")
    if write and not may_touch_interaction(db, user, interaction, "edit"):
        raise Forbidden("You need the edit permission on one of this interaction's contacts "
                        "(or its company or deal)")


def may_write_something(user: User) -> bool:
    return any(scope_for(user, p) != "none" for p in EDIT_PERMISSIONS)


def task_condition(db: Session, user: User) -> ColumnElement[bool]:
    """SQL over ``Task``: the tasks the user may see."""
    view = "view"
    mine = or_(Task.assignee_id == user.id, Task.owner_id == user.id)
    contact = _related(db, user, Contact, Task.contact_id, _perm("contacts", view))
    company = _related(db, user, Company, Task.company_id, _perm("companies", view))
    deal = _related(db, user, Deal, Task.deal_id, _perm("deals", view))
    orphan = and_(Task.contact_id.is_(None), Task.company_id.is_(None), Task.deal_id.is_(None),
                  owner_condition(db, user, Task.owner_id, Permission.CONTACTS_VIEW))
    return or_(mine, contact, company, deal, orphan)


def _task_records(db: Session, user: User, task: Task, action: str) -> bool:
    refs = ((Contact, task.contact_id, "contacts"), (Company, task.company_id, "companies"),
            (Deal, task.deal_id, "deals"))
    if all(ref is None for _, ref, _ in refs):
        return within(db, user, task.owner_id, _perm("contacts", action))
    return any(within(db, user, o, _perm(entity, action))
               for model, ref, entity in refs if ref is not None
               for o in _owners(db, model, [ref]))


def check_task(db: Session, user: User, task: Task, *, write: bool) -> None:
    """404 unless the user may see the task; 403 when writing without the right."""
    mine = user.id in (task.assignee_id, task.owner_id)
    if not (mine or _task_records(db, user, task, "view")):
        raise NotFound("task")
    if write and not ((mine and may_write_something(user))
                      or _task_records(db, user, task, "edit")):
        raise Forbidden("Only the assignee, the owner or whoever may edit the task's "
                        "contact, company or deal may change it")
