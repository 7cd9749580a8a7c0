"""``cyclr_xml_serialize`` and ``cyclr_xml_deserialize``: objects to XML and back.

The object has one key, the root element. Keys starting with ``@`` are attributes, the key
``#text`` is an element's own text, an array is the element repeated, null is an empty
element, and numbers and booleans are written as text (``true``/``false``). Reading gives
the same shape, with every value as text (or null for an empty element, and an array where
an element repeats).

Documents with a DOCTYPE are refused outright, so no entity is ever declared, expanded or
fetched: neither external entities (files, URLs) nor exponential entity expansion.
"""

from __future__ import annotations

import re
from typing import Any, NoReturn
from xml.parsers import expat

import xmltodict

from junction.scripting.functions.bridge import (
    Answer,
    ScriptFunctionError,
    as_json,
    guarded,
    json_of,
    need_text,
)
from junction.scripting.functions.bridge import text as answer_text

_DECLARATION = '<?xml version="1.0" encoding="utf-8"?>\n'
_NAME = re.compile(r"[^\W\d][\w.\-]*(:[^\W\d][\w.\-]*)?")


def _refuse_doctype(*_args: Any) -> NoReturn:
    raise ScriptFunctionError("xml may not have a DOCTYPE (entities and DTDs are refused)")


class _NoDoctypeExpat:
    """The expat module as xmltodict uses it, with parsers that stop at a DOCTYPE."""

    ExpatError = expat.ExpatError

    @staticmethod
    def ParserCreate(*args: Any, **kwargs: Any) -> Any:  # expat's name
        parser = expat.ParserCreate(*args, **kwargs)
        parser.StartDoctypeDeclHandler = _refuse_doctype
        parser.EntityDeclHandler = _refuse_doctype
        return parser


def _check_names(value: Any, where: str) -> None:
    if isinstance(value, list):
        for item in value:
            _check_names(item, where)
        return
    if not isinstance(value, dict):
        return
    for key, child in value.items():
        if key == "#text":
            continue
        name = key[1:] if key.startswith("@") else key
        if not _NAME.fullmatch(name):
            raise ScriptFunctionError(f"{where}.{key} is not a valid XML name")
        _check_names(child, f"{where}.{key}")


def serialize(document: Any) -> str:
    if not isinstance(document, dict) or len(document) != 1:
        raise ScriptFunctionError("object must be an object with one key, the root element")
    ((root, content),) = document.items()
    if isinstance(content, list):
        raise ScriptFunctionError(f"object.{root} is an array, but a document has one root")
    _check_names(document, "object")
    try:
        written = xmltodict.unparse(document, full_document=True)
    except ValueError as exc:
        raise ScriptFunctionError(f"object cannot be written as XML: {exc}") from None
    return str(written).removeprefix(_DECLARATION)


def deserialize(xml: str) -> Any:
    try:
        return xmltodict.parse(xml, expat=_NoDoctypeExpat)
    except expat.ExpatError as exc:
        raise ScriptFunctionError(f"xml is not well-formed: {exc}") from None
    except ValueError as exc:  # xmltodict's own refusal of entity declarations
        raise ScriptFunctionError(f"xml was refused: {exc}") from None


@guarded("cyclr_xml_serialize")
def cyclr_xml_serialize(document: object) -> Answer:
    return answer_text(serialize(json_of(document, "object")))


@guarded("cyclr_xml_deserialize")
def cyclr_xml_deserialize(xml: object) -> Answer:
    return as_json(deserialize(need_text(xml, "xml")))
