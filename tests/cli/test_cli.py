"""The ``amity`` command, run as a user would: in a subprocess against a fresh SQLite file."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, func, select

from amity import __version__
from amity.auth.models import User
from amity.contacts.models import Contact

AMITY = [sys.executable, "-m", "amity.cli"]


def run(args: list[str], env: dict[str, str], input: str | None = None,
        check: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(AMITY + args, env=env, input=input, capture_output=True, text=True,
                          timeout=120)
    if check and proc.returncode != 0:
        raise AssertionError(f"amity {args} failed ({proc.returncode}):\n{proc.stdout}\n"
                             f"{proc.stderr}")
    return proc


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    e = dict(os.environ)
    e["AMITY_DATABASE_URL"] = f"sqlite:///{tmp_path / 'cli.db'}"
    e.pop("AMITY_ENVIRONMENT", None)
    return e


def _count(url: str, model: type) -> int:
    engine = create_engine(url)
    with engine.connect() as conn:
        n = int(conn.execute(select(func.count()).select_from(model)).scalar_one())
    engine.dispose()
    return n


def test_version(env: dict[str, str]) -> None:
    assert run(["--version"], env).stdout.strip() == f"amity {__version__}"


def test_user_create_admin_and_token(env: dict[str, str]) -> None:
    out = run(["user", "create", "--email", "Boss@Example.com", "--name", "Boss",
               "--password", "a long enough password", "--admin", "--token"], env).stdout
    assert "Created admin user boss@example.com" in out
    token = next(w for w in out.split() if w.startswith("amy_"))
    again = run(["user", "create", "--email", "boss@example.com", "--name", "B",
                 "--password", "another long password"], env, check=False)
    assert again.returncode == 2 and "already exists" in again.stderr + again.stdout
    short = run(["user", "create", "--email", "x@example.com", "--name", "X",
                 "--password", "short"], env, check=False)
    assert short.returncode == 2 and "at least 10" in short.stderr + short.stdout
    assert _count(env["AMITY_DATABASE_URL"], User) == 1
    assert token.startswith("amy_") and len(token) > 40


def test_demo_loads_once_and_serves(env: dict[str, str]) -> None:
    first = run(["demo", "--b2b-contacts", "40"], env).stdout
    assert "Demo loaded" in first and "demo@amity.example" in first
    n = _count(env["AMITY_DATABASE_URL"], Contact)
    assert n == 4 + 3 + 40
    assert "already there" in run(["demo"], env).stdout
    assert _count(env["AMITY_DATABASE_URL"], Contact) == n

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([*AMITY, "serve", "--port", str(port), "--no-access-log"],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60  # starting takes seconds on a loaded machine
        while True:
            try:
                r = httpx.get(f"{base}/api/v1/openapi.json", timeout=1)
                break
            except httpx.TransportError:
                if server.poll() is not None or time.monotonic() > deadline:
                    server.kill()
                    out = server.communicate()[0].decode(errors="replace")
                    raise AssertionError(f"server did not start:\n{out[-2000:]}") from None
                time.sleep(0.1)
        assert r.status_code == 200 and json.loads(r.text)["info"]["title"] == "Amity"
        assert httpx.get(f"{base}/api/v1/contacts").status_code == 401
    finally:
        server.terminate()
        server.wait(timeout=20)
