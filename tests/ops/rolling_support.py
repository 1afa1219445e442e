"""Helpers for the rolling-upgrade test: the previous release's code out of git, its server in
a subprocess, and a fresh database per backend."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[2]
VERSIONS = "src/amity/db/migrations/versions"
_REV = re.compile(r"^revision\s*=\s*['\"]([^'\"]+)['\"]", re.M)
_DOWN = re.compile(r"^down_revision\s*=\s*['\"]([^'\"]+)['\"]", re.M)


def git(*args: str) -> str:
    return subprocess.run(["git", "-C", str(REPO), *args], check=True, capture_output=True,
                          text=True).stdout


def head_at(commit: str) -> str:
    """The Alembic head of the migrations in ``commit``'s tree (the one revision no other
    revision names as its parent)."""
    revs, downs = set(), set()
    for name in git("ls-tree", "--name-only", f"{commit}:{VERSIONS}").split():
        if name.endswith(".py"):
            text = git("show", f"{commit}:{VERSIONS}/{name}")
            revs.update(_REV.findall(text))
            downs.update(_DOWN.findall(text))
    heads = revs - downs
    assert len(heads) == 1, (commit, heads)
    return heads.pop()


def revisions_at(commit: str) -> set[str]:
    return {rev for name in git("ls-tree", "--name-only", f"{commit}:{VERSIONS}").split()
            if name.endswith(".py")
            for rev in _REV.findall(git("show", f"{commit}:{VERSIONS}/{name}"))}


def previous_release() -> tuple[str, str]:
    """The newest commit whose schema head differs from HEAD's and is one of HEAD's
    revisions: the release running while the new one migrates. (A head HEAD does not know,
    such as a migration renumbered before it was released, is no release one upgrades from.)
    Returns (commit, its head revision)."""
    current, known = head_at("HEAD"), revisions_at("HEAD")
    for commit in git("log", "--format=%H", "--", VERSIONS).split():
        for candidate in (commit, f"{commit}^"):
            head = head_at(candidate)
            if head != current and head in known:
                return git("rev-parse", candidate).strip(), head
    raise AssertionError("no earlier schema in the history")


def extract(commit: str, into: Path) -> Path:
    """``commit``'s src/ under ``into`` (git archive: the shared working tree is untouched)."""
    archive = subprocess.run(["git", "-C", str(REPO), "archive", commit, "src"], check=True,
                             capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into / "src"


def run_old(src: Path, code: str, env: dict[str, str]) -> str:
    """Run Python ``code`` with the old release's package first on the path."""
    out = subprocess.run([sys.executable, "-c", code], env={**os.environ, **env,
                                                            "PYTHONPATH": str(src)},
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    return out.stdout.strip()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def old_server(src: Path, env: dict[str, str], log: Path) -> Iterator[str]:
    """The old release's app served by uvicorn in a subprocess; yields its base URL."""
    port = free_port()
    code = ("import uvicorn; uvicorn.run('amity.app:create_app', factory=True, "
            f"host='127.0.0.1', port={port}, log_level='warning')")
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-c", code],
                                env={**os.environ, **env, "PYTHONPATH": str(src)},
                                stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        # Importing the app takes seconds, up to a minute on the loaded shared machine.
        deadline = time.monotonic() + 240
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"old server did not start: {log.read_text()[-3000:]}")
            time.sleep(0.3)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=30)
