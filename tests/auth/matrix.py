"""The permission matrix: one entry per API operation (method, path) saying which permission
it needs, whether it concerns one record (so ownership matters), what success looks like, and
which body it sends. ``test_matrix`` fails when an operation has no entry here. Each domain
keeps its entries in its own ``matrix_<domain>.py``.
"""

from __future__ import annotations

from tests.auth.matrix_activities import ACTIVITIES
from tests.auth.matrix_analytics import ANALYTICS
from tests.auth.matrix_automation import AUTOMATION
from tests.auth.matrix_base import (
    ANY,
    CATALOGUE_READ,
    ROLES_READ,
    TEAMS_MANAGE,
    Op,
    _hex,
    _json,
)
from tests.auth.matrix_commerce import COMMERCE
from tests.auth.matrix_dataio import DATAIO
from tests.auth.matrix_dataquality import DATAQUALITY
from tests.auth.matrix_deals import DEALS, PIPELINES
from tests.auth.matrix_dedupe import DEDUPE
from tests.auth.matrix_forecast import FORECAST
from tests.auth.matrix_forms import FORMS
from tests.auth.matrix_intelligence import INTELLIGENCE
from tests.auth.matrix_jobs import JOBS
from tests.auth.matrix_mailboxes import MAILBOXES
from tests.auth.matrix_outreach import OUTREACH
from tests.auth.matrix_reports import REPORTS
from tests.auth.matrix_scoring import SCORING
from tests.auth.matrix_tickets import TICKETS
from tests.auth.matrix_views import VIEWS
from tests.auth.matrix_webhooks import WEBHOOKS

__all__ = ["ANY", "CATALOGUE_READ", "MATRIX", "ROLES_READ", "TEAMS_MANAGE", "Op"]


MATRIX: dict[tuple[str, str], Op] = {
    # contacts
    ("GET", "/api/v1/contacts"): Op("contacts.view", 200),
    ("POST", "/api/v1/contacts"): Op("contacts.create", 201, body=_json({"first_name": "New"})),
    ("POST", "/api/v1/contacts/bulk"): Op("contacts.create", 201,
                                          body=_json({"items": [{"first_name": "Bulk"}]})),
    ("GET", "/api/v1/contacts/{contact_id}"): Op("contacts.view", 200, record=True),
    ("PATCH", "/api/v1/contacts/{contact_id}"): Op("contacts.edit", 200, record=True,
                                                    body=_json({"job_title": "Changed"})),
    ("DELETE", "/api/v1/contacts/{contact_id}"): Op("contacts.delete", 204, record=True),
    ("POST", "/api/v1/contacts/{contact_id}/restore"): Op("contacts.delete", 200, record=True,
                                                          deleted=True),
    ("GET", "/api/v1/contacts/{contact_id}/360"): Op("contacts.view", 200, record=True),
    ("GET", "/api/v1/contacts/{contact_id}/notes"): Op("contacts.view", 200, record=True),
    ("POST", "/api/v1/contacts/{contact_id}/notes"): Op("contacts.edit", 201, record=True,
                                                        body=_json({"body": "hello"})),
    ("GET", "/api/v1/contacts/{contact_id}/history"): Op("contacts.view", 200, record=True),
    # privacy: consent, subject access export, erasure
    ("GET", "/api/v1/contacts/{contact_id}/consents"): Op("contacts.view", 200, record=True),
    ("POST", "/api/v1/contacts/{contact_id}/consents"): Op(
        "contacts.edit", 201, record=True,
        body=_json({"purpose": "marketing", "channel": "email", "status": "given"})),
    ("GET", "/api/v1/contacts/{contact_id}/export"): Op("contacts.export", 200, record=True),
    ("POST", "/api/v1/contacts/{contact_id}/erase"): Op(
        "contacts.delete", 200, record=True, admin_only=True,
        body=lambda ids: {"confirm": str(ids["contact_id"])}),
    # the whole audit log: settings.edit in scope all
    ("GET", "/api/v1/audit"): Op("settings.edit", 200),
    # companies
    ("GET", "/api/v1/companies"): Op("companies.view", 200),
    ("POST", "/api/v1/companies"): Op("companies.create", 201,
                                      body=lambda ids: {"name": f"New {_hex()}"}),
    ("GET", "/api/v1/companies/{company_id}"): Op("companies.view", 200, record=True),
    ("PATCH", "/api/v1/companies/{company_id}"): Op("companies.edit", 200, record=True,
                                                    body=_json({"industry": "Bakery"})),
    ("DELETE", "/api/v1/companies/{company_id}"): Op("companies.delete", 204, record=True),
    ("POST", "/api/v1/companies/{company_id}/restore"): Op("companies.delete", 200,
                                                           record=True, deleted=True),
    ("GET", "/api/v1/companies/{company_id}/notes"): Op("companies.view", 200, record=True),
    ("POST", "/api/v1/companies/{company_id}/notes"): Op("companies.edit", 201, record=True,
                                                         body=_json({"body": "hello"})),
    ("GET", "/api/v1/companies/{company_id}/history"): Op("companies.view", 200, record=True),
    # notes (on a contact): the parent's permission
    ("GET", "/api/v1/notes/{note_id}"): Op("contacts.view", 200, record=True),
    ("PATCH", "/api/v1/notes/{note_id}"): Op("contacts.edit", 200, record=True,
                                             body=_json({"body": "edited"})),
    ("DELETE", "/api/v1/notes/{note_id}"): Op("contacts.edit", 204, record=True),
    # custom field definitions: the list is open (forms need it), defining needs settings.edit
    ("GET", "/api/v1/custom-fields"): Op(ANY, 200),
    ("POST", "/api/v1/custom-fields"): Op("settings.edit", 201, body=lambda ids: {
        "entity": "contact", "key": f"k_{_hex()}", "label": "K", "type": "text"}),
    ("GET", "/api/v1/custom-fields/{definition_id}"): Op(ANY, 200),
    ("PATCH", "/api/v1/custom-fields/{definition_id}"): Op("settings.edit", 200,
                                                           body=_json({"label": "Changed"})),
    ("POST", "/api/v1/custom-fields/{definition_id}/archive"): Op("settings.edit", 200),
    ("POST", "/api/v1/custom-fields/{definition_id}/restore"): Op("settings.edit", 200),
    ("DELETE", "/api/v1/custom-fields/{definition_id}"): Op("settings.edit", 204),
    # users
    ("GET", "/api/v1/users/me"): Op(ANY, 200),
    ("GET", "/api/v1/users"): Op("users.view", 200),
    ("POST", "/api/v1/users"): Op("users.edit", 201, body=lambda ids: {
        "email": f"new-{_hex()}@example.com", "name": "New"}),
    ("GET", "/api/v1/users/{user_id}"): Op("users.view", 200),
    ("PATCH", "/api/v1/users/{user_id}"): Op("users.edit", 200, body=_json({"name": "Renamed"})),
    ("POST", "/api/v1/users/{user_id}/deactivate"): Op("users.edit", 200, body=_json({})),
    ("POST", "/api/v1/users/{user_id}/reactivate"): Op("users.edit", 200, inactive_user=True),
    ("POST", "/api/v1/users/{user_id}/reassign"): Op("users.edit", 200, body=lambda ids: {
        "to": str(ids["root"])}),
    # teams
    ("GET", "/api/v1/teams"): Op("users.view", 200),
    ("POST", "/api/v1/teams"): Op(TEAMS_MANAGE, 201, body=lambda ids: {"name": f"T {_hex()}"}),
    ("GET", "/api/v1/teams/{team_id}"): Op("users.view", 200),
    ("PATCH", "/api/v1/teams/{team_id}"): Op(TEAMS_MANAGE, 200,
                                             body=_json({"description": "changed"})),
    ("DELETE", "/api/v1/teams/{team_id}"): Op(TEAMS_MANAGE, 204),
    ("PUT", "/api/v1/teams/{team_id}/members"): Op(TEAMS_MANAGE, 200, body=lambda ids: {
        "member_ids": [str(ids["root"])]}),
    ("POST", "/api/v1/teams/{team_id}/members/{user_id}"): Op(TEAMS_MANAGE, 200),
    ("DELETE", "/api/v1/teams/{team_id}/members/{user_id}"): Op(TEAMS_MANAGE, 200),
    # roles
    ("GET", "/api/v1/roles"): Op(ROLES_READ, 200),
    ("POST", "/api/v1/roles"): Op("settings.edit", 201, body=lambda ids: {
        "name": f"role-{_hex()}", "permissions": {"contacts": {"view": "own"}}}),
    ("GET", "/api/v1/roles/{role_id}"): Op(ROLES_READ, 200),
    ("PATCH", "/api/v1/roles/{role_id}"): Op("settings.edit", 200,
                                             body=_json({"description": "changed"})),
    ("DELETE", "/api/v1/roles/{role_id}"): Op("settings.edit", 204),
    **DEALS, **PIPELINES, **FORECAST, **COMMERCE, **JOBS, **TICKETS, **ACTIVITIES, **OUTREACH,
    **DATAIO, **ANALYTICS, **REPORTS,
    # global search: every signed-in user; each group holds only what they may see
    ("GET", "/api/v1/search"): Op(ANY, 200),
    # semantic search: every signed-in user, within their scope; indexing now: settings.edit
    ("GET", "/api/v1/search/semantic"): Op(ANY, 200),
    ("POST", "/api/v1/search/semantic/index"): Op("settings.edit", 202),
    **VIEWS,
    # each user's own API tokens
    ("GET", "/api/v1/tokens"): Op(ANY, 200),
    ("POST", "/api/v1/tokens"): Op(ANY, 201, body=_json({"name": "matrix"})),
    ("DELETE", "/api/v1/tokens/{token_id}"): Op(ANY, 204),
    **MAILBOXES,
    **AUTOMATION,
    **SCORING,
    **INTELLIGENCE,
    **FORMS,
    **WEBHOOKS,
    **DEDUPE,
    **DATAQUALITY,
}
