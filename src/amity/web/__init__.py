"""The server-rendered web UI (Jinja2 + HTMX): sign-in, contacts list, contact page."""

from pathlib import Path

from amity.web.routes import router

STATIC_DIR = Path(__file__).parent / "static"
TEMPLATE_DIR = Path(__file__).parent / "templates"

__all__ = ["STATIC_DIR", "TEMPLATE_DIR", "router"]
