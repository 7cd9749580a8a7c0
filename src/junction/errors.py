"""Junction's error tree. Every error a user can cause maps to one HTTP status and a message.

    JunctionError                 500  something failed on our side
    ├── ConfigurationError        ---  start-up refused (bad or missing settings, keys)
    ├── BadRequest                400  the input is wrong; the message names the field
    │   └── LimitReached          400  a configured maximum would be exceeded
    ├── Unauthenticated           401  no, unknown, expired or revoked credentials
    ├── Forbidden                 403  authenticated, but not allowed here
    ├── NotFound                  404  no such object (or not visible to the caller)
    └── Conflict                  409  the request clashes with the stored state

The API turns each into ``{"Message": ...}`` with its status; the CLI prints the message.
"""

from __future__ import annotations


class JunctionError(Exception):
    status_code = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


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
