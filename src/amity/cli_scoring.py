"""``amity scoring recompute`` and ``amity sequences list`` from a terminal.

``recompute`` evaluates every live contact now, in this process, with a progress bar (the
same idempotent evaluation the workers run; hot-lead alerts it causes are sent by the
workers from the events it publishes).
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from amity.cli_tickets import _database

scoring_app = typer.Typer(help="Lead scoring.", no_args_is_help=True)
sequences_app = typer.Typer(help="Sequences.", no_args_is_help=True)
console = Console()
BATCH = 200


@scoring_app.command("recompute")
def recompute(batch: Annotated[int, typer.Option(min=1, max=5000)] = BATCH) -> None:
    """Re-evaluate every contact's score (after changing rules, or to catch up)."""
    from rich.progress import Progress
    from sqlalchemy import func, select

    from amity.contacts.models import Contact
    from amity.scoring import engine

    database = _database()
    with database.transaction(write=False) as s:
        total = int(s.scalar(select(func.count()).select_from(Contact)
                             .where(Contact.deleted_at.is_(None))) or 0)
    done = crossed = 0
    after = None
    with Progress(console=console, transient=True) as progress:
        bar = progress.add_task("Scoring", total=total)
        while True:
            with database.transaction() as s:
                q = (select(Contact.id).where(Contact.deleted_at.is_(None))
                     .order_by(Contact.id).limit(batch))
                if after is not None:
                    q = q.where(Contact.id > after)
                ids = list(s.scalars(q))
                for cid in ids:
                    out = engine.evaluate(s, cid)
                    crossed += bool(out and out.crossed == "up")
            if not ids:
                break
            after = ids[-1]
            done += len(ids)
            progress.update(bar, advance=len(ids))
    database.dispose()
    console.print(f"Scored {done} contacts; {crossed} became hot.")


@sequences_app.command("list")
def list_command() -> None:
    """Sequences with their steps and enrolment counts."""
    from rich.table import Table
    from sqlalchemy import func, select

    from amity.sequences.models import SequenceEnrolment
    from amity.sequences.queries import list_sequences
    from amity.sequences.service import steps_of

    database = _database()
    table = Table("Name", "Enabled", "Steps", "Active", "Finished", "Stopped")
    with database.transaction(write=False) as s:
        for seq in list_sequences(s):
            counts = dict(s.execute(select(SequenceEnrolment.status, func.count())
                                    .where(SequenceEnrolment.sequence_id == seq.id)
                                    .group_by(SequenceEnrolment.status)).all())
            steps = ", ".join(f"wait {st.wait_hours}h" if st.kind == "wait"
                              else "email at best hour" if st.at_best_hour else st.kind
                              for st in steps_of(s, seq.id))
            table.add_row(seq.name, "yes" if seq.enabled else "no", steps or "—",
                          str(counts.get("active", 0)), str(counts.get("finished", 0)),
                          str(counts.get("stopped", 0)))
    database.dispose()
    console.print(table)
