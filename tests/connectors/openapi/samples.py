"""Inputs for a call, derived from an OpenAPI document alone: the values of an operation's
required parameters and request body, taken from each schema's ``example``, ``const``,
``enum``, ``default``, ``pattern``, ``format`` and ``type``, in that order.

Used to call the methods of an imported connector without choosing any value by hand, so
that a measurement of the importer says what an account gets with no edits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

VERBS = ("get", "post", "put", "patch", "delete")
_FORMATS: dict[str, Any] = {
    "date-time": "2024-01-02T03:04:05Z",
    "date": "2024-01-02",
    "time": "03:04:05Z",
    "email": "someone@example.com",
    "uri": "https://example.com/a",
    "url": "https://example.com/a",
    "uuid": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
    "ipv4": "192.0.2.1",
    "ipv6": "2001:db8::1",
    "hostname": "example.com",
    "phone": "+15005550006",
}
_MAX_DEPTH = 8  # a schema that contains itself stops here


@dataclass(frozen=True)
class Operation:
    verb: str
    path: str
    node: dict[str, Any]
    path_item: dict[str, Any]


@dataclass
class Inputs:
    """One call's input: parameter values by (in, name) and the body as a value."""

    parameters: dict[tuple[str, str], Any] = field(default_factory=dict)
    body: Any = None
    media_type: str | None = None  # of the body chosen


class Document:
    def __init__(self, root: dict[str, Any]) -> None:
        self.root = root
        self.major = 2 if "swagger" in root else 3

    def resolve(self, node: Any) -> Any:
        seen = 0
        while isinstance(node, dict) and isinstance(node.get("$ref"), str) and seen < 20:
            target: Any = self.root
            for part in node["$ref"][2:].split("/"):
                target = target[part.replace("~1", "/").replace("~0", "~")]
            node, seen = target, seen + 1
        return node

    def operations(self) -> list[Operation]:
        """Every operation the importer turns into a method, in the importer's order."""
        found = []
        for path, raw in self.root["paths"].items():
            item = self.resolve(raw)
            for verb, node in item.items():
                if str(verb).lower() in VERBS and isinstance(node, dict):
                    found.append(Operation(str(verb).lower(), str(path), node, item))
        return found

    def parameters(self, op: Operation) -> list[dict[str, Any]]:
        merged: dict[tuple[str, str], dict[str, Any]] = {}
        for owner in (op.path_item, op.node):
            for raw in owner.get("parameters") or []:
                param = self.resolve(raw)
                merged[(str(param["in"]), str(param["name"]))] = param
        return list(merged.values())

    def inputs(self, op: Operation) -> Inputs:
        """The required parameters' values and a body holding the required fields."""
        inputs = Inputs()
        form: dict[str, Any] = {}
        for param in self.parameters(op):
            location, name = str(param["in"]), str(param["name"])
            if location == "body":
                inputs.body = self.sample(param.get("schema"), request=True)
                inputs.media_type = "application/json"
            elif param.get("required") is True or location == "path":
                schema = param if self.major == 2 else param.get("schema")
                value = self.sample(schema, request=True)
                if location == "formData":
                    form[name] = value
                else:
                    inputs.parameters[(location, name)] = value
        if form:
            inputs.body, inputs.media_type = form, "application/x-www-form-urlencoded"
        body = self.resolve(op.node.get("requestBody"))
        if isinstance(body, dict) and isinstance(body.get("content"), dict):
            content = {str(k).split(";")[0].strip().lower(): v for k, v in body["content"].items()}
            json_types = [t for t in content if t == "application/json" or t.endswith("+json")]
            chosen = next(iter(json_types), None)
            if chosen is None and "application/x-www-form-urlencoded" in content:
                chosen = "application/x-www-form-urlencoded"
            if chosen is not None:
                inputs.media_type = chosen
                inputs.body = self.sample(content[chosen].get("schema"), request=True)
        return inputs

    def sample(self, raw: Any, *, request: bool, depth: int = 0) -> Any:
        """A value the schema accepts, holding only what it requires."""
        schema = self.resolve(raw)
        if not isinstance(schema, dict) or depth > _MAX_DEPTH:
            return "example"
        for key in ("allOf", "oneOf", "anyOf"):
            parts = schema.get(key)
            if isinstance(parts, list) and parts:
                merged = {k: v for k, v in schema.items() if k != key}
                chosen = parts if key == "allOf" else parts[:1]
                for part in chosen:
                    merged = _merge(merged, self.resolve(part))
                return self.sample(merged, request=request, depth=depth + 1)
        kind = schema.get("type")
        if isinstance(kind, list):
            kind = next((k for k in kind if k != "null"), None)
        if "example" in schema and kind not in ("object", "array"):
            return schema["example"]
        if isinstance(schema.get("examples"), list) and schema["examples"]:
            return schema["examples"][0]
        if "const" in schema:
            return schema["const"]
        if isinstance(schema.get("enum"), list) and schema["enum"]:
            return next((v for v in schema["enum"] if v is not None), schema["enum"][0])
        if "default" in schema and kind not in ("object", "array"):
            return schema["default"]
        if kind == "object" or (kind is None and "properties" in schema):
            properties = schema.get("properties") or {}
            value = {}
            required = list(schema.get("required") or [])
            if not required and properties and depth > 0:
                # A body built from fields cannot hold an empty object: where an object is
                # required but requires nothing inside, its first property is given.
                writable = [
                    name
                    for name, prop in properties.items()
                    if not (request and _read_only(self.resolve(prop)))
                ]
                required = writable[:1]
            for name in required:
                prop = self.resolve(properties.get(name, {}))
                if request and _read_only(prop):
                    continue
                value[str(name)] = self.sample(prop, request=request, depth=depth + 1)
            return value
        if kind == "array" or (kind is None and "items" in schema):
            count = max(1, int(schema.get("minItems") or 1))
            return [
                self.sample(schema.get("items"), request=request, depth=depth + 1)
                for _ in range(count)
            ]
        if kind == "integer":
            return int(schema.get("minimum", 1) or 1)
        if kind == "number":
            return float(schema.get("minimum", 1) or 1)
        if kind == "boolean":
            return True
        pattern = schema.get("pattern")
        pattern = pattern if isinstance(pattern, str) else None
        known = _FORMATS.get(str(schema.get("format")))
        if known is not None and (pattern is None or re.search(pattern, known)):
            return known
        if pattern is not None:
            return from_pattern(pattern)
        return "x" * max(int(schema.get("minLength") or 0), 7)


def _read_only(schema: Any) -> bool:
    return isinstance(schema, dict) and schema.get("readOnly") is True


def _merge(base: dict[str, Any], part: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in part.items():
        if key == "properties":
            merged["properties"] = {**(merged.get("properties") or {}), **value}
        elif key == "required":
            merged["required"] = [*(merged.get("required") or []), *value]
        else:
            merged.setdefault(key, value)
    return merged


_QUANTIFIER = re.compile(r"\{(\d+)(,(\d*))?\}|[+*?]")


def from_pattern(pattern: str) -> str:
    """A string matching a simple regular expression (the first branch of an alternation;
    literals, escapes, classes and quantifiers), as vendors write them for identifiers."""
    branch = _top_branch(pattern).lstrip("^").rstrip("$")
    out: list[str] = []
    i = 0
    while i < len(branch):
        char = branch[i]
        if char == "\\" and i + 1 < len(branch):
            token = {"d": "1", "w": "a", "s": " "}.get(branch[i + 1], branch[i + 1])
            i += 2
        elif char == "[":
            end = branch.index("]", i + 1)
            body = branch[i + 1 : end].lstrip("^")
            # The class's first member: a letter or digit of a range, or an escape.
            escaped = body.startswith("\\")
            token = {"d": "1", "w": "a"}.get(body[1], body[1]) if escaped else body[0]
            i = end + 1
        elif char == ".":
            token, i = "a", i + 1
        elif char in "()":
            i += 1
            continue
        else:
            token, i = char, i + 1
        quantifier = _QUANTIFIER.match(branch, i)
        count = 1
        if quantifier is not None:
            text = quantifier.group(0)
            # One for * and +: an empty run often leaves a value shorter than its minLength.
            count = 0 if text == "?" else 1 if text in "*+" else int(quantifier.group(1))
            i = quantifier.end()
        out.append(token * count)
    return "".join(out)


def _top_branch(pattern: str) -> str:
    depth = 0
    for index, char in enumerate(pattern):
        if char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
        elif char == "|" and depth == 0:
            return pattern[:index]
    return pattern
