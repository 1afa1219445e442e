"""/api/v1/jobs: list, filters, paging, one job, retry, stats; administrators only."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from amity.core.db import Database
from amity.jobs.models import Job
from tests.conftest import make_user
from tests.factories import assert_problem
from tests.jobs.conftest import Clock, one


def _jobs(database: Database, clock: Clock, *spec: tuple[str, str]) -> list[Job]:
    made = []
    with database.transaction() as s:
        for i, (kind, status) in enumerate(spec):
            at = clock.at - timedelta(minutes=len(spec) - i)
            job = Job(kind=kind, payload={"n": i}, status=status, run_at=at, created_at=at,
                      attempts=3 if status == "dead" else 0, max_attempts=3,
                      last_error="RuntimeError: boom" if status in ("dead", "failed") else None)
            s.add(job)
            made.append(job)
    return made


def test_list_filters_and_pages_newest_first(client: TestClient, database: Database,
                                             clock: Clock, queries) -> None:
    made = _jobs(database, clock, ("mail.send", "done"), ("mail.send", "dead"),
                 ("hook.call", "dead"), ("mail.send", "queued"), ("hook.call", "failed"))
    r = client.get("/api/v1/jobs")
    assert r.status_code == 200
    assert [j["id"] for j in r.json()["items"]] == [str(j.id) for j in reversed(made)]
    dead = client.get("/api/v1/jobs", params={"status": "dead"}).json()["items"]
    assert [j["id"] for j in dead] == [str(made[2].id), str(made[1].id)]
    assert dead[0]["last_error"] == "RuntimeError: boom" and dead[0]["attempts"] == 3
    both = client.get("/api/v1/jobs", params={"status": "dead", "kind": "mail.send"})
    assert [j["id"] for j in both.json()["items"]] == [str(made[1].id)]
    seen, cursor = [], None
    while True:
        queries.reset()
        page = client.get("/api/v1/jobs", params={"limit": 2, "cursor": cursor}).json()
        assert queries.count == 2  # the token (with its user), the page: never one per job
        seen += [j["id"] for j in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == [str(j.id) for j in reversed(made)]


def test_bad_filters_and_cursors_are_422(client: TestClient) -> None:
    assert_problem(client.get("/api/v1/jobs", params={"status": "lost"}), 422, "status",
                   "job.status_invalid")
    assert_problem(client.get("/api/v1/jobs", params={"cursor": "nonsense"}), 422, "cursor")
    assert_problem(client.get("/api/v1/jobs", params={"limit": 0}), 422)
    assert_problem(client.get("/api/v1/jobs/not-a-uuid"), 422)


def test_one_job_and_unknown_ids(client: TestClient, database: Database, clock: Clock) -> None:
    [job] = _jobs(database, clock, ("mail.send", "dead"))
    r = client.get(f"/api/v1/jobs/{job.id}")
    assert r.status_code == 200
    body = r.json()
    assert (body["kind"], body["status"], body["payload"], body["max_attempts"]) == (
        "mail.send", "dead", {"n": 0}, 3)
    assert_problem(client.get("/api/v1/jobs/00000000-0000-4000-8000-000000000000"), 404,
                   code="job.not_found")


def test_retry_requeues_dead_and_failed_jobs_only(client: TestClient, database: Database,
                                                  clock: Clock) -> None:
    dead, failed, done, queued = _jobs(database, clock, ("mail.send", "dead"),
                                       ("mail.send", "failed"), ("mail.send", "done"),
                                       ("mail.send", "queued"))
    r = client.post(f"/api/v1/jobs/{dead.id}/retry")
    assert r.status_code == 200, r.text
    assert (r.json()["status"], r.json()["attempts"]) == ("queued", 0)
    row = one(database, dead.id)
    assert (row.status, row.run_at, row.attempts, row.finished_at) == ("queued", clock.at, 0,
                                                                       None)
    assert row.last_error == "RuntimeError: boom"  # history kept until it runs again
    assert client.post(f"/api/v1/jobs/{failed.id}/retry").json()["run_at"].startswith(
        clock.at.isoformat()[:19])
    for other in (done, queued, dead):
        assert_problem(client.post(f"/api/v1/jobs/{other.id}/retry"), 409, "status",
                       "job.not_retryable")
    audit = client.get("/api/v1/audit", params={"entity_type": "job"}).json()["items"]
    assert sorted((a["entity_id"], a["action"]) for a in audit) == sorted(
        [(str(dead.id), "retry"), (str(failed.id), "retry")])


def test_stats_count_every_status_and_the_oldest_wait(client: TestClient, database: Database,
                                                      clock: Clock) -> None:
    empty = client.get("/api/v1/jobs/stats").json()
    assert empty["counts"] == {"queued": 0, "running": 0, "failed": 0, "done": 0, "dead": 0}
    assert empty["oldest_due_at"] is None and empty["oldest_due_age_s"] is None
    _jobs(database, clock, ("a", "queued"), ("a", "failed"), ("a", "done"), ("a", "done"),
          ("a", "dead"))  # created 5, 4, 3, 2, 1 minutes ago
    with database.transaction() as s:  # not due yet: does not count as waiting
        s.add(Job(kind="a", payload={}, status="queued", run_at=clock.at + timedelta(hours=1),
                  max_attempts=3))
    stats = client.get("/api/v1/jobs/stats").json()
    assert stats["counts"] == {"queued": 2, "running": 0, "failed": 1, "done": 2, "dead": 1}
    assert stats["oldest_due_age_s"] == 300.0


def test_only_administrators_and_a_denied_retry_changes_nothing(app, database: Database,
                                                               clock: Clock) -> None:
    [job] = _jobs(database, clock, ("mail.send", "dead"))
    _, token = make_user(database, admin=False)
    with TestClient(app) as c:
        c.headers["Authorization"] = f"Bearer {token}"
        for method, path in (("GET", "/api/v1/jobs"), ("GET", "/api/v1/jobs/stats"),
                             ("GET", f"/api/v1/jobs/{job.id}"),
                             ("POST", f"/api/v1/jobs/{job.id}/retry")):
            assert_problem(c.request(method, path), 403, code="forbidden")
    assert one(database, job.id).status == "dead"


def test_a_retry_repeated_with_its_idempotency_key_gets_the_first_answer(
        client: TestClient, database: Database, clock: Clock) -> None:
    [dead] = _jobs(database, clock, ("mail.send", "dead"))
    headers = {"Idempotency-Key": "retry-1"}
    first = client.post(f"/api/v1/jobs/{dead.id}/retry", headers=headers)
    again = client.post(f"/api/v1/jobs/{dead.id}/retry", headers=headers)
    assert first.status_code == again.status_code == 200
    assert again.headers.get("Idempotent-Replayed") == "true" and again.json() == first.json()
    assert_problem(client.post(f"/api/v1/jobs/{dead.id}/retry"), 409)  # without the key
    audit = client.get("/api/v1/audit", params={"entity_type": "job"}).json()["items"]
    assert len(audit) == 1
