"""The periodic SLA check runs as a scheduled job and records each breach once."""

from __future__ import annotations

from fastapi.testclient import TestClient

from amity.config import Settings
from amity.core.db import Database
from amity.jobs import schedule
from amity.jobs.tickets import CHECK_SLA
from amity.jobs.worker import run_until_idle
from tests.tickets.support import Clock, at, events, make_policy, make_ticket


def test_the_scheduled_check_records_breaches(client: TestClient, database: Database,
                                              settings: Settings, clock: Clock) -> None:
    [sla] = [s for s in schedule.SCHEDULES if s.kind == CHECK_SLA]
    make_policy(client, first_response_minutes=30, resolution_minutes=120,
                warning_percent=50)
    clock.set(at("2026-03-02T09:00:00+00:00"))
    t = make_ticket(client)
    clock.set(at("2026-03-02T09:31:00+00:00"))
    assert schedule.run_slot(database, sla, sla.slot(clock.at))
    assert not schedule.run_slot(database, sla, sla.slot(clock.at))  # one run per slot
    run_until_idle(database, settings)
    assert [(e["ticket_id"], e["target"]) for e in events(database, "ticket.sla_breached")] \
        == [(t["id"], "first_response")]
    # the first response's warning (09:15) was overtaken by its breach: not sent late
    assert events(database, "ticket.sla_warning") == []
    clock.set(at("2026-03-02T10:01:00+00:00"))  # the resolution's warning (10:00) is due
    assert schedule.run_slot(database, sla, sla.slot(clock.at))
    run_until_idle(database, settings)
    assert [e["target"] for e in events(database, "ticket.sla_warning")] == ["resolution"]
    assert len(events(database, "ticket.sla_breached")) == 1
