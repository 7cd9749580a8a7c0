"""The process's Prometheus instruments, in a registry of its own.

One ``Metrics`` per composition root (``Services``), never the global default registry:
several servers in one process (the tests) each count their own. Counters are per process:
a ``junction serve`` and each ``junction worker`` expose what they did themselves. The
queue gauges are read from the database when ``/metrics`` is scraped, so any process
gives the same figures for them.

Instruments are touched once per event (a transaction ended, a step run, a call answered),
never per item of a list: an increment costs well under a microsecond.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

# What each script failure message (``scripting.sandbox.message_of``) says about limits.
SCRIPT_LIMIT_MESSAGES = {
    "the script ran longer than its time limit": "time",
    "the script used more memory than its limit": "memory",
    "the script went deeper than its stack limit": "stack",
}

TRANSACTION_STATUSES = ("Completed", "Errored", "Stopped")
STATUS_CLASSES = ("1xx", "2xx", "3xx", "4xx", "5xx", "error")
# Steps are mostly one or two HTTP calls: from a millisecond to a slow API's minute.
STEP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.transactions_ended = Counter(
            "junction_transactions_ended",
            "Transactions this process ran to an end, by final status.",
            ["status"],
            registry=r,
        )
        self.step_duration = Histogram(
            "junction_step_duration_seconds",
            "Time one step took to run in this process (its calls and scripts included).",
            buckets=STEP_BUCKETS,
            registry=r,
        )
        self.webhook_calls = Counter(
            "junction_webhook_calls",
            "Inbound webhook calls: accepted (stored as a transaction), refused (4xx: unknown "
            "address, cycle not running, too large, bad body) or failed (5xx).",
            ["outcome"],
            registry=r,
        )
        self.outbound_requests = Counter(
            "junction_outbound_requests",
            "HTTP requests to third-party APIs by status class; error: no answer "
            "(timeout, connection refused or broken).",
            ["status_class"],
            registry=r,
        )
        self.oauth_refreshes = Counter(
            "junction_oauth_token_refreshes",
            "OAuth 2.0 access tokens of account connectors obtained again: ok or rejected "
            "(the user must authenticate again).",
            ["outcome"],
            registry=r,
        )
        self.script_executions = Counter(
            "junction_script_executions",
            "Script executions (field mappings, connector and webhook handlers).",
            registry=r,
        )
        self.script_limit_breaches = Counter(
            "junction_script_limit_breaches",
            "Script executions stopped by a limit: time, memory or stack.",
            ["limit"],
            registry=r,
        )
        self.queue_depth = Gauge(
            "junction_queue_depth",
            "Transactions due to run now and not running (Queued or Waiting, due time "
            "passed), read from the database at scrape time.",
            ["status"],
            registry=r,
        )
        self.queue_oldest_due_age = Gauge(
            "junction_queue_oldest_due_age_seconds",
            "How long the longest-waiting due transaction has been due (0 when none), read "
            "from the database at scrape time.",
            registry=r,
        )
        # Every series shows from the first scrape (at 0), so rate() and alerts see it.
        for status in TRANSACTION_STATUSES:
            self.transactions_ended.labels(status)
        for outcome in ("accepted", "refused", "failed"):
            self.webhook_calls.labels(outcome)
        for status_class in STATUS_CLASSES:
            self.outbound_requests.labels(status_class)
        for outcome in ("ok", "rejected"):
            self.oauth_refreshes.labels(outcome)
        for limit in SCRIPT_LIMIT_MESSAGES.values():
            self.script_limit_breaches.labels(limit)
        for status in ("Queued", "Waiting"):
            self.queue_depth.labels(status)

    def outbound_answered(self, status: int | None) -> None:
        """One third-party request ended: with an HTTP ``status``, or None without one."""
        label = "error" if status is None else f"{min(max(status // 100, 1), 5)}xx"
        self.outbound_requests.labels(label).inc()

    def script_observed(self, failure: str | None) -> None:
        """The script sandbox's observer: None when an execution starts, its failure's
        message when it fails."""
        if failure is None:
            self.script_executions.inc()
            return
        limit = SCRIPT_LIMIT_MESSAGES.get(failure)
        if limit is not None:
            self.script_limit_breaches.labels(limit).inc()
