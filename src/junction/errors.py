"""Junction's error tree. Every error a user can cause maps to one HTTP status and a message.

    JunctionError                 500  something failed on our side
    ├── ConfigurationError        ---  start-up refused (bad or missing settings, keys)
    ├── DecryptionError           500  a stored secret cannot be opened (security.keyring)
    ├── OAuthError        400/401/429  an RFC 6749 token-endpoint error (auth.router)
    ├── BadRequest                400  the input is wrong; the message names the field
    │   └── LimitReached          400  a configured maximum would be exceeded
    ├── Unauthenticated           401  no, unknown, expired or revoked credentials
    │   └── InvalidToken          401  ...with a Bearer challenge (auth.identity)
    ├── Forbidden                 403  authenticated, but not allowed here
    ├── NotFound                  404  no such object (or not visible to the caller)
    ├── Conflict                  409  the request clashes with the stored state
    ├── PayloadTooLarge           413  a request body over its limit
    ├── ServiceUnavailable        503  a part Junction needs is down (retry later)
    └── ConnectorCallError        502  a call to a connector's API failed (runtime)
        ├── UpstreamHttpError     502  the API's final 4xx/5xx answer (status kept)
        ├── UpstreamTimeout       504
        ├── UpstreamUnreachable   502
        ├── UpstreamRateLimited   429  wait longer than allowed; retry_after kept
        ├── PagingLoop            502  a page token or next URL repeated
        ├── ResponseTooLarge      502
        └── BlockedAddress        400  the address guard refused the URL
    (CallInputError, a BadRequest, names a connector call's missing or bad value.)

The API turns each into ``{"Message": ...}`` with its status (token-endpoint errors also
carry RFC 6749's ``error`` and ``error_description``); the CLI prints the message. A
database integrity error that slips past the services' checks (two requests racing for one
key) is answered 409.
"""

from __future__ import annotations

from typing import Any


class JunctionError(Exception):
    status_code = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def body(self) -> dict[str, Any]:
        """The API's error body; subclasses may add detail beside ``Message``."""
        return {"Message": self.message}


class ConfigurationError(JunctionError):
    pass


class BadRequest(JunctionError):
    status_code = 400


class LimitReached(BadRequest):
    pass


class Unauthenticated(JunctionError):
    status_code = 401


class Forbidden(JunctionError):
    status_code = 403


class NotFound(JunctionError):
    status_code = 404


class Conflict(JunctionError):
    status_code = 409


class PayloadTooLarge(JunctionError):
    status_code = 413


class ServiceUnavailable(JunctionError):
    status_code = 503


# Connector runtime errors (junction.connectors.runtime). A call to a third-party API that
# fails is the upstream's problem or the network's, so the base answer is 502 Bad Gateway;
# each subclass keeps what a caller needs to decide what to do next (retry later, fix input).
class ConnectorCallError(JunctionError):
    status_code = 502

    def __init__(self, message: str) -> None:
        super().__init__(message)
        # Redacted request/response copies made before the failure, set by the runtime so
        # step data can show what was tried (a list of runtime.types.Exchange).
        self.exchanges: list[Any] = []


class UpstreamHttpError(ConnectorCallError):
    """The API gave a final 4xx/5xx answer (after any retries)."""

    BODY_KEPT = 2048  # enough to read an API's error message, small enough for step data

    def __init__(self, status: int, body_text: str, reason: str = "") -> None:
        self.upstream_status = status
        self.reason = reason
        self.body_text = body_text[: self.BODY_KEPT]
        excerpt = " ".join(self.body_text[:300].split())
        super().__init__(
            f"The connector's API answered HTTP {status}{f' {reason}' if reason else ''}"
            + (f": {excerpt}" if excerpt else "")
        )


class ScriptFailed(ConnectorCallError):
    """A connector or step script threw, broke a limit, or gave something unusable."""

    def __init__(self, message: str, thrown: str | None = None) -> None:
        super().__init__(message)
        self.thrown = thrown  # AuthRefreshException, AuthSessionException


class ScriptWarning(ConnectorCallError):
    """An after_error handler turned the API's error into a warning."""


class ScriptStopped(JunctionError):
    """A before_action handler answered false: the request was not sent."""

    status_code = 409


class UpstreamTimeout(ConnectorCallError):
    status_code = 504


class UpstreamUnreachable(ConnectorCallError):
    def __init__(self, message: str, *, request_may_have_been_sent: bool = False) -> None:
        super().__init__(message)
        # A connection dropped after the request went out may have been acted on, so only
        # idempotent calls are retried then.
        self.request_may_have_been_sent = request_may_have_been_sent


class UpstreamRateLimited(ConnectorCallError):
    """429 with a wait longer than the caller may block; reschedule after ``retry_after``."""

    status_code = 429

    def __init__(self, retry_after: float, message: str | None = None) -> None:
        self.retry_after = retry_after
        super().__init__(
            message or f"The connector's API is rate limiting; retry after {retry_after:g} seconds"
        )


class PagingLoop(ConnectorCallError):
    pass


class ResponseTooLarge(ConnectorCallError):
    pass


class BlockedAddress(ConnectorCallError):
    """An outbound URL points where Junction must not call (see security.address_guard).

    A ConnectorCallError too, so a caller handling failed connector calls sees it, but 400:
    the URL (a definition or a property) is what must change.
    """

    status_code = 400


class CallInputError(BadRequest):
    """A value given for a connector call is missing or cannot be used; the message names it."""
