"""Signing in to the console through an OpenID Connect provider (optional).

Off unless ``JUNCTION_CONSOLE_OIDC_ISSUER`` is set. The flow is the authorization code flow
with PKCE: ``start`` gives the provider's authorization URL and what the browser must bring
back (state, nonce and the PKCE verifier, kept in a short-lived cookie by the page module);
``finish`` checks the provider's answer, redeems the code and validates the ID token
(signature against the provider's JWKS, issuer, audience, nonce, expiry) and says who the
person is and which role a new console user would get. Nothing here touches the database.

The discovery document and the JWKS are fetched at every sign-in: sign-ins are rare, and a
provider's rotated keys are then always seen.
"""

from __future__ import annotations

import hmac
import secrets
import warnings
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import httpx
from authlib.deprecate import AuthlibDeprecationWarning
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from joserfc.jws import JWSRegistry

from junction.console import users
from junction.settings import Settings

# authlib's httpx client announces, on import, that it will move to another HTTP package one
# day: a note for whoever upgrades authlib (the lock file pins both), not for the people who
# read a running server's log, where it would be a line outside the log format.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", AuthlibDeprecationWarning)
    from authlib.integrations.httpx_client import AsyncOAuth2Client, OAuthError

CALLBACK_PATH = "/console/sso/callback"
# Seconds of clock difference between Junction and the provider that the ID token's
# times may show.
LEEWAY_SECONDS = 60
TIMEOUT_SECONDS = 10
# Signatures made with the provider's private key only: a symmetric algorithm would let
# anyone holding the client secret (or a published key) mint tokens.
_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "EdDSA")


class Refused(Exception):
    """The sign-in cannot go on; the message is shown to the person."""


@dataclass(frozen=True)
class Provider:
    """The configured provider."""

    issuer: str
    client_id: str
    client_secret: str | None
    name: str
    scopes: str
    role_claim: str
    admin_groups: tuple[str, ...]
    email_domains: tuple[str, ...]


def provider_of(settings: Settings) -> Provider | None:
    """The provider, or None when single sign-on is off."""
    issuer, client_id = settings.console_oidc_issuer, settings.console_oidc_client_id
    if not issuer or not client_id:
        return None
    return Provider(
        issuer=issuer,
        client_id=client_id,
        client_secret=settings.console_oidc_client_secret,
        name=settings.console_oidc_name or urlsplit(issuer).hostname or issuer,
        scopes=settings.console_oidc_scopes,
        role_claim=settings.console_oidc_role_claim,
        admin_groups=tuple(settings.console_oidc_admin_groups),
        email_domains=tuple(d.lower().lstrip("@") for d in settings.console_oidc_email_domains),
    )


@dataclass(frozen=True)
class Pending:
    """What the browser carries between ``start`` and ``finish``."""

    state: str
    nonce: str
    verifier: str

    @classmethod
    def new(cls) -> Pending:
        # token_urlsafe never yields a dot, so the three join unambiguously.
        return cls(secrets.token_urlsafe(24), secrets.token_urlsafe(24), secrets.token_urlsafe(48))

    def encode(self) -> str:
        return f"{self.state}.{self.nonce}.{self.verifier}"

    @classmethod
    def decode(cls, value: str) -> Pending | None:
        parts = value.split(".")
        if len(parts) != 3 or not all(parts):
            return None
        return cls(*parts)


@dataclass(frozen=True)
class Identity:
    """The person the provider vouched for, and the console user they would become."""

    issuer: str
    subject: str
    username: str
    email: str | None
    role: str


def _client(provider: Provider, metadata: dict[str, Any], redirect_uri: str) -> AsyncOAuth2Client:
    methods = metadata.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
    if not provider.client_secret:
        method = "none"
    elif "client_secret_basic" not in methods and "client_secret_post" in methods:
        method = "client_secret_post"
    else:
        method = "client_secret_basic"
    return AsyncOAuth2Client(
        client_id=provider.client_id,
        client_secret=provider.client_secret,
        token_endpoint_auth_method=method,
        scope=provider.scopes,
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
        timeout=TIMEOUT_SECONDS,
    )


async def _json(client: AsyncOAuth2Client, url: str, what: str) -> dict[str, Any]:
    try:
        # No access token belongs on these public documents.
        response = await client.request("GET", url, withhold_token=True)
        response.raise_for_status()
        body = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise Refused(f"The sign-in provider's {what} could not be read ({exc}).") from exc
    if not isinstance(body, dict):
        raise Refused(f"The sign-in provider's {what} is not a JSON object.")
    return body


async def _metadata(client: AsyncOAuth2Client, provider: Provider) -> dict[str, Any]:
    url = provider.issuer.rstrip("/") + "/.well-known/openid-configuration"
    metadata = await _json(client, url, "discovery document")
    # OpenID Connect Discovery §4.3: the document must name the issuer it was fetched for,
    # else a document served elsewhere could substitute its own endpoints and keys.
    if str(metadata.get("issuer", "")).rstrip("/") != provider.issuer.rstrip("/"):
        raise Refused("The sign-in provider's discovery document names another issuer.")
    for key in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        if not isinstance(metadata.get(key), str):
            raise Refused(f"The sign-in provider's discovery document has no {key}.")
    return metadata


async def start(provider: Provider, redirect_uri: str) -> tuple[str, Pending]:
    """The provider's authorization URL to send the browser to, and what it must bring back."""
    pending = Pending.new()
    async with _client(provider, {}, redirect_uri) as client:
        metadata = await _metadata(client, provider)
        url, _ = client.create_authorization_url(
            metadata["authorization_endpoint"],
            state=pending.state,
            code_verifier=pending.verifier,
            nonce=pending.nonce,
        )
    return str(url), pending


async def finish(
    provider: Provider,
    *,
    query: dict[str, str],
    pending: Pending | None,
    redirect_uri: str,
    now: datetime,
) -> Identity:
    """Checks the provider's redirect back (its query parameters), redeems the code and
    validates the ID token. Raises ``Refused`` with what to tell the person."""
    if pending is None or not hmac.compare_digest(
        query.get("state", "").encode(), pending.state.encode()
    ):
        # Checked before the provider's own error: a forged redirect must not put its text
        # on Junction's page.
        raise Refused(
            "This sign-in did not start here or has expired: start it again from the sign-in page."
        )
    if "error" in query:
        detail = query.get("error_description") or query["error"]
        raise Refused(f"{provider.name} did not sign you in: {detail}")
    code = query.get("code", "")
    if not code:
        raise Refused(f"{provider.name} sent no authorization code.")
    async with _client(provider, {}, redirect_uri) as probe:
        metadata = await _metadata(probe, provider)
    issuer = str(metadata["issuer"])
    if "iss" in query and query["iss"] != issuer:
        # RFC 9207: the answer came from another provider than the one the browser was sent to.
        raise Refused("The sign-in answer came from another provider.")
    async with _client(provider, metadata, redirect_uri) as client:
        try:
            token = await client.fetch_token(
                metadata["token_endpoint"],
                grant_type="authorization_code",
                code=code,
                code_verifier=pending.verifier,
            )
        except (OAuthError, httpx.HTTPError, ValueError) as exc:
            raise Refused(f"{provider.name} did not accept the sign-in ({exc}).") from exc
        keys = await _json(client, metadata["jwks_uri"], "key set")
    claims = _validated(provider, metadata, issuer, dict(token), keys, pending.nonce, now)
    return _identity(provider, issuer, claims)


def _validated(
    provider: Provider,
    metadata: dict[str, Any],
    issuer: str,
    token: dict[str, Any],
    keys: dict[str, Any],
    nonce: str,
    now: datetime,
) -> CodeIDToken:
    id_token = token.get("id_token")
    if not isinstance(id_token, str):
        raise Refused(f"{provider.name} sent no ID token (is the openid scope allowed?).")
    offered = metadata.get("id_token_signing_alg_values_supported") or ["RS256"]
    algorithms = [alg for alg in offered if alg in _ALGORITHMS]
    try:
        decoded = jwt.decode(
            id_token,
            KeySet.import_key_set(keys),  # type: ignore[arg-type]
            registry=JWSRegistry(algorithms=algorithms),
        )
        claims = CodeIDToken(
            decoded.claims,
            decoded.header,
            {
                "iss": {"essential": True, "value": issuer},
                "aud": {"essential": True, "value": provider.client_id},
            },
            {
                "nonce": nonce,
                "client_id": provider.client_id,
                "access_token": token.get("access_token"),
            },
        )
        claims.validate(now=int(now.timestamp()), leeway=LEEWAY_SECONDS)
    except (JoseError, ValueError, TypeError, KeyError) as exc:
        raise Refused(f"The ID token from {provider.name} is not valid here ({exc}).") from exc
    return claims


def _identity(provider: Provider, issuer: str, claims: CodeIDToken) -> Identity:
    email = claims.get("email")
    email = email.strip() if isinstance(email, str) and "@" in email else None
    if provider.email_domains:
        domain = email.rpartition("@")[2].lower() if email else ""
        if email is None or claims.get("email_verified") is False:
            raise Refused(f"{provider.name} did not give a verified e-mail address.")
        if domain not in provider.email_domains:
            raise Refused(f"Addresses at {domain} may not sign in to this console.")
    name = email or claims.get("preferred_username") or claims["sub"]
    values = claims.get(provider.role_claim)
    held = {values} if isinstance(values, str) else set()
    if isinstance(values, list):
        held = {str(value) for value in values}
    admin = bool(held & set(provider.admin_groups))
    return Identity(
        issuer=issuer,
        subject=str(claims["sub"]),
        username="".join(str(name).split())[:255],
        email=email,
        role=users.ADMINISTRATOR if admin else users.VIEWER,
    )
