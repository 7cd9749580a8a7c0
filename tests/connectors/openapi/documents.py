"""The OpenAPI documents of tests/fixtures/openapi, read as bytes or data."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import yaml

FIXTURES = Path(__file__).parents[2] / "fixtures" / "openapi"
# Documents that import; the GitHub description has tests of its own.
VALID = [
    "petstore-v2.json",
    "petstore-expanded-v2.json",
    "petstore-v3.yaml",
    "petstore-expanded-v3.yaml",
    "uspto-v3.yaml",
    "non-oauth-scopes-v3.1.yaml",
    "tasks-v3.1.yaml",
    "github-api.json.gz",
]
VERBS = ("get", "post", "put", "patch", "delete")


def read(name: str) -> bytes:
    data = (FIXTURES / name).read_bytes()
    return gzip.decompress(data) if name.endswith(".gz") else data


def load(name: str) -> dict[str, Any]:
    text = read(name)
    document: dict[str, Any] = (
        json.loads(text) if text.lstrip()[:1] == b"{" else yaml.safe_load(text)
    )
    return document


def dump(document: dict[str, Any]) -> bytes:
    return json.dumps(document).encode()
