"""Cut a vendor's OpenAPI description down to the operations a shipped connector calls.

Vendor descriptions run to megabytes (Stripe's, Microsoft Graph's); the contract tests need
only the operations the connector uses and what they reference. The cut keeps those
operations as published, every ``$ref`` they reach (followed to the end), the security
schemes, and the document's top level, so the result is still the vendor's own text:

    uv run python scripts/vendor_openapi.py SOURCE OUT --op "GET /contacts" --op "POST /contacts"
    uv run python scripts/vendor_openapi.py SOURCE OUT --ops-file operations.txt

``SOURCE`` is JSON or YAML (``.gz`` read too); ``OUT`` is written as JSON, or YAML when its
name ends in ``.yaml``. An operation that the source lacks is an error naming it.

``--requests-only`` also replaces each answer's schema and examples with an empty schema
(any answer is valid), keeping the answers' status codes and descriptions: the contract
tests check requests, and some descriptions reach their whole schema graph through the
answers alone (Stripe's expandable objects: a cut of a few operations is over a megabyte,
which the mock cannot load in minutes). What a request may hold is kept as published.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
from pathlib import Path
from typing import Any

import yaml

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def load(path: Path) -> dict[str, Any]:
    raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    text = raw.decode("utf-8")
    document = json.loads(text) if text.lstrip().startswith("{") else yaml.safe_load(text)
    if not isinstance(document, dict):
        raise SystemExit(f"{path}: not an OpenAPI document")
    return document


def _pointer(document: dict[str, Any], ref: str) -> tuple[list[str], Any]:
    parts = [p.replace("~1", "/").replace("~0", "~") for p in ref[2:].split("/")]
    node: Any = document
    for part in parts:
        node = node[part]
    return parts, node


def _refs(node: Any) -> list[str]:
    found: list[str] = []
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            ref = item.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/"):
                found.append(ref)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


def _place(target: dict[str, Any], parts: list[str], value: Any) -> None:
    node = target
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = value


def _answers_emptied(operation: dict[str, Any], major: int) -> dict[str, Any]:
    """The operation with every answer's body described as "anything"."""
    responses = operation.get("responses")
    if not isinstance(responses, dict):
        return operation
    emptied: dict[str, Any] = {}
    for code, answer in responses.items():
        description = answer.get("description", "") if isinstance(answer, dict) else ""
        if major == 2:
            emptied[code] = {"description": description, "schema": {}}
        else:
            emptied[code] = {
                "description": description,
                "content": {"application/json": {"schema": {}}},
            }
    return {**operation, "responses": emptied}


def cut(
    document: dict[str, Any], operations: list[tuple[str, str]], *, requests_only: bool = False
) -> dict[str, Any]:
    paths = document.get("paths") or {}
    major = 2 if str(document.get("swagger", "")).startswith("2") else 3
    kept_paths: dict[str, Any] = {}
    for verb, path in operations:
        item = paths.get(path)
        if not isinstance(item, dict) or verb not in item:
            raise SystemExit(f"{verb.upper()} {path}: not in the source document")
        entry = kept_paths.setdefault(path, {})
        entry[verb] = _answers_emptied(item[verb], major) if requests_only else item[verb]
        # Path-level keys (shared parameters, servers) apply to every operation under it.
        for key, value in item.items():
            if key not in METHODS:
                entry[key] = value
    result: dict[str, Any] = {
        key: value
        for key, value in document.items()
        if key not in ("paths", "components", "definitions", "parameters", "responses")
        and not key.startswith("x-")
        and key not in ("tags", "webhooks")
    }
    result["paths"] = kept_paths
    for key in ("securityDefinitions",):
        if key in document:
            result[key] = document[key]
    schemes = (document.get("components") or {}).get("securitySchemes")
    if schemes:
        result.setdefault("components", {})["securitySchemes"] = schemes
    seen: set[str] = set()
    pending = _refs(kept_paths)
    while pending:
        ref = pending.pop()
        if ref in seen:
            continue
        seen.add(ref)
        parts, value = _pointer(document, ref)
        if parts[0] == "paths":
            continue  # a reference into another operation keeps only what it points at
        _place(result, parts, value)
        pending.extend(_refs(value))
    return result


def _operations(args: argparse.Namespace) -> list[tuple[str, str]]:
    lines = list(args.op or [])
    if args.ops_file:
        lines += Path(args.ops_file).read_text(encoding="utf-8").splitlines()
    operations = []
    for line in lines:
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        verb, _, path = line.partition(" ")
        if verb.lower() not in METHODS or not path.strip():
            raise SystemExit(f"'{line}': expected 'VERB /path'")
        operations.append((verb.lower(), path.strip()))
    if not operations:
        raise SystemExit("no operation given (--op or --ops-file)")
    return operations


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--op", action="append", help="'VERB /path', repeatable")
    parser.add_argument("--ops-file", help="a file of 'VERB /path' lines")
    parser.add_argument(
        "--requests-only", action="store_true", help="describe every answer as anything"
    )
    args = parser.parse_args(argv)
    result = cut(load(args.source), _operations(args), requests_only=args.requests_only)
    if args.out.suffix in (".yaml", ".yml"):
        text = yaml.safe_dump(result, sort_keys=False, allow_unicode=True, width=100)
    else:
        text = json.dumps(result, indent=1, ensure_ascii=False) + "\n"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    count = sum(len([k for k in item if k in METHODS]) for item in result["paths"].values())
    print(f"{args.out}: {count} operations, {len(text) // 1024} KiB", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
