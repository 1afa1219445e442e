"""``amity tickets list|show|assign`` run as a user would, against a SQLite file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from amity.auth import service as auth
from amity.auth.models import Team
from amity.core.db import Database, make_engine
from amity.db import upgrade
from amity.tickets import service
from amity.tickets.models import Ticket
from amity.tickets.schemas import CommentCreate, TicketCreate


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "amity.cli", "tickets", *args], env=env,
                          capture_output=True, text=True, timeout=120)


def test_list_show_assign(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    upgrade(url)
    database = Database(make_engine(url))
    with database.transaction() as s:
        admin = auth.create_user(s, email="boss@example.com", name="Boss", is_admin=True)
        agent = auth.create_user(s, email="ann@example.com", name="Ann", role="support_agent")
        s.add(Team(name="Desk", members=[agent]))
        t = service.create_ticket(s, data=TicketCreate(subject="Oven will not heat"),
                                  actor=admin)
        service.add_comment(s, ticket=t, data=CommentCreate(body="Is it plugged in?"),
                            actor=admin)
        service.create_ticket(s, data=TicketCreate(subject="Wrong invoice"), actor=admin)
    database.dispose()
    env = {**os.environ, "AMITY_DATABASE_URL": url}
    env.pop("AMITY_ENVIRONMENT", None)

    listed = _run(["list"], env)
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.index("T-1002") < listed.stdout.index("T-1001")
    assert "Oven will not heat" in listed.stdout

    shown = _run(["show", "T-1001"], env)
    assert shown.returncode == 0, shown.stderr
    assert "status open" in shown.stdout and "Is it plugged in?" in shown.stdout

    done = _run(["assign", "1001", "--team", "Desk", "--auto"], env)
    assert done.returncode == 0, done.stderr
    assert "T-1001 is assigned to ann@example.com" in done.stdout
    database = Database(make_engine(url))
    with database.transaction(write=False) as s:
        assigned = s.get(Ticket, t.id)
        assert assigned is not None and assigned.assignee_id == agent.id
    database.dispose()

    assert _run(["show", "T-9999"], env).returncode == 2
    bad = _run(["assign", "T-1001", "--to", "nobody@example.com"], env)
    assert bad.returncode == 2 and "No active user" in bad.stderr
    assert _run(["list", "--queue", "everything"], env).returncode == 2
