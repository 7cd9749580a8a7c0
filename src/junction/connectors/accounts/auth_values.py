"""Turning a Cyclr-style ``AuthValue`` into stored credentials, per authentication type."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from junction.connectors.spec.models import AuthenticationSpec, AuthType, OAuth2Type
from junction.errors import BadRequest


def _empty_object(value: str) -> bool:
    try:
        return bool(json.loads(value) == {})
    except ValueError:
        return False


def awaits_sign_in(auth: AuthenticationSpec | None, value: str | None) -> bool:
    """Whether ``value`` is Cyclr's empty token set (``"{}"``) for an OAuth 2.0 connector
    whose tokens only a sign-in can give: its stored tokens are dropped and it waits,
    unauthenticated, for the customer to sign in (the connector authentication link).
    A client-credentials connector gets its tokens by itself (``parse_auth_value``)."""
    return (
        auth is not None
        and auth.OAuth2 is not None
        and auth.OAuth2.Type is not OAuth2Type.CLIENT_CREDENTIALS
        and value is not None
        and _empty_object(value)
    )


def parse_auth_value(auth: AuthenticationSpec, value: str, *, now: datetime) -> dict[str, Any]:
    """The credentials to seal, or BadRequest naming AuthValue and what is wrong."""
    if auth.Type is AuthType.NONE:
        return {}
    if auth.Type is AuthType.API_KEY:
        if not value.strip():
            raise BadRequest("AuthValue: the API key is empty")
        return {"api_key": value.strip()}
    if auth.Type is AuthType.BASIC:
        return _basic(value)
    if auth.Type is AuthType.AUTH_FIELDS:
        fields = _json_object(value, "an object with a value for each authentication field")
        missing = [f.Key for f in auth.AuthFields if not str(fields.get(f.Key) or "").strip()]
        unknown = sorted(set(fields) - {f.Key for f in auth.AuthFields})
        if missing or unknown:
            parts = []
            if missing:
                parts.append(f"missing {', '.join(missing)}")
            if unknown:
                parts.append(f"unknown {', '.join(unknown)}")
            raise BadRequest(f"AuthValue: {'; '.join(parts)}")
        return {"auth_fields": {k: str(v) for k, v in fields.items()}}
    assert auth.OAuth2 is not None  # guaranteed by validation
    if auth.OAuth2.Type is OAuth2Type.PASSWORD and not value.lstrip().startswith("{"):
        # The user's own name and password; tokens are fetched with them when first needed.
        return {**_basic(value), "access_token": None}
    if auth.OAuth2.Type is OAuth2Type.CLIENT_CREDENTIALS and (
        not value.strip() or _empty_object(value)
    ):
        # No token yet: the partner's client asks for one before the first call.
        return {"access_token": None}
    return _oauth2(value, now=now)


def _basic(value: str) -> dict[str, Any]:
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise BadRequest(
            "AuthValue: Basic credentials must be base64 of 'username:password'"
        ) from None
    username, sep, password = decoded.partition(":")
    if not sep or not username:
        raise BadRequest("AuthValue: Basic credentials must be base64 of 'username:password'")
    return {"username": username, "password": password}


def _oauth2(value: str, *, now: datetime) -> dict[str, Any]:
    tokens = _json_object(value, '{"AccessToken": ..., "RefreshToken": ..., "Expires": ...}')
    access = tokens.get("AccessToken")
    if not isinstance(access, str) or not access:
        raise BadRequest("AuthValue: AccessToken is required")
    refresh = tokens.get("RefreshToken")
    if refresh is not None and not isinstance(refresh, str):
        raise BadRequest("AuthValue: RefreshToken must be text")
    return {
        "access_token": access,
        "refresh_token": refresh or None,
        "expires_at": _expiry(tokens.get("Expires"), now=now),
    }


def _expiry(value: Any, *, now: datetime) -> str | None:
    """``Expires`` as an ISO 8601 date, or a number of seconds from now; absent = unknown."""
    if value is None or value == "":
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return (now + timedelta(seconds=float(value))).isoformat()
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            pass
        else:
            return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).isoformat()
    raise BadRequest("AuthValue: Expires must be an ISO 8601 date or a number of seconds")


def _json_object(value: str, shape: str) -> dict[str, Any]:
    try:
        parsed = json.loads(value)
    except ValueError:
        raise BadRequest(f"AuthValue: must be JSON: {shape}") from None
    if not isinstance(parsed, dict):
        raise BadRequest(f"AuthValue: must be a JSON object: {shape}")
    return parsed
