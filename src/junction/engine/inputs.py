"""A step's inputs: each mapping resolved against what the transaction has gathered.

A transaction carries the outputs of the steps it has run, by step key: one record (a dict of
response fields) when its items were split into transactions of their own, or a list of
records when they were not. A mapping from a step's field therefore gives one value or, from
a list of records, the list of that field's values (a collection).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from junction.connectors.runtime import run_date_text
from junction.connectors.spec.mergefields import MERGEFIELD
from junction.connectors.spec.paths import parse_path
from junction.scripting.functions import install
from junction.scripting.sandbox import Limits, ScriptError, evaluate
from junction.templates.spec.models import Mapping, MappingKind


class MappingError(Exception):
    """A mapping that cannot give a value (Cyclr: "Required source is empty" and the like)."""


@dataclass
class Scope:
    values: dict[str, Any]  # step key -> record or list of records
    variables: dict[str, str]
    last_successful_run: datetime | None = None
    extra: dict[str, str] = field(default_factory=dict)  # more mergefields
    # Values of inline script mappings, by id(mapping), evaluated before the step runs
    # (``run_scripts``); a ScriptError where the script failed.
    scripted: dict[int, Any] = field(default_factory=dict)


def field_of(record: Any, name: str) -> Any:
    """A field of one record: its SystemField key, else a path into it."""
    if not isinstance(record, dict):
        return None
    if name in record:
        return record[name]
    if "." in name or "[" in name:
        return parse_path(name).get(record)
    return None


def step_value(scope: Scope, step_key: str, name: str) -> Any:
    output = scope.values.get(step_key)
    if isinstance(output, list):
        return [field_of(record, name) for record in output]
    return field_of(output, name)


def merge_text(text: str, scope: Scope) -> str:
    """``{{Variable}}``, ``{{LastSuccessfulRunDate format=...}}`` and extra mergefields filled
    in; other ``{{names}}`` are left for the connector runtime (connector properties)."""
    if "{{" not in text:
        return text

    def fill(match: Any) -> str:
        name, options = match.group(1), match.group(2).strip()
        if name == "LastSuccessfulRunDate":
            return run_date_text(scope.last_successful_run, options)
        if name in scope.variables:
            return scope.variables[name]
        if name in scope.extra:
            return scope.extra[name]
        return str(match.group(0))

    return MERGEFIELD.sub(fill, text)


def resolve(mapping: Mapping, scope: Scope) -> Any:
    """The value a mapping gives (None: nothing to send)."""
    kind = mapping.MappingType
    if kind is MappingKind.IGNORE:
        return None
    if kind is MappingKind.STATIC_VALUE:
        return merge_text(mapping.Value or "", scope) if mapping.Value is not None else None
    if kind is MappingKind.VALUE_LIST:
        return mapping.Value
    if kind is MappingKind.LOOKUP:
        return mapping.TriggerValue if mapping.TriggerValue is not None else mapping.Value
    if kind is MappingKind.VARIABLE:
        name = mapping.VariableName or ""
        if name not in scope.variables:
            raise MappingError(f"The cycle has no variable '{name}'")
        return scope.variables[name]
    if kind is MappingKind.STEP_DATA:
        key, name = mapping.SourceStepKey or "", mapping.SourceField or ""
        if key not in scope.values:
            raise MappingError(f"Required source is empty: step '{key}' has not run")
        return step_value(scope, key, name)
    if id(mapping) not in scope.scripted:
        raise MappingError("Inline script: not evaluated before the step ran")
    value = scope.scripted[id(mapping)]
    if isinstance(value, ScriptError):
        raise MappingError(f"Inline script '{_excerpt(mapping.Value)}': {value}")
    return value


def _excerpt(code: str | None, most: int = 60) -> str:
    text = (code or "").strip()
    return text if len(text) <= most else text[: most - 1] + "…"


async def run_scripts(mappings: Iterable[Mapping | None], scope: Scope, limits: Limits) -> None:
    """Evaluate the inline script mappings (``=expression``) among ``mappings`` into
    ``scope.scripted``. Mergefields in the expression are filled in first, as text."""
    for mapping in mappings:
        if mapping is None or mapping.MappingType is not MappingKind.SCRIPT:
            continue
        code = merge_text((mapping.Value or "").removeprefix("="), scope)
        try:
            scope.scripted[id(mapping)] = await evaluate(code, limits, install)
        except ScriptError as exc:
            scope.scripted[id(mapping)] = exc


def collection_size(values: dict[str, Any]) -> int | None:
    """The length shared by list-valued inputs (a mapped collection), or None."""
    sizes = {len(v) for v in values.values() if isinstance(v, list)}
    return max(sizes) if sizes else None


def item(values: dict[str, Any], index: int) -> dict[str, Any]:
    """The inputs of the ``index``-th item of a mapped collection."""
    return {
        k: (v[index] if index < len(v) else None) if isinstance(v, list) else v
        for k, v in values.items()
    }
