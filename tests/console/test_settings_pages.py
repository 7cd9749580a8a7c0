"""Settings: client credential sets, access tokens, the installation settings the console
overrides (and their effect on the running installation), and what a viewer may not do."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import httpx
from aiohttp import web
from sqlalchemy import func, select

from junction.audit.models import AuditEntry
from junction.auth.service import CredentialSet
from junction.engine.models import Transaction
from junction.engine.transactions import Status
from junction.installation.models import InstallationSetting
from junction.reports.retention import purge_step_data
from tests.console.support import csrf_of
from tests.fixtures.loopback import LoopbackApi
from tests.fixtures.server import Junction
from tests.reports import seed

PATH = "/console/settings"


def _post(client: httpx.Client, path: str, data: dict[str, str]) -> httpx.Response:
    """Posts one of the Settings page's forms, with the page's CSRF token."""
    return client.post(path, data={"csrf": csrf_of(client.get(PATH)), **data})


def _audit(junction: Junction) -> list[AuditEntry]:
    async def read() -> list[AuditEntry]:
        async with junction.services.database.transaction(read_only=True) as session:
            return list(await session.scalars(select(AuditEntry).order_by(AuditEntry.id)))

    return junction.run(read())


def _overrides(junction: Junction) -> dict[str, Any]:
    async def read() -> dict[str, Any]:
        async with junction.services.database.transaction(read_only=True) as session:
            rows = await session.scalars(select(InstallationSetting))
            return {row.name: row.value for row in rows}

    return junction.run(read())


def _settings_form(**changes: str) -> dict[str, str]:
    form = {
        "step_data_success_retention_hours": "744",
        "step_data_errored_retention_hours": "744",
        "transaction_error_webhook_url": "",
        "notification_webhook_url": "",
        "embed_frame_ancestors": "",
    }
    return {**form, **changes}


def _frame_ancestors(junction: Junction) -> str:
    """The frame-ancestors directive of a customer page (an error page needs no session)."""
    with junction.http() as client:
        page = client.get("/account/signinwithtoken", params={"token": "nope"})
    found = re.search(r"frame-ancestors ([^;]+)", page.headers["content-security-policy"])
    assert found, page.headers
    return found.group(1)


def test_credentials_are_created_revealed_and_deleted(
    junction: Junction, admin: httpx.Client
) -> None:
    # Refused: nothing stored, the message beside the field.
    refused = _post(admin, f"{PATH}/credentials", {"description": "   "})
    assert refused.status_code == 400
    assert 'aria-invalid="true"' in refused.text
    assert 'id="f-description-error">Description is required' in refused.text

    created = _post(admin, f"{PATH}/credentials", {"description": "Production backend"})
    assert created.status_code == 200
    client_id = re.search(r"<dt>Client ID</dt><dd><code>([0-9a-f]{32})</code>", created.text)
    secret = re.search(r'<code class="jn-secret">([^<]+)</code>', created.text)
    assert client_id
    assert secret
    # The secret is shown once: the page shown again does not carry it.
    again = admin.get(PATH)
    assert secret.group(1) not in again.text
    assert "Production backend" in again.text
    # It works: a token for it.
    token = junction.request_token(
        CredentialSet(client_id.group(1), secret.group(1), "", junction.clock())
    )
    assert token.status_code == 200, token.text

    # The eye: the page again with the secret, or JSON for the script.
    reveal = f"{PATH}/credentials/{client_id.group(1)}/reveal"
    shown = admin.post(reveal, data={"csrf": csrf_of(again)})
    assert shown.status_code == 200
    assert f'<code class="jn-secret">{secret.group(1)}</code>' in shown.text
    as_json = admin.post(
        reveal, data={"csrf": csrf_of(again)}, headers={"Accept": "application/json"}
    )
    assert as_json.json() == {"ClientId": client_id.group(1), "ClientSecret": secret.group(1)}

    # Deleting asks first, then the set and its token go.
    confirm = admin.get(f"{PATH}/credentials/{client_id.group(1)}/delete")
    assert confirm.status_code == 200
    assert "Delete Production backend?" in confirm.text
    assert "<dt>Tokens in use</dt><dd>1</dd>" in confirm.text
    deleted = admin.post(
        f"{PATH}/credentials/{client_id.group(1)}/delete", data={"csrf": csrf_of(confirm)}
    )
    assert deleted.status_code == 303
    assert "Production backend" not in admin.get(PATH).text
    with junction.http(token.json()["access_token"]) as old:
        assert old.get("/v1.0/accounts").status_code == 401

    entries = [(e.action, e.target_id) for e in _audit(junction)]
    assert entries == [
        ("credentials.create", client_id.group(1)),
        ("credentials.reveal", client_id.group(1)),
        ("credentials.reveal", client_id.group(1)),
        ("credentials.delete", client_id.group(1)),
    ]
    logged = " ".join(str((e.before, e.after)) for e in _audit(junction))
    assert secret.group(1) not in logged


def test_an_access_token_is_revoked(junction: Junction, admin: httpx.Client) -> None:
    token = junction.token()
    page = admin.get(PATH)
    found = re.search(r'action="/console/settings/tokens/([^"/]+)/revoke"', page.text)
    assert found, page.text
    revoked = admin.post(f"{PATH}/tokens/{found.group(1)}/revoke", data={"csrf": csrf_of(page)})
    assert revoked.status_code == 303
    assert "The access token is revoked." in admin.get(revoked.headers["location"]).text
    with junction.http(token) as old:
        assert old.get("/v1.0/accounts").status_code == 401
    entry = _audit(junction)[-1]
    assert (entry.action, entry.target_id) == ("token.revoke", found.group(1))
    assert entry.before is not None
    assert "ClientId" in entry.before
    # Gone already: a clear page.
    again = admin.post(f"{PATH}/tokens/{found.group(1)}/revoke", data={"csrf": csrf_of(page)})
    assert again.status_code == 404


def test_installation_settings_refusals_are_shown_and_store_nothing(
    junction: Junction, admin: httpx.Client
) -> None:
    refused = _post(
        admin,
        f"{PATH}/installation",
        _settings_form(
            step_data_success_retention_hours="-3",
            notification_webhook_url="ftp://hooks.example.com/x",
            embed_frame_ancestors="https://app.example.com\nnot an origin",
        ),
    )
    assert refused.status_code == 400
    text = refused.text
    # The first refusal is named beside its field; what was typed is kept.
    assert 'id="f-step_data_success_retention_hours-error">Enter a whole number of hours' in text
    assert 'value="-3"' in text
    assert "not an origin</textarea>" in text
    assert _overrides(junction) == {}
    assert _audit(junction) == []

    for field, typed, message in (
        ("notification_webhook_url", "ftp://hooks.example.com/x", "is not an http(s) URL"),
        ("embed_frame_ancestors", "app.example.com", "is not an origin like"),
        ("step_data_errored_retention_hours", "soon", "Enter a whole number of hours"),
    ):
        answer = _post(admin, f"{PATH}/installation", _settings_form(**{field: typed}))
        assert answer.status_code == 400
        assert f'id="f-{field}-error">' in answer.text
        assert message in answer.text.split(f'id="f-{field}-error">', 1)[1].split("</p>")[0]
        assert 'aria-invalid="true"' in answer.text
    assert _overrides(junction) == {}


def test_a_saved_setting_takes_effect_at_once(junction: Junction, admin: httpx.Client) -> None:
    assert _frame_ancestors(junction) == "'self'"
    saved = _post(
        admin,
        f"{PATH}/installation",
        _settings_form(
            embed_frame_ancestors="https://app.example.com\nhttps://crm.example.com:8443/",
            step_data_success_retention_hours="2",
            notification_webhook_url="https://hooks.example.com/junction?key=abc",
        ),
    )
    assert saved.status_code == 303, saved.text
    assert (
        _frame_ancestors(junction) == "'self' https://app.example.com https://crm.example.com:8443"
    )
    assert _overrides(junction) == {
        "embed_frame_ancestors": ["https://app.example.com", "https://crm.example.com:8443"],
        "step_data_success_retention_hours": 2,
        "notification_webhook_url": "https://hooks.example.com/junction?key=abc",
    }
    page = admin.get(PATH).text
    assert "Set here; the environment says 744." in page
    assert "https://app.example.com\nhttps://crm.example.com:8443</textarea>" in page

    entry = _audit(junction)[-1]
    assert entry.action == "settings.update"
    assert entry.before == {
        "embed_frame_ancestors": [],
        "step_data_success_retention_hours": 744,
        "notification_webhook_url": None,
    }
    # The URL's query may carry the receiver's key: left out of the log.
    assert entry.after["notification_webhook_url"] == "https://hooks.example.com/junction?(hidden)"

    # The retention pass reads the new hours: a completed transaction ended three hours ago
    # is purged (the environment's 744 hours would keep it).
    token = junction.token()
    with junction.http(token) as partner:
        assert partner.post("/v1.0/accounts", json={"Id": "acme", "Name": "Acme"}).is_success
    with junction.http(token, account="acme") as acme:
        cycle_id = acme.post("/v1.0/cycles", json={"Name": "c"}).json()["Id"]
    now = junction.clock()
    seed.transaction(
        junction,
        account_id="acme",
        cycle_id=cycle_id,
        created_at=now - timedelta(hours=3),
        status=Status.COMPLETED,
        steps=[{}],
    )
    effective = junction.run(junction.services.installation.settings())
    assert effective.step_data_success_retention_hours == 2
    assert junction.services.settings.step_data_success_retention_hours == 744
    purged = junction.run(
        purge_step_data(database=junction.services.database, settings=effective, now=now)
    )
    assert purged == 1

    # Back to the environment's value.
    reset = admin.post(
        f"{PATH}/installation/embed_frame_ancestors/reset", data={"csrf": csrf_of(admin.get(PATH))}
    )
    assert reset.status_code == 303
    assert _frame_ancestors(junction) == "'self'"
    assert "embed_frame_ancestors" not in _overrides(junction)
    assert _audit(junction)[-1].after == {"embed_frame_ancestors": []}


def test_the_housekeeping_pass_uses_the_effective_hours(
    junction: Junction, admin: httpx.Client
) -> None:
    saved = _post(
        admin, f"{PATH}/installation", _settings_form(step_data_errored_retention_hours="0")
    )
    assert saved.status_code == 303
    token = junction.token()
    with junction.http(token) as partner:
        assert partner.post("/v1.0/accounts", json={"Id": "acme", "Name": "Acme"}).is_success
    with junction.http(token, account="acme") as acme:
        cycle_id = acme.post("/v1.0/cycles", json={"Name": "c"}).json()["Id"]
    seed.transaction(
        junction,
        account_id="acme",
        cycle_id=cycle_id,
        created_at=junction.clock() - timedelta(hours=1),
        status=Status.ERRORED,
        steps=[{}],
    )
    housekeeping = junction.dispatcher.housekeeping
    assert housekeeping is not None

    async def run_it() -> None:
        await housekeeping()

    junction.run(run_it())

    async def purged() -> int:
        async with junction.services.database.transaction(read_only=True) as session:
            found = await session.scalar(
                select(func.count()).where(Transaction.purged_at.is_not(None))
            )
            return int(found or 0)

    assert junction.run(purged()) == 1


def test_a_viewer_sees_settings_but_changes_nothing(
    junction: Junction, admin: httpx.Client, viewer: httpx.Client
) -> None:
    created = _post(admin, f"{PATH}/credentials", {"description": "Backend"})
    client_id = re.search(r"<dt>Client ID</dt><dd><code>([0-9a-f]{32})</code>", created.text)
    assert client_id
    junction.token()
    page = viewer.get(PATH)
    assert page.status_code == 200
    assert "Backend" in page.text
    assert "/reveal" not in page.text
    assert "/revoke" not in page.text
    assert "Create credential set" not in page.text
    assert "Save installation settings" not in page.text
    csrf = csrf_of(page)  # the sign-out form's
    tokens = admin.get(PATH)
    token_id = re.search(r"/console/settings/tokens/([^\"/]+)/revoke", tokens.text)
    assert token_id
    before = len(_audit(junction))
    for path, data in (
        (f"{PATH}/credentials", {"description": "Mine"}),
        (f"{PATH}/credentials/{client_id.group(1)}/reveal", {}),
        (f"{PATH}/credentials/{client_id.group(1)}/delete", {}),
        (f"{PATH}/tokens/{token_id.group(1)}/revoke", {}),
        (f"{PATH}/installation", _settings_form(embed_frame_ancestors="https://x.example.com")),
        (f"{PATH}/installation/embed_frame_ancestors/reset", {}),
    ):
        answer = viewer.post(path, data={"csrf": csrf, **data})
        assert answer.status_code == 403, path
        assert "Not allowed" in answer.text
    assert len(_audit(junction)) == before
    assert _overrides(junction) == {}
    assert "Mine" not in admin.get(PATH).text


def test_the_appearance_is_edited_through_the_same_rules(
    junction: Junction, admin: httpx.Client, viewer: httpx.Client
) -> None:
    path = f"{PATH}/appearance"
    form = {"BrandName": "Acme Connect", "Accent": "#2f5bd3", "Font": "'Inter', sans-serif"}
    refused = admin.post(path, data={"csrf": csrf_of(admin.get(path)), **form, "Accent": "blue"})
    assert refused.status_code == 400
    assert 'id="f-Accent-error">Enter a colour like #2f5bd3' in refused.text
    assert 'value="Acme Connect"' in refused.text
    token = junction.token()
    with junction.http(token) as partner:
        assert partner.get("/v1.0/settings/appearance").json() == {}
        saved = admin.post(path, data={"csrf": csrf_of(admin.get(path)), **form})
        assert saved.status_code == 303
        assert partner.get("/v1.0/settings/appearance").json() == {
            "BrandName": "Acme Connect",
            "Colors": {"Accent": "#2f5bd3"},
            "Font": "'Inter', sans-serif",
        }
    entry = _audit(junction)[-1]
    assert (entry.action, entry.before, entry.after["BrandName"]) == (
        "appearance.update",
        {},
        "Acme Connect",
    )
    page = viewer.get(path)
    assert page.status_code == 200
    assert "Save the appearance" not in page.text
    assert viewer.post(path, data={"csrf": csrf_of(page), **form}).status_code == 403


class _Receiver(LoopbackApi):
    """Where notices go: records every POST."""

    def add_routes(self, app: web.Application) -> None:
        async def accept(_request: web.Request) -> web.Response:
            return web.json_response({})

        app.router.add_post("/{tail:.*}", accept)


def test_the_notification_webhook_set_here_is_told(junction: Junction, admin: httpx.Client) -> None:
    with _Receiver() as receiver:
        url = f"{receiver.base_url}/paused"
        saved = _post(admin, f"{PATH}/installation", _settings_form(notification_webhook_url=url))
        assert saved.status_code == 303
        notifier = junction.engine.notifier

        async def pause_notice() -> None:
            notifier.cycle_paused(
                account_id="acme", cycle_id="c1", cycle_name="C", errors=25, when=junction.clock()
            )
            await notifier.drain()

        junction.run(pause_notice())
        assert [r.json()["Event"] for r in receiver.requests] == ["CyclePaused"]
