"""Request ids, the per-request log line, Prometheus metrics, pool and statement-timeout
settings, on both databases."""

from __future__ import annotations

import io
import json
import logging
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY
from sqlalchemy.exc import OperationalError

from amity.core.clock import now
from amity.core.db import Database, make_engine
from amity.jobs.models import Job
from amity.ops.logs import JsonFormatter, RequestIdFilter, TextFormatter, log_config
from tests.factories import make_contact

ROUTE = "/api/v1/contacts/{contact_id}"


def _sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_request_id_is_kept_when_sane_made_when_missing_and_replaced_when_not(
        client: TestClient) -> None:
    given = client.get("/healthz", headers={"X-Request-ID": "abc-123.trace:9"})
    assert given.headers["x-request-id"] == "abc-123.trace:9"
    made = [client.get("/healthz").headers["x-request-id"] for _ in range(2)]
    assert len(made[0]) == 32 and made[0] != made[1]
    # Text that could forge a log line or blow up a log index is not echoed.
    forged = client.get("/healthz", headers={"X-Request-ID": "x\" level=error"})
    assert forged.headers["x-request-id"] != "x\" level=error"
    assert len(forged.headers["x-request-id"]) == 32
    # Errors carry it too, so a client's bug report can name the request.
    missing = client.get("/api/v1/contacts/00000000-0000-0000-0000-000000000000",
                         headers={"X-Request-ID": "r-404"})
    assert missing.status_code == 404 and missing.headers["x-request-id"] == "r-404"


def test_one_log_line_per_request_with_route_template_status_user_and_request_id(
        client: TestClient, admin_user: Any, caplog: pytest.LogCaptureFixture) -> None:
    contact = make_contact(client, first_name="Ada")
    with caplog.at_level(logging.INFO, logger="amity.request"):
        r = client.get(f"/api/v1/contacts/{contact['id']}", headers={"X-Request-ID": "req-1"})
    assert r.status_code == 200
    lines = [rec for rec in caplog.records if rec.name == "amity.request"]
    assert len(lines) == 1
    rec = lines[0]
    assert rec.__dict__["route"] == ROUTE and rec.__dict__["status"] == 200
    assert rec.__dict__["method"] == "GET" and rec.__dict__["duration_ms"] > 0
    assert rec.__dict__["user_id"] == str(admin_user[0].id)
    assert rec.__dict__["request_id"] == "req-1"
    RequestIdFilter().filter(rec)  # what the handler does: keeps the id the record has
    out = json.loads(JsonFormatter().format(rec))
    assert out["request_id"] == "req-1" and out["route"] == ROUTE and out["status"] == 200
    assert out["level"] == "info" and out["logger"] == "amity.request"
    assert out["user_id"] == str(admin_user[0].id)
    text = TextFormatter().format(rec)
    assert "request_id=req-1" in text and f"route={ROUTE}" in text


def test_log_lines_written_inside_a_request_carry_its_id(client: TestClient) -> None:
    """Through the real handler configuration ``amity serve`` installs."""
    import logging.config

    stream = io.StringIO()
    config = log_config("info", "json")
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    logging.config.dictConfig(config)
    ours = next(h for h in root.handlers if isinstance(h, logging.StreamHandler)
                and isinstance(h.formatter, JsonFormatter))
    ours.setStream(stream)  # type: ignore[attr-defined]
    try:
        client.get("/api/v1/contacts", headers={"X-Request-ID": "trace-42"})
        logging.getLogger("amity.test").warning("outside any request")
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    request_lines = [x for x in lines if x["logger"] == "amity.request"]
    assert len(request_lines) == 1 and request_lines[0]["request_id"] == "trace-42"
    assert request_lines[0]["route"] == "/api/v1/contacts"
    outside = [x for x in lines if x["logger"] == "amity.test"]
    assert outside and "request_id" not in outside[0]


def test_metrics_count_latency_by_route_template_not_raw_path(client: TestClient) -> None:
    contact = make_contact(client, first_name="Grace")
    before = _sample("amity_http_request_duration_seconds_count", method="GET", route=ROUTE)
    ok_before = _sample("amity_http_requests_total", method="GET", route=ROUTE, status="200")
    for _ in range(3):
        assert client.get(f"/api/v1/contacts/{contact['id']}").status_code == 200
    client.get("/no/such/page/123")
    client.request("BREW", "/healthz")
    body = client.get("/metrics").text
    assert 'method="BREW"' not in body and 'method="OTHER"' in body
    assert _sample("amity_http_request_duration_seconds_count", method="GET",
                   route=ROUTE) == before + 3
    assert _sample("amity_http_requests_total", method="GET", route=ROUTE,
                   status="200") == ok_before + 3
    assert contact["id"] not in body  # no series per record
    assert "/no/such/page/123" not in body and 'route="<unmatched>"' in body
    assert 'amity_http_request_duration_seconds_bucket{le="0.01",method="GET",' \
           f'route="{ROUTE}"}}' in body


def test_metrics_report_pool_use(database: Database, client: TestClient) -> None:
    client.get("/healthz")
    in_use = _sample("amity_db_pool_in_use", database="primary")
    with database.engine.connect():
        assert _sample("amity_db_pool_in_use", database="primary") == in_use + 1
    assert _sample("amity_db_pool_in_use", database="primary") == in_use
    assert "amity_db_pool_size{" in client.get("/metrics").text


def test_metrics_report_job_queue_depth_age_and_dead_letters(database: Database,
                                                            client: TestClient) -> None:
    at = now()
    with database.transaction() as s:
        s.add_all([
            Job(kind="mail.send", status="queued", created_at=at - timedelta(seconds=90)),
            Job(kind="mail.send", status="queued", created_at=at - timedelta(seconds=5)),
            Job(kind="webhooks.deliver", status="dead", attempts=10, last_error="boom",
                created_at=at - timedelta(hours=1)),
            Job(kind="mail.send", status="done", created_at=at - timedelta(days=1)),
        ])
    body = client.get("/metrics").text
    samples = _parse(body)
    assert samples['amity_jobs{queue="mail.send",status="queued"}'] == 2
    assert samples['amity_jobs{queue="webhooks.deliver",status="dead"}'] == 1
    assert 'amity_jobs{queue="mail.send",status="done"}' not in samples
    age = samples['amity_jobs_oldest_age_seconds{queue="mail.send",status="queued"}']
    assert 90 <= age < 600
    assert samples["amity_jobs_stats_up"] == 1


def _parse(body: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for line in body.splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.rpartition(" ")
            out[key] = float(value)
    return out


def test_statement_timeout_cancels_a_long_statement_on_postgresql(database: Database) -> None:
    if database.dialect != "postgresql":
        pytest.skip("statement_timeout is a PostgreSQL setting; SQLite has none")
    url = database.engine.url.render_as_string(hide_password=False)
    engine = make_engine(url, pool_size=1, max_overflow=0, statement_timeout_ms=150)
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("SHOW statement_timeout").scalar() == "150ms"
            with pytest.raises(OperationalError, match="statement timeout"):
                conn.exec_driver_sql("SELECT pg_sleep(2)")
    finally:
        engine.dispose()


def test_pool_settings_reach_the_engine(database: Database) -> None:
    if database.dialect != "postgresql":
        pytest.skip("SQLite files use SQLAlchemy's default pool")
    url = database.engine.url.render_as_string(hide_password=False)
    engine = make_engine(url, pool_size=3, max_overflow=2, pool_timeout_s=0.2)
    try:
        conns = [engine.connect() for _ in range(5)]
        with pytest.raises(Exception, match="QueuePool limit of size 3 overflow 2"):
            engine.connect()
        for c in conns:
            c.close()
    finally:
        engine.dispose()
