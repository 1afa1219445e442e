"""Permission-matrix entries for predictions (see matrix.py): models and diagnostics are read
with settings.view and refitted with settings.edit; a contact's predictions follow the
contact; the at-risk list needs contacts.view (and shows only the contacts one may see); the
early-value report and its segment likewise."""

from __future__ import annotations

from tests.auth.matrix_base import Op, _json

INTELLIGENCE: dict[tuple[str, str], Op] = {
    ("GET", "/api/v1/intelligence/models"): Op("settings.view", 200),
    ("POST", "/api/v1/intelligence/refresh"): Op("settings.edit", 202,
                                                 body=_json({"threshold": 0.6})),
    ("GET", "/api/v1/contacts/{contact_id}/predictions"): Op("contacts.view", 200,
                                                              record=True),
    ("GET", "/api/v1/intelligence/at-risk"): Op("contacts.view", 200),
    # early-value signals: the report is read with reports.view, recomputed with
    # settings.edit; the in-window customers need contacts.view (scoped)
    ("GET", "/api/v1/intelligence/early-value"): Op("reports.view", 200),
    ("POST", "/api/v1/intelligence/early-value/refresh"): Op("settings.edit", 202),
    ("GET", "/api/v1/intelligence/early-value/customers"): Op("contacts.view", 200),
    # deal scores follow the deal; the list shows only deals one may see; rescoring is a
    # settings change. Product offers follow the contact.
    ("GET", "/api/v1/deals/{deal_id}/win-chance"): Op("deals.view", 200, record=True),
    # (without ``deal_id``, an allowed user gets the 422 naming it)
    ("GET", "/api/v1/intelligence/win-chances"): Op("deals.view", 422),
    ("POST", "/api/v1/intelligence/deal-scores/refresh"): Op("settings.edit", 202),
    ("GET", "/api/v1/contacts/{contact_id}/recommendations"): Op("contacts.view", 200,
                                                                  record=True),
}
