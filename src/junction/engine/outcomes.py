"""What a step's execution gives back to the runner, and Cyclr's incident messages."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from junction.connectors.runtime import Exchange

# Cyclr's short messages for step incidents (its transaction error webhook's "Message").
FAILED_TO_CALL = "Failed to call the method"
FAILED_TO_AUTHENTICATE = "Failed to authenticate the connector"
FAILED_TO_BUILD = "Failed to build the request"
SOURCE_EMPTY = "Required source is empty"
OUT_OF_RETRIES = "Out of retries"
TRANSACTION_STOPPED = "Transaction Stopped"
NOT_A_DATE = "Field is not a valid DateTime"
WAIT_UNTIL_MISSING = "WaitUntil step is missing wait criteria"
SPLIT_FAILED = "Step data cannot be split"
WEBHOOK_FAILED = "Webhook failed"
RATE_LIMITED = "The API asked to slow down; the call will be retried"


@dataclass
class Failure:
    short: str
    full: str
    retry_after: float | None = None  # rate limited: wait this long, whatever the action


@dataclass
class Outcome:
    status: str = "Success"  # Success, Warning, Error
    records: list[dict[str, Any]] | None = None  # a method's response records
    output: Any = None  # what later steps map from (set for non-method steps)
    exchanges: list[dict[str, Any]] = field(default_factory=list)
    message: str | None = None
    failure: Failure | None = None
    warning: Failure | None = None  # the step went on, with a Warning incident
    branch: bool | None = None  # Decision
    wait_until: datetime | None = None  # Delay, Wait Until
    end: bool = False  # Stop
    # Get triggers
    run_started: datetime | None = None
    seen_ids: list[str] = field(default_factory=list)
    calls: int = 0  # API calls a method step made (one per item of a mapped collection)
    # WebhookResponse
    response: tuple[int, Any] | None = None


def exchange_dict(exchange: Exchange) -> dict[str, Any]:
    return {
        "Method": exchange.method,
        "Url": exchange.url,
        "RequestHeaders": exchange.request_headers,
        "RequestBody": exchange.request_body,
        "StatusCode": exchange.status,
        "ResponseHeaders": exchange.response_headers,
        "ResponseBody": exchange.response_body,
        "DurationMs": round(exchange.duration_ms, 2),
        "Attempt": exchange.attempt,
        "Error": exchange.error,
    }


def detail(message: str, exchanges: list[Exchange], *, bodies: bool = True) -> str:
    """A failure's full text: the message, then the last (redacted) response and request;
    without ``bodies`` (LogStepDataRequests off) only the status line and the request line."""
    if not exchanges:
        return message
    last = exchanges[-1]
    lines = [message, ""]
    if last.status is not None:
        lines.append(f"HTTP Response: {last.status}")
        if last.response_body and bodies:
            lines.append(last.response_body)
        lines.append("")
    lines.append("HTTP Request:")
    lines.append(f"{last.method} {last.url}")
    if bodies:
        lines.extend(f"{name}: {value}" for name, value in last.request_headers.items())
        if last.request_body:
            lines.extend(["", last.request_body])
    return "\n".join(lines)
