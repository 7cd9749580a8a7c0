"""Turn every failure into ``{"Message": ...}`` with the right status; never a stack trace."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from junction.api.middleware import NOSNIFF
from junction.auth.identity import InvalidToken
from junction.errors import JunctionError, ServiceUnavailable

log = logging.getLogger("junction.api")

_LOCATIONS = {
    "body": "",
    "query": "query parameter ",
    "path": "path parameter ",
    "header": "header ",
}


def _field(loc: tuple[Any, ...]) -> str:
    where = _LOCATIONS.get(str(loc[0]), "") if loc else ""
    path = ".".join(str(part) for part in loc[1:]) if len(loc) > 1 else ""
    return f"{where}{path}" if path else "request body"


def describe_validation_errors(errors: list[dict[str, Any]]) -> str:
    messages = []
    for error in errors:
        if error.get("type") == "json_invalid":
            detail = error.get("ctx", {}).get("error", "")
            messages.append(f"The request body is not valid JSON ({detail})".replace(" ()", ""))
            continue
        if error.get("type") == "extra_forbidden":
            messages.append(f"{_field(tuple(error['loc']))}: unknown field")
            continue
        message = str(error.get("msg", "is invalid"))
        message = message.removeprefix("Value error, ")
        messages.append(f"{_field(tuple(error['loc']))}: {message}")
    return "; ".join(messages)


def _message(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"Message": message}, status_code=status, headers=headers)


async def _junction_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, JunctionError)
    headers = {"WWW-Authenticate": exc.challenge} if isinstance(exc, InvalidToken) else None
    if isinstance(exc, ServiceUnavailable):
        return _message(503, exc.message, {"Retry-After": "5"})
    if exc.status_code >= 500:
        log.error("request failed: %s", exc.message)
        return _message(exc.status_code, "An internal error occurred")
    return JSONResponse(exc.body(), status_code=exc.status_code, headers=headers)


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return _message(400, describe_validation_errors(list(exc.errors())))


async def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    return _message(exc.status_code, str(exc.detail), dict(exc.headers or {}))


async def _integrity_error(_request: Request, exc: Exception) -> JSONResponse:
    # Two requests raced for the same key: the loser is told, nothing is half-written.
    log.info("integrity error: %s", exc)
    return _message(409, "The request conflicts with data that was stored at the same time")


async def _database_down(_request: Request, exc: Exception) -> JSONResponse:
    # Nothing was stored: the caller is told to try again rather than given a 500 (or, for
    # a webhook, a success for a payload that was never written).
    log.warning("database unavailable: %s", exc)
    return _message(
        503,
        "The database is unavailable; nothing was stored. Try again shortly.",
        {"Retry-After": "5", "X-Content-Type-Options": NOSNIFF},
    )


async def _unexpected_error(_request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error", exc_info=exc)
    # This response is built outside the middleware stack, so it sets the header itself.
    return _message(500, "An internal error occurred", {"X-Content-Type-Options": NOSNIFF})


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(JunctionError, _junction_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(IntegrityError, _integrity_error)
    app.add_exception_handler(OperationalError, _database_down)
    app.add_exception_handler(InterfaceError, _database_down)
    app.add_exception_handler(ConnectionError, _database_down)
    app.add_exception_handler(Exception, _unexpected_error)
