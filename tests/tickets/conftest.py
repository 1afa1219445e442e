"""Fixtures for the ticket tests: attachments in the test's own directory, a controllable
clock, and helpers (support.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from amity.config import Settings
from amity.core.clock import set_clock
from amity.core.db import Database
from tests.tickets.support import Clock

BASE_URL = "https://desk.example.com"


@pytest.fixture
def settings(database: Database, tmp_path: Path) -> Settings:
    return Settings(environment="test", database_url=str(database.engine.url),
                    secret_key="test-secret-key-that-is-long-enough-0123456789",
                    default_region="US", base_url=BASE_URL,
                    attachment_dir=tmp_path / "attachments", attachment_max_bytes=64 * 1024)


@pytest.fixture
def clock() -> Iterator[Clock]:
    c = Clock()
    set_clock(c)
    yield c
    set_clock(None)
