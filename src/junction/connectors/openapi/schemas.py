"""JSON Schemas seen through the connector format's eyes: types, and merged object shapes.

A ``Shape`` is what a schema says once ``allOf`` is merged and ``oneOf``/``anyOf`` are
united: its kind (object, array or a plain value), its properties and which are required.
Shapes are remembered per schema object, so a schema used by many operations is merged once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from junction.connectors.openapi.notes import Notes
from junction.connectors.openapi.refs import Resolver
from junction.connectors.spec.models import FieldType

ENUM_SHOWN = 20


@dataclass
class Shape:
    kind: str  # "object", "array" or "value"
    type: str | None = None  # the JSON Schema type of a value ("string", "integer"...)
    format: str | None = None
    description: str | None = None
    properties: dict[str, Any] = field(default_factory=dict)  # raw (maybe $ref) schemas
    required: set[str] = field(default_factory=set)
    items: Any = None  # raw schema of an array's items
    enum: list[Any] | None = None
    default: Any = None
    united: bool = False  # properties come from oneOf/anyOf alternatives
    maximum: Any = None
    read_only: bool = False  # only in answers: never offered as a request field
    write_only: bool = False  # only in requests: never offered as a response field


def data_type(type_: str | None, format_: str | None) -> tuple[FieldType, str | None]:
    """The connector DataType (and DataTypeFormat) for a JSON Schema type and format."""
    if type_ == "integer":
        return FieldType.INTEGER, None
    if type_ == "number":
        return (FieldType.DECIMAL if format_ == "decimal" else FieldType.FLOAT), None
    if type_ == "boolean":
        return FieldType.BOOLEAN, None
    if type_ == "string" and format_ == "date-time":
        return FieldType.DATETIME, None
    if type_ == "string" and format_ == "date":
        return FieldType.DATETIME, "yyyy-MM-dd"
    return FieldType.TEXT, None


def value_text(value: Any) -> str | None:
    """A default or enum value as the format writes it (text), or None for lists/objects."""
    if value is None or isinstance(value, dict | list):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def describe(description: Any, enum: list[Any] | None) -> str | None:
    """The description, with the allowed values noted after it."""
    text = str(description).strip() if description not in (None, "") else ""
    if enum:
        shown = [value_text(v) for v in enum[:ENUM_SHOWN]]
        values = ", ".join(v for v in shown if v is not None)
        more = f" (and {len(enum) - ENUM_SHOWN} more)" if len(enum) > ENUM_SHOWN else ""
        if values:
            if text and text[-1] not in ".!?:":
                text += "."
            text = f"{text}{' ' if text else ''}One of: {values}{more}."
    return text or None


def api_default(description: str | None, default: str) -> str:
    """The description, with the default the API applies to an optional value noted."""
    text = description or ""
    if text and text[-1] not in ".!?:":
        text += "."
    return f"{text}{' ' if text else ''}The API's default: {default}."


def _first_type(value: Any) -> str | None:
    # 3.1 writes optional values as type: [string, "null"].
    if isinstance(value, list):
        value = next((v for v in value if v != "null"), None)
    return value if isinstance(value, str) else None


class Shapes:
    def __init__(self, resolver: Resolver, notes: Notes) -> None:
        self.resolver = resolver
        self.notes = notes
        self._shapes: dict[int, Shape] = {}
        self._busy: set[int] = set()

    def of(self, schema: dict[str, Any], where: str) -> Shape:
        """The shape of a schema whose own ``$ref`` was already followed."""
        key = id(schema)
        shape = self._shapes.get(key)
        if shape is None:
            if key in self._busy:  # allOf that includes itself: stop here
                return Shape("value")
            self._busy.add(key)
            try:
                shape = self._build(schema, where)
            finally:
                self._busy.discard(key)
            self._shapes[key] = shape
        return shape

    def _part(self, raw: Any, where: str) -> Shape | None:
        node, location, _ = self.resolver.resolve(raw, where)
        return self.of(node, location) if isinstance(node, dict) else None

    def _build(self, schema: dict[str, Any], where: str) -> Shape:
        type_ = _first_type(schema.get("type"))
        shape = Shape("value", type_, _text(schema.get("format")), _text(schema.get("description")))
        properties = schema.get("properties")
        if isinstance(properties, dict):
            shape.properties = {str(name): value for name, value in properties.items()}
        required = schema.get("required")
        if isinstance(required, list):
            shape.required = {str(name) for name in required}
        enum = schema.get("enum")
        shape.enum = enum if isinstance(enum, list) else None
        if shape.enum is None and "const" in schema:  # 3.1: a single allowed value
            shape.enum = [schema["const"]]
        shape.maximum = schema.get("maximum")
        shape.read_only = schema.get("readOnly") is True
        shape.write_only = schema.get("writeOnly") is True
        shape.default = schema.get("default")
        shape.items = schema.get("items")

        for index, raw in enumerate(_list(schema.get("allOf"))):
            part = self._part(raw, f"{where}.allOf[{index}]")
            if part is not None:
                _merge(shape, part, keep_required=True)
        for keyword in ("oneOf", "anyOf"):
            alternatives = _list(schema.get(keyword))
            for index, raw in enumerate(alternatives):
                part = self._part(raw, f"{where}.{keyword}[{index}]")
                if part is not None:
                    before = len(shape.properties)
                    _merge(shape, part, keep_required=False)
                    shape.united = shape.united or len(shape.properties) > before

        kind_type = shape.type
        if kind_type == "array" or (kind_type is None and shape.items is not None):
            shape.kind, shape.type = "array", "array"
        elif kind_type == "object" or (
            kind_type is None and (shape.properties or "additionalProperties" in schema)
        ):
            shape.kind, shape.type = "object", "object"
        return shape


def _merge(shape: Shape, part: Shape, *, keep_required: bool) -> None:
    for name, value in part.properties.items():
        shape.properties.setdefault(name, value)
    if keep_required:
        shape.required |= part.required
    if shape.type is None and part.type is not None:
        shape.type, shape.format = part.type, shape.format or part.format
    if shape.items is None:
        shape.items = part.items
    if shape.description is None:
        shape.description = part.description
    if shape.enum is None and part.enum is not None:
        shape.enum = part.enum
    if keep_required:  # allOf: a part's readOnly or writeOnly holds for the whole
        shape.read_only = shape.read_only or part.read_only
        shape.write_only = shape.write_only or part.write_only


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _text(value: Any) -> str | None:
    return str(value) if value not in (None, "") and not isinstance(value, dict | list) else None
