"""Lock-out after repeated failures (per email and per IP), counted in the database; audit."""

from __future__ import annotations

from sqlalchemy import select

from amity.auth.models import LoginAttempt
from amity.core.audit import AuditEntry
from tests.auth.signin_support import PASSWORD, is_signed_in, sign_in

LOCKED = "Too many failed sign-ins"


def test_five_failures_lock_the_email_even_for_the_right_password(browser, sam, clock):
    for _ in range(5):
        assert sign_in(browser, sam.email, "not the password!").status_code == 401
        clock.advance(seconds=10)
    r = sign_in(browser, sam.email, PASSWORD)
    assert r.status_code == 429 and LOCKED in r.text
    assert 0 < int(r.headers["retry-after"]) <= 15 * 60
    wrong = sign_in(browser, sam.email, "not the password!")
    assert wrong.status_code == 429 and LOCKED in wrong.text  # the same answer
    assert not is_signed_in(browser)
    clock.advance(minutes=15)
    assert sign_in(browser, sam.email, PASSWORD).status_code == 303


def test_the_lock_applies_to_unknown_emails_too_and_is_case_insensitive(browser, clock):
    for _ in range(5):
        assert sign_in(browser, "Ghost@Example.com", "whatever pass").status_code == 401
    assert sign_in(browser, "ghost@example.com", "whatever pass").status_code == 429


def test_failures_older_than_the_window_do_not_count(browser, sam, clock):
    for _ in range(4):
        sign_in(browser, sam.email, "not the password!")
    clock.advance(minutes=16)
    for _ in range(4):
        assert sign_in(browser, sam.email, "not the password!").status_code == 401
    assert sign_in(browser, sam.email).status_code == 303


def test_a_successful_sign_in_starts_the_count_again(browser, other_browser, sam, clock):
    for _ in range(4):
        sign_in(other_browser, sam.email, "not the password!")
    assert sign_in(browser, sam.email).status_code == 303
    for _ in range(4):
        assert sign_in(other_browser, sam.email, "not the password!").status_code == 401
    assert sign_in(other_browser, sam.email).status_code == 303


def test_more_than_30_failures_from_one_ip_refuse_that_ip(browser, sam, database, clock):
    for i in range(31):  # 31 different emails: no single email is locked
        assert sign_in(browser, f"guess{i}@example.com", "whatever pass").status_code == 401
    r = sign_in(browser, sam.email)
    assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
    with database.transaction(write=False) as s:
        ips = set(s.scalars(select(LoginAttempt.ip)))
    assert ips == {"testclient"}
    clock.advance(minutes=15, seconds=1)
    assert sign_in(browser, sam.email).status_code == 303


def test_sign_ins_are_audited_without_the_password(browser, sam, database, clock):
    sign_in(browser, sam.email, "my secret guess 1")
    sign_in(browser, sam.email)
    with database.transaction(write=False) as s:
        entries = list(s.scalars(select(AuditEntry).where(
            AuditEntry.action.in_(["sign_in", "sign_in_failed"])).order_by(AuditEntry.at)))
    assert [e.action for e in entries] == ["sign_in_failed", "sign_in"]
    assert entries[1].entity_id == sam.id and entries[1].actor_id == sam.id
    assert "my secret guess 1" not in repr([e.changes for e in entries])
    assert PASSWORD not in repr([e.changes for e in entries])


def test_old_attempts_are_pruned(browser, sam, database, clock):
    sign_in(browser, sam.email, "not the password!")
    clock.advance(days=2)
    sign_in(browser, sam.email)
    with database.transaction(write=False) as s:
        assert [a.success for a in s.scalars(select(LoginAttempt))] == [True]
