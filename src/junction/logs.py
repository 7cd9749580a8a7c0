"""Logging for every ``junction`` command: one handler, on stderr, writing text or JSON lines.

``configure_logging(settings)`` runs once as a command starts. ``JUNCTION_LOG_LEVEL`` is the
level of Junction's loggers (``junction.*``) and Uvicorn's; other libraries only get their
warnings and errors through, so that a busy worker's log is Junction's own events.
``JUNCTION_LOG_FORMAT`` picks readable lines (``text``) or one JSON object per line
(``json``) for log collectors.

While the engine runs a transaction it binds the transaction's ids (``bind_transaction``);
every line logged in that task, by Junction or by a library it calls, then carries
``account_id``, ``cycle_id`` and ``transaction_id``.
"""

from __future__ import annotations

import json
import logging
import sys
from contextvars import ContextVar, Token
from datetime import UTC, datetime
from typing import Any, TextIO

from junction.cycles.webhook_urls import WEBHOOK_PATH
from junction.settings import Settings

TRACE = 5  # Uvicorn's level below DEBUG (JUNCTION_LOG_LEVEL=trace)
LEVELS = {
    "critical": logging.CRITICAL,
    "error": logging.ERROR,
    "warning": logging.WARNING,
    "info": logging.INFO,
    "debug": logging.DEBUG,
    "trace": TRACE,
}
IDS = ("account_id", "cycle_id", "transaction_id")
# What a line carries after its message, in this order: the ids, then what log calls pass
# with ``extra`` (never payloads or secrets: these are written as they are).
FIELDS = (*IDS, "step_id", "previous_owner")
REDACTED = "***"
# The loggers JUNCTION_LOG_LEVEL governs.
GOVERNED = ("junction", "uvicorn", "uvicorn.error", "uvicorn.access", "uvicorn.asgi")

# One variable holding the three ids: a transaction's start sets it once, not three times.
_transaction: ContextVar[tuple[str, str, str] | None] = ContextVar(
    "junction_transaction", default=None
)

Bound = Token[tuple[str, str, str] | None]


def bind_transaction(*, account_id: str, cycle_id: str, transaction_id: str) -> Bound:
    """Attach these ids to every line logged from here on in this task (and the tasks and
    threads it starts with a copy of its context); ``unbind`` when the run ends."""
    return _transaction.set((account_id, cycle_id, transaction_id))


def unbind(bound: Bound) -> None:
    _transaction.reset(bound)


class TransactionIds(logging.Filter):
    """Adds the bound ids to each record, unless the log call gave its own (``extra``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        ids = _transaction.get()
        if ids is not None:
            fields = record.__dict__
            for name, value in zip(IDS, ids, strict=True):
                fields.setdefault(name, value)
        return True


class AccessLineSecrets(logging.Filter):
    """Uvicorn's access lines without the secrets a URL may carry: a webhook's address (its
    identifier is all a sender needs) and the values of query parameters (an OAuth 2.0
    callback's code and state). The path and the parameters' names stay."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        # Uvicorn's access line: (client, method, path with query, HTTP version, status).
        if isinstance(args, tuple) and len(args) == 5 and isinstance(args[2], str):
            record.args = (*args[:2], redact_url_path(args[2]), *args[3:])
        return True


def redact_url_path(full_path: str) -> str:
    path, question_mark, query = full_path.partition("?")
    if path.startswith(WEBHOOK_PATH) and len(path) > len(WEBHOOK_PATH):
        path = f"{WEBHOOK_PATH}{REDACTED}"
    if query:
        names = (part.partition("=")[0] for part in query.split("&"))
        query = "&".join(f"{name}={REDACTED}" for name in names)
    return f"{path}{question_mark}{query}"


def _time(record: logging.LogRecord) -> str:
    # UTC, so that the lines of processes on different machines sort together.
    moment = datetime.fromtimestamp(record.created, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _fields(record: logging.LogRecord) -> list[tuple[str, Any]]:
    found = record.__dict__
    return [(name, found[name]) for name in FIELDS if found.get(name) is not None]


class TextFormatter(logging.Formatter):
    """``2025-01-31T09:00:00.000Z WARNING junction.engine: message key=value ...``"""

    def format(self, record: logging.LogRecord) -> str:
        line = f"{_time(record)} {record.levelname} {record.name}: {record.getMessage()}"
        fields = " ".join(f"{name}={value}" for name, value in _fields(record))
        if fields:
            line = f"{line} {fields}"
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line = f"{line}\n{record.exc_text}"
        if record.stack_info:
            line = f"{line}\n{self.formatStack(record.stack_info)}"
        return line


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, then the ids (and the
    traceback as ``exception``); line breaks inside the message stay escaped."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": _time(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(_fields(record))
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class StderrHandler(logging.StreamHandler[TextIO]):
    """Writes to whatever ``sys.stderr`` is at the time of the line, not at set-up (a
    command run inside a test writes to the stream that test captures)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, value: TextIO) -> None:
        pass


def configure_logging(settings: Settings) -> None:
    """Send every log line to stderr, in ``settings.log_format``, at ``settings.log_level``
    for Junction's and Uvicorn's loggers. Calling it again replaces what it set up."""
    logging.addLevelName(TRACE, "TRACE")
    level = LEVELS[settings.log_level]
    handler = StderrHandler()
    handler.setFormatter(JsonFormatter() if settings.log_format == "json" else TextFormatter())
    handler.addFilter(TransactionIds())
    root = logging.getLogger()
    for previous in [h for h in root.handlers if isinstance(h, StderrHandler)]:
        root.removeHandler(previous)
    root.addHandler(handler)
    # Python's warnings (a library's deprecation notes) as log lines in the same format,
    # rather than bare text among the JSON lines.
    logging.captureWarnings(True)
    # Other libraries: warnings and errors (or less, when asked for less).
    root.setLevel(max(level, logging.WARNING))
    for name in GOVERNED:
        logger = logging.getLogger(name)
        logger.setLevel(level)
        if name.startswith("uvicorn"):
            # Uvicorn's own configuration (applied when log_config is left to it) gives its
            # loggers handlers of their own and stops them propagating: its lines would
            # bypass the format above, or be written twice.
            logger.handlers.clear()
            logger.propagate = True
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, AccessLineSecrets) for f in access.filters):
        access.addFilter(AccessLineSecrets())
