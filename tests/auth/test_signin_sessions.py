"""Server-side web sessions: fixation, sign-out, deactivation, password change, expiry."""

from __future__ import annotations

import hashlib

from sqlalchemy import select, update

from amity.auth import sessions
from amity.auth.models import User, WebSession
from amity.core.audit import AuditEntry
from amity.web.auth import COOKIE_NAME
from tests.auth.signin_support import (
    PASSWORD,
    cookie,
    csrf_of,
    is_signed_in,
    post_form,
    session_rows,
    sign_in,
)


def test_cookie_holds_a_random_token_whose_hash_alone_is_stored(browser, sam, database):
    r = sign_in(browser, sam.email)
    assert r.status_code == 303
    set_cookie = r.headers["set-cookie"]
    assert "HttpOnly" in set_cookie and "SameSite=lax" in set_cookie
    token = cookie(browser)
    assert len(token) >= 43 and "." not in token  # 256 random bits, not a signed payload
    [row] = session_rows(database, sam)
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in (row.token_hash, row.csrf_token)
    assert row.revoked_at is None and not row.mfa_pending
    # the page's CSRF token is the one on the session row
    assert csrf_of(browser.get("/contacts").text) == row.csrf_token


def test_session_fixation_a_cookie_from_before_sign_in_is_worthless(browser, other_browser,
                                                                     sam):
    browser.get("/login")
    planted = cookie(browser)  # what an attacker could have set in the victim's browser
    assert sign_in(browser, sam.email).status_code == 303
    assert cookie(browser) != planted
    other_browser.cookies.set(COOKIE_NAME, planted)
    assert not is_signed_in(other_browser)


def test_signing_in_again_replaces_the_previous_session(browser, other_browser, sam, database):
    sign_in(browser, sam.email)
    first = cookie(browser)
    sign_in(browser, sam.email)
    assert cookie(browser) != first
    other_browser.cookies.set(COOKIE_NAME, first)
    assert not is_signed_in(other_browser)
    assert [r.revoked_at is not None for r in session_rows(database, sam)] == [True, False]


def test_sign_out_revokes_the_row_and_the_old_cookie_stops_working(browser, other_browser, sam,
                                                                    database):
    sign_in(browser, sam.email)
    stolen = cookie(browser)
    r = post_form(browser, "/logout", {}, page="/contacts")
    assert r.status_code == 303
    assert not is_signed_in(browser)
    other_browser.cookies.set(COOKIE_NAME, stolen)
    assert not is_signed_in(other_browser)
    [row] = session_rows(database, sam)
    assert row.revoked_at is not None
    with database.transaction(write=False) as s:
        actions = set(s.scalars(select(AuditEntry.action).where(AuditEntry.entity_id == sam.id)))
    assert {"sign_in", "sign_out"} <= actions


def test_deactivating_a_user_ends_their_sessions(browser, sam, database):
    sign_in(browser, sam.email)
    assert is_signed_in(browser)
    with database.transaction() as s:
        s.execute(update(User).where(User.id == sam.id).values(is_active=False))
        assert sessions.end_user_sessions(s, user_id=sam.id, reason="deactivated") == 1
    assert not is_signed_in(browser)
    with database.transaction() as s:  # reactivated later: the old session stays dead
        s.execute(update(User).where(User.id == sam.id).values(is_active=True))
    assert not is_signed_in(browser)


def test_inactive_user_is_refused_even_before_sessions_are_ended(browser, sam, database):
    sign_in(browser, sam.email)
    with database.transaction() as s:
        s.execute(update(User).where(User.id == sam.id).values(is_active=False))
    assert not is_signed_in(browser)


def test_changing_password_ends_other_sessions_and_keeps_this_browser(browser, other_browser,
                                                                      sam, database):
    sign_in(browser, sam.email)
    sign_in(other_browser, sam.email)
    before = cookie(browser)
    r = post_form(browser, "/account/password", {"current_password": PASSWORD,
                                                 "new_password": "a brand new secret 42",
                                                 "new_password2": "a brand new secret 42"})
    assert r.status_code == 303 and r.headers["location"] == "/account?done=password"
    assert cookie(browser) != before  # a new session for this browser
    assert is_signed_in(browser)
    assert not is_signed_in(other_browser)
    live = [r for r in session_rows(database, sam) if r.revoked_at is None]
    assert len(live) == 1
    other_browser.cookies.clear()
    assert sign_in(other_browser, sam.email).status_code == 401
    assert sign_in(other_browser, sam.email, "a brand new secret 42").status_code == 303


def test_change_password_needs_the_current_one_and_follows_the_rules(browser, sam, database):
    sign_in(browser, sam.email)
    cases = [("wrong password here", "a brand new secret 42", "current password is not right"),
             (PASSWORD, "short", "at least 10 characters"),
             (PASSWORD, "sam@example.com", "email address or name"),
             (PASSWORD, "qwertyuiop", "most common")]
    for current, new, message in cases:
        r = post_form(browser, "/account/password", {"current_password": current,
                                                     "new_password": new,
                                                     "new_password2": new})
        assert r.status_code == 422 and message in r.text, (new, r.text[:200])
    assert is_signed_in(browser)
    assert len(session_rows(database, sam)) == 1  # nothing ended, nothing written


def test_idle_timeout_ends_a_session(browser, sam, settings, clock):
    sign_in(browser, sam.email)
    clock.advance(seconds=settings.session_idle_s - 60)
    assert is_signed_in(browser)  # activity keeps it alive...
    clock.advance(seconds=settings.session_idle_s - 60)
    assert is_signed_in(browser)
    clock.advance(seconds=settings.session_idle_s + 1)  # ...idleness ends it
    assert not is_signed_in(browser)


def test_absolute_lifetime_ends_even_an_active_session(browser, sam, settings, clock):
    sign_in(browser, sam.email)
    step = settings.session_idle_s // 2
    for _ in range(settings.session_max_age_s // step - 1):
        clock.advance(seconds=step)
        assert is_signed_in(browser)
    clock.advance(seconds=2 * step)
    assert not is_signed_in(browser)


def test_last_seen_is_written_at_most_once_a_minute(browser, sam, database, clock):
    sign_in(browser, sam.email)
    signed_at = clock.at

    def last_seen():
        with database.transaction(write=False) as s:
            return s.scalar(select(WebSession.last_seen_at)
                            .where(WebSession.user_id == sam.id))

    clock.advance(seconds=30)
    assert is_signed_in(browser)
    assert last_seen() == signed_at
    clock.advance(seconds=31)
    assert is_signed_in(browser)
    assert last_seen() == clock.at


def test_pages_list_my_sessions_and_can_end_the_others(browser, other_browser, sam):
    sign_in(browser, sam.email)
    sign_in(other_browser, sam.email)
    page = browser.get("/account")
    assert page.text.count("this browser") == 1
    r = post_form(browser, "/account/sessions/end-others", {})
    assert r.status_code == 303
    assert is_signed_in(browser) and not is_signed_in(other_browser)


def test_cookie_is_secure_in_production(app, sam, database):
    from fastapi.testclient import TestClient

    app.state.settings = app.state.settings.model_copy(update={"environment": "production"})
    with TestClient(app, follow_redirects=False) as web:  # even behind a plain-http proxy
        assert "Secure" in web.get("/login").headers["set-cookie"]
