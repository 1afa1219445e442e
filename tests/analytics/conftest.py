"""The web UI's signed-in client fixtures, for the analytics pages' tests."""

from tests.web.conftest import signed_in, web, web_user

__all__ = ["signed_in", "web", "web_user"]
