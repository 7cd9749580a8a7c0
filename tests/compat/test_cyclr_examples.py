"""Cyclr's documented request examples, each sent to Junction as written (ids substituted),
each expecting the documented status and every documented answer field.

The inventory is ``examples.py``; what the examples act on is built by ``world.py`` through
Junction's own API, against the loopback API of ``stand_in.py``. One test per example, named
after its page and line.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.compat.examples import EXAMPLES, NO_BODY, Example, IntId
from tests.compat.stand_in import DocsApi
from tests.compat.world import World
from tests.fixtures.server import Junction

PLACEHOLDER = re.compile(r"\{([A-Za-z_]+)\}")


@pytest.fixture(scope="module")
def docs_api() -> Iterator[DocsApi]:
    with DocsApi() as api:
        yield api


def substitute(value: Any, ids: dict[str, str]) -> Any:
    """The value with every ``{Name}`` placeholder (and every ``IntId``) filled in."""
    if isinstance(value, IntId):
        return int(ids[value.name])
    if isinstance(value, str):
        # An unknown name is a mistake of the inventory or of the world's level: fail loudly.
        return PLACEHOLDER.sub(lambda m: ids[m.group(1)], value)
    if isinstance(value, dict):
        return {substitute(k, ids): substitute(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, ids) for v in value]
    return value


def missing_fields(body: Any, paths: tuple[str, ...]) -> list[str]:
    """The documented field paths that the answer does not hold.

    ``a.b`` is a field of an object; ``[]`` is every item of a list. A path through a list
    counts as missing when no item holds it (an empty list proves nothing)."""
    missing = []
    for path in paths:
        nodes = [body]
        found = True
        for part in path.replace("[]", ".[]").strip(".").split("."):
            following: list[Any] = []
            for node in nodes:
                if part == "[]" and isinstance(node, list):
                    following.extend(node)
                elif part != "[]" and isinstance(node, dict) and part in node:
                    following.append(node[part])
                else:
                    found = False
            nodes = following
        if not found or not nodes:
            missing.append(path)
    return missing


def send(example: Example, world: World) -> httpx.Response:
    ids = world.ids
    headers = substitute(dict(example.headers), ids)
    if example.bearer:
        headers["Authorization"] = f"Bearer {world.token}"
    if example.account:
        headers["X-Cyclr-Account"] = ids["AccountId"]
    content: bytes | None = None
    if example.content is not None:
        content = substitute(example.content, ids).encode()
    elif example.json is not NO_BODY:
        content = json.dumps(substitute(example.json, ids)).encode()
        headers.setdefault("Content-Type", "application/json")
    with world.junction.http() as client:
        return client.request(
            example.method,
            substitute(example.path, ids),
            params=substitute(example.query, ids),
            headers=headers,
            content=content,
        )


def _gist(answer: httpx.Response) -> str:
    """The start of an answer's text; of a page, the words of its body."""
    text = answer.text
    if "html" in answer.headers.get("content-type", ""):
        body = text.split("<body", 1)[-1].split(">", 1)[-1]
        body = re.sub(r"<(script|style)\b.*?</\1>", " ", body, flags=re.S)
        text = " ".join(re.sub(r"<[^>]+>", " ", body).split())
    return text[:300]


def verdict(example: Example, answer: httpx.Response) -> str:
    """What is wrong with the answer, or "" when it is as documented."""
    problems = []
    if answer.status_code not in example.status:
        wanted = " or ".join(str(s) for s in example.status)
        problems.append(f"status {answer.status_code}, documented {wanted}: {_gist(answer)}")
    elif example.fields:
        try:
            body = answer.json()
        except ValueError:
            body = None
        absent = missing_fields(body, example.fields)
        if absent:
            problems.append("missing fields " + ", ".join(absent))
    return "; ".join(problems)


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.name for e in EXAMPLES])
def test_documented_example(junction: Junction, docs_api: DocsApi, example: Example) -> None:
    world = World(junction, docs_api)
    world.build(example.level)
    answer = send(example, world)
    wrong = verdict(example, answer)
    assert not wrong, f"{example.page}:{example.line} {example.method} {example.path}: {wrong}"


def test_every_example_has_a_unique_name() -> None:
    names = [e.name for e in EXAMPLES]
    assert len(names) == len(set(names))


@pytest.mark.parametrize(
    ("body", "paths", "missing"),
    [
        pytest.param({"Id": 1, "Connector": {"Id": 2}}, ("Id", "Connector.Id"), [], id="nested"),
        pytest.param({"Id": 1}, ("Name", "Connector.Id"), ["Name", "Connector.Id"], id="absent"),
        pytest.param([{"A": 1}, {"A": 2}], ("[].A",), [], id="every-item"),
        pytest.param([{"A": 1}, {"B": 2}], ("[].A",), ["[].A"], id="one-item-lacks-it"),
        pytest.param([], ("[].A",), ["[].A"], id="empty-list-proves-nothing"),
        pytest.param({"L": [{"X": None}]}, ("L[].X",), [], id="null-is-present"),
        pytest.param({"L": {"X": 1}}, ("L[].X",), ["L[].X"], id="object-where-list-documented"),
    ],
)
def test_missing_fields(body: Any, paths: tuple[str, ...], missing: list[str]) -> None:
    assert missing_fields(body, paths) == missing


def test_placeholders_are_filled_in_keys_values_and_integer_ids() -> None:
    ids = {"A": "7", "B": "x"}
    assert substitute({"{A}": ["/p/{B}", IntId("A")], "k": "{}"}, ids) == {
        "7": ["/p/x", 7],
        "k": "{}",
    }
    with pytest.raises(KeyError):
        substitute("/p/{Unknown}", ids)


def test_a_wrong_status_or_a_missing_field_is_reported() -> None:
    example = Example("x/01-page.md", 1, "GET", "/v1.0/x", "partner", fields=("Id", "Name"))
    assert verdict(example, httpx.Response(200, json={"Id": 1, "Name": "n"})) == ""
    assert verdict(example, httpx.Response(200, json={"Id": 1})) == "missing fields Name"
    refused = verdict(example, httpx.Response(400, json={"Message": "Name: required"}))
    assert refused == 'status 400, documented 200: {"Message":"Name: required"}'
    page = httpx.Response(
        400,
        headers={"Content-Type": "text/html"},
        text="<html><head><style>p{}</style></head><body><h1>No</h1><p>Bad link</p></body>",
    )
    assert verdict(example, page) == "status 400, documented 200: No Bad link"
