"""Roles as data: per entity, each action with a scope (none, own, team, all).

A role's ``permissions`` JSON maps entity -> action -> scope, plus ``fields`` -> flags for
field-level protection. Built-in roles are created by the migration and cannot be deleted;
custom roles use the same shape.
"""

from __future__ import annotations

from typing import Any, Literal

ENTITIES = ("contacts", "companies", "deals", "tickets", "orders", "reports", "settings",
            "users", "automation")
ACTIONS = ("view", "create", "edit", "delete", "export")
SCOPES = ("none", "own", "team", "all")
FIELD_FLAGS = ("sensitive",)  # may see personal notes and custom fields marked sensitive

Scope = Literal["none", "own", "team", "all"]
SCOPE_RANK = {s: i for i, s in enumerate(SCOPES)}


def _grid(default: Scope, **per_entity: dict[str, Scope]) -> dict[str, Any]:
    grid: dict[str, Any] = {e: dict.fromkeys(ACTIONS, default) for e in ENTITIES}
    for entity, actions in per_entity.items():
        grid[entity].update(actions)
    return grid


_ALL: dict[str, Scope] = dict.fromkeys(ACTIONS, "all")
_NONE: dict[str, Scope] = dict.fromkeys(ACTIONS, "none")
_VIEW_ALL: dict[str, Scope] = {**_NONE, "view": "all"}

BUILTIN_ROLES: dict[str, dict[str, Any]] = {
    "admin": {
        "description": "Everything, including users, roles and settings.",
        "permissions": {**_grid("all"), "fields": {"sensitive": True}},
    },
    "manager": {
        "description": "Sees and manages the records of their teams; reports and exports.",
        "permissions": {**_grid("team", settings=_VIEW_ALL, users=_VIEW_ALL,
                                reports={**_ALL}),
                        "fields": {"sensitive": True}},
    },
    "sales_rep": {
        "description": "Works their own contacts, companies and deals; reads the team's.",
        "permissions": {**_grid(
            "own",
            contacts={"view": "team", "create": "all", "edit": "own", "delete": "own",
                      "export": "none"},
            companies={"view": "all", "create": "all", "edit": "team", "delete": "none",
                       "export": "none"},
            deals={"view": "team", "create": "all", "edit": "own", "delete": "own",
                   "export": "none"},
            tickets={**_NONE, "view": "team"},
            orders={**_NONE, "view": "team", "create": "all"},
            reports={**_NONE, "view": "team"},
            settings=_NONE, users=_VIEW_ALL, automation=_NONE),
            "fields": {"sensitive": False}},
    },
    "support_agent": {
        "description": "Handles tickets; reads customers and their orders.",
        "permissions": {**_grid(
            "none",
            contacts={**_NONE, "view": "all", "create": "all", "edit": "all"},
            companies=_VIEW_ALL, orders=_VIEW_ALL,
            tickets={"view": "all", "create": "all", "edit": "all", "delete": "none",
                     "export": "none"},
            reports={**_NONE, "view": "team"}, users=_VIEW_ALL),
            "fields": {"sensitive": False}},
    },
    "read_only": {
        "description": "Reads everything except sensitive fields; changes nothing.",
        "permissions": {**_grid("none", **{e: _VIEW_ALL for e in ENTITIES
                                            if e not in ("settings",)}),
                        "fields": {"sensitive": False}},
    },
}


def validate_permissions(raw: dict[str, Any]) -> dict[str, Any]:
    """A complete, checked permission grid (missing entries mean 'none'); ValueError if bad."""
    out: dict[str, Any] = {}
    for entity in ENTITIES:
        actions = raw.get(entity, {}) or {}
        if not isinstance(actions, dict):
            raise ValueError(f"{entity} must map actions to scopes")
        unknown = set(actions) - set(ACTIONS)
        if unknown:
            raise ValueError(f"{entity}: unknown action(s) {sorted(unknown)}")
        out[entity] = {}
        for action in ACTIONS:
            scope = actions.get(action, "none")
            if scope not in SCOPES:
                raise ValueError(f"{entity}.{action} must be one of {SCOPES}")
            out[entity][action] = scope
    unknown_entities = set(raw) - set(ENTITIES) - {"fields"}
    if unknown_entities:
        raise ValueError(f"unknown entities {sorted(unknown_entities)}")
    fields = raw.get("fields", {}) or {}
    out["fields"] = {f: bool(fields.get(f, False)) for f in FIELD_FLAGS}
    return out
