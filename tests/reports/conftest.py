"""Fixtures shared with the job and web tests: a controlled clock, a real SMTP server on
loopback, and the web UI's signed-in client."""

from tests.jobs.conftest import Clock, Inbox, clock, inbox, smtp_settings
from tests.web.conftest import signed_in, web, web_user

__all__ = ["Clock", "Inbox", "clock", "inbox", "signed_in", "smtp_settings", "web",
           "web_user"]
