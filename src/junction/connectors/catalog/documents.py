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
# libyaml's loader where PyYAML was built with it: about 8 times faster than the pure-Python
# one on the shipped definitions (which every start reads), with the same safe subset.
_YAML_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_YAML_DUMPER: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def load_yaml(text: str | bytes) -> Any:
    """YAML's safe subset (no Python objects), parsed by the fastest loader at hand."""
    return yaml.load(text, Loader=_YAML_LOADER)  # noqa: S506 - a safe loader


def dump_yaml(document: Any) -> str:
    """A definition as YAML for people to edit: keys in their order, text unescaped."""
    text: str = yaml.dump(
        document, Dumper=_YAML_DUMPER, sort_keys=False, allow_unicode=True, width=100
    )
    return text


def load_document(text: str | bytes, *, yaml_allowed: bool = True) -> Any:
    """Parse JSON, or YAML when allowed (YAML is a superset of JSON, so it is tried second)."""
    try:
        return json.loads(text)
    except ValueError as json_error:
        if not yaml_allowed:
            raise BadRequest(f"The definition is not valid JSON: {json_error}") from None
    try:
        return load_yaml(text)
    except yaml.YAMLError as exc:
        raise BadRequest(f"The definition is neither valid JSON nor valid YAML: {exc}") from None
