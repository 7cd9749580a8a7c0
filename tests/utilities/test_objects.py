"""Cycle and Global Object Storage: entries of several fields under a key."""

from __future__ import annotations

from typing import Any

import pytest

from junction.utilities.operations import UtilityError
from tests.fixtures.server import Junction
from tests.utilities.test_storage import install, operate

EMPTY = {f"Field{n}": None for n in range(1, 11)}


def test_entries_are_added_updated_listed_and_deleted(junction: Junction) -> None:
    _, store = install(junction, "Cycle Object Storage")
    [added] = operate(
        junction, "cycle-objects/add-or-update", store, Key="c1", Field1="Ann", Field2="Leeds"
    )
    assert added == {"Key": "c1", **EMPTY, "Field1": "Ann", "Field2": "Leeds"}
    # Only the fields given change.
    [updated] = operate(
        junction, "cycle-objects/add-or-update", store, Key="c1", Field2="York", Field3=7
    )
    assert (updated["Field1"], updated["Field2"], updated["Field3"]) == ("Ann", "York", "7")
    assert operate(junction, "cycle-objects/get", store, Key="c1")[0]["Found"] is True
    assert operate(junction, "cycle-objects/get", store, Key="zz") == [
        {"Key": "zz", **EMPTY, "Found": False}
    ]
    operate(junction, "cycle-objects/add-or-update", store, Key="c0", Field1="Bob")
    assert [e["Key"] for e in operate(junction, "cycle-objects/get-all", store)] == ["c0", "c1"]
    assert operate(junction, "cycle-objects/get-all", store, cycle="another") == []
    assert operate(junction, "cycle-objects/delete", store, Key="c0") == [
        {"Key": "c0", "Deleted": True}
    ]
    assert operate(junction, "cycle-objects/delete-all", store) == [{"Deleted": 1}]


def test_global_entries_are_shared(junction: Junction) -> None:
    _, store = install(junction, "Global Object Storage")
    operate(junction, "global-objects/add-or-update", store, cycle="one", Key="k", Field1="v")
    assert operate(junction, "global-objects/get", store, cycle="two", Key="k")[0]["Field1"] == "v"


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        ({"Field1": "v"}, "Key: required"),
        ({"Key": "k" * 129}, "Key: 129 characters; at most 128 are allowed"),
        ({"Key": "k", "Field4": "x" * 1025}, "Field4: 1025 characters; at most 1024 are allowed"),
        ({"Key": "k", "Field2": ["a", "b"]}, "Field2: must be a single value, not a list"),
    ],
)
def test_bad_input(junction: Junction, inputs: dict[str, Any], message: str) -> None:
    _, store = install(junction, "Cycle Object Storage")
    operate(junction, "cycle-objects/add-or-update", store, Key="k", Field1="kept")
    with pytest.raises(UtilityError) as raised:
        operate(junction, "cycle-objects/add-or-update", store, **inputs)
    assert raised.value.message == message
    assert operate(junction, "cycle-objects/get", store, Key="k")[0]["Field1"] == "kept"


def test_a_full_store_refuses_new_entries(
    junction: Junction, monkeypatch: pytest.MonkeyPatch
) -> None:
    from junction.utilities import storage

    monkeypatch.setattr(storage, "MAX_ITEMS", 1)
    _, store = install(junction, "Cycle Object Storage")
    operate(junction, "cycle-objects/add-or-update", store, Key="a", Field1="1")
    with pytest.raises(UtilityError, match=r"^Key: the store is full \(1 entries\)$"):
        operate(junction, "cycle-objects/add-or-update", store, Key="b", Field1="2")
