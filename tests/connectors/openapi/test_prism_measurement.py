"""How well an imported connector calls the real API it was imported from, with no edits.

Four vendors' own descriptions, one of each kind an importer must get right, each cut to
ten operations (tests/fixtures/openapi/measure/<vendor>.ops says which and by what rule):

- slack: OAuth 2.0, cursor paging, form bodies, a ``token`` parameter beside the OAuth scheme;
- sendgrid: an API key in a header, offset paging (``limit``/``offset``);
- twilio: HTTP Basic, page-number paging (``Page``/``PageSize``), form bodies, per-path servers;
- klaviyo: a required ``revision`` header, JSON:API bodies (``application/vnd.api+json``)
  with ``readOnly`` fields.

Each is imported as is (only ``ReleaseStatus`` set to Live, so it can be installed), installed
for an account with credentials of its default authentication and ``BaseUrl`` pointed at a
Prism mock of the same description, and each method is called through Data on Demand with
inputs derived from the description (``samples``), never chosen per method. A call is
correct when Prism accepts the request: a 2xx, or a 500 whose every validation entry is about
the answer Prism made up (the vendor's example not matching its own schema). The test asks
for at least 9 of 10 correct calls per document, and Paging on every list method that has
paging parameters (but the gaps listed in KNOWN_UNPAGED); it prints the figures:

    uv run --frozen pytest -q -p no:randomly tests/connectors/openapi/test_prism_measurement.py
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from junction.connectors.openapi import import_openapi
from tests.connectors.library.prism import prism_mock
from tests.connectors.library.test_contracts import default_auth_value
from tests.connectors.openapi.samples import Document, Inputs, Operation
from tests.fixtures.server import Junction

MEASURED = Path(__file__).resolve().parents[2] / "fixtures" / "openapi" / "measure"
VENDORS = ["slack", "sendgrid", "twilio", "klaviyo"]
CORRECT_AT_LEAST = 9
# List methods with paging parameters that the import cannot page, and why: each is a gap
# of the document (or of paging detection) to close, after which it leaves this list.
KNOWN_UNPAGED: dict[str, set[str]] = {}
# Query parameters that ask for a later page: a GET with one is a list method that pages.
_PAGING = re.compile(r"cursor|offset|pagetoken|^(page|pagenumber|after|startingafter|marker|skip)$")


def _key(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


@dataclass
class Measurement:
    vendor: str
    correct: int = 0
    calls: int = 0
    pageable: list[str] = field(default_factory=list)  # list methods with paging parameters
    paged: list[str] = field(default_factory=list)  # ...of which the import gave Paging
    failures: list[str] = field(default_factory=list)

    def figures(self) -> str:
        return (
            f"{self.vendor}: {self.correct}/{self.calls} correct, "
            f"{len(self.paged)}/{len(self.pageable)} list methods paged"
        )


def _parameter_input(method: dict[str, Any], inputs: Inputs) -> dict[str, str]:
    """The required parameters' values, by the name the connector gives each; those the
    import fixed (a Value) or left out are not the caller's to give."""
    targets = {"path": "MergeField", "query": "QueryString", "header": "HttpHeader"}
    values: dict[str, str] = {}
    for (location, name), value in inputs.parameters.items():
        for spec in method.get("Parameters", []):
            if spec["TargetType"] != targets.get(location) or "Value" in spec:
                continue
            names = {spec["TargetName"], spec.get("DisplayName")}
            if name in names or (
                location == "header" and name.lower() == spec["TargetName"].lower()
            ):
                values[spec["TargetName"]] = _text(value)
                break
    return values


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else json.dumps(value)


def _field_input(method: dict[str, Any], body: Any) -> dict[str, Any]:
    """The body's values by the request field each belongs to (``data.attributes.name``,
    ``[data].id``): a value whose path the method lacks is left out, as a caller could not
    give it."""
    known = {f["ConnectorField"] for f in method.get("RequestFields", [])}
    values: dict[str, Any] = {}

    def walk(value: Any, path: str) -> None:
        if path in known:
            values[path] = value
        elif isinstance(value, dict):
            for name, item in value.items():
                walk(item, f"{path}.{name}" if path else name)
        elif isinstance(value, list) and value:
            head, _, last = path.rpartition(".")
            listed = f"{head}.[{last}]" if head else f"[{last}]"
            if listed in known:  # a list of plain values
                values[listed] = value
            elif isinstance(value[0], dict):
                for name in value[0]:
                    column = [item.get(name) for item in value if isinstance(item, dict)]
                    walk_list(column, f"{listed}.{name}")

    def walk_list(column: list[Any], path: str) -> None:
        if path in known:
            values[path] = column
        elif column and isinstance(column[0], dict):
            for name in column[0]:
                walk_list([item.get(name) for item in column], f"{path}.{name}")

    if isinstance(body, list):
        for name in body[0] if body and isinstance(body[0], dict) else []:
            walk_list([item.get(name) for item in body], f"[].{name}")
    else:
        walk(body, "")
    return values


def _install(junction: Junction, definition: dict[str, Any], mock: str) -> tuple[Any, str]:
    partner = junction.token()
    with junction.http(partner) as client:
        added = client.post("/v1.0/connectors", json=definition)
        assert added.status_code in (200, 201), added.text
        connector = added.json()["Id"]
        assert client.post("/v1.0/accounts", json={"Id": "acme", "Name": "Acme"}).is_success
    base = re.fullmatch(r"\{\{(\w+)\}\}.*", definition["BaseUrl"])
    assert base is not None, f"BaseUrl {definition['BaseUrl']} is not a property"
    install: dict[str, Any] = {"Properties": [{"Name": base.group(1), "Value": mock}]}
    auth_value = default_auth_value(definition)
    if auth_value is not None:
        install["AuthValue"] = auth_value
    api = junction.http(partner, account="acme")
    row = api.post(f"/v1.0/connectors/{connector}/install", json=install)
    assert row.status_code == 200, row.text
    return api, str(row.json()["Id"])


def measure(vendor: str, junction: Junction, tmp_path: Path) -> Measurement:
    path = MEASURED / f"{vendor}.json"
    document = Document(json.loads(path.read_text(encoding="utf-8")))
    definition = import_openapi(path.read_bytes()).definition
    definition["ReleaseStatus"] = "Live"  # installable; nothing else is changed
    methods = definition["Methods"]
    operations = document.operations()
    assert [m["HttpMethod"] for m in methods] == [op.verb.upper() for op in operations]
    result = Measurement(vendor)
    logs = tmp_path / vendor
    logs.mkdir()
    # Requests only, as in the connector contract tests (some vendors' examples break
    # their own schemas, which says nothing about the call).
    with prism_mock(path, logs, answers_checked=False) as mock:
        api, account_connector = _install(junction, definition, mock.base_url)
        try:
            for method, op in zip(methods, operations, strict=True):
                _pageable(result, method, op, document)
                inputs = document.inputs(op)
                body = {
                    "Parameters": _parameter_input(method, inputs),
                    "Fields": _field_input(method, inputs.body) if inputs.body else {},
                }
                identifier = method["MethodUniqueIdentifier"]
                answer = api.post(
                    f"/v1.0/account/connectors/{account_connector}/methods/{identifier}",
                    json=body,
                )
                result.calls += 1
                if answer.status_code < 300:
                    result.correct += 1
                else:
                    result.failures.append(
                        f"{op.verb.upper()} {op.path}: {answer.status_code} {answer.text[:800]}"
                    )
        finally:
            api.close()
        if result.failures:
            result.failures += ["Prism:", *mock.violations()[-20:]]
    return result


def _pageable(result: Measurement, method: dict[str, Any], op: Operation, doc: Document) -> None:
    if op.verb != "get":
        return
    names = [p["name"] for p in doc.parameters(op) if p.get("in") == "query"]
    if any(_PAGING.search(_key(str(name))) for name in names):
        result.pageable.append(method["MethodUniqueIdentifier"])
        if method.get("Paging"):
            result.paged.append(method["MethodUniqueIdentifier"])


@pytest.mark.parametrize("junction_server", ["sqlite"], indirect=True)
@pytest.mark.parametrize("vendor", VENDORS)
def test_imported_connector_calls_the_vendor_mock(
    vendor: str, junction: Junction, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    result = measure(vendor, junction, tmp_path)
    with capsys.disabled():
        print(f"\n{result.figures()}")
        for failure in result.failures:  # also when enough calls pass: what the rest lack
            print(f"  {failure[:300]}")
    assert result.correct >= CORRECT_AT_LEAST, f"{result.figures()}\n" + "\n".join(result.failures)
    unpaged = set(result.pageable) - set(result.paged)
    assert unpaged == KNOWN_UNPAGED.get(vendor, set()), (
        f"{result.figures()}: list methods with paging parameters unpaged: {sorted(unpaged)}"
    )
