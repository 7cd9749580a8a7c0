"""The console's connector pages through HTTP: the catalogue and its filters, one release's
definition, adding a definition (good and refused), importing an OpenAPI document with a
chosen tag, release status, partner properties kept secret, the audit log, and a viewer who
may look but not change."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from markupsafe import escape
from sqlalchemy import select

from junction.audit.models import AuditEntry
from junction.connectors.catalog.models import Connector, PartnerConnectorProperty
from tests.connectors.test_catalog_api import contacts_definition
from tests.console.support import csrf_of
from tests.fixtures.server import Junction

FIXTURES = Path(__file__).parents[1] / "fixtures"
TASKS = (FIXTURES / "openapi" / "tasks-v3.1.yaml").read_text()
SECRET = "s3cr3t-client-value-42"


def mailer_definition() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((FIXTURES / "connectors" / "mailer.yaml").read_text())
    return document


def _add(junction: Junction, document: dict[str, Any]) -> int:
    answer = junction.http(junction.token()).post("/v1.0/connectors", json=document)
    assert answer.status_code in (200, 201), answer.text
    connector_id: int = answer.json()["Id"]
    return connector_id


def _post(client: httpx.Client, page: str, path: str, data: Any, **kwargs: Any) -> httpx.Response:
    """Posts one of the connector pages' forms with the CSRF token of ``page``."""
    return client.post(path, data={"csrf": csrf_of(client.get(page)), **data}, **kwargs)


def _audit(junction: Junction) -> list[AuditEntry]:
    async def read() -> list[AuditEntry]:
        async with junction.services.database.transaction(read_only=True) as session:
            return list(await session.scalars(select(AuditEntry).order_by(AuditEntry.id)))

    return junction.run(read())


def _connectors(junction: Junction) -> list[Connector]:
    async def read() -> list[Connector]:
        async with junction.services.database.transaction(read_only=True) as session:
            return list(await session.scalars(select(Connector).order_by(Connector.id)))

    return junction.run(read())


def test_the_catalogue_is_searched_and_filtered(junction: Junction, admin: httpx.Client) -> None:
    _add(junction, contacts_definition())
    _add(junction, contacts_definition() | {"Version": "2.0", "ReleaseStatus": "Draft"})
    _add(junction, mailer_definition())

    page = admin.get("/console/connectors")
    assert page.status_code == 200
    assert "Test Contacts" in page.text
    assert "Test Mailer" in page.text
    assert '<option value="CRM"' in page.text
    assert '<option value="Marketing"' in page.text
    # One row per connector, every release listed with its status.
    assert page.text.count('href="/console/connectors/add"') == 1
    assert '2.0</a> <span class="jn-status jn-status-draft">Draft</span>' in page.text

    crm = admin.get("/console/connectors", params={"category": "crm"})
    assert "Test Contacts" in crm.text
    assert "Test Mailer" not in crm.text
    searched = admin.get("/console/connectors", params={"query": "mailing-list"})
    assert "Test Mailer" in searched.text
    assert "Test Contacts" not in searched.text
    none = admin.get("/console/connectors", params={"query": "nothing like it"})
    assert "No connector matches." in none.text


def test_the_definition_is_shown(junction: Junction, viewer: httpx.Client) -> None:
    connector_id = _add(junction, mailer_definition())
    page = viewer.get(f"/console/connectors/{connector_id}")
    assert page.status_code == 200
    text = page.text
    for shown in ("Test Mailer", "ClientCredentials", "MailerClientSecret", "Subscribers"):
        assert shown in text
    assert (
        '<code class="jn-verb">POST</code> <code class="jn-connectors-path">/subscribers</code>'
        in text
    )
    assert "<code>full_name</code>" in text  # a request field
    assert "The definition as stored (JSON)" in text
    # A viewer sees the state of the partner properties, and no form at all.
    assert "Not set" in text
    assert 'action="/console/connectors' not in text
    assert "Make Live" not in text
    assert "Make Deprecated" not in text
    assert viewer.get("/console/connectors/999999").status_code == 404


def test_a_definition_is_added_and_a_bad_one_refused(
    junction: Junction, admin: httpx.Client
) -> None:
    bad = contacts_definition() | {"Version": "not a version!"}
    del bad["Name"]
    pasted = json.dumps(bad, indent=1)
    refused = _post(admin, "/console/connectors/add", "/console/connectors/add", {"text": pasted})
    assert refused.status_code == 400
    assert "<code>Name</code> Field required" in refused.text
    assert "<code>Version</code>" in refused.text
    assert 'aria-invalid="true"' in refused.text
    assert str(escape(pasted)) in refused.text  # kept as pasted
    assert _connectors(junction) == []
    assert _audit(junction) == []

    text = yaml.safe_dump(contacts_definition())
    added = _post(
        admin,
        "/console/connectors/add",
        "/console/connectors/add",
        {},
        files={"file": ("contacts.yaml", text.encode(), "application/yaml")},
    )
    assert added.status_code == 303, added.text
    [connector] = _connectors(junction)
    assert added.headers["location"].startswith(f"/console/connectors/{connector.id}?notice=")
    entry = _audit(junction)[-1]
    assert (entry.action, entry.target_kind, entry.target_id) == (
        "connector.add",
        "connector",
        str(connector.id),
    )
    assert entry.after["Name"] == "Test Contacts"
    assert entry.after["Replaced"] is False


def test_an_openapi_import_keeps_the_chosen_tag(junction: Junction, admin: httpx.Client) -> None:
    step2 = _post(
        admin,
        "/console/connectors/import",
        "/console/connectors/import",
        {"name": "Tasks"},
        files={"file": ("tasks.yaml", TASKS.encode(), "application/yaml")},
    )
    assert step2.status_code == 200, step2.text
    assert 'name="tag" value="Tasks"' in step2.text
    assert 'name="tag" value=""' in step2.text  # the operations without a tag
    assert _connectors(junction) == []  # reading the operations stores nothing

    choice = {"document": TASKS, "name": "Tasks", "version": "", "tag": "Tasks"}
    preview = _post(
        admin,
        "/console/connectors/import",
        "/console/connectors/import/choose",
        choice | {"action": "preview"},
    )
    assert preview.status_code == 200, preview.text
    assert "<dt>Methods</dt><dd>2</dd>" in preview.text
    assert _connectors(junction) == []

    imported = _post(
        admin,
        "/console/connectors/import",
        "/console/connectors/import/choose",
        choice | {"action": "import"},
    )
    assert imported.status_code == 303, imported.text
    [connector] = _connectors(junction)
    methods = connector.definition["Methods"]
    assert [(m["HttpMethod"], m["Endpoint"]) for m in methods] == [
        ("GET", "/tasks"),
        ("POST", "/tasks"),
    ]
    assert {m["Category"] for m in methods} == {"Tasks"}
    entry = _audit(junction)[-1]
    assert entry.action == "connector.import"
    assert entry.after["Tags"] == ["Tasks"]

    # A choice that keeps nothing is refused beside the choice; nothing more is stored.
    nothing = _post(
        admin,
        "/console/connectors/import",
        "/console/connectors/import/choose",
        choice | {"tag": "Nope", "action": "import"},
    )
    assert nothing.status_code == 400
    assert "the choice keeps none of the" in nothing.text
    assert len(_connectors(junction)) == 1


def test_a_bad_openapi_document_is_refused_in_place(
    junction: Junction, admin: httpx.Client
) -> None:
    pasted = "openapi: 3.0.0\ninfo: {title: x}\n"
    refused = _post(
        admin, "/console/connectors/import", "/console/connectors/import", {"text": pasted}
    )
    assert refused.status_code == 400
    assert "<code>paths</code>" in refused.text
    assert "openapi: 3.0.0" in refused.text
    assert _connectors(junction) == []
    assert _audit(junction) == []


def test_release_status_goes_draft_live_deprecated(junction: Junction, admin: httpx.Client) -> None:
    connector_id = _add(junction, contacts_definition() | {"ReleaseStatus": "Draft"})
    page = f"/console/connectors/{connector_id}"
    path = f"{page}/release"
    assert "Make Live" in admin.get(page).text
    assert _post(admin, page, path, {"status": "Live"}).status_code == 303
    assert "Make Deprecated" in admin.get(page).text
    # Live cannot go back to Draft: the catalogue's rule, said beside the releases.
    back = _post(admin, page, path, {"status": "Draft"})
    assert back.status_code == 409
    assert "cannot change" in back.text
    assert _post(admin, page, path, {"status": "Deprecated"}).status_code == 303
    [connector] = _connectors(junction)
    assert connector.status == "Deprecated"
    assert connector.definition["ReleaseStatus"] == "Deprecated"
    changes = [(e.before["ReleaseStatus"], e.after["ReleaseStatus"]) for e in _audit(junction)]
    assert changes == [("Draft", "Live"), ("Live", "Deprecated")]
    assert {e.action for e in _audit(junction)} == {"connector.release"}


def test_partner_properties_are_set_and_never_shown(
    junction: Junction, admin: httpx.Client
) -> None:
    connector_id = _add(junction, mailer_definition())
    page = f"/console/connectors/{connector_id}"
    path = f"{page}/properties"
    saved = _post(
        admin,
        page,
        path,
        {"value:MailerClientSecret": SECRET, "value:MailerClientId": "client-1"},
    )
    assert saved.status_code == 303, saved.text
    shown = admin.get(page).text
    assert SECRET not in shown
    assert "client-1" not in shown
    assert shown.count(">Set</span>") == 2
    assert "changed " in shown

    unknown = _post(admin, page, path, {"value:Nope": "x"})
    assert unknown.status_code == 400
    assert "is not a partner connector property" in unknown.text

    removed = _post(admin, page, path, {"remove:MailerClientId": "1"})
    assert removed.status_code == 303

    async def names() -> list[str]:
        async with junction.services.database.transaction(read_only=True) as session:
            return sorted(await session.scalars(select(PartnerConnectorProperty.name)))

    assert junction.run(names()) == ["MailerClientSecret"]
    entries = [e for e in _audit(junction) if e.action == "connector.properties"]
    assert [e.after for e in entries] == [
        {"Set": ["MailerClientId", "MailerClientSecret"], "Removed": []},
        {"Set": [], "Removed": ["MailerClientId"]},
    ]
    assert all(SECRET not in json.dumps([e.before, e.after]) for e in _audit(junction))


@pytest.mark.parametrize(
    ("path", "data"),
    [
        pytest.param("/console/connectors/add", {"text": "{}"}, id="add"),
        pytest.param("/console/connectors/import", {"text": TASKS}, id="import"),
        pytest.param(
            "/console/connectors/import/choose",
            {"document": TASKS, "action": "import"},
            id="import-choose",
        ),
        pytest.param("/console/connectors/{id}/release", {"status": "Live"}, id="release"),
        pytest.param(
            "/console/connectors/{id}/properties",
            {"value:MailerClientId": "x"},
            id="properties",
        ),
    ],
)
def test_a_viewer_changes_nothing(
    junction: Junction, viewer: httpx.Client, path: str, data: dict[str, str]
) -> None:
    connector_id = _add(junction, mailer_definition() | {"ReleaseStatus": "Draft"})
    listing = viewer.get("/console/connectors")
    assert "Add a definition" not in listing.text
    assert "Import OpenAPI" not in listing.text
    assert viewer.get("/console/connectors/add").status_code == 403
    assert viewer.get("/console/connectors/import").status_code == 403
    page = viewer.get(f"/console/connectors/{connector_id}")
    assert 'action="/console/connectors' not in page.text
    # Signed in, a viewer holds a CSRF token (the sign-out form carries it): still refused.
    refused = viewer.post(path.format(id=connector_id), data={"csrf": csrf_of(listing), **data})
    assert refused.status_code == 403
    assert _audit(junction) == []
    [connector] = _connectors(junction)
    assert connector.status == "Draft"
