"""Password rules (one place for API, web and CLI) and the CLI's 2FA reset."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from amity.auth.models import User
from amity.auth.passwords import check_password_rules, common_passwords
from amity.core.errors import ValidationFailed
from tests.factories import assert_problem


@pytest.mark.parametrize(("password", "code"), [
    ("short", "password.too_short"),
    ("x" * 501, "password.too_long"),
    ("ada.lovelace@example.com", "password.personal"),
    ("ada.lovelace", "password.personal"),
    ("Ada Lovelace", "password.personal"),
    ("adalovelace", "password.personal"),
    ("1234567890", "password.common"),
    ("QwertyUiop", "password.common"),
])
def test_bad_passwords_are_refused(password, code):
    with pytest.raises(ValidationFailed) as info:
        check_password_rules(password, email="ada.lovelace@example.com", name="Ada Lovelace")
    assert info.value.code == code and info.value.field == "password"


def test_the_common_list_ships_with_the_package():
    common = common_passwords()
    assert 900 <= len(common) <= 1100
    assert all(len(p) >= 10 for p in common)
    check_password_rules("x" * 500)
    check_password_rules("correct horse battery", email="sam@example.com", name="Sam")


def test_the_api_uses_the_same_rules(client, database):
    body = {"email": "new@example.com", "name": "New Person", "password": "password123"}
    assert_problem(client.post("/api/v1/users", json=body), 422, field="password",
                   code="password.common")


def _run(args, env):
    return subprocess.run([sys.executable, "-m", "amity.cli", *args], env=env,
                          capture_output=True, text=True, timeout=120)


def test_cli_create_applies_the_rules_and_reset_2fa_turns_it_off(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    env = {**os.environ, "AMITY_DATABASE_URL": url}
    env.pop("AMITY_ENVIRONMENT", None)
    weak = _run(["user", "create", "--email", "a@example.com", "--name", "A",
                 "--password", "qwertyuiop"], env)
    assert weak.returncode == 2 and "most common" in weak.stdout + weak.stderr
    ok = _run(["user", "create", "--email", "a@example.com", "--name", "A",
               "--password", "violets on the sill 3"], env)
    assert ok.returncode == 0, ok.stderr
    engine = create_engine(url)
    with Session(engine) as s, s.begin():
        user = s.scalar(select(User))
        user.totp_enabled, user.totp_secret = True, "JBSWY3DPEHPK3PXP"
    r = _run(["user", "reset-2fa", "A@example.com"], env)
    assert r.returncode == 0 and "off for a@example.com" in r.stdout
    with Session(engine) as s:
        user = s.scalar(select(User))
        assert not user.totp_enabled and user.totp_secret is None
    assert _run(["user", "reset-2fa", "nobody@example.com"], env).returncode == 2
    engine.dispose()
