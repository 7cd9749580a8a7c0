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
    └── Conflict                  409  the request clashes with the stored state

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
