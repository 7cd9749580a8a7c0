"""The console's template pages through HTTP: the list and its filters, creating a template,
publishing and new releases, comparing two releases, export and import, upgrading installed
cycles, the audit log, and a viewer who may look but not change."""

from __future__ import annotations

import copy
import html
import json
import re
from typing import Any

import httpx
import pytest

from tests.connectors.test_catalog_api import contacts_definition
from tests.console.support import csrf_of
from tests.cycles.builders import life_template, mailing_definition, publish
from tests.fixtures.server import Junction
from tests.templates.test_template_graph import template

LIST = "/console/templates"


@pytest.fixture
def partner(junction: Junction) -> httpx.Client:
    client = junction.http(junction.token())
    added = client.post("/v1.0/connectors", json=contacts_definition())
    assert added.status_code == 201, added.text
    return client


def _post(client: httpx.Client, path: str, data: dict[str, str], **files: Any) -> httpx.Response:
    csrf = csrf_of(client.get(LIST))
    return client.post(path, data={"csrf": csrf, **data}, files=files or None)


def _audit(partner: httpx.Client, action: str) -> list[dict[str, Any]]:
    answer = partner.get("/v1.0/audit")
    assert answer.status_code == 200, answer.text
    return [e for e in answer.json() if e["Action"] == action]


def _templates(partner: httpx.Client) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = partner.get("/v1.0/templates").json()
    return found


def _text(page: httpx.Response) -> str:
    """The page's text without its markup, for reading what a user reads."""
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page.text)))


def test_list_filter_and_create(admin: httpx.Client, partner: httpx.Client) -> None:
    for name, tags in (("Sales sync", ["Sales", "CRM"]), ("Support desk", ["Support"])):
        created = partner.post("/v1.0/templates", json={"Name": name, "Tags": tags})
        assert created.status_code == 201, created.text
    listing = admin.get(LIST)
    assert listing.status_code == 200
    assert "Sales sync" in listing.text
    assert "Support desk" in listing.text
    assert '<option value="crm">' in listing.text
    tagged = admin.get(LIST, params={"tag": "Sales"})
    assert "Sales sync" in tagged.text
    assert "Support desk" not in tagged.text
    searched = admin.get(LIST, params={"q": "desk"})
    assert "Support desk" in searched.text
    assert "Sales sync" not in searched.text

    # Refused: the message beside the field, what was typed kept, nothing stored.
    refused = _post(admin, LIST, {"Name": " ", "Description": "Kept", "Tags": "Ops"})
    assert refused.status_code == 400
    assert 'aria-invalid="true"' in refused.text
    assert 'id="f-Name-error">is required' in refused.text
    assert 'value="Kept"' in refused.text
    assert len(_templates(partner)) == 2

    created = _post(
        admin, LIST, {"Name": "Billing", "Description": "Invoices", "Tags": "Ops, Money"}
    )
    assert created.status_code == 303
    page = admin.get(created.headers["location"])
    assert page.status_code == 200
    assert "Template Billing created" in page.text
    assert "Open in the builder" in page.text
    made = next(t for t in _templates(partner) if t["Name"] == "Billing")
    assert made["Tags"] == ["Ops", "Money"]
    assert [r["Status"] for r in made["Releases"]] == ["Draft"]
    [entry] = _audit(partner, "template.create")
    assert (entry["TargetId"], entry["Actor"]) == (made["Id"], "console:admin")


def test_publish_new_release_and_compare(admin: httpx.Client, partner: httpx.Client) -> None:
    broken = template()
    broken["Edges"].pop(0)  # the decision is no longer reached
    created = partner.post("/v1.0/templates", json=broken)
    assert created.status_code == 201, created.text
    template_id = created.json()["Id"]
    path = f"{LIST}/{template_id}"
    page = admin.get(path)
    assert "Release 1 cannot go Live yet" in page.text
    refused = _post(admin, f"{path}/releases/1/status", {"status": "Live"})
    assert refused.status_code == 400
    assert "The template has" in refused.text
    assert 'role="alert"' in refused.text
    assert partner.get(f"/v1.0/templates/{template_id}").json()["Releases"][0]["Status"] == "Draft"

    fixed = partner.put(f"/v1.0/templates/{template_id}/releases/1", json=template())
    assert fixed.status_code == 200, fixed.text
    assert "The Draft passes every check" in admin.get(path).text
    published = _post(admin, f"{path}/releases/1/status", {"status": "Live"})
    assert published.status_code == 303
    assert "Release 1 published" in admin.get(published.headers["location"]).text
    assert partner.get(f"/v1.0/templates/{template_id}").json()["Releases"][0]["Status"] == "Live"
    outline = _text(admin.get(path))
    assert "If true Create contact Method" in outline
    assert "Field Email: Email from step list" in outline

    drafted = _post(admin, f"{path}/releases", {})
    assert drafted.status_code == 303
    again = _post(admin, f"{path}/releases", {})
    assert again.status_code == 409
    assert "still a Draft" in again.text
    second = copy.deepcopy(template())
    second["Steps"][2]["Name"] = "Create CRM contact"
    second["Steps"][2]["FieldMappings"][1]["Value"] = "true"
    second["Variables"].append({"SystemName": "Owner", "Value": "ann"})
    second["Settings"] = {"StepErrorAction": "Retry"}
    assert partner.put(f"/v1.0/templates/{template_id}/releases/2", json=second).is_success

    compared = admin.get(f"{path}/diff", params={"older": 1, "newer": 2})
    assert compared.status_code == 200
    text = _text(compared)
    assert "step 'Create CRM contact' (create) Name changed Create contact Create CRM contact" in (
        text
    )
    assert "field Vip changed the value “false” (the user may change it)" in text
    assert "variable Owner added “ann”" in text
    assert "StepErrorAction changed Ignore Retry" in text
    same = admin.get(f"{path}/diff", params={"older": 1, "newer": 1})
    assert "are the same" in same.text
    assert admin.get(f"{path}/diff", params={"older": 1, "newer": 9}).status_code == 400

    deprecated = _post(admin, f"{path}/releases/1/status", {"status": "Deprecated"})
    assert deprecated.status_code == 303
    actions = [str(e["Before"]["Status"]) for e in _audit(partner, "template.status")]
    assert sorted(actions) == ["Draft", "Live"]
    assert len(_audit(partner, "template.release")) == 1


def test_export_then_import(admin: httpx.Client, partner: httpx.Client) -> None:
    template_id = publish(partner, template())
    path = f"{LIST}/{template_id}"
    exported = admin.get(f"{path}/releases/1/export")
    assert exported.status_code == 200
    assert exported.headers["content-disposition"].startswith("attachment;")
    document = exported.json()
    assert (document["Format"], document["Template"]["Id"]) == ("junction-template", template_id)
    whole = admin.get(f"{path}/export")
    assert whole.headers["content-disposition"].startswith("attachment;")
    raw = exported.content

    # The same template is here: refused, and nothing stored.
    clash = _post(admin, f"{LIST}/import", {}, file=("t.json", raw, "application/json"))
    assert clash.status_code == 409
    assert "is already here" in clash.text
    for bad, message in (
        (b"{not json", "is not valid JSON"),
        (json.dumps(document | {"Format": "other"}).encode(), "is not a Junction template"),
    ):
        refused = _post(admin, f"{LIST}/import", {}, file=("bad.json", bad, "application/json"))
        assert refused.status_code == 400
        assert message in html.unescape(refused.text)
        refused = _post(admin, f"{path}/import", {}, file=("bad.json", bad, "application/json"))
        assert refused.status_code == 400
        assert 'role="alert"' in refused.text
    # A connector release the file brings is added before its Live release is checked:
    # the refusal takes the connector release back out too.
    broken = copy.deepcopy(document)
    broken["Connectors"][0]["Version"] = "9.9"
    broken["Releases"][0]["Document"]["Steps"][0]["ConnectorVersion"] = "9.9"
    broken["Releases"][0]["Document"]["Edges"].pop(0)
    connectors = partner.get("/v1.0/connectors").json()
    late = _post(
        admin,
        f"{LIST}/import",
        {"copy": "1"},
        file=("t.json", json.dumps(broken).encode(), "application/json"),
    )
    assert late.status_code == 400
    assert "Releases[0].Document." in late.text
    assert partner.get("/v1.0/connectors").json() == connectors
    none_chosen = _post(admin, f"{LIST}/import", {})
    assert none_chosen.status_code == 400
    assert "choose an export file" in none_chosen.text
    assert len(_templates(partner)) == 1
    assert len(partner.get(f"/v1.0/templates/{template_id}").json()["Releases"]) == 1

    copied = _post(admin, f"{LIST}/import", {"copy": "1"}, file=("t.json", raw, "application/json"))
    assert copied.status_code == 303
    assert "imported" in admin.get(copied.headers["location"]).text
    names = sorted(t["Name"] for t in _templates(partner))
    assert names == ["New contacts to CRM", "New contacts to CRM"]

    as_release = _post(admin, f"{path}/import", {}, file=("t.json", raw, "application/json"))
    assert as_release.status_code == 303
    releases = partner.get(f"/v1.0/templates/{template_id}").json()["Releases"]
    assert [(r["Version"], r["Status"]) for r in releases] == [(1, "Live"), (2, "Draft")]
    second = partner.get(f"/v1.0/templates/{template_id}/releases/2").json()["Document"]
    assert second == partner.get(f"/v1.0/templates/{template_id}/releases/1").json()["Document"]
    assert len(_audit(partner, "template.import")) == 2


def test_upgrade_installed_cycles(
    junction: Junction, admin: httpx.Client, partner: httpx.Client
) -> None:
    assert partner.post("/v1.0/connectors", json=mailing_definition()).status_code == 201
    assert partner.post("/v1.0/accounts", json={"Id": "acme", "Name": "Acme"}).is_success
    account = junction.http(junction.token(), account="acme")
    template_id = publish(partner, life_template())
    path = f"{LIST}/{template_id}"
    cycle = account.post(f"/v1.0/templates/{template_id}/install").json()
    other = account.post(f"/v1.0/templates/{template_id}/install").json()
    assert account.put(
        f"/v1.0/cycles/{cycle['Id']}/variables/Domain", json={"Value": "acme.test"}
    ).is_success
    assert "nothing to upgrade" not in admin.get(path).text  # release 1 is Live
    second = copy.deepcopy(life_template())
    second["Variables"][0]["Value"] = "example.org"  # set by the release, not the user's
    assert partner.post(f"/v1.0/templates/{template_id}/releases", json=second).is_success
    assert partner.put(
        f"/v1.0/templates/{template_id}/releases/2/status", json={"Status": "Live"}
    ).is_success

    page = _text(admin.get(path))
    assert "Installed cycles on older releases" in page
    assert "Upgrade all 2 to release 2" in page
    one = _post(admin, f"{path}/upgrade", {"cycle_id": cycle["Id"]})
    assert one.status_code == 200
    report = _text(one)
    assert "1 cycle upgraded" in report
    assert "Domain : the new release sets it and does not let the user change it" in report
    assert "1 → 2" in report
    again = _post(admin, f"{path}/upgrade", {"cycle_id": cycle["Id"]})
    assert again.status_code == 409
    assert "already runs release 2" in again.text

    every = _post(admin, f"{path}/upgrade", {})
    assert every.status_code == 200
    assert "1 cycle upgraded" in every.text
    assert other["Name"] in every.text
    assert "Every cycle installed from this template runs release 2" in every.text
    entries = _audit(partner, "cycle.upgrade")
    assert sorted(e["TargetId"] for e in entries) == sorted([cycle["Id"], other["Id"]])
    assert account.get("/v1.0/cycles/upgradeable").json() == []


def test_a_viewer_changes_nothing(
    admin: httpx.Client, viewer: httpx.Client, partner: httpx.Client
) -> None:
    template_id = publish(partner, template())
    path = f"{LIST}/{template_id}"
    for page in (viewer.get(LIST), viewer.get(path), viewer.get(f"{path}/diff")):
        assert page.status_code == 200
        assert 'method="post" action="/console/templates' not in page.text
        assert 'enctype="multipart/form-data"' not in page.text
    assert viewer.get(f"{path}/releases/1/export").status_code == 200
    raw = admin.get(f"{path}/releases/1/export").content
    csrf = csrf_of(viewer.get(LIST))
    for target, data, files in (
        (LIST, {"Name": "Mine"}, None),
        (f"{LIST}/import", {"copy": "1"}, {"file": ("t.json", raw, "application/json")}),
        (f"{path}/releases", {}, None),
        (f"{path}/releases/1/status", {"status": "Deprecated"}, None),
        (f"{path}/import", {}, {"file": ("t.json", raw, "application/json")}),
        (f"{path}/upgrade", {}, None),
    ):
        refused = viewer.post(target, data={"csrf": csrf, **data}, files=files)
        assert refused.status_code == 403, target
    assert len(_templates(partner)) == 1
    assert [r["Status"] for r in _templates(partner)[0]["Releases"]] == ["Live"]
    assert partner.get("/v1.0/audit").json() == []
