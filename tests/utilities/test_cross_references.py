"""Entity Cross Reference Storage: create, get by either id, incremental update, delete."""

from __future__ import annotations

from typing import Any

import pytest

from junction.utilities.operations import UtilityError
from tests.fixtures.server import Junction
from tests.utilities.test_storage import install, operate


def test_a_reference_through_its_life(junction: Junction) -> None:
    _, refs = install(junction, "Entity Cross Reference Storage")
    [created] = operate(
        junction,
        "cross-reference/create",
        refs,
        Entity1Id="crm-1",
        Entity2Id="mail-9",
        SourceApplication="CRM",
        Entity1Name="Contact",
        Entity1RecordCount="3",
    )
    assert created == {
        "Entity1Id": "crm-1",
        "Entity2Id": "mail-9",
        "SourceApplication": "CRM",
        "Entity1Name": "Contact",
        "Entity2Name": None,
        "Entity1RecordCount": 3,
        "Entity2RecordCount": None,
        "AdditionalInfo": None,
    }
    assert operate(junction, "cross-reference/get-by-entity1", refs, Entity1Id="crm-1") == [created]
    assert operate(junction, "cross-reference/get-by-entity2", refs, Entity2Id="mail-9") == [
        created
    ]
    assert operate(junction, "cross-reference/get-by-entity1", refs, Entity1Id="nope") == []
    # Only what is given changes.
    [updated] = operate(
        junction, "cross-reference/update", refs, Entity2Id="mail-9", Entity2RecordCount=5
    )
    assert (updated["Entity1Name"], updated["Entity2RecordCount"]) == ("Contact", 5)
    operate(
        junction,
        "cross-reference/create",
        refs,
        Entity1Id="crm-2",
        Entity2Id="mail-8",
        SourceApplication="CRM",
    )
    assert [r["Entity1Id"] for r in operate(junction, "cross-reference/get-all", refs)] == [
        "crm-1",
        "crm-2",
    ]
    assert operate(junction, "cross-reference/delete", refs, Entity1Id="crm-1") == [
        {"Deleted": True}
    ]
    assert operate(junction, "cross-reference/delete", refs, Entity1Id="crm-1") == [
        {"Deleted": False}
    ]
    # Another installed connector keeps its own references.
    _, other = install(junction, "Entity Cross Reference Storage")
    assert operate(junction, "cross-reference/get-all", other) == []


@pytest.mark.parametrize(
    ("operation", "inputs", "message"),
    [
        ("create", {"Entity2Id": "b", "SourceApplication": "A"}, "Entity1Id: required"),
        ("create", {"Entity1Id": "a", "SourceApplication": "A"}, "Entity2Id: required"),
        ("create", {"Entity1Id": "a", "Entity2Id": "b"}, "SourceApplication: required"),
        (
            "create",
            {"Entity1Id": "x" * 256, "Entity2Id": "b", "SourceApplication": "A"},
            "Entity1Id: 256 characters; at most 255 are allowed",
        ),
        (
            "create",
            {
                "Entity1Id": "a",
                "Entity2Id": "b",
                "SourceApplication": "A",
                "Entity1RecordCount": "many",
            },
            "Entity1RecordCount: 'many' is not a whole number",
        ),
        ("update", {"Entity1Name": "x"}, "Entity1Id: give the id of Entity 1 or of Entity 2"),
        ("update", {"Entity1Id": "missing"}, "Entity1Id: no cross reference has that id"),
        ("get-by-entity1", {}, "Entity1Id: required"),
        ("delete", {}, "Entity1Id: give the id of Entity 1 or of Entity 2"),
    ],
)
def test_bad_input(
    junction: Junction, operation: str, inputs: dict[str, Any], message: str
) -> None:
    _, refs = install(junction, "Entity Cross Reference Storage")
    operate(
        junction,
        "cross-reference/create",
        refs,
        Entity1Id="keep",
        Entity2Id="kept",
        SourceApplication="A",
    )
    with pytest.raises(UtilityError) as raised:
        operate(junction, f"cross-reference/{operation}", refs, **inputs)
    assert raised.value.message == message
    assert len(operate(junction, "cross-reference/get-all", refs)) == 1


def test_an_id_is_paired_once(junction: Junction) -> None:
    _, refs = install(junction, "Entity Cross Reference Storage")
    operate(
        junction,
        "cross-reference/create",
        refs,
        Entity1Id="a",
        Entity2Id="b",
        SourceApplication="A",
    )
    with pytest.raises(UtilityError, match="exists already; update it instead"):
        operate(
            junction,
            "cross-reference/create",
            refs,
            Entity1Id="a",
            Entity2Id="c",
            SourceApplication="A",
        )
    assert (
        operate(junction, "cross-reference/get-by-entity1", refs, Entity1Id="a")[0]["Entity2Id"]
        == "b"
    )
