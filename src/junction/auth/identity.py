"""Request identity: every ``/v1.0`` route needs a bearer token; account routes need an account.

``authenticate`` runs for the whole ``/v1.0`` tree (authenticated is the default);
``require_partner`` and ``require_account`` then decide which level a route belongs to.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.openapi.models import OAuthFlowClientCredentials, OAuthFlows
from fastapi.responses import JSONResponse
from fastapi.security import OAuth2
from starlette.types import ASGIApp, Receive, Scope, Send

from junction.accounts.models import Account
from junction.api.context import get_services
from junction.auth import service
from junction.auth.cache import Remembered
from junction.errors import Forbidden, NotFound, Unauthenticated
from junction.scripting import workers
from junction.security.hashing import token_hash

ACCOUNT_HEADER = "X-Cyclr-Account"

# Declared for the OpenAPI document (so /docs can fetch a token); parsing is ours.
oauth2_scheme = OAuth2(
    flows=OAuthFlows(clientCredentials=OAuthFlowClientCredentials(tokenUrl="/oauth/token")),
    auto_error=False,
    scheme_name="ClientCredentials",
)


class InvalidToken(Unauthenticated):
    """401 with a ``WWW-Authenticate: Bearer`` challenge (RFC 6750)."""

    def __init__(self, message: str, *, error: str | None = "invalid_token") -> None:
        super().__init__(message)
        self.challenge = f'Bearer realm="junction", error="{error}"' if error else "Bearer"


async def identify_request(request: Request) -> service.Identity:
    """Check the bearer token of a request; raise InvalidToken when it does not hold."""
    header = request.headers.get("authorization")
    if not header:
        raise InvalidToken("Authorization: Bearer {access_token} is required", error=None)
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or " " in token:
        raise InvalidToken("The Authorization header must be 'Bearer {access_token}'")
    context = get_services(request)
    account_id = request.headers.get(ACCOUNT_HEADER, "").strip()
    now = context.clock()
    cache = context.identities
    hashed = token_hash(token)
    remembered = cache.token(hashed, now)
    if remembered is not None:
        identity = remembered.identity
        # An account not known here is read by require_account (and kept when it exists).
        known = account_id and cache.has_account(account_id)
        if known and identity.account_scope in (None, account_id):
            request.state.account_checked = (account_id, True)
        return identity
    generation = cache.generation
    async with context.database.transaction(read_only=True) as session:
        found = await service.identify(session=session, token=token, now=now)
        if found is not None and account_id and found[0].account_scope in (None, account_id):
            # Checked here, in the same transaction, so that account-level calls cost one
            # round trip less; require_account uses the answer.
            exists = await session.get(Account, account_id) is not None
            request.state.account_checked = (account_id, exists)
            if exists:
                cache.keep(generation, account_id=account_id)
    if found is None:
        raise InvalidToken("The access token is unknown, expired or revoked")
    identity, expires_at = found
    cache.keep(
        generation,
        token_hash=hashed,
        token=Remembered(identity, expires_at),
    )
    return identity


class BearerAuthMiddleware:
    """Authenticates every request under ``prefix`` before routing and body parsing.

    Doing it here, not in a route dependency, means an anonymous caller learns nothing from
    a route: not whether it exists, nor what its body should look like.
    """

    def __init__(self, app: ASGIApp, prefix: str) -> None:
        self.app = app
        self.prefix = prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if scope["type"] != "http" or not (
            path == self.prefix or path.startswith(self.prefix + "/")
        ):
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        try:
            identity = await identify_request(request)
        except InvalidToken as exc:
            response = JSONResponse(
                {"Message": exc.message},
                status_code=exc.status_code,
                headers={"WWW-Authenticate": exc.challenge},
            )
            await response(scope, receive, send)
            return
        # request.state writes into scope["state"], which the routed request shares.
        request.state.identity = identity
        await self.app(scope, receive, send)


async def authenticate(
    request: Request, _declared: Annotated[str | None, Depends(oauth2_scheme)]
) -> service.Identity:
    """The identity BearerAuthMiddleware established (checked again if it did not run)."""
    identity: service.Identity | None = getattr(request.state, "identity", None)
    if identity is None:
        identity = await identify_request(request)
        request.state.identity = identity
    return identity


Authenticated = Annotated[service.Identity, Depends(authenticate)]


async def require_partner(identity: Authenticated) -> service.Identity:
    if identity.account_scope is not None:
        raise Forbidden(
            "This token is restricted to one account and cannot call partner-level methods"
        )
    return identity


@dataclass(frozen=True)
class AccountContext:
    identity: service.Identity
    account_id: str


async def require_account(
    request: Request,
    identity: Authenticated,
    header: Annotated[
        str | None,
        Header(alias=ACCOUNT_HEADER, description="Id of the account the call acts in."),
    ] = None,
) -> AccountContext:
    account_id = (header or "").strip()
    if not account_id:
        # 401, as Cyclr answers: the call does not say whose it is.
        raise Unauthenticated(f"The {ACCOUNT_HEADER} header is required for account-level methods")
    if identity.account_scope is not None and identity.account_scope != account_id:
        raise Forbidden("This token is restricted to another account")
    checked: tuple[str, bool] | None = getattr(request.state, "account_checked", None)
    if checked is not None and checked[0] == account_id:
        exists = checked[1]
    else:
        context = get_services(request)
        generation = context.identities.generation
        async with context.database.transaction(read_only=True) as session:
            exists = await session.get(Account, account_id) is not None
        if exists:
            context.identities.keep(generation, account_id=account_id)
    if not exists:
        raise NotFound(f"No account with Id '{account_id}'")
    # Scripts this request runs (Data on Demand's events, say) count against the account's
    # share of the script threads; the binding ends with the request's task.
    workers.bind_account(account_id)
    return AccountContext(identity=identity, account_id=account_id)


CurrentAccount = Annotated[AccountContext, Depends(require_account)]
