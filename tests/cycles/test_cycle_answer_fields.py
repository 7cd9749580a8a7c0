"""Fields Cyclr's clients read on cycles and templates, and the list filters they send."""

from __future__ import annotations

from typing import Any

import httpx

from tests.cycles.builders import life_template, mailing_definition, publish

ICON = "data:image/png;base64,iVBORw0KGgo="


def tagged(name: str, tags: list[str]) -> dict[str, Any]:
    return life_template() | {"Name": name, "Tags": tags}


def with_icon(partner: httpx.Client) -> int:
    """A newer Live release of Test Mailing with an icon (templates use the newest Live)."""
    document = mailing_definition() | {"Version": "2.0", "Icon": ICON}
    added = partner.post("/v1.0/connectors", json=document)
    assert added.status_code == 201, added.text
    connector_id: int = added.json()["Id"]
    return connector_id


def test_cycle_settings_tags_and_never_run(clients: tuple[httpx.Client, httpx.Client]) -> None:
    partner, account = clients
    template_id = publish(partner, tagged("Sales sync", ["Sales", "CRM"]))
    installed = account.post(f"/v1.0/templates/{template_id}/install", json={})
    assert installed.status_code == 200, installed.text
    cycle = installed.json()
    assert (cycle["StepErrorAction"], cycle["CollectionSplitType"]) == ("Ignore", "FirstStep")
    assert cycle["Tags"] == ["Sales", "CRM"]
    # Cyclr's value for a cycle that never ran, without an offset.
    assert cycle["LastSuccessfulRunDate"] == "0001-01-01T00:00:00"

    path = f"/v1.0/cycles/{cycle['Id']}"
    changed = account.put(path, json={"StepErrorAction": "Retry", "CollectionSplitType": "All"})
    assert changed.status_code == 200, changed.text
    assert (changed.json()["StepErrorAction"], changed.json()["CollectionSplitType"]) == (
        "Retry",
        "AllSteps",
    )
    got = account.get(path).json()
    assert (got["StepErrorAction"], got["CollectionSplitType"], got["Tags"]) == (
        "Retry",
        "AllSteps",
        ["Sales", "CRM"],
    )
    [listed] = account.get("/v1.0/cycles").json()
    assert listed["LastSuccessfulRunDate"] == "0001-01-01T00:00:00"

    made = account.post("/v1.0/cycles", json={"Name": "By hand"})
    assert made.status_code == 201, made.text
    assert (made.json()["Tags"], made.json()["LastSuccessfulRunDate"]) == (
        [],
        "0001-01-01T00:00:00",
    )

    # Tags given by the caller: kept, replaced by a PUT, found by the list's filter.
    tagged_by_hand = account.post("/v1.0/cycles", json={"Name": "Tagged", "Tags": ["Ops"]})
    assert tagged_by_hand.status_code == 201, tagged_by_hand.text
    assert tagged_by_hand.json()["Tags"] == ["Ops"]
    own = f"/v1.0/cycles/{tagged_by_hand.json()['Id']}"
    assert account.put(own, json={"Tags": ["Ops", "Night"]}).json()["Tags"] == ["Ops", "Night"]
    assert [c["Name"] for c in account.get("/v1.0/cycles", params={"tag": "night"}).json()] == [
        "Tagged"
    ]
    for bad in ([""], "Ops", [1], ["x" * 101]):
        refused = account.put(own, json={"Tags": bad})
        assert refused.status_code == 400, bad
        assert refused.json()["Message"].startswith("Tags"), refused.text
    assert account.get(own).json()["Tags"] == ["Ops", "Night"]


def test_cycles_filtered_by_tag(clients: tuple[httpx.Client, httpx.Client]) -> None:
    partner, account = clients
    for name, tags in (("Sales", ["Sales", "CRM"]), ("Billing", ["Billing"]), ("None", [])):
        template_id = publish(partner, tagged(name, tags))
        assert account.post(f"/v1.0/templates/{template_id}/install", json={}).status_code == 200

    def names(tag: str) -> list[str]:
        got = account.get("/v1.0/cycles", params={"tag": tag})
        assert got.status_code == 200, got.text
        return sorted(c["Name"] for c in got.json())

    assert names("crm") == ["Sales"]  # a whole tag, in any case
    assert names("Billing") == ["Billing"]
    assert names("CR") == []
    assert names("%") == []  # taken literally
    assert names("") == ["Billing", "None", "Sales"]
    got = account.get("/v1.0/cycles", params={"tag": "sales", "pageSize": 1})
    assert got.headers["Total-Records"] == "1"
    too_long = account.get("/v1.0/cycles", params={"tag": "x" * 256})
    assert too_long.status_code == 400, too_long.text
    assert "tag" in too_long.json()["Message"]


def test_icons_only_when_asked(clients: tuple[httpx.Client, httpx.Client]) -> None:
    partner, account = clients
    mailing_id = with_icon(partner)
    template_id = publish(partner, life_template())
    cycle = account.post(f"/v1.0/templates/{template_id}/install", json={}).json()
    # A single cycle carries its connectors' icons, as Cyclr's install answer does.
    icons = {c["Name"]: c["Icon"] for c in cycle["Connectors"]}
    assert icons == {"Test Contacts": None, "Test Mailing": ICON}
    assert account.get(f"/v1.0/cycles/{cycle['Id']}").json()["Connectors"] == cycle["Connectors"]

    def listed_icons(**params: Any) -> dict[str, Any]:
        got = account.get("/v1.0/cycles", params=params)
        assert got.status_code == 200, got.text
        [item] = got.json()
        return {c["Name"]: c["Icon"] for c in item["Connectors"]}

    assert listed_icons() == {"Test Contacts": None, "Test Mailing": None}
    assert listed_icons(includeIcons="false") == {"Test Contacts": None, "Test Mailing": None}
    assert listed_icons(includeIcons="true") == icons
    bad = account.get("/v1.0/cycles", params={"includeIcons": "maybe"})
    assert bad.status_code == 400, bad.text
    assert "includeIcons" in bad.json()["Message"]

    # Templates: each connector's Id (the release installing uses) and Icon.
    def template_connectors(body: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
        return {c["Name"]: (c["Id"], c["Icon"]) for c in body["Connectors"]}

    contacts_id = partner.get("/v1.0/connectors/Test Contacts").json()[0]["Id"]
    one = partner.get(f"/v1.0/templates/{template_id}").json()
    assert template_connectors(one) == {
        "Test Contacts": (contacts_id, None),
        "Test Mailing": (mailing_id, ICON),
    }
    [listed] = partner.get("/v1.0/templates").json()
    assert template_connectors(listed) == {
        "Test Contacts": (contacts_id, None),
        "Test Mailing": (mailing_id, None),
    }
    [listed] = partner.get("/v1.0/templates", params={"includeIcons": "true"}).json()
    assert template_connectors(listed) == template_connectors(one)
    bad = partner.get("/v1.0/templates", params={"includeIcons": "maybe"})
    assert bad.status_code == 400, bad.text


def test_template_connector_missing_from_the_catalogue(
    clients: tuple[httpx.Client, httpx.Client],
) -> None:
    partner, _ = clients
    document = life_template()
    document["Steps"][2]["ConnectorVersion"] = "9.9"  # no such release here
    created = partner.post("/v1.0/templates", json=document)
    assert created.status_code == 201, created.text
    connectors = {c["Name"]: c for c in created.json()["Connectors"]}
    assert (connectors["Test Mailing"]["Id"], connectors["Test Mailing"]["Icon"]) == (None, None)
    assert connectors["Test Contacts"]["Id"] is not None
