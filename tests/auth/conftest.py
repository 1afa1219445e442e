"""Fixtures for tests/auth: the sign-in tests' browsers, clock and user (signin_support.py)."""

from tests.auth.signin_support import browser, clock, other_browser, sam

__all__ = ["browser", "clock", "other_browser", "sam"]
