"""Reading definition documents (JSON or YAML) from request bodies and files."""

from __future__ import annotations

import json
from typing import Any

import yaml

from junction.errors import BadRequest

MAX_DEFINITION_BYTES = 5 * 1024 * 1024
# Descriptions of large APIs run to tens of megabytes (GitHub's is about 12 MB of JSON).
MAX_OPENAPI_BYTES = 64 * 1024 * 1024
YAML_TYPES = frozenset({"application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml"})


def load_document(text: str | bytes, *, yaml_allowed: bool = True) -> Any:
    """Parse JSON, or YAML when allowed (YAML is a superset of JSON, so it is tried second)."""
    try:
        return json.loads(text)
    except ValueError as json_error:
        if not yaml_allowed:
            raise BadRequest(f"The definition is not valid JSON: {json_error}") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise BadRequest(f"The definition is neither valid JSON nor valid YAML: {exc}") from None
