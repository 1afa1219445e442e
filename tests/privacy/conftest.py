"""The web fixtures (a signed-in browser) for the privacy pages."""

from tests.web.conftest import signed_in, web, web_user

__all__ = ["signed_in", "web", "web_user"]
