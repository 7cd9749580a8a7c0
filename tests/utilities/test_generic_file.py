"""Generic File: delimited text made from records and read back; and a cycle whose steps
use the tools utilities (whole collections for Rows and Items, one call per item else)."""

from __future__ import annotations

import itertools
from typing import Any

import httpx
import pytest

from junction.engine.transactions import ENDED
from tests.cycles.builders import publish
from tests.engine.hooks import hook_step, hooks_definition, wait_for
from tests.fixtures.server import Junction
from tests.utilities.test_storage import install
from tests.utilities.tooling import call, one, refused

CREATE = "generic-file/create-delimited"
PARSE = "generic-file/parse-delimited"


def test_create_delimited_text() -> None:
    rows = [
        {"emailAddress": "john@example.com", "firstName": "John"},
        {"firstName": "Dave, Jr.", "emailAddress": "dave@example.com", "vip": True},
        {"emailAddress": "q@example.com", "firstName": 'Say "hi"\nthere', "tags": ["a", "b"]},
    ]
    assert one(CREATE, Rows=rows) == {
        "Content": "emailAddress,firstName,vip,tags\r\n"
        "john@example.com,John,,\r\n"
        'dave@example.com,"Dave, Jr.",true,\r\n'
        'q@example.com,"Say ""hi""\nthere",,"[""a"", ""b""]"\r\n'
    }
    assert one(CREATE, Rows=rows[:1], Delimiter="\\t", IncludeHeader="false") == {
        "Content": "john@example.com\tJohn\r\n"
    }
    assert one(CREATE, Rows=rows[0], Delimiter=";") == {
        "Content": "emailAddress;firstName\r\njohn@example.com;John\r\n"
    }
    assert one(CREATE, Rows=[{"n": None, "x": 1.5}], Delimiter="\t") == {
        "Content": "n\tx\r\n\t1.5\r\n"
    }
    assert one(CREATE, Rows=rows, Columns=" firstName,missing ", IncludeHeader=False) == {
        "Content": 'John,\r\n"Dave, Jr.",\r\n"Say ""hi""\nthere",\r\n'
    }
    assert one(CREATE, Rows=[]) == {"Content": ""}
    assert one(CREATE) == {"Content": ""}


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        (
            {"Rows": [{"a": 1}], "Delimiter": ",,"},
            "Delimiter: must be one character (or \\t for a tab)",
        ),
        ({"Rows": [{"a": 1}], "Delimiter": '"'}, "Delimiter: cannot be a quote or a line break"),
        ({"Rows": [{"a": 1}], "Delimiter": "\\n"}, "Delimiter: cannot be a quote or a line break"),
        ({"Rows": [{"a": 1}, "loose"]}, "Rows: item 2 is not a record"),
        ({"Rows": "text"}, "Rows: item 1 is not a record"),
        ({"Rows": [{"a": 1}], "Columns": "a,,b"}, "Columns: a column name is empty"),
        ({"Rows": [{"a": 1}], "Columns": "a,b,a"}, "Columns: a column is named twice"),
        (
            {"Rows": [{"a": 1}], "IncludeHeader": "sometimes"},
            "IncludeHeader: 'sometimes' is not true or false",
        ),
    ],
)
def test_create_delimited_bad_input(inputs: dict[str, Any], message: str) -> None:
    refused(CREATE, message, **inputs)


def test_parse_delimited_text() -> None:
    content = 'email,name\r\na@example.com,"Ann, A."\r\n\r\nb@example.com\nc@example.com,Cy,extra\n'
    assert call(PARSE, Content=content) == [
        {"email": "a@example.com", "name": "Ann, A."},
        {"email": "b@example.com", "name": ""},
        {"email": "c@example.com", "name": "Cy", "Column3": "extra"},
    ]
    assert call(PARSE, Content="1\t2\n3\t4", Delimiter="\\t", HasHeader="no") == [
        {"Column1": "1", "Column2": "2"},
        {"Column1": "3", "Column2": "4"},
    ]
    assert call(PARSE, Content="a,,c\n1,2,3") == [{"a": "1", "Column2": "2", "c": "3"}]
    assert call(PARSE, Content="") == []
    assert call(PARSE, Content="only,a,header") == []
    # What Create makes, Parse reads back.
    rows = [{"a": "x,y", "b": 'q"r'}, {"a": "multi\nline", "b": ""}]
    assert call(PARSE, Content=one(CREATE, Rows=rows)["Content"]) == rows


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        ({"Content": "a,a\n1,2"}, "Content: the header names the column 'a' twice"),
        (
            {"Content": 'a\n"unclosed'},
            "Content: not valid delimited text (line 2: unexpected end of data)",
        ),
        (
            {"Content": "a", "Delimiter": "ab"},
            "Delimiter: must be one character (or \\t for a tab)",
        ),
        ({"Content": "a", "HasHeader": "x"}, "HasHeader: 'x' is not true or false"),
        ({"Content": ["a", "b"]}, "Content: must be a single value, not a list"),
    ],
)
def test_parse_delimited_bad_input(inputs: dict[str, Any], message: str) -> None:
    refused(PARSE, message, **inputs)


def test_parse_refuses_content_past_the_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    from junction.utilities import generic_file

    monkeypatch.setattr(generic_file, "MAX_CONTENT", 10)  # the documented 10,000,000
    refused(PARSE, "Content: 11 characters; at most 10 are allowed", Content="a" * 11)


def _mapping(name: str, step: str, field: str) -> dict[str, Any]:
    return {"Name": name, "MappingType": "StepData", "SourceStepKey": step, "SourceField": field}


def test_a_cycle_uses_the_tools_on_a_webhooks_collection(junction: Junction) -> None:
    """Rows and Items take a mapped collection whole (one call); Email is checked item by
    item (one call, and one record, each)."""
    account, _ = install(junction, "Cyclr Tools")
    install(junction, "Data Tools")
    install(junction, "Generic File")
    partner = junction.http(junction.token())
    hooks = hooks_definition() | {"Name": "Batch Hooks"}
    hooks["Methods"][0].pop("ResponseFields")  # each record is the body as it came
    assert partner.post("/v1.0/connectors", json=hooks).status_code == 201

    def step(key: str, connector: str, method: str, *mappings: dict[str, Any]) -> dict[str, Any]:
        return {
            "Key": key,
            "Name": key.title(),
            "ConnectorName": connector,
            "MethodUniqueIdentifier": method,
            "FieldMappings": list(mappings),
        }

    steps = [
        hook_step() | {"ConnectorName": "Batch Hooks"},
        step(
            "file",
            "Generic File",
            "create-delimited",
            _mapping("Rows", "hook", "people"),
            {"Name": "Delimiter", "MappingType": "StaticValue", "Value": ";"},
            # PostgreSQL keeps the webhook's records as JSONB, which reorders their keys.
            {"Name": "Columns", "MappingType": "StaticValue", "Value": "email,name"},
        ),
        step(
            "parse",
            "Generic File",
            "parse-delimited",
            _mapping("Content", "file", "Content"),
            {"Name": "Delimiter", "MappingType": "StaticValue", "Value": ";"},
        ),
        step("count", "Data Tools", "list-count", _mapping("Items", "parse", "name")),
        step("check", "Cyclr Tools", "email-syntax", _mapping("Email", "parse", "email")),
    ]
    template_id = publish(
        partner,
        {
            "Name": "Check a batch",
            "Settings": {"CollectionSplitType": "None"},
            "Steps": steps,
            "Edges": [
                {"TailStepKey": a["Key"], "HeadStepKey": b["Key"]}
                for a, b in itertools.pairwise(steps)
            ],
        },
    )
    cycle = account.post(f"/v1.0/templates/{template_id}/install", json={}).json()
    url = account.put(f"/v1.0/cycles/{cycle['Id']}/activate", json={}).json()["Webhooks"][0]["Url"]
    people = [{"email": "ann@example.com", "name": "Ann"}, {"email": "bob@", "name": "Bob"}]
    assert httpx.post(url, json={"people": people}).status_code == 200

    def listed() -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = account.get(f"/v1.0/cycles/{cycle['Id']}/transactions").json()
        return found

    wait_for(lambda: len(listed()) == 1 and listed()[0]["Status"] in ENDED)
    [transaction] = listed()
    assert transaction["Status"] == "Completed", transaction
    steps = account.get(f"/v1.0/cycles/{cycle['Id']}/transactions/{transaction['Id']}").json()
    outputs = {s["StepName"]: s["Output"] for s in steps}
    assert outputs["File"] == [{"Content": "email;name\r\nann@example.com;Ann\r\nbob@;Bob\r\n"}]
    assert outputs["Parse"] == people
    assert outputs["Count"] == [{"Count": 2}]
    assert outputs["Check"] == [
        {"Email": "ann@example.com", "IsValid": True},
        {"Email": "bob@", "IsValid": False},
    ]
