"""Workflow latency: from a domain event to the workflow's action, with real ``amity worker``
processes on PostgreSQL.

    python bench/workflows.py --database-url postgresql://postgres@127.0.0.1:5432/amity_bench_wf

Drops and recreates the database and migrates it, creates an admin and one enabled workflow
"contact created -> create a task for the owner", starts 2 worker processes (default poll and
dispatch intervals, ``--concurrency`` runner threads each), then creates ``--contacts``
contacts one by one through the contacts service, ``--gap`` seconds apart on average
(uniform in [gap/2, 3 gap/2]; each contact also costs a scoring job, so a short gap measures
the queue's backlog rather than the path from event to action). Reports the median, p95
and max of (task created_at - contact.created event occurred_at).
See bench/README.md.
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import func, select

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url",
                        default="postgresql://postgres@127.0.0.1:5432/amity_bench_wf")
    parser.add_argument("--contacts", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--gap", type=float, default=0.5)
    args = parser.parse_args()

    sys.path.insert(0, str(HERE))
    from contacts_api import recreate_database

    from amity.activities.models import Task
    from amity.auth import service as auth
    from amity.automation.definition import Definition
    from amity.automation.models import WorkflowRun
    from amity.automation.service import create_workflow
    from amity.contacts.schemas import ContactCreate
    from amity.contacts.service import create_contact
    from amity.core.db import Database, make_engine
    from amity.core.events import EventRecord
    from amity.db import upgrade
    from amity.jobs.models import Job
    from jobs import start_workers, stop_workers

    url = args.database_url
    recreate_database(url)
    upgrade(url)
    database = Database(make_engine(url, pool_size=2))
    with database.transaction() as s:
        admin = auth.create_user(s, email="bench@example.com", name="Bench", password=None,
                                 is_admin=True)
        create_workflow(s, name="Call new contacts", description=None, enabled=True,
                        actor=admin, definition=Definition.model_validate({
                            "trigger": {"type": "event", "event": "contact.created"},
                            "actions": [{"type": "create_task", "title": "Call them"}]}))
        admin_id = admin.id
    procs = start_workers(url, 2, args.concurrency)
    try:
        # Start-up: the workers are ready when they have run the scheduler's first jobs (on
        # the loaded shared machine importing the app alone can take several seconds).
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            with database.transaction(write=False) as s:
                done = s.scalar(select(func.count()).select_from(Job).where(
                    Job.status == "done"))
                waiting = s.scalar(select(func.count()).select_from(Job).where(
                    Job.status != "done"))
            if done and not waiting:
                break
            time.sleep(0.5)
        for i in range(args.contacts):
            with database.transaction() as s:
                actor = s.get(type(admin), admin_id)
                assert actor is not None
                create_contact(s, data=ContactCreate(first_name=f"C{i}", last_name="Bench"),
                               actor=actor)
            time.sleep(random.uniform(args.gap / 2, args.gap * 1.5))
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            with database.transaction(write=False) as s:
                n = s.scalar(select(func.count()).select_from(Task))
            if n == args.contacts:
                break
            time.sleep(0.2)
        with database.transaction(write=False) as s:
            rows = s.execute(select(EventRecord.occurred_at, Task.created_at).join(
                WorkflowRun, WorkflowRun.trigger_event_id == EventRecord.id).join(
                Task, Task.contact_id == WorkflowRun.contact_id)).all()
            events = s.scalar(select(func.count()).select_from(EventRecord).where(
                EventRecord.type == "contact.created"))
    finally:
        stop_workers(procs)
    lat = sorted((done - at).total_seconds() for at, done in rows)
    p95 = lat[int(0.95 * (len(lat) - 1))]
    print(f"event -> workflow task created, {len(lat)}/{events} contacts, 2 workers, "
          f"gap {args.gap} s: median "
          f"{statistics.median(lat) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, "
          f"max {lat[-1] * 1000:.0f} ms")
    database.dispose()
    subprocess.run(["uptime"], check=False)


if __name__ == "__main__":
    main()
