"""Request and response fields from a body's schema, as connector field paths.

Objects become dotted paths (``owner.login``), arrays ``[name]`` segments (``[tags]``,
``[items].sku``), and a body that is itself an array starts with ``[]``. To keep huge
schemas usable, objects deeper than ``MAX_DEPTH`` levels and fields past ``MAX_FIELDS`` are
not listed one by one: a cut object is offered as one field holding the whole value, and a
warning says what was cut. A schema that contains itself is cut the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from junction.connectors.openapi.notes import Notes
from junction.connectors.openapi.refs import Resolver
from junction.connectors.openapi.schemas import (
    Shape,
    Shapes,
    api_default,
    data_type,
    describe,
    value_text,
)
from junction.connectors.spec.models import FieldType
from junction.connectors.spec.paths import escape_key

MAX_DEPTH = 4
MAX_FIELDS = 200
_PATH_MAX = 512


@dataclass
class _Walk:
    request: bool
    where: str
    fields: list[dict[str, Any]] = field(default_factory=list)
    cut_deep: bool = False
    cut_many: bool = False
    united: bool = False
    bad_names: list[str] = field(default_factory=list)


def _segment_ok(name: str) -> bool:
    # A dot is written \. in a path (escape_key); brackets cannot be written at all.
    return bool(name) and name == name.strip() and not any(c in name for c in "[]")


class FieldBuilder:
    def __init__(self, resolver: Resolver, shapes: Shapes, notes: Notes) -> None:
        self.resolver = resolver
        self.shapes = shapes
        self.notes = notes

    def fields(
        self, schema: Any, where: str, *, request: bool, required: bool = True
    ) -> list[dict[str, Any]]:
        """The fields of a body whose schema is ``schema`` (found at ``where``)."""
        walk = _Walk(request, where)
        self._visit(walk, schema, where, [], required, 0, ())
        what = "request" if request else "response"
        if walk.united:
            self.notes.warn(
                where, f"oneOf/anyOf: the {what} fields of every alternative are offered"
            )
        if walk.cut_deep or walk.cut_many:
            reasons = []
            if walk.cut_deep:
                reasons.append(
                    f"objects nested more than {MAX_DEPTH} levels deep (or containing "
                    "themselves) are offered as one field each"
                )
            if walk.cut_many:
                reasons.append(f"only the first {MAX_FIELDS} {what} fields are listed")
            self.notes.warn(where, "; ".join(reasons))
        if walk.bad_names:
            names = ", ".join(f"'{n}'" for n in walk.bad_names[:5])
            self.notes.warn(
                where,
                f"properties whose names a field path cannot hold (empty, spaces around, "
                f"'[' or ']') are skipped: {names}",
            )
        return walk.fields

    def _visit(
        self,
        walk: _Walk,
        raw: Any,
        where: str,
        path: list[str],
        required: bool,
        depth: int,
        refs: tuple[str, ...],
    ) -> None:
        if len(walk.fields) >= MAX_FIELDS:
            walk.cut_many = True
            return
        schema, where, ref = self.resolver.resolve(raw, where)
        if not isinstance(schema, dict):
            if path and schema is not None:
                self._add(walk, path, Shape("value"), required)
            return
        if ref is not None:
            if ref in refs:  # the schema contains itself: offer the value whole
                walk.cut_deep = True
                if path:
                    self._add(walk, path, Shape("value"), required)
                return
            refs = (*refs, ref)
        shape = self.shapes.of(schema, where)
        if path and (shape.read_only if walk.request else shape.write_only):
            # readOnly values are only answered, writeOnly ones (passwords) only sent.
            return
        walk.united = walk.united or shape.united
        if shape.kind == "object":
            self._object(walk, shape, where, path, required, depth, refs)
        elif shape.kind == "array":
            self._array(walk, shape, where, path, depth, refs)
        elif path:
            self._add(walk, path, shape, required)

    def _object(
        self,
        walk: _Walk,
        shape: Shape,
        where: str,
        path: list[str],
        required: bool,
        depth: int,
        refs: tuple[str, ...],
    ) -> None:
        if not shape.properties or depth >= MAX_DEPTH:
            # A free-form object (or one too deep to list): one field for the whole value.
            if path:
                walk.cut_deep = walk.cut_deep or bool(shape.properties)
                self._add(walk, path, Shape("value", description=shape.description), required)
            return
        for name, value in shape.properties.items():
            if not _segment_ok(name):
                walk.bad_names.append(name)
                continue
            self._visit(
                walk,
                value,
                f"{where}.properties.{name}",
                [*path, escape_key(name)],
                required and name in shape.required,
                depth + 1,
                refs,
            )

    def _array(
        self,
        walk: _Walk,
        shape: Shape,
        where: str,
        path: list[str],
        depth: int,
        refs: tuple[str, ...],
    ) -> None:
        # The last segment steps into each item: "tags" becomes "[tags]", the root "[]".
        listed = [*path[:-1], f"[{path[-1]}]"] if path else ["[]"]
        if path and path[-1].startswith("["):
            # A list of lists: a path cannot step into both, so the value is offered whole.
            self._add(walk, path, Shape("value", description=shape.description), False)
            return
        items, items_where, _ = self.resolver.resolve(shape.items, f"{where}.items")
        if isinstance(items, dict):
            item_shape = self.shapes.of(items, items_where)
            if item_shape.kind == "object" and item_shape.properties:
                self._visit(walk, shape.items, f"{where}.items", listed, False, depth, refs)
                return
            if item_shape.kind == "value":
                self._add(walk, listed, item_shape, False, description=shape.description)
                return
        self._add(walk, listed, Shape("value", description=shape.description), False)

    def _add(
        self,
        walk: _Walk,
        path: list[str],
        shape: Shape,
        required: bool,
        description: str | None = None,
    ) -> None:
        if len(walk.fields) >= MAX_FIELDS:
            walk.cut_many = True
            return
        text = ".".join(path)
        if len(text) > _PATH_MAX:
            walk.cut_deep = True
            return
        kind, date_format = data_type(shape.type, shape.format)
        spec: dict[str, Any] = {"ConnectorField": text}
        if kind is not FieldType.TEXT:
            spec["DataType"] = kind.value
        if date_format:
            spec["DataTypeFormat"] = date_format
        note = describe(shape.description or description, shape.enum)
        default = value_text(shape.default) if walk.request else None
        if default is not None and "{{" in default:
            default = None
        if walk.request and required:
            spec["Optional"] = False
            if default is not None:
                spec["DefaultValue"] = default
        elif default is not None:
            # The API applies its own default to an optional field left out; sending it
            # would overwrite what a record holds on every update.
            note = api_default(note, default)
        if note:
            spec["Description"] = note
        walk.fields.append(spec)
