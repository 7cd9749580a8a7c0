"""``import_openapi``: an OpenAPI document in, a connector definition and warnings out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from junction.connectors.openapi.bodies import Bodies
from junction.connectors.openapi.choice import OperationChoice
from junction.connectors.openapi.document import OpenApiInvalid, identify, parse
from junction.connectors.openapi.fields import FieldBuilder
from junction.connectors.openapi.names import (
    TEXT_MAX,
    VERSION,
    OperationKey,
    method_identifiers,
    one_line,
)
from junction.connectors.openapi.names import version as clean_version
from junction.connectors.openapi.notes import Notes
from junction.connectors.openapi.operations import MethodBuilder, operations
from junction.connectors.openapi.refs import Resolver
from junction.connectors.openapi.schemas import Shapes
from junction.connectors.openapi.security import Security
from junction.connectors.openapi.servers import server
from junction.connectors.spec.mergefields import SYSTEM_MERGEFIELDS
from junction.connectors.spec.validate import Problem, parse_definition

DEFAULT_NAME = "Imported API"


@dataclass(frozen=True)
class ImportResult:
    definition: dict[str, Any]  # a Draft connector definition, as a partner would write it
    warnings: list[str]  # "location: what was left out or assumed"


def _check_overrides(name: str | None, version: str | None) -> None:
    problems = []
    if name is not None and not (1 <= len(name.strip()) <= TEXT_MAX):
        problems.append(Problem("name", f"must be 1 to {TEXT_MAX} characters"))
    if version is not None and not VERSION.match(version):
        problems.append(
            Problem("version", "must be 1 to 32 letters, digits, '.', '_' or '-' (e.g. 2.1)")
        )
    if problems:
        raise OpenApiInvalid(problems)


def import_openapi(
    source: str | bytes,
    *,
    name: str | None = None,
    version: str | None = None,
    choice: OperationChoice | None = None,
) -> ImportResult:
    """Convert an OpenAPI 2.0/3.0/3.1 document (JSON or YAML) to a connector definition,
    with only the operations ``choice`` keeps (all without one).

    Raises OpenApiInvalid (a 400 listing every problem with its location) when the document
    cannot be imported; the definition returned always passes ``parse_definition``.
    """
    _check_overrides(name, version)
    document = identify(parse(source))
    notes = Notes()
    resolver = Resolver(document.root, notes)
    shapes = Shapes(resolver, notes)
    bodies = Bodies(resolver, FieldBuilder(resolver, shapes, notes), notes)

    info = document.root.get("info")
    if not isinstance(info, dict):
        notes.warn("info", "is missing; the connector is named from the options or a default")
        info = {}

    taken: set[str] = set(SYSTEM_MERGEFIELDS)  # connector mergefield names in use
    base = server(document, notes, taken)
    security = Security(document, resolver, notes, base)
    security.build(taken)

    found = list(operations(document, resolver, notes))
    if choice is not None:
        kept = [op for op in found if choice.keeps(op)]
        if found and not kept:
            notes.problem("paths", f"the choice keeps none of the {len(found)} operations")
        found = kept
    identifiers = method_identifiers(
        OperationKey(op.operation_id, op.verb.upper(), op.path) for op in found
    )
    security.choose_scopes([op.node.get("security", document.root.get("security")) for op in found])
    builder = MethodBuilder(
        document,
        resolver,
        shapes,
        bodies,
        notes,
        frozenset(taken),
        frozenset(security.key_parameters),
        security.token_schemes,
    )
    methods = [
        builder.method(op, method_id) for op, method_id in zip(found, identifiers, strict=True)
    ]
    if not methods:
        notes.warn("paths", "no GET, POST, PUT, PATCH or DELETE operation was found")
    if notes.problems:
        raise OpenApiInvalid(notes.problems)

    title = info.get("title")
    definition: dict[str, Any] = {
        "FormatVersion": 1,
        "Name": one_line(name if name is not None else (title or DEFAULT_NAME)) or DEFAULT_NAME,
    }
    description = info.get("description")
    if description is not None and str(description).strip():
        definition["Description"] = str(description).strip()
    definition["Version"] = version or clean_version(str(info.get("version", "")))
    definition["ReleaseStatus"] = "Draft"
    definition["BaseUrl"] = base.base_url
    if security.authentication:
        definition["Authentication"] = security.authentication
    parameters = base.parameters + security.parameters
    if parameters:
        definition["Parameters"] = parameters
    definition["Methods"] = methods
    # The result is held to the same rules as a definition written by hand.
    parse_definition(definition)
    return ImportResult(definition, notes.warnings)
