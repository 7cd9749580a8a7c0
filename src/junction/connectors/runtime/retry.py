"""When a failed attempt is worth another, and how long to wait first.

Transient failures (the connection could not be made or broke, 502/503/504) are retried a
few times (a broken connection, 502 and 504 only for idempotent verbs: a POST may have been
acted on) with exponential backoff and full jitter (a random wait between 0 and the
backoff), so that many calls failing together do not retry together. A 429 names its own
wait in ``Retry-After``; the call waits it out only while the total stays within
``max_wait_seconds``, and otherwise raises ``UpstreamRateLimited`` so the engine can put the
transaction aside instead of holding a worker.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime

from junction.connectors.runtime.dates import as_utc

TRANSIENT_STATUSES = frozenset({502, 503, 504})
# 503 says the request was not taken on; after a 502 or 504 from a gateway the API may
# still be working on it, so those are retried only when repeating the call is harmless.
RETRIED_EVEN_IF_NOT_IDEMPOTENT = frozenset({503})
RATE_LIMITED = 429


@dataclass(frozen=True)
class RetryPolicy:
    max_retries: int = 3  # transient failures retried at most this often per request
    backoff_base: float = 0.5  # seconds; the n-th retry waits up to base * 2**n
    backoff_cap: float = 8.0
    max_wait_seconds: float = 120.0  # 429 waits a call may sit out, added up
    default_retry_after: float = 60.0  # when a 429 gives no usable Retry-After
    max_rate_limited_retries: int = 10  # so Retry-After: 0 forever cannot loop forever

    def backoff(self, retry: int, random: Callable[[], float]) -> float:
        """The wait before transient retry number ``retry`` (from 0): full jitter."""
        ceiling: float = min(self.backoff_cap, self.backoff_base * 2.0**retry)
        return random() * ceiling


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a ``Retry-After`` value (delta seconds or an HTTP date), or None
    when there is none or it cannot be read. A date in the past means no wait."""
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if seconds == seconds and seconds != float("inf") else None
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, (as_utc(moment) - as_utc(now)).total_seconds())


@dataclass
class RetryState:
    """What one logical request has used up of its retries."""

    policy: RetryPolicy
    transient_retries: int = 0
    rate_limited_retries: int = 0
    waited_for_rate_limit: float = 0.0

    def transient_wait(self, random: Callable[[], float]) -> float | None:
        """The wait before retrying a transient failure, or None when retries are used up."""
        if self.transient_retries >= self.policy.max_retries:
            return None
        wait = self.policy.backoff(self.transient_retries, random)
        self.transient_retries += 1
        return wait

    def rate_limit_wait(self, retry_after: float | None) -> tuple[float, bool]:
        """(the wait, whether to wait here); False means give up with UpstreamRateLimited."""
        wait = self.policy.default_retry_after if retry_after is None else retry_after
        if (
            self.rate_limited_retries >= self.policy.max_rate_limited_retries
            or self.waited_for_rate_limit + wait > self.policy.max_wait_seconds
        ):
            return wait, False
        self.rate_limited_retries += 1
        self.waited_for_rate_limit += wait
        return wait, True
