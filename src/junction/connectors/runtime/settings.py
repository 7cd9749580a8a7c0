"""Settings of the connector runtime (the operator's knobs, passed in explicitly)."""

from __future__ import annotations

from dataclasses import dataclass, field

from junction.connectors.runtime.http import DEFAULT_MAX_RESPONSE_BYTES
from junction.connectors.runtime.redact import DEFAULT_BODY_LIMIT
from junction.connectors.runtime.retry import RetryPolicy
from junction.scripting.sandbox import Limits


@dataclass(frozen=True)
class RuntimeSettings:
    allow_loopback: bool = False  # tests and the offline demo call APIs on this machine
    allow_private: bool = False  # an operator whose APIs live on the private network
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES
    exchange_body_limit: int = DEFAULT_BODY_LIMIT
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    max_redirects: int = 10
    connection_limit: int = 100  # open connections in the pool, all hosts together
    connection_limit_per_host: int = 0  # 0: no limit per host
    # JSON answers larger than this are parsed in a worker thread, so one big page does
    # not stall every other call on the event loop.
    json_thread_bytes: int = 1024 * 1024
    script_limits: Limits = field(default_factory=Limits)  # each event's handlers
