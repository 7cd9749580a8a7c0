"""``POST /oauth/token`` (RFC 6749 client credentials) and the token-management extension."""

from __future__ import annotations

import base64
import binascii
import email.utils
import math
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import parse_qsl, unquote_plus

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse

from junction.api.context import Context, Session
from junction.auth import service
from junction.auth.identity import require_partner
from junction.auth.schemas import AccessTokenOut, TokenResponse
from junction.errors import JunctionError
from junction.services import Services

token_router = APIRouter(tags=["Authentication"])
tokens_router = APIRouter(prefix="/tokens", tags=["Authentication"])

FORM_TYPE = "application/x-www-form-urlencoded"
ACCOUNT_SCOPE_PREFIX = "account:"


class OAuthError(JunctionError):
    """An RFC 6749 section 5.2 error."""

    def __init__(
        self, error: str, description: str, status_code: int = 400, retry_after: int | None = None
    ) -> None:
        super().__init__(description)
        self.error = error
        self.status_code = status_code
        self.retry_after = retry_after

    def response(self) -> JSONResponse:
        headers = {"Cache-Control": "no-store", "Pragma": "no-cache"}
        if self.status_code == 401:
            headers["WWW-Authenticate"] = 'Basic realm="junction"'
        if self.retry_after is not None:
            headers["Retry-After"] = str(self.retry_after)
        body = {"error": self.error, "error_description": self.message, "Message": self.message}
        return JSONResponse(body, status_code=self.status_code, headers=headers)


def rfc1123(moment: datetime) -> str:
    return email.utils.format_datetime(moment, usegmt=True)


def seconds_left(expires_at: datetime, now: datetime) -> int:
    """Whole seconds a client may wait and still use the token (it dies *at* expires_at)."""
    return max(0, math.ceil((expires_at - now).total_seconds()) - 1)


def _form(body: bytes) -> dict[str, str]:
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
    except UnicodeDecodeError as exc:
        raise OAuthError("invalid_request", "The request body is not valid UTF-8") from exc
    form: dict[str, str] = {}
    for name, value in pairs:
        if name in form:
            raise OAuthError("invalid_request", f"Parameter '{name}' is given more than once")
        form[name] = value
    return form


def _basic_credentials(header: str) -> tuple[str, str]:
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise OAuthError("invalid_request", "The Basic authorization header is malformed") from exc
    client_id, sep, client_secret = decoded.partition(":")
    if not sep:
        raise OAuthError("invalid_request", "The Basic authorization header is malformed")
    # RFC 6749 2.3.1: both parts are form-urlencoded before being joined.
    return unquote_plus(client_id), unquote_plus(client_secret)


def _client_credentials(request: Request, form: dict[str, str]) -> tuple[str, str]:
    header = request.headers.get("authorization", "")
    in_body = "client_id" in form or "client_secret" in form
    if header.lower().startswith("basic "):
        if in_body:
            raise OAuthError(
                "invalid_request",
                "Send client credentials either in the Authorization header or in the body, "
                "not both",
            )
        return _basic_credentials(header)
    client_id, client_secret = form.get("client_id", ""), form.get("client_secret", "")
    if not client_id:
        raise OAuthError("invalid_client", "client_id is required", status_code=401)
    if not client_secret:
        raise OAuthError("invalid_client", "client_secret is required", status_code=401)
    return client_id, client_secret


def _account_scope(scope: str | None) -> str | None:
    if scope is None or not scope.strip():
        return None
    parts = scope.split()
    if len(parts) != 1 or not parts[0].startswith(ACCOUNT_SCOPE_PREFIX):
        raise OAuthError(
            "invalid_scope", "scope must be empty or 'account:{AccountId}' for one account"
        )
    account_id = parts[0][len(ACCOUNT_SCOPE_PREFIX) :]
    if not account_id:
        raise OAuthError("invalid_scope", "scope 'account:' names no account")
    return account_id


def _too_many(wait: int, subject: str = "from this address") -> OAuthError:
    return OAuthError(
        "too_many_requests",
        f"Too many failed attempts {subject}; try again in {wait} seconds",
        status_code=429,
        retry_after=wait,
    )


def _refuse_if_throttled(context: Services, key: str) -> None:
    wait = context.throttle.retry_after([key])
    if wait is not None:
        raise _too_many(wait)


@token_router.post(
    "/oauth/token",
    response_model=TokenResponse,
    summary="Get an access token (OAuth 2.0 client credentials)",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                FORM_TYPE: {
                    "schema": {
                        "type": "object",
                        "required": ["grant_type"],
                        "properties": {
                            "grant_type": {"type": "string", "enum": ["client_credentials"]},
                            "client_id": {"type": "string"},
                            "client_secret": {"type": "string"},
                            "scope": {"type": "string", "example": "account:{AccountId}"},
                        },
                    }
                }
            },
        }
    },
)
async def token(request: Request, context: Context, session: Session) -> Response:
    try:
        return await _token(request, context, session)
    except OAuthError as exc:
        return exc.response()


async def _token(request: Request, context: Context, session: Any) -> Response:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != FORM_TYPE:
        raise OAuthError("invalid_request", f"Content-Type must be {FORM_TYPE}")
    form = _form(await request.body())
    grant_type = form.get("grant_type")
    if not grant_type:
        raise OAuthError("invalid_request", "grant_type is required")
    if grant_type != "client_credentials":
        raise OAuthError(
            "unsupported_grant_type",
            f"grant_type '{grant_type}' is not supported; use client_credentials",
        )
    client_id, client_secret = _client_credentials(request, form)

    # Per address, every attempt is refused once the limit is reached: that stops guessing
    # from one place. Per client ID only further *failures* are refused, so that strangers
    # who know a client ID cannot lock its rightful owner out.
    address = request.client.host if request.client else "unknown"
    address_key, client_key = f"address:{address}", f"client:{client_id}"
    _refuse_if_throttled(context, address_key)
    if not await service.verify_client(
        session=session, keyring=context.keyring, client_id=client_id, client_secret=client_secret
    ):
        client_wait = context.throttle.retry_after([client_key])
        context.throttle.record_failure([address_key, client_key])
        if client_wait is not None:
            raise _too_many(client_wait, "for this client ID")
        raise OAuthError("invalid_client", "Unknown client or wrong client secret", 401)

    account_id = _account_scope(form.get("scope"))
    if account_id is not None and not await service.account_exists(
        session=session, account_id=account_id
    ):
        raise OAuthError("invalid_scope", f"No account with Id '{account_id}'")

    now = context.clock()
    issued = await service.issue_token(
        session=session,
        client_id=client_id,
        account_id=account_id,
        lifetime=context.settings.access_token_lifetime,
        now=now,
    )
    body = TokenResponse(
        token_type="bearer",  # noqa: S106 - the OAuth token type, not a secret
        access_token=issued.access_token,
        expires_in=seconds_left(issued.expires_at, now),
        clientId=client_id,
        issued=rfc1123(issued.issued_at),
        expires=rfc1123(issued.expires_at),
        scope=f"{ACCOUNT_SCOPE_PREFIX}{account_id}" if account_id else None,
    )
    return JSONResponse(
        body.model_dump(by_alias=True, exclude_none=True),
        headers={"Cache-Control": "no-store", "Pragma": "no-cache"},
    )


PartnerIdentity = Annotated[service.Identity, Depends(require_partner)]


@tokens_router.get(
    "",
    response_model=list[AccessTokenOut],
    summary="List live access tokens (Junction extension)",
    description="Junction extension. Lists unexpired tokens of every credential set; the token "
    "values themselves are never shown, only their Id.",
)
async def list_tokens(
    context: Context, session: Session, _identity: PartnerIdentity, clientId: str | None = None
) -> list[AccessTokenOut]:
    rows = await service.list_tokens(session=session, now=context.clock(), client_id=clientId)
    return [AccessTokenOut.from_row(row) for row in rows]


@tokens_router.delete(
    "/{token_id}",
    summary="Revoke an access token (Junction extension)",
    description="Junction extension. The token stops working at once.",
)
async def revoke_token(
    token_id: str, context: Context, session: Session, _identity: PartnerIdentity
) -> Any:
    await service.revoke_token(session=session, token_id=token_id, now=context.clock())
    return {"Message": f"Access token '{token_id}' revoked."}
