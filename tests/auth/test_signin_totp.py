"""Two-factor sign-in: enrol, confirm, the second step, replay refusal, disable, admin reset."""

from __future__ import annotations

import re

import pyotp
from sqlalchemy import select

from amity.auth import totp
from amity.auth.models import User, WebSession
from amity.core.db import Database
from amity.web.auth import COOKIE_NAME
from tests.auth.signin_support import csrf_of, is_signed_in, post_form, sign_in


def _code(secret: str, clock, steps: int = 0) -> str:
    return pyotp.TOTP(secret).at(clock.at, counter_offset=steps)


def _enrol(browser, clock) -> str:
    page = post_form(browser, "/account/2fa/start", {})
    assert page.status_code == 200
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page.text).group(1)
    assert "otpauth://totp/Amity:sam%40example.com?secret=" + secret in page.text
    bad = browser.post("/account/2fa/confirm", data={"code": "000000",
                                                     "csrf_token": csrf_of(page.text)})
    assert bad.status_code == 422
    r = browser.post("/account/2fa/confirm", data={"code": _code(secret, clock),
                                                   "csrf_token": csrf_of(page.text)})
    assert r.status_code == 303
    return secret


def _second_step(browser, code: str):
    page = browser.get("/login/2fa")
    assert page.status_code == 200, page.status_code
    return browser.post("/login/2fa", data={"code": code, "csrf_token": csrf_of(page.text),
                                            "next": "/contacts"})


def _user(database: Database, sam: User) -> User:
    with database.transaction(write=False) as s:
        return s.get(User, sam.id)


def test_enrol_then_sign_in_needs_a_code(browser, other_browser, sam, database, clock):
    sign_in(browser, sam.email)
    secret = _enrol(browser, clock)
    assert _user(database, sam).totp_enabled
    assert "Two-factor sign-in is on" in browser.get("/account?done=2fa-on").text

    r = sign_in(other_browser, sam.email)
    assert r.status_code == 303 and r.headers["location"].startswith("/login/2fa")
    pending = other_browser.cookies[COOKIE_NAME]
    assert not is_signed_in(other_browser)  # a pending session sees no page
    assert other_browser.get("/account").status_code == 303
    clock.advance(seconds=30)
    r = _second_step(other_browser, _code(secret, clock))
    assert r.status_code == 303 and r.headers["location"] == "/contacts"
    assert other_browser.cookies[COOKIE_NAME] != pending  # a new session after the code
    assert is_signed_in(other_browser)
    with database.transaction(write=False) as s:
        rows = list(s.scalars(select(WebSession).where(WebSession.token_hash.is_not(None),
                                                       WebSession.mfa_pending.is_(True))))
    assert all(r.revoked_at is not None for r in rows)


def test_a_code_cannot_be_used_twice(browser, other_browser, sam, clock):
    sign_in(browser, sam.email)
    secret = _enrol(browser, clock)
    clock.advance(seconds=30)
    code = _code(secret, clock)
    sign_in(other_browser, sam.email)
    assert _second_step(other_browser, code).status_code == 303
    other_browser.cookies.clear()
    sign_in(other_browser, sam.email)
    r = _second_step(other_browser, code)  # same code, same 30 s step: refused
    assert r.status_code == 401 and "not right" in r.text
    older = _code(secret, clock, steps=-1)  # an earlier step is refused too
    assert _second_step(other_browser, older).status_code == 401
    clock.advance(seconds=30)
    assert _second_step(other_browser, _code(secret, clock)).status_code == 303


def test_wrong_codes_count_towards_the_lock_out(browser, other_browser, sam, clock):
    sign_in(browser, sam.email)
    secret = _enrol(browser, clock)
    clock.advance(seconds=1)  # after browser's successful sign-in, which reset the count
    sign_in(other_browser, sam.email)
    for _ in range(5):
        assert _second_step(other_browser, "123456").status_code in (401, 429)
    clock.advance(seconds=30)
    r = other_browser.post("/login/2fa", data={
        "code": _code(secret, clock),
        "csrf_token": csrf_of(other_browser.get("/login/2fa").text)})
    assert r.status_code == 429 and "Too many failed sign-ins" in r.text
    assert not is_signed_in(other_browser)


def test_disable_needs_a_valid_code(browser, sam, database, clock):
    sign_in(browser, sam.email)
    secret = _enrol(browser, clock)
    assert post_form(browser, "/account/2fa/disable", {"code": "000000"}).status_code == 422
    assert _user(database, sam).totp_enabled
    clock.advance(seconds=30)
    r = post_form(browser, "/account/2fa/disable", {"code": _code(secret, clock)})
    assert r.status_code == 303
    user = _user(database, sam)
    assert not user.totp_enabled and user.totp_secret is None


def test_admin_reset_turns_2fa_off(browser, other_browser, sam, database, clock):
    sign_in(browser, sam.email)
    _enrol(browser, clock)
    with database.transaction() as s:
        totp.reset_totp(s, user=s.get(User, sam.id), actor_id=None)
    r = sign_in(other_browser, sam.email)
    assert r.status_code == 303 and r.headers["location"] == "/contacts"
