"""OAuth 2.0 for account connectors: authorisation-code flow with PKCE, and access tokens
that refresh themselves, one refresh at a time per account connector.

Token requests are rare, so each is a form post in a short-lived session (not the runtime's
aiohttp session). A refresh runs inside a database transaction that locks the account
connector's row (``FOR UPDATE`` on PostgreSQL; SQLite's write lock), and re-reads the
tokens there: whoever waited finds the new token and does not refresh again, in this
process or another. A rotated refresh token is written in that same transaction.
"""

from __future__ import annotations

import asyncio
import json
import re
import secrets
import weakref
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode

import aiohttp
from authlib.common.security import generate_token
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from sqlalchemy import delete, select

from junction.clock import Clock
from junction.connectors.accounts import service as account_connectors
from junction.connectors.accounts.models import AccountConnector
from junction.connectors.calls import oauth_scripts
from junction.connectors.calls.models import OAuthState
from junction.connectors.spec.mergefields import MERGEFIELD, merge
from junction.connectors.spec.models import AuthenticationSpec, OAuth2Auth, OAuth2Type
from junction.db.engine import Database
from junction.errors import BadRequest, ConnectorCallError, NotFound, ScriptFailed
from junction.metrics import Metrics
from junction.scripting.sandbox import Limits
from junction.security.address_guard import AddressGuard, GuardedResolver
from junction.security.keyring import Keyring

STATE_LIFETIME = timedelta(minutes=10)
# A refresh holds SQLite's write lock while it waits, and may make two token requests
# (a rejected refresh token, then a fallback grant): together below the 30 s busy timeout.
TOKEN_TIMEOUT_SECONDS = 10
MAX_TOKEN_RESPONSE_BYTES = 1024 * 1024
CALLBACK_PATH = "/connectors/oauth/callback"


class OAuthRejected(BadRequest):
    """The provider refused our credentials (the user must authenticate again)."""


class OAuthUnavailable(ConnectorCallError):
    """The token endpoint could not be reached or answered nonsense (try again later)."""


class RefreshLocks:
    """One asyncio lock per account connector, shared by every call in this process."""

    def __init__(self) -> None:
        self._locks: weakref.WeakValueDictionary[int, asyncio.Lock] = weakref.WeakValueDictionary()

    def get(self, account_connector_id: int) -> asyncio.Lock:
        lock = self._locks.get(account_connector_id)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[account_connector_id] = lock
        return lock


@dataclass(frozen=True)
class OAuthEnvironment:
    database: Database
    keyring: Keyring
    clock: Clock
    guard: AddressGuard
    locks: RefreshLocks
    public_base_url: str
    script_limits: Limits = field(default_factory=Limits)  # the connector's OAuth handlers
    metrics: Metrics = field(default_factory=Metrics)

    def with_base_url(self, public_base_url: str) -> OAuthEnvironment:
        return replace(self, public_base_url=public_base_url)

    @property
    def redirect_uri(self) -> str:
        return f"{self.public_base_url}{CALLBACK_PATH}"


@dataclass(frozen=True)
class ClientSettings:
    grant: OAuth2Type
    client_id: str
    client_secret: str
    token_url: str
    authorise_url: str | None
    scope: str | None
    auth_method: str
    extra_token: dict[str, str]
    extra_authorise: dict[str, str]
    pkce: bool
    margin: timedelta
    script: str | None = None  # the connector's Script: its OAuth event handlers


def client_settings(
    auth: AuthenticationSpec, properties: dict[str, str], script: str | None = None
) -> ClientSettings:
    """The OAuth settings with their {{mergefields}} filled from connector properties."""
    spec: OAuth2Auth | None = auth.OAuth2
    if spec is None:
        raise BadRequest(f"Authentication '{auth.Id}' is not OAuth2")

    def value(name: str, what: str) -> str:
        found = properties.get(name)
        if found is None:
            raise OAuthRejected(
                f"{what} needs the connector property '{name}', which is not set "
                "(a partner property is set with PUT /v1.0/connectors/{id}/partnerproperties)"
            )
        return found

    def fill(text: str, what: str) -> str:
        return merge(text, lambda name, _options: value(name, what))

    def fill_url(text: str, what: str) -> str:
        # As in the runtime: a value is escaped, so an account's property can change a
        # path segment or a subdomain but never the host, path or query around it; only a
        # mergefield that starts the URL (the whole base address) goes in as it is.
        def one(match: re.Match[str]) -> str:
            filled = value(match.group(1), what)
            if match.start() == 0:
                return filled
            if filled in (".", ".."):
                raise OAuthRejected(
                    f"{what}: the value of {{{{{match.group(1)}}}}} cannot be '{filled}'"
                )
            return quote(filled, safe="")

        return MERGEFIELD.sub(one, text)

    return ClientSettings(
        grant=spec.Type,
        client_id=fill(spec.ClientId, "ClientId"),
        client_secret=fill(spec.ClientSecret, "ClientSecret"),
        token_url=fill_url(spec.TokenUrl, "TokenUrl"),
        authorise_url=fill_url(spec.AuthoriseUrl, "AuthoriseUrl") if spec.AuthoriseUrl else None,
        scope=" ".join(spec.Scopes) or None,
        auth_method="client_secret_basic"
        if spec.ClientAuthentication == "Basic"
        else "client_secret_post",
        extra_token=dict(spec.ExtraTokenParameters),
        extra_authorise=dict(spec.ExtraAuthoriseParameters),
        pkce=spec.Pkce,
        margin=timedelta(seconds=spec.RefreshMarginSeconds),
        script=script,
    )


async def _token_request(
    env: OAuthEnvironment, settings: ClientSettings, **params: Any
) -> dict[str, Any]:
    """POST to the token endpoint (RFC 6749 section 4), through the address guard.

    The guard is the connection's resolver, as for every runtime call, so a name cannot
    resolve to an allowed address for the check and to an internal one for the connection.
    The whole exchange has one deadline, not a per-read one.
    """
    data = {**settings.extra_token, **{k: str(v) for k, v in params.items() if v is not None}}
    auth = None
    if settings.auth_method == "client_secret_basic":
        # RFC 6749 2.3.1: both parts are form-encoded before Basic encoding.
        auth = aiohttp.BasicAuth(
            quote(settings.client_id, safe=""), quote(settings.client_secret, safe="")
        )
    else:
        data |= {"client_id": settings.client_id, "client_secret": settings.client_secret}
    if settings.scope and params.get("grant_type") in ("client_credentials", "password"):
        data.setdefault("scope", settings.scope)
    refresh = params.get("grant_type") == "refresh_token"
    headers = {"Accept": "application/json"}
    try:
        if settings.script:
            data, headers = await oauth_scripts.before_token(
                settings.script, refresh, data, headers, env.script_limits
            )
    except ScriptFailed as exc:
        raise OAuthUnavailable(f"The connector's script stopped the token request: {exc}") from None
    try:
        # One deadline for everything: the address check, connecting, sending, reading.
        async with asyncio.timeout(TOKEN_TIMEOUT_SECONDS):
            await env.guard.check(settings.token_url)  # literal addresses and the scheme
            status, text = await _post_form(env, settings.token_url, data, auth, headers)
        env.metrics.outbound_answered(status)
    except (aiohttp.ClientError, TimeoutError, OSError) as exc:
        env.metrics.outbound_answered(None)
        raise OAuthUnavailable(
            f"The token endpoint could not be reached: {type(exc).__name__}"
        ) from None
    except ValueError as exc:  # a header a script set that cannot be sent (with Basic auth)
        raise OAuthUnavailable(f"The token request could not be sent: {exc}") from None
    try:
        body = json.loads(text)
    except ValueError:
        body = None
    if settings.script:
        try:
            body = await oauth_scripts.after_token(
                settings.script, refresh, body, text, env.script_limits
            )
        except ScriptFailed as exc:
            raise OAuthUnavailable(
                f"The connector's script could not read the token answer: {exc}"
            ) from None
    if status == 200 and isinstance(body, dict) and isinstance(body.get("access_token"), str):
        return body
    error = body.get("error") if isinstance(body, dict) else None
    if error == "invalid_grant":
        # The grant itself is dead (refresh token revoked or expired, code used): only the
        # user can fix that by signing in again.
        raise OAuthRejected(f"The provider refused the token request: {error}")
    # Anything else (rate limits, outages, a partner's client secret being rotated) is not
    # the user's doing, so the connection is kept and the call fails for now.
    raise OAuthUnavailable(
        f"The token endpoint answered HTTP {status}" + (f" ({error})" if error else "")
    )


async def _post_form(
    env: OAuthEnvironment,
    url: str,
    data: dict[str, str],
    auth: aiohttp.BasicAuth | None,
    headers: dict[str, str],
) -> tuple[int, str]:
    connector = aiohttp.TCPConnector(resolver=GuardedResolver(env.guard))
    async with (
        aiohttp.ClientSession(
            connector=connector, trust_env=False, cookie_jar=aiohttp.DummyCookieJar()
        ) as session,
        session.post(url, data=data, auth=auth, headers=headers, allow_redirects=False) as response,
    ):
        raw = await response.content.read(MAX_TOKEN_RESPONSE_BYTES)
        return response.status, raw.decode("utf-8", "replace")


def _stored_tokens(
    token: dict[str, Any], previous: dict[str, Any], now: datetime
) -> dict[str, Any]:
    expires_in = token.get("expires_in")
    expires_at = (
        (now + timedelta(seconds=float(expires_in))).isoformat()
        if isinstance(expires_in, int | float | str)
        and str(expires_in).replace(".", "", 1).isdigit()
        else None
    )
    return {
        **previous,
        "access_token": token["access_token"],
        # Providers that rotate send a new refresh token; others expect the old one again.
        "refresh_token": token.get("refresh_token") or previous.get("refresh_token"),
        "expires_at": expires_at,
    }


class TokenSource:
    """The access token of one account connector; see the module docstring for refreshing."""

    def __init__(
        self,
        env: OAuthEnvironment,
        account_connector_id: int,
        auth: AuthenticationSpec,
        properties: dict[str, str],
        script: str | None = None,
    ) -> None:
        self.env = env
        self.account_connector_id = account_connector_id
        self.auth = auth
        self.properties = properties
        self.script = script

    def _fresh(self, credentials: dict[str, Any], margin: timedelta) -> bool:
        if not credentials.get("access_token"):
            return False
        expires = credentials.get("expires_at")
        return expires is None or datetime.fromisoformat(expires) - margin > self.env.clock()

    async def _read(self) -> dict[str, Any]:
        async with self.env.database.transaction(read_only=True) as session:
            row = await session.get(AccountConnector, self.account_connector_id)
            if row is None:
                raise NotFound(f"Account connector {self.account_connector_id} no longer exists")
            return account_connectors.read_credentials(row, self.env.keyring)

    async def __call__(self, *, rejected: str | None = None) -> str:
        credentials = await self._read()
        # A token that is still good needs no client id or secret: tokens handed in
        # directly work before the partner has set them, until a refresh is needed.
        spec = self.auth.OAuth2
        margin = timedelta(seconds=spec.RefreshMarginSeconds if spec is not None else 0)
        usable = self._fresh(credentials, margin)
        if usable and credentials["access_token"] != rejected:
            return str(credentials["access_token"])
        settings = client_settings(self.auth, self.properties, self.script)
        async with self.env.locks.get(self.account_connector_id):
            return await self._refresh(settings, rejected)

    async def _refresh(self, settings: ClientSettings, rejected: str | None) -> str:
        failure: OAuthRejected | None = None
        async with self.env.database.transaction() as session:
            row = await session.scalar(
                select(AccountConnector)
                .where(AccountConnector.id == self.account_connector_id)
                .with_for_update()
            )
            if row is None:
                raise NotFound(f"Account connector {self.account_connector_id} no longer exists")
            credentials = account_connectors.read_credentials(row, self.env.keyring)
            current = credentials.get("access_token")
            if current and current != rejected and self._fresh(credentials, settings.margin):
                return str(current)  # refreshed by someone else while we waited
            try:
                token = await self._new_token(settings, credentials)
            except OAuthRejected as exc:
                row.authenticated = False
                row.auth_error = exc.message
                row.updated_at = self.env.clock()
                failure = exc
                self.env.metrics.oauth_refreshes.labels("rejected").inc()
            else:
                self.env.metrics.oauth_refreshes.labels("ok").inc()
                stored = _stored_tokens(token, credentials, self.env.clock())
                account_connectors.store_credentials(row, self.env.keyring, stored)
                row.updated_at = self.env.clock()
                return str(stored["access_token"])
        # Reached only on failure, after the unauthenticated state was committed.
        assert failure is not None
        raise failure

    async def _new_token(
        self, settings: ClientSettings, credentials: dict[str, Any]
    ) -> dict[str, Any]:
        refresh_token = credentials.get("refresh_token")
        if refresh_token:
            try:
                return await _token_request(
                    self.env, settings, grant_type="refresh_token", refresh_token=refresh_token
                )
            except OAuthRejected:
                # A dead refresh token is not the end when Junction holds what the grant
                # needs to start again (client credentials, or the user's own password).
                has_password = settings.grant is OAuth2Type.PASSWORD and credentials.get("username")
                if settings.grant is not OAuth2Type.CLIENT_CREDENTIALS and not has_password:
                    raise
        if settings.grant is OAuth2Type.CLIENT_CREDENTIALS:
            return await _token_request(self.env, settings, grant_type="client_credentials")
        if settings.grant is OAuth2Type.PASSWORD and credentials.get("username"):
            return await _token_request(
                self.env,
                settings,
                grant_type="password",
                username=credentials["username"],
                password=credentials.get("password") or "",
            )
        raise OAuthRejected(
            "The access token expired and there is no refresh token; authenticate again"
        )


async def start_authorisation(
    *,
    env: OAuthEnvironment,
    row: AccountConnector,
    auth: AuthenticationSpec,
    properties: dict[str, str],
    return_url: str | None,
    script: str | None = None,
) -> str:
    """Record a new flow and return the provider URL to send the user's browser to."""
    settings = client_settings(auth, properties, script)
    if settings.grant is not OAuth2Type.AUTHORISATION_CODE or settings.authorise_url is None:
        raise BadRequest(
            f"Authentication '{auth.Id}' uses {settings.grant.value}, not AuthorisationCode"
        )
    state = secrets.token_urlsafe(32)
    verifier = generate_token(64)
    async with env.database.transaction() as session:
        await session.execute(delete(OAuthState).where(OAuthState.expires_at <= env.clock()))
        session.add(
            OAuthState(
                state=state,
                account_connector_id=row.id,
                code_verifier_sealed=env.keyring.seal(verifier, context=f"oauth_states:{state}"),
                return_url=return_url,
                expires_at=env.clock() + STATE_LIFETIME,
            )
        )
    query = {
        "response_type": "code",
        "client_id": settings.client_id,
        "redirect_uri": env.redirect_uri,
        "state": state,
        **({"scope": settings.scope} if settings.scope else {}),
        **settings.extra_authorise,
    }
    if settings.pkce:
        query |= {
            "code_challenge": create_s256_code_challenge(verifier),
            "code_challenge_method": "S256",
        }
    separator = "&" if "?" in settings.authorise_url else "?"
    url = f"{settings.authorise_url}{separator}{urlencode(query)}"
    if settings.script:
        url = await oauth_scripts.before_authorise(settings.script, url, env.script_limits)
    return url


@dataclass(frozen=True)
class FlowResult:
    ok: bool
    message: str
    return_url: str | None
    account_connector_id: int | None


async def finish_authorisation(
    *,
    env: OAuthEnvironment,
    state: str,
    code: str | None,
    error: str | None,
    settings_for: Any,
) -> FlowResult:
    """Handle the provider's redirect: exchange the code and store the tokens.

    ``settings_for(account_connector_id)`` returns (AuthenticationSpec, properties, the
    connector's Script).
    """
    async with env.database.transaction() as session:
        flow = await session.get(OAuthState, state)
        if flow is None or flow.expires_at <= env.clock():
            return FlowResult(
                False, "This sign-in link is unknown or has expired; start again.", None, None
            )
        await session.delete(flow)  # single use
        verifier = env.keyring.open(flow.code_verifier_sealed, context=f"oauth_states:{state}")
        account_connector_id, return_url = flow.account_connector_id, flow.return_url
    if error or not code:
        message = f"The provider did not grant access ({error or 'no code returned'})."
        await _mark(env, account_connector_id, message)
        return FlowResult(False, message, return_url, account_connector_id)
    auth, properties, script = await settings_for(account_connector_id)
    settings = client_settings(auth, properties, script)
    params: dict[str, Any] = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": env.redirect_uri,
    }
    if settings.pkce:
        params["code_verifier"] = verifier
    try:
        token = await _token_request(env, settings, **params)
    except (OAuthRejected, OAuthUnavailable) as exc:
        await _mark(env, account_connector_id, exc.message)
        return FlowResult(False, exc.message, return_url, account_connector_id)
    async with env.database.transaction() as session:
        row = await session.get(AccountConnector, account_connector_id)
        if row is None:
            return FlowResult(
                False, "The account connector was removed meanwhile.", return_url, None
            )
        stored = _stored_tokens(token, {}, env.clock())
        account_connectors.store_credentials(row, env.keyring, stored)
        row.updated_at = env.clock()
    return FlowResult(True, "Connected.", return_url, account_connector_id)


async def _mark(env: OAuthEnvironment, account_connector_id: int, message: str) -> None:
    """Record why a sign-in failed. A connection that already works keeps working: a user
    who cancels a new consent screen must not lose the tokens granted before."""
    async with env.database.transaction() as session:
        row = await session.get(AccountConnector, account_connector_id)
        if row is not None and not (row.authenticated and row.auth_sealed):
            row.authenticated = False
            row.auth_error = message
            row.updated_at = env.clock()


def tokens_json(access_token: str, refresh_token: str | None, expires_in: int | None) -> str:
    """An AuthValue for OAuth2 as callers send it (used by tests and the CLI)."""
    return json.dumps(
        {"AccessToken": access_token, "RefreshToken": refresh_token, "Expires": expires_in}
    )
