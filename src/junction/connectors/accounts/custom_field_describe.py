"""Reading a custom fields lookup's answer into fields (see ``custom_field_discovery``).

Enhanced lookups describe each field with these system fields (Cyclr's names):

==========================  ===============================================================
``cyclr_field_location``    the ConnectorField (required; records without one are skipped)
``cyclr_display_name``      DisplayName (the location's last name when missing)
``cyclr_data_type``         0 Not Defined, 1 Text, 2 Integer, 3 Float, 4 Boolean, 5 DateTime
``cyclr_data_type_format``  DataTypeFormat
``cyclr_default_value``     DefaultValue
``cyclr_description``       Description
``cyclr_is_optional``       Optional (true when missing)
``cyclr_is_readonly``       request fields: kept, never sent
``cyclr_is_hidden``         request fields: not offered for mapping, sent with the default
``cyclr_field_values``      ``[{value, label}]`` or ``[value, ...]``: kept as FieldValues
==========================  ===============================================================

Basic lookups answer a sample record: each key of its first item that is not yet a field of
the target method becomes one, named after the key, typed by its JSON value.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from junction.connectors.runtime import flatten
from junction.connectors.spec.models import FieldSpec, FieldType, MethodSpec
from junction.connectors.spec.paths import FieldPath, PathError, parse_path

log = logging.getLogger("junction.connectors.custom_fields")

DATA_TYPE_CODES = {
    0: FieldType.TEXT,  # Not Defined
    1: FieldType.TEXT,
    2: FieldType.INTEGER,
    3: FieldType.FLOAT,
    4: FieldType.BOOLEAN,
    5: FieldType.DATETIME,
}
_NOT_IDENTIFIER = re.compile(r"[^A-Za-z0-9_.:-]+")
_ISO_MOMENT = re.compile(
    r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$"
)
_WORDS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")
_TRUE = frozenset({"true", "1", "yes", "y"})


@dataclass(frozen=True)
class Found:
    """One custom field a lookup found for a target method."""

    method: str
    for_request: bool
    spec: FieldSpec
    read_only: bool = False
    hidden: bool = False
    values: list[dict[str, Any]] = field(default_factory=list)


def _flag(value: Any, default: bool) -> bool:
    if value is None or value == "":
        return default
    if isinstance(value, str):
        return value.strip().lower() in _TRUE
    return bool(value)


def data_type(code: Any) -> FieldType:
    """``cyclr_data_type``: a code (number or numeric text), or a FieldType name; Text else."""
    if isinstance(code, str):
        text = code.strip()
        if text.lstrip("-").isdigit():
            code = int(text)
        else:
            return next((t for t in FieldType if t.value.lower() == text.lower()), FieldType.TEXT)
    if isinstance(code, int | float) and not isinstance(code, bool):
        return DATA_TYPE_CODES.get(int(code), FieldType.TEXT)
    return FieldType.TEXT


def field_values(raw: Any) -> list[dict[str, Any]]:
    """Both forms of ``cyclr_field_values`` as ``[{Value, Label}]``."""
    if not isinstance(raw, list):
        return []
    values = []
    for item in raw:
        if isinstance(item, dict):
            value = item.get("value", item.get("Value"))
            label = item.get("label", item.get("Label"))
            if value is None:
                continue
        elif item is None or isinstance(item, list):
            continue
        else:
            value, label = item, None
        if not isinstance(value, str | int | float | bool):
            value = str(value)
        values.append({"Value": value, "Label": None if label is None else str(label)})
    return values


def display_name(key: str) -> str:
    """'customer_type' -> 'Customer Type', 'orderRef' -> 'Order Ref'."""
    words = _WORDS.findall(key)
    return " ".join(w[:1].upper() + w[1:] for w in words) if words else key


def system_name(text: str) -> str:
    """A name that fits a SystemField (letters, digits and _ . : -)."""
    name = _NOT_IDENTIFIER.sub("_", text).strip("_")[:120]
    return name or "Field"


def inferred_type(value: Any) -> FieldType:
    if isinstance(value, bool):
        return FieldType.BOOLEAN
    if isinstance(value, int):
        return FieldType.INTEGER
    if isinstance(value, float):
        return FieldType.FLOAT
    if isinstance(value, str) and _ISO_MOMENT.match(value.strip()):
        return FieldType.DATETIME
    return FieldType.TEXT


class _Names:
    """Field names already taken in one target method and direction."""

    def __init__(self, own: Iterable[FieldSpec]) -> None:
        self.paths = {f.ConnectorField for f in own}
        self.names = {f.SystemField or f.ConnectorField for f in own} | self.paths

    def take(self, path: str, wanted: str) -> str | None:
        """A free SystemField for a new field at ``path``; None if the path is taken."""
        if path in self.paths:
            return None
        name, number = wanted, 2
        while name in self.names:
            name, number = f"{wanted}_{number}", number + 1
        self.paths.add(path)
        self.names |= {name, path}
        return name


def _own(method: MethodSpec, for_request: bool) -> list[FieldSpec]:
    return method.RequestFields if for_request else method.ResponseFields


def _descriptions(records: list[dict[str, Any]], body: Any) -> list[dict[str, Any]]:
    """The lookup's records; without ResponseFields on the lookup method, its answer's own
    list of descriptions."""
    if any("cyclr_field_location" in r for r in records):
        return records
    items = body if isinstance(body, list) else []
    return [i for i in items if isinstance(i, dict)]


def enhanced_fields(
    target: MethodSpec, for_request: bool, records: list[dict[str, Any]], body: Any
) -> list[Found]:
    names = _Names(_own(target, for_request))
    found = []
    for record in _descriptions(records, body):
        location = record.get("cyclr_field_location")
        if not isinstance(location, str) or not location.strip():
            continue
        location = location.strip()
        try:
            path = parse_path(location)
        except PathError as exc:
            log.info("custom fields lookup: location skipped: %s", exc)
            continue
        last = path.segments[-1].key
        if not last:
            continue
        system = names.take(location, system_name(last))
        if system is None:
            continue  # already a field of the method
        kind = data_type(record.get("cyclr_data_type"))
        default = record.get("cyclr_default_value")
        spec = FieldSpec(
            ConnectorField=location,
            SystemField=system,
            DisplayName=_text(record.get("cyclr_display_name")) or display_name(last),
            Description=_text(record.get("cyclr_description")),
            DataType=kind,
            DataTypeFormat=_text(record.get("cyclr_data_type_format")),
            Optional=_flag(record.get("cyclr_is_optional"), True),
            DefaultValue=None if default is None else _scalar_text(default),
        )
        found.append(
            Found(
                method=target.MethodUniqueIdentifier,
                for_request=for_request,
                spec=spec,
                read_only=_flag(record.get("cyclr_is_readonly"), False),
                hidden=_flag(record.get("cyclr_is_hidden"), False),
                values=field_values(record.get("cyclr_field_values")),
            )
        )
    return found


def _text(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


def _scalar_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _collection(target: MethodSpec) -> FieldPath | None:
    """Where the target's records sit, as the runtime finds it: the first response field
    that goes through a list."""
    for spec in target.ResponseFields:
        try:
            collection = parse_path(spec.ConnectorField).collection
        except PathError:
            continue
        if collection is not None:
            return collection
    return None


def _sample(body: Any, collection: FieldPath | None) -> dict[str, Any] | None:
    if collection is not None:
        items = flatten(collection.get(body), collection.list_depth)
    elif isinstance(body, list):
        items = body
    else:
        items = [body]
    return next((i for i in items if isinstance(i, dict)), None)


def basic_fields(target: MethodSpec, for_request: bool, body: Any) -> list[Found]:
    collection = _collection(target)
    sample = _sample(body, collection)
    if sample is None:
        return []
    names = _Names(_own(target, for_request))
    # Response fields sit in the records' collection; request fields at the body's top
    # level, where a record is sent.
    prefix = f"{collection.text}." if collection is not None and not for_request else ""
    found = []
    for key, value in sample.items():
        if isinstance(value, dict | list) or not key or not _plain_key(key):
            continue
        system = names.take(prefix + key, system_name(key))
        if system is None:
            continue
        spec = FieldSpec(
            ConnectorField=prefix + key,
            SystemField=system,
            DisplayName=display_name(key),
            DataType=inferred_type(value),
        )
        found.append(Found(target.MethodUniqueIdentifier, for_request, spec))
    return found


def _plain_key(key: str) -> bool:
    """A key that can be written as one path segment."""
    return not any(c in key for c in ".[]") and key == key.strip()
