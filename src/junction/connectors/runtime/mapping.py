"""Response bodies mapped onto a method's ResponseFields: the records a step hands on.

Fields that go through a list (``[contacts].email``) share a collection (``[contacts]``);
each item of it becomes one record. With no list in any field the body is one record.
Fields outside the collection (``meta.total`` beside ``[contacts].id``) are read once and
copied onto every record. The plan (paths split at the collection, getters, converters) is
compiled once per method object and cached, since definitions are immutable.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from junction.connectors.runtime.convert import from_response_value
from junction.connectors.runtime.plancache import IdentityCache
from junction.connectors.spec.models import FieldType, MethodSpec
from junction.connectors.spec.paths import FieldPath, parse_path

Getter = Callable[[Any], Any]


def _getter(path: FieldPath) -> Getter:
    segments = path.segments
    if not segments:
        return lambda value: value
    if len(segments) == 1 and not segments[0].is_list:
        key = segments[0].key
        # The common case, a plain key of the item, without the general path walk.
        return lambda value: value.get(key) if isinstance(value, dict) else None
    return path.get


def flatten(value: Any, depth: int) -> list[Any]:
    """A path through ``depth`` lists gives lists of lists; the items, in order."""
    if not isinstance(value, list):
        return []
    items: list[Any] = value
    for _ in range(depth - 1):
        items = [inner for outer in items if isinstance(outer, list) for inner in outer]
    return items


# A value that already has its DataType's form (the common case) skips the conversion.
_NATIVE: dict[FieldType, type] = {
    FieldType.TEXT: str,
    FieldType.INTEGER: int,
    FieldType.FLOAT: float,
    FieldType.BOOLEAN: bool,
}


def _converter(data_type: FieldType, fmt: str | None) -> Callable[[Any], Any]:
    native = _NATIVE.get(data_type)

    def convert(value: Any) -> Any:
        if value is None or type(value) is native:
            return value
        return from_response_value(data_type, value, fmt)

    return convert


@dataclass(frozen=True)
class _Field:
    key: str
    get: Getter
    in_item: bool  # read from each collection item (else from the whole body)
    convert: Callable[[Any], Any]


@dataclass(frozen=True)
class MappingPlan:
    collection: FieldPath | None
    fields: tuple[_Field, ...]

    def items(self, body: Any) -> list[Any] | None:
        """The collection's items, or None when the fields go through no list."""
        if self.collection is None:
            return None
        return flatten(self.collection.get(body), self.collection.list_depth)

    def records(self, body: Any) -> list[dict[str, Any]]:
        if not self.fields or not isinstance(body, dict | list):
            return []
        shared = {f.key: f.convert(f.get(body)) for f in self.fields if not f.in_item}
        items = self.items(body)
        if items is None:
            return [shared]
        per_item = [(f.key, f.get, f.convert) for f in self.fields if f.in_item]
        if shared:
            return [
                {**shared, **{key: convert(get(item)) for key, get, convert in per_item}}
                for item in items
            ]
        return [{key: convert(get(item)) for key, get, convert in per_item} for item in items]


def _compile(method: MethodSpec) -> MappingPlan:
    paths = [(spec, parse_path(spec.ConnectorField)) for spec in method.ResponseFields]
    collection = next((p.collection for _, p in paths if p.collection is not None), None)
    fields = []
    for spec, path in paths:
        key = spec.SystemField or spec.ConnectorField
        convert = _converter(spec.DataType, spec.DataTypeFormat)
        size = len(collection.segments) if collection is not None else 0
        if collection is not None and path.segments[:size] == collection.segments:
            rest = path.segments[size:]
            relative = FieldPath(".".join(s.key or "" for s in rest), rest)
            fields.append(_Field(key, _getter(relative), True, convert))
        else:
            fields.append(_Field(key, _getter(path), False, convert))
    return MappingPlan(collection, tuple(fields))


_plans: IdentityCache[MappingPlan] = IdentityCache(_compile)


def mapping_plan(method: MethodSpec) -> MappingPlan:
    return _plans.get(method)


def map_records(method: MethodSpec, body: Any) -> list[dict[str, Any]]:
    """The response fields of ``method`` read from ``body``, one record per item."""
    return mapping_plan(method).records(body)
