"""What callers give the runtime and what they get back."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from junction.connectors.spec.models import AuthenticationSpec

if TYPE_CHECKING:  # the scripting package imports the runtime's date helpers
    from junction.scripting.events import ScriptEnvironment


class AccessTokenSource(Protocol):
    """Gives the current OAuth 2.0 access token of an account connector.

    ``rejected`` is the token an API has just refused (401, or a script's
    AuthRefreshException): the answer is then another one, refreshed unless a concurrent
    call has replaced it already. It is the caller's own token, never "the last one handed
    out", which a concurrent call may have changed meanwhile. Implementations make sure only
    one refresh runs at a time per account connector.
    """

    async def __call__(self, *, rejected: str | None = None) -> str: ...


@dataclass(frozen=True)
class Credentials:
    """Decrypted authentication values of one account connector."""

    auth: AuthenticationSpec | None = None
    api_key: str | None = None
    username: str | None = None
    password: str | None = None
    auth_fields: dict[str, str] = field(default_factory=dict)
    access_token: AccessTokenSource | None = None


@dataclass(frozen=True)
class ConnectionContext:
    """One account connector, as the runtime needs it."""

    key: str  # identifies the account connector for rate limits, e.g. "ac:42"
    properties: dict[str, str]  # connector parameter values by TargetName (account + partner)
    credentials: Credentials
    sensitive_values: frozenset[str] = frozenset()  # extra values to redact wherever they appear


@dataclass(frozen=True)
class CallInput:
    """Values for one call of a method."""

    parameters: dict[str, str] = field(default_factory=dict)  # by TargetName
    fields: dict[str, Any] = field(default_factory=dict)  # by SystemField (or ConnectorField)
    last_successful_run_date: datetime | None = None
    # System mergefields of this call (Cyclr_Webhook_Url, Cyclr_Webhook_Id...), by name.
    mergefields: dict[str, str] = field(default_factory=dict)
    # The step's script and what its events share; None outside a cycle step.
    script: ScriptEnvironment | None = None
    # A body the caller wrote itself (Data on Demand's /body form): sent as is, with its
    # Content-Type, in place of one built from ``fields``.
    raw_body: bytes | None = None
    raw_content_type: str | None = None


@dataclass(frozen=True)
class Exchange:
    """A redacted copy of one HTTP request and its response, for step data and logs."""

    method: str
    url: str
    request_headers: dict[str, str]
    request_body: str | None
    status: int | None
    response_headers: dict[str, str]
    response_body: str | None
    duration_ms: float
    attempt: int
    error: str | None = None


@dataclass
class CallResult:
    status: int
    headers: dict[str, str]
    body: Any  # parsed JSON when the response is JSON, else text
    records: list[dict[str, Any]]  # response fields by SystemField, one per collection item
    exchanges: list[Exchange]
    branch: bool | None = None  # what an action_condition handler decided


@dataclass
class Page:
    number: int  # from 1
    body: Any
    records: list[dict[str, Any]]
    exchange: Exchange


Sleep = Callable[[float], Awaitable[None]]
