"""Reading an OpenAPI document: JSON or YAML, and which version of the specification it is."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import yaml

from junction.connectors.catalog.documents import load_yaml
from junction.connectors.spec.validate import DefinitionInvalid, Problem

_OPENAPI_3 = re.compile(r"^3\.([01])(\.\d+)?(-[0-9A-Za-z.-]+)?$")
DOCUMENT = "(document)"


class OpenApiInvalid(DefinitionInvalid):
    """400: the OpenAPI document cannot be imported; every problem has its location."""

    subject = "The OpenAPI document"


@dataclass(frozen=True)
class Source:
    root: dict[str, Any]
    major: int  # 2 (Swagger) or 3
    minor: int
    version: str


def _fail(where: str, message: str) -> OpenApiInvalid:
    return OpenApiInvalid([Problem(where, message)])


def parse(text: str | bytes) -> Any:
    """The document's data, from JSON or YAML (tried in that order when it looks like JSON)."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise _fail(DOCUMENT, f"is not UTF-8 text: {exc}") from None
    stripped = text.lstrip()
    if not stripped:
        raise _fail(DOCUMENT, "is empty")
    if stripped[0] in "{[":
        try:
            return json.loads(text)
        except RecursionError:
            raise _fail(DOCUMENT, "is nested too deeply to read") from None
        except ValueError:
            pass  # YAML is a superset of JSON and reports the position of the mistake
    try:
        return load_yaml(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        place = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise _fail(
            DOCUMENT, f"is neither valid JSON nor valid YAML: {exc.problem}{place}"
        ) from None
    except (yaml.YAMLError, RecursionError) as exc:
        raise _fail(DOCUMENT, f"is neither valid JSON nor valid YAML: {exc}") from None


def identify(data: Any) -> Source:
    """Check the top of the document: an object, a supported version, some paths."""
    if not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else f"a single value ({type(data).__name__})"
        raise _fail(
            DOCUMENT, f"must be an object with 'openapi' or 'swagger' at its top, not {kind}"
        )
    if "swagger" in data:
        version = str(data["swagger"]).strip()
        if version not in ("2.0", "2"):
            raise _fail("swagger", f"version '{version}' is not supported; Swagger 2.0 is")
        source = Source(data, 2, 0, "2.0")
    elif "openapi" in data:
        version = str(data["openapi"]).strip()
        match = _OPENAPI_3.match(version)
        if match is None:
            raise _fail(
                "openapi",
                f"version '{version}' is not supported; OpenAPI 3.0 and 3.1 are (and Swagger 2.0)",
            )
        source = Source(data, 3, int(match.group(1)), version)
    else:
        raise _fail(
            DOCUMENT,
            "is not an OpenAPI document: it has neither an 'openapi: 3.x' nor a "
            "'swagger: \"2.0\"' key",
        )
    paths = data.get("paths")
    if not isinstance(paths, dict) or not paths:
        webhooks = " (webhooks are not imported)" if data.get("webhooks") else ""
        if paths is not None and not isinstance(paths, dict):
            raise _fail("paths", "must be an object mapping paths to operations")
        raise _fail(
            "paths", f"the document describes no paths, so there is nothing to import{webhooks}"
        )
    return source
