"""Permission-matrix entries for interactions, tasks, the agenda, notifications, the contact
timeline and calendars (see matrix.py). Interactions and tasks follow the contact they concern
(the world's call and task are about its contact); notifications and the calendar feed are the
user's own."""

from __future__ import annotations

from tests.auth.matrix_base import ANY, Op, _hex, _json


def _ics(ids: object) -> dict[str, str]:
    return {"ics": "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//matrix//EN\r\nBEGIN:VEVENT\r\n"
                   f"UID:matrix-{_hex()}@example.com\r\nDTSTAMP:20300101T090000Z\r\n"
                   "DTSTART:20300102T100000Z\r\nDTEND:20300102T110000Z\r\n"
                   "SUMMARY:Matrix meeting\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"}


ACTIVITIES: dict[tuple[str, str], Op] = {
    ("POST", "/api/v1/interactions"): Op("contacts.edit", 201, body=_json(
        {"channel": "call", "direction": "outbound", "subject": "Matrix call"})),
    ("GET", "/api/v1/interactions"): Op("contacts.view", 200),
    ("GET", "/api/v1/interactions/{interaction_id}"): Op("contacts.view", 200, record=True),
    ("PATCH", "/api/v1/interactions/{interaction_id}"): Op(
        "contacts.edit", 200, record=True, body=_json({"subject": "Changed"})),
    ("DELETE", "/api/v1/interactions/{interaction_id}"): Op("contacts.edit", 204, record=True),
    ("POST", "/api/v1/interactions/{interaction_id}/restore"): Op("contacts.edit", 200,
                                                                  record=True),
    ("GET", "/api/v1/notifications"): Op(ANY, 200),
    ("POST", "/api/v1/notifications/read"): Op(ANY, 200, body=_json({"all": True})),
    ("POST", "/api/v1/tasks"): Op("contacts.edit", 201, body=_json({"title": "Matrix task"})),
    ("GET", "/api/v1/tasks"): Op(ANY, 200),
    ("GET", "/api/v1/tasks/{task_id}"): Op("contacts.view", 200, record=True),
    ("PATCH", "/api/v1/tasks/{task_id}"): Op("contacts.edit", 200, record=True,
                                             body=_json({"priority": "high"})),
    ("DELETE", "/api/v1/tasks/{task_id}"): Op("contacts.edit", 204, record=True),
    ("POST", "/api/v1/tasks/{task_id}/restore"): Op("contacts.edit", 200, record=True),
    ("POST", "/api/v1/tasks/{task_id}/complete"): Op("contacts.edit", 200, record=True),
    ("POST", "/api/v1/tasks/{task_id}/reopen"): Op("contacts.edit", 200, record=True),
    ("GET", "/api/v1/agenda"): Op(ANY, 200),
    ("GET", "/api/v1/contacts/{contact_id}/timeline"): Op("contacts.view", 200, record=True),
    ("GET", "/api/v1/calendar/feed"): Op(ANY, 200),
    ("POST", "/api/v1/calendar/feed"): Op(ANY, 201),
    ("DELETE", "/api/v1/calendar/feed"): Op(ANY, 204),
    ("POST", "/api/v1/calendar/import"): Op("contacts.edit", 201, body=_ics),
}
