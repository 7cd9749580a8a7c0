"""Request bodies from a method's RequestFields and the caller's field values.

A caller gives values keyed by SystemField (or ConnectorField); each is converted by its
DataType and placed at its ConnectorField path. A path through a list (``[lines].sku``)
takes a list of values, one per item, so outbound collections can be sent too.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from urllib.parse import quote, urlencode

from junction.connectors.runtime.convert import ConversionError, to_request_value
from junction.connectors.runtime.dates import iso_utc
from junction.connectors.spec.models import Body, FieldSpec
from junction.connectors.spec.paths import FieldPath, Segment
from junction.errors import CallInputError

REDACTED = "[redacted]"
_MISSING = object()


@dataclass(frozen=True)
class BodyField:
    key: str  # SystemField, or ConnectorField when there is none
    spec: FieldSpec
    path: FieldPath


@dataclass(frozen=True)
class BuiltBody:
    content: bytes
    log_text: str  # Sensitive fields replaced, for step data


def json_default(value: Any) -> Any:
    """For json.dumps: dates become ISO 8601; anything else cannot be sent as JSON."""
    if isinstance(value, datetime):
        return iso_utc(value)
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"a {type(value).__name__} cannot be sent as JSON")


def _value_of(item: BodyField, fields: Mapping[str, Any]) -> Any:
    if item.key in fields:
        return fields[item.key]
    if item.spec.ConnectorField in fields:
        return fields[item.spec.ConnectorField]
    if item.spec.DefaultValue is not None:
        return item.spec.DefaultValue
    if not item.spec.Optional:
        raise CallInputError(
            f"The field '{item.key}' is required"
            + (f" ({item.spec.DisplayName})" if item.spec.DisplayName else "")
        )
    return _MISSING


def _converter(item: BodyField) -> Callable[[Any], Any]:
    def convert(value: Any) -> Any:
        try:
            return to_request_value(item.spec.DataType, value, item.spec.DataTypeFormat)
        except ConversionError as exc:
            raise CallInputError(f"The field '{item.key}' must be {exc}") from None

    return convert


def _place(
    target: Any,
    segments: tuple[Segment, ...],
    value: Any,
    convert: Callable[[Any], Any],
    item: BodyField,
) -> None:
    head, rest = segments[0], segments[1:]
    if head.is_list:
        holder = target if head.key is None else target.setdefault(head.key, [])
        if not isinstance(holder, list):
            raise CallInputError(f"The field '{item.key}' overlaps another request field")
        if not isinstance(value, list | tuple):
            raise CallInputError(
                f"The field '{item.key}' goes through a list ({item.spec.ConnectorField}); "
                "give a list of values, one per item"
            )
        if not rest:
            holder[:] = [convert(v) for v in value]
            return
        while len(holder) < len(value):
            holder.append({})
        for element, element_value in zip(holder, value, strict=False):
            if not isinstance(element, dict):
                raise CallInputError(f"The field '{item.key}' overlaps another request field")
            _place(element, rest, element_value, convert, item)
        return
    assert head.key is not None
    if not isinstance(target, dict):
        raise CallInputError(f"The field '{item.key}' overlaps another request field")
    if rest:
        _place(target.setdefault(head.key, {}), rest, value, convert, item)
    else:
        target[head.key] = convert(value)


def _json_body(fields: tuple[BodyField, ...], values: Mapping[str, Any]) -> BuiltBody:
    root_is_list = fields[0].path.segments[0].key is None
    document: Any = [] if root_is_list else {}
    # A second document with Sensitive values replaced, only when there are any.
    sensitive = any(item.spec.Sensitive for item in fields)
    log_document: Any = ([] if root_is_list else {}) if sensitive else None
    for item in fields:
        value = _value_of(item, values)
        if value is _MISSING:
            continue
        convert = _converter(item)
        _place(document, item.path.segments, value, convert, item)
        if log_document is not None:
            mask = (lambda _: REDACTED) if item.spec.Sensitive else convert
            _place(log_document, item.path.segments, value, mask, item)
    try:
        text = json.dumps(document, ensure_ascii=False, separators=(",", ":"), default=json_default)
        log_text = (
            json.dumps(
                log_document, ensure_ascii=False, separators=(",", ":"), default=json_default
            )
            if log_document is not None
            else text
        )
    except (TypeError, ValueError) as exc:
        raise CallInputError(f"The request body cannot be sent as JSON: {exc}") from None
    return BuiltBody(text.encode(), log_text)


def _form_text(item: BodyField, value: Any) -> str | None:
    converted = _converter(item)(value)
    if converted is None:
        return None
    if isinstance(converted, bool):
        return "true" if converted else "false"
    if isinstance(converted, dict | list):
        raise CallInputError(
            f"The field '{item.key}' holds an object or list; a form body only takes plain values"
        )
    return str(converted)


def _form_body(fields: tuple[BodyField, ...], values: Mapping[str, Any]) -> BuiltBody:
    pairs: list[tuple[str, str]] = []
    log_pairs: list[tuple[str, str]] = []
    for item in fields:
        if item.path.list_depth:
            raise CallInputError(f"The field '{item.key}' goes through a list; a form body is flat")
        value = _value_of(item, values)
        if value is _MISSING:
            continue
        text = _form_text(item, value)
        if text is None:
            continue
        # A form is flat: the ConnectorField is the form key as written (profile.name).
        pairs.append((item.spec.ConnectorField, text))
        log_pairs.append((item.spec.ConnectorField, REDACTED if item.spec.Sensitive else text))
    # Spaces as %20 rather than +: both are form encoding, but some APIs and validators read
    # a + as a reserved character (Stripe's description, checked by Prism, refuses it).
    encoded = urlencode(pairs, quote_via=quote)
    return BuiltBody(encoded.encode("ascii"), urlencode(log_pairs, quote_via=quote))


def _plain_body(fields: tuple[BodyField, ...], values: Mapping[str, Any]) -> BuiltBody:
    if len(fields) != 1:
        raise CallInputError(
            f"A PlainText body is one field's value, but the method has {len(fields)} "
            "request fields"
        )
    item = fields[0]
    value = _value_of(item, values)
    text = "" if value is _MISSING or value is None else _converter(item)(value)
    if not isinstance(text, str):
        text = json.dumps(text, ensure_ascii=False, default=json_default)
    return BuiltBody(text.encode(), REDACTED if item.spec.Sensitive else text)


def build_body(
    body_format: Body, fields: tuple[BodyField, ...], values: Mapping[str, Any]
) -> BuiltBody:
    if body_format is Body.FORM:
        return _form_body(fields, values)
    if body_format is Body.PLAIN_TEXT:
        return _plain_body(fields, values)
    return _json_body(fields, values)
