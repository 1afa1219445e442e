"""One typed settings object for the whole application (environment prefix ``AMITY_``)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from platformdirs import user_data_dir
from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SECRET = "change-me-in-production"  # noqa: S105  (refused in production)


def default_data_dir() -> Path:
    return Path(user_data_dir("amity", appauthor=False))


def default_database_url() -> str:
    return f"sqlite:///{default_data_dir() / 'amity.db'}"


class Settings(BaseSettings):
    """Every knob Amity has. Defaults work on a laptop; production must set the secrets."""

    model_config = SettingsConfigDict(env_prefix="AMITY_", env_file=".env", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    database_url: str = Field(default_factory=default_database_url)
    secret_key: str = DEFAULT_SECRET
    base_url: str = "http://127.0.0.1:8000"
    default_region: str = "US"  # phone numbers without a country code are read in this region
    default_currency: str = "USD"
    # Exchange rates are quoted in this currency (units of it per unit of another); without
    # it no rates can be entered and totals are given per currency only.
    base_currency: str | None = Field(None, pattern=r"^[A-Z]{3}$")
    db_pool_size: int = Field(10, ge=1)
    db_max_overflow: int = Field(10, ge=0)
    # Production and scale-out: a PostgreSQL statement running longer than this is cancelled
    # (0: no limit); a request waits this long for a pooled connection before failing. Report
    # and analytics reads go to the replica when one is set (see docs/deploy.md).
    db_statement_timeout_ms: int = Field(0, ge=0)
    db_pool_timeout_s: float = Field(30.0, gt=0)
    database_replica_url: str = ""
    log_format: Literal["text", "json"] = "text"  # json: one JSON object per line
    sqlite_busy_timeout_ms: int = 15000
    page_size_default: int = Field(50, ge=1, le=200)
    idempotency_ttl_hours: int = 24
    session_max_age_s: int = 14 * 24 * 3600  # absolute web session lifetime
    session_idle_s: int = 8 * 3600  # a web session ends after this long without a request
    # Outgoing email (password resets, notifications). No host: sending fails clearly.
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_starttls: bool = True
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_from: str = "Amity <amity@localhost>"
    smtp_timeout_s: float = 10.0
    log_level: str = "info"
    # Background jobs. `amity serve` runs this many worker threads in-process (0 = none: run
    # `amity worker` processes instead, on any machine sharing the PostgreSQL database).
    embedded_workers: int = Field(1, ge=0, le=64)
    jobs_lease_s: float = Field(60.0, gt=0)  # a claimed job is re-run if not renewed in time
    jobs_poll_interval_s: float = Field(0.5, gt=0)  # idle workers look for jobs this often
    jobs_dispatch_interval_s: float = Field(0.2, gt=0)  # and for new events this often
    jobs_backoff_base_s: float = Field(5.0, gt=0)  # first retry after ~this, doubling
    jobs_backoff_max_s: float = Field(3600.0, gt=0)
    jobs_retention_days: int = Field(7, ge=1)  # done jobs are purged after this
    jobs_modules: str = ""  # comma-separated extra modules whose @job handlers workers load
    # Reminders: a task due at a time reminds its assignee this long before unless told
    # otherwise; contacts' birthdays and important dates notify their owner this many days ahead.
    task_reminder_lead_minutes: int = Field(15, ge=0, le=60 * 24 * 30)
    important_date_lead_days: int = Field(7, ge=0, le=60)
    # Ticket attachments: stored under this directory (named by their sha256), at most this
    # many bytes each, of these content types (checked against the file's first bytes).
    attachment_dir: Path = Field(default_factory=lambda: default_data_dir() / "attachments")
    attachment_max_bytes: int = Field(10 * 1024 * 1024, ge=1)
    attachment_types: list[str] = Field(default_factory=lambda: [
        "image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf", "text/plain",
        "text/csv", "application/zip",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"])
    survey_valid_days: int = Field(14, ge=1, le=365)  # a satisfaction survey link expires
    # Imports and exports: uploaded files are kept under import_dir (at most import_max_bytes
    # each) and processed import_batch_size rows per transaction; an export of more than
    # export_sync_max_rows records is written to export_dir by a job and downloaded later.
    import_dir: Path = Field(default_factory=lambda: default_data_dir() / "imports")
    import_max_bytes: int = Field(100 * 1024 * 1024, ge=1)
    import_batch_size: int = Field(500, ge=1, le=10_000)
    export_dir: Path = Field(default_factory=lambda: default_data_dir() / "exports")
    export_sync_max_rows: int = Field(5000, ge=0)
    # Email to ticket: `amity mail-inbound` listens on this host/port for mail to this address;
    # bigger messages are refused (552), unreadable ones kept in the quarantine directory.
    inbound_address: str = "support@localhost"
    inbound_host: str = "127.0.0.1"
    inbound_port: int = Field(2525, ge=1, le=65535)
    inbound_max_bytes: int = Field(25 * 1024 * 1024, ge=1024)
    inbound_quarantine_dir: Path = Field(
        default_factory=lambda: default_data_dir() / "quarantine")
    # Outbound webhooks: each request times out after this long; a failed delivery is retried
    # after base * 2^(attempt-1) s (capped, jittered), and a subscription is disabled once it
    # has failed this many times in a row over at least `webhook_disable_after_s`. Private and
    # loopback targets are refused in production unless allowed here.
    webhook_timeout_s: float = Field(10.0, gt=0, le=120)
    webhook_backoff_base_s: float = Field(30.0, gt=0)
    webhook_backoff_max_s: float = Field(3600.0, gt=0)
    webhook_max_failures: int = Field(10, ge=1)
    webhook_disable_after_s: float = Field(24 * 3600.0, ge=0)
    webhook_allow_private: bool = False
    webhook_settle_s: float = Field(2.0, ge=0)  # events are recorded for webhooks this late
    webhook_log_retention_days: int = Field(30, ge=1)  # sent deliveries are purged after
    # Event stream: publish every event to this AMQP broker (empty: off), on a topic exchange
    # with the event type as routing key. Events younger than `broker_settle_s` wait, so a
    # transaction that commits late cannot slip behind the cursor.
    broker_url: str = ""
    broker_exchange: str = Field("amity.events", min_length=1, max_length=200)
    broker_settle_s: float = Field(5.0, ge=0)
    broker_batch: int = Field(500, ge=1, le=10_000)

    @model_validator(mode="after")
    def _refuse_default_secret(self) -> Settings:
        if self.environment == "production" and self.secret_key == DEFAULT_SECRET:
            raise ValueError("AMITY_SECRET_KEY must be set to a random value in production")
        if self.environment == "production" and len(self.secret_key) < 32:
            raise ValueError("AMITY_SECRET_KEY must be at least 32 characters in production")
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


@lru_cache
def get_settings() -> Settings:
    return Settings()
