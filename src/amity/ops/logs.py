"""Process logging: one handler on the root logger, text or JSON lines, with the request id.

Every record logged while a request is being served carries that request's id (a context
variable set by the request middleware), so a job enqueued, a warning or an error can be tied to
the request line that caused it. JSON lines are for log shippers; text is for people.
"""

from __future__ import annotations

import json
import logging
import logging.config
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, Literal

request_id_var: ContextVar[str | None] = ContextVar("amity_request_id", default=None)

# LogRecord attributes every record has: anything else was passed in ``extra`` and is kept.
_STANDARD = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {
    "message", "asctime", "request_id", "taskName", "color_message"}  # uvicorn's, with ANSI


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` (or None) to every record passing through the handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id_var.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request_id, extras."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        rid = getattr(record, "request_id", None)
        if rid is not None:
            out["request_id"] = rid
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                out[key] = value
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """The classic line, with the request id and any extras as key=value at the end."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        extras = [f"{k}={v}" for k, v in record.__dict__.items()
                  if k not in _STANDARD and not k.startswith("_")]
        rid = getattr(record, "request_id", None)
        if rid is not None:
            extras.insert(0, f"request_id={rid}")
        return f"{line} {' '.join(extras)}" if extras else line


def log_config(level: str = "info", fmt: Literal["text", "json"] = "text") -> dict[str, Any]:
    """A ``logging.config.dictConfig`` dict: one stderr handler on the root logger, uvicorn's
    loggers propagating to it. Given to uvicorn, it is applied in every worker process too."""
    formatter = "amity.ops.logs.JsonFormatter" if fmt == "json" else "amity.ops.logs.TextFormatter"
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "amity.ops.logs.RequestIdFilter"}},
        "formatters": {"amity": {"()": formatter}},
        "handlers": {"amity": {"class": "logging.StreamHandler", "stream": "ext://sys.stderr",
                               "formatter": "amity", "filters": ["request_id"]}},
        "root": {"handlers": ["amity"], "level": level.upper()},
        "loggers": {**{name: {"handlers": [], "propagate": True}
                       for name in ("uvicorn", "uvicorn.error", "uvicorn.access")},
                    # Alembic narrates every plugin it loads at INFO.
                    "alembic": {"level": "WARNING"}},
    }


def configure_logging(level: str = "info", fmt: Literal["text", "json"] = "text") -> None:
    """Configure this process's logging (``amity worker``, ``amity serve``)."""
    logging.config.dictConfig(log_config(level, fmt))
