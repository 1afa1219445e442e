"""The job runtime's own Prometheus metrics, kept in the process that runs the jobs.

Queue depth and age are read from the database when /metrics is scraped (``ops.metrics``); a
failure happens in a worker, so it is counted there and exposed by ``amity worker
--metrics-port`` (or, in a process that also serves the web app, on its /metrics).
"""

from __future__ import annotations

from prometheus_client import Counter

JOB_FAILURES = Counter("amity_job_failures", "Job attempts that raised, by queue (job kind) "
                       "and outcome: failed (to be retried) or dead (no attempts left, or a "
                       "permanent error)", ["queue", "outcome"])


def count_failure(kind: str, outcome: str) -> None:
    JOB_FAILURES.labels(kind, outcome).inc()
