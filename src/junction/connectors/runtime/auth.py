"""Credentials turned into what a request carries: headers, query values and mergefields.

``resolve_auth`` runs once per request attempt (OAuth 2.0 asks the token source, which may
refresh); building the request itself stays synchronous. Every value that is a secret is
listed in ``AuthState.secrets`` so the redactor can hide it wherever an API echoes it.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field

from junction.connectors.runtime.types import Credentials
from junction.connectors.spec.models import ApiKeyAuth, ApiKeyLocation, AuthType
from junction.errors import CallInputError

AUTHORIZATION = "Authorization"
_DEFAULT_API_KEY = ApiKeyAuth()  # X-Api-Key header, when the definition says no more


@dataclass(frozen=True)
class AuthState:
    kind: AuthType
    headers: dict[str, str] = field(default_factory=dict)
    query: tuple[tuple[str, str], ...] = ()
    mergefields: dict[str, str] = field(default_factory=dict)
    secrets: frozenset[str] = frozenset()
    sensitive_headers: frozenset[str] = frozenset()  # lower-case names
    sensitive_query: frozenset[str] = frozenset()
    access_token: str | None = None  # OAuth 2.0: the token these values carry

    @property
    def refreshable(self) -> bool:
        """A 401 with this state is worth one forced token refresh and one retry."""
        return self.kind is AuthType.OAUTH2


def _secret_auth_fields(credentials: Credentials) -> set[str]:
    # Text-type auth fields (a subdomain, an account id) are not secrets; when the spec is
    # not known every value is treated as one.
    text_keys = (
        {f.Key for f in credentials.auth.AuthFields if f.Type == "Text"}
        if credentials.auth is not None
        else set()
    )
    return {v for k, v in credentials.auth_fields.items() if k not in text_keys and v}


async def resolve_auth(credentials: Credentials, *, rejected: str | None = None) -> AuthState:
    """The auth values of one request; OAuth 2.0 asks the token source for a token other
    than ``rejected`` when one was refused."""
    spec = credentials.auth
    kind = spec.Type if spec is not None else AuthType.NONE
    mergefields = dict(credentials.auth_fields)
    secrets = _secret_auth_fields(credentials)
    if credentials.api_key:
        mergefields["Cyclr_Auth_ApiKey"] = credentials.api_key
        secrets.add(credentials.api_key)
    if credentials.username is not None:
        mergefields["Cyclr_Auth_Username"] = credentials.username
    if credentials.password:
        mergefields["Cyclr_Auth_Password"] = credentials.password
        secrets.add(credentials.password)
    headers: dict[str, str] = {}
    query: tuple[tuple[str, str], ...] = ()
    token: str | None = None
    sensitive_headers: set[str] = set()
    sensitive_query: set[str] = set()

    if kind is AuthType.API_KEY:
        if not credentials.api_key:
            raise CallInputError(
                "The account connector has no API key; authenticate the connector first"
            )
        assert spec is not None
        api_key = spec.ApiKey or _DEFAULT_API_KEY
        value = f"{api_key.Prefix}{credentials.api_key}"
        if api_key.Location is ApiKeyLocation.HTTP_HEADER:
            headers[api_key.Name] = value
            sensitive_headers.add(api_key.Name.lower())
        elif api_key.Location is ApiKeyLocation.QUERY_STRING:
            query = ((api_key.Name, value),)
            sensitive_query.add(api_key.Name)
        else:
            mergefields[api_key.Name] = value
    elif kind is AuthType.BASIC:
        if credentials.username is None:
            raise CallInputError(
                "The account connector has no username for Basic authentication; "
                "authenticate the connector first"
            )
        pair = f"{credentials.username}:{credentials.password or ''}".encode()
        encoded = base64.b64encode(pair).decode("ascii")
        headers[AUTHORIZATION] = f"Basic {encoded}"
        secrets.add(encoded)  # an API that echoes headers would show it in its body
    elif kind is AuthType.OAUTH2:
        if credentials.access_token is None:
            raise CallInputError(
                "The account connector has no OAuth 2.0 token; authenticate the connector first"
            )
        token = await credentials.access_token(rejected=rejected)
        if not token:
            raise CallInputError("The account connector's OAuth 2.0 token source gave no token")
        headers[AUTHORIZATION] = f"Bearer {token}"
        mergefields["Cyclr_Auth_AccessToken"] = token
        secrets.add(token)
    # AuthFields: the values are mergefields only (set above); nothing goes in headers or
    # bodies unless the definition merges them there.

    return AuthState(
        kind=kind,
        headers=headers,
        query=query,
        mergefields=mergefields,
        secrets=frozenset(secrets),
        sensitive_headers=frozenset(sensitive_headers),
        sensitive_query=frozenset(sensitive_query),
        access_token=token,
    )
