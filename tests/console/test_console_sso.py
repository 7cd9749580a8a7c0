"""Signing in to the console through an OpenID Connect provider (a real one on loopback),
following every redirect by hand: Junction in-process, the provider over HTTP."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import httpx
import pytest
from pydantic import ValidationError
from sqlalchemy import func, select

from junction.audit.models import AuditEntry
from junction.console import sso, users
from junction.console.models import ConsoleSsoLink, ConsoleUser
from junction.settings import Settings
from tests.console.support import PASSWORD, make_user, sign_in
from tests.fixtures.oidc_provider import OidcProvider
from tests.fixtures.server import Junction

SSO_COOKIE = re.compile(r"junction_console_sso=([^;]*)")
SESSION_COOKIE = re.compile(r"junction_console=([^;]+)")
CLAIMS: dict[str, dict[str, Any]] = {
    "ada": {"email": "ada@example.com", "email_verified": True, "groups": ["junction-admins"]},
    "bob": {"email": "bob@example.com", "groups": ["staff"]},
    "eve": {"email": "eve@elsewhere.org", "email_verified": True},
}


@contextmanager
def sso_configured(junction: Junction, host: str = "127.0.0.1") -> Iterator[OidcProvider]:
    """A provider on ``host``, and Junction's console set up to sign in through it."""
    settings = junction.services.settings
    fields = [name for name in Settings.model_fields if name.startswith("console_oidc_")]
    saved = {name: getattr(settings, name) for name in fields}
    with OidcProvider(
        client_id="junction-console",
        client_secret="console-secret",
        claims=CLAIMS,
        host=host,
        # The ID token's times agree with Junction's (test) clock.
        clock=lambda: junction.clock().timestamp(),
    ) as oidc:
        oidc.add_redirect_uri(f"{junction.base_url}/console/sso/callback")
        settings.console_oidc_issuer = oidc.issuer
        settings.console_oidc_client_id = "junction-console"
        settings.console_oidc_client_secret = "console-secret"
        settings.console_oidc_name = "Example ID"
        settings.console_oidc_admin_groups = ["junction-admins"]
        try:
            yield oidc
        finally:
            for name, value in saved.items():
                setattr(settings, name, value)


@pytest.fixture
def provider(junction: Junction) -> Iterator[OidcProvider]:
    with sso_configured(junction) as oidc:
        yield oidc


@dataclass
class Attempt:
    """One trip through the provider: Junction's answer to the callback, and the client."""

    client: httpx.Client
    answer: httpx.Response


def sso_sign_in(
    junction: Junction, user: str, tamper_state: bool = False, **provider_query: str
) -> Attempt:
    client = junction.http()
    start = client.get("/console/sso/start")
    assert start.status_code == 303, start.text
    pending = SSO_COOKIE.search(start.headers["set-cookie"])
    assert pending
    assert pending.group(1)
    assert "SameSite=Lax" in start.headers["set-cookie"]
    assert "HttpOnly" in start.headers["set-cookie"]
    # What the person does at the provider: the stand-in approves as ``user`` at once.
    to_provider = start.headers["location"] + "&" + urlencode({"user": user, **provider_query})
    authorize = httpx.get(to_provider, timeout=10)
    assert authorize.status_code == 302, authorize.text
    back = urlsplit(authorize.headers["location"])
    assert f"{back.scheme}://{back.netloc}" == junction.base_url
    query = {k: v[0] for k, v in parse_qs(back.query).items()}
    if tamper_state:
        query["state"] = "forged-" + query["state"]
    callback = urlunsplit(("", "", back.path, urlencode(query), ""))
    answer = client.get(callback, headers={"Cookie": f"junction_console_sso={pending.group(1)}"})
    session = SESSION_COOKIE.search(answer.headers.get("set-cookie", ""))
    if session:
        client.headers["Cookie"] = f"junction_console={session.group(1)}"
    return Attempt(client, answer)


def stored(junction: Junction) -> tuple[int, int, int]:
    """Console users, SSO links and audit entries."""

    async def count() -> tuple[int, int, int]:
        async with junction.services.database.transaction(read_only=True) as session:
            return tuple(  # type: ignore[return-value]
                [
                    int(await session.scalar(select(func.count()).select_from(table)) or 0)
                    for table in (ConsoleUser, ConsoleSsoLink, AuditEntry)
                ]
            )

    return junction.run(count())


def test_sign_in_page_offers_the_provider_only_when_configured(junction: Junction) -> None:
    with junction.http() as client:
        assert "Sign in with" not in client.get("/console/signin").text
        assert client.get("/console/sso/start").status_code == 404


def test_first_sign_in_creates_the_user_with_the_mapped_role(
    junction: Junction, provider: OidcProvider
) -> None:
    with junction.http() as client:
        assert "Sign in with Example ID" in client.get("/console/signin").text

    attempt = sso_sign_in(junction, "ada")
    assert attempt.answer.status_code == 200, attempt.answer.text
    # A page of Junction's own leads on to the console (see signin.py for why).
    assert 'http-equiv="refresh" content="0; url=/console"' in attempt.answer.text
    cookies = attempt.answer.headers.get_list("set-cookie")
    assert any("junction_console=" in c and "SameSite=Strict" in c for c in cookies)
    assert any(c.startswith("junction_console_sso=;") and "Max-Age=0" in c for c in cookies)
    overview = attempt.client.get("/console")
    assert overview.status_code == 200
    assert "ada@example.com (administrator)" in overview.text

    # The authorization request used PKCE (S256) and carried state and nonce.
    sent = provider.authorize_requests[0]
    assert sent["code_challenge_method"] == "S256"
    assert sent["nonce"]
    assert sent["state"]
    assert sent["scope"] == "openid email profile"

    audit = attempt.client.get("/console/audit")
    assert "console-user.sso-create" in audit.text

    # Someone outside the admin groups starts as a viewer; a second sign-in finds the
    # same user again (by issuer and subject) without creating another.
    assert "bob@example.com (viewer)" in sso_sign_in(junction, "bob").client.get("/console").text
    before = stored(junction)
    again = sso_sign_in(junction, "bob")
    assert "bob@example.com (viewer)" in again.client.get("/console").text
    assert stored(junction)[:2] == before[:2]


def test_the_link_is_the_subject_not_the_email(junction: Junction, provider: OidcProvider) -> None:
    sso_sign_in(junction, "bob")
    provider.claims["bob"]["email"] = "robert@example.com"
    page = sso_sign_in(junction, "bob").client.get("/console")
    assert "bob@example.com (viewer)" in page.text


@pytest.mark.parametrize(
    ("switch", "value", "message"),
    [
        pytest.param("id_token_nonce", "someone-elses-nonce", "not valid here", id="wrong-nonce"),
        pytest.param(
            "id_token_audience", "another-app", "not valid here", id="token-for-another-client"
        ),
        pytest.param(
            "id_token_issuer", "https://id.elsewhere.test", "not valid here", id="wrong-issuer"
        ),
        pytest.param("sign_with_unknown_key", True, "not valid here", id="forged-signature"),
    ],
)
def test_an_id_token_that_does_not_check_out_is_refused(
    junction: Junction, provider: OidcProvider, switch: str, value: object, message: str
) -> None:
    before = stored(junction)
    setattr(provider, switch, value)
    attempt = sso_sign_in(junction, "ada")
    assert attempt.answer.status_code == 403
    assert message in attempt.answer.text
    assert "junction_console=" not in attempt.answer.headers.get("set-cookie", "")
    assert stored(junction) == before
    assert attempt.client.get("/console").headers["location"] == "/console/signin"


def test_a_forged_state_and_a_provider_error_are_refused(
    junction: Junction, provider: OidcProvider
) -> None:
    before = stored(junction)
    forged = sso_sign_in(junction, "ada", tamper_state=True)
    assert forged.answer.status_code == 403
    assert "did not start here" in forged.answer.text
    # The code was never redeemed.
    assert provider.token_requests["authorization_code"] == 0

    denied = sso_sign_in(junction, "ada", deny="1")
    assert denied.answer.status_code == 403
    assert "Example ID did not sign you in" in denied.answer.text
    # The refusal is the sign-in page again, the password form still usable.
    assert 'name="password"' in denied.answer.text

    with junction.http() as client:
        no_cookie = client.get("/console/sso/callback?code=x&state=y")
    assert no_cookie.status_code == 403
    assert stored(junction) == before


def test_a_provider_without_a_discovery_document_is_reported(
    junction: Junction, provider: OidcProvider
) -> None:
    junction.services.settings.console_oidc_issuer = provider.issuer + "/nowhere"
    with junction.http() as client:
        answer = client.get("/console/sso/start")
    assert answer.status_code == 502
    assert "discovery document could not be read" in answer.text
    assert provider.authorize_requests == []


def test_an_email_domain_outside_the_allow_list_is_refused(
    junction: Junction, provider: OidcProvider
) -> None:
    junction.services.settings.console_oidc_email_domains = ["example.com"]
    before = stored(junction)
    refused = sso_sign_in(junction, "eve")
    assert refused.answer.status_code == 403
    assert "Addresses at elsewhere.org may not sign in" in refused.answer.text
    assert stored(junction) == before
    assert sso_sign_in(junction, "ada").answer.status_code == 200


def test_an_sso_user_cannot_use_the_password_form(
    junction: Junction, provider: OidcProvider
) -> None:
    sso_sign_in(junction, "bob")
    for password in (PASSWORD, "", "no such user: a password nobody has"):
        client = sign_in(junction, "bob@example.com", password)
        assert client.last.status_code == 401  # type: ignore[attr-defined]


def test_a_name_taken_by_a_password_user_is_refused(
    junction: Junction, provider: OidcProvider
) -> None:
    make_user(junction, "ada@example.com", users.VIEWER)
    before = stored(junction)
    refused = sso_sign_in(junction, "ada")
    assert refused.answer.status_code == 403
    assert "is taken" in refused.answer.text
    assert stored(junction) == before
    # The password user is untouched.
    assert sign_in(junction, "ada@example.com").last.status_code == 303  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("environment", "expected"),
    [
        pytest.param({"JUNCTION_CONSOLE_OIDC_ISSUER": " "}, None, id="blank-issuer-is-off"),
        pytest.param(
            {
                "JUNCTION_CONSOLE_OIDC_ISSUER": "https://id.example.com",
                "JUNCTION_CONSOLE_OIDC_CLIENT_ID": "console",
                "JUNCTION_CONSOLE_OIDC_ADMIN_GROUPS": "ops, admins",
                "JUNCTION_CONSOLE_OIDC_EMAIL_DOMAINS": "example.com,@Example.org",
            },
            ("id.example.com", ("ops", "admins"), ("example.com", "example.org")),
            id="configured",
        ),
    ],
)
def test_settings(
    monkeypatch: pytest.MonkeyPatch, environment: dict[str, str], expected: object
) -> None:
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    provider = sso.provider_of(Settings())
    if expected is None:
        assert provider is None
    else:
        assert provider is not None
        assert (provider.name, provider.admin_groups, provider.email_domains) == expected


@pytest.mark.parametrize(
    ("environment", "message"),
    [
        pytest.param(
            {"JUNCTION_CONSOLE_OIDC_ISSUER": "https://id.example.com"},
            "JUNCTION_CONSOLE_OIDC_CLIENT_ID",
            id="issuer-without-client",
        ),
        pytest.param(
            {
                "JUNCTION_CONSOLE_OIDC_ISSUER": "id.example.com",
                "JUNCTION_CONSOLE_OIDC_CLIENT_ID": "c",
            },
            "not an issuer URL",
            id="issuer-not-a-url",
        ),
    ],
)
def test_settings_refused(
    monkeypatch: pytest.MonkeyPatch, environment: dict[str, str], message: str
) -> None:
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError) as refused:
        Settings()
    assert message in str(refused.value)
