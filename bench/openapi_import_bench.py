"""OpenAPI import: GitHub's REST API description (623 operations) to a connector definition.

Each run reads the document (JSON), converts it and validates the result with the same
``parse_definition`` every stored definition passes, i.e. all of ``import_openapi``. The
YAML form of the same document is timed too (parsed with PyYAML's C loader when present).
Prints the median and the spread of a few runs. ``--copies N`` also times a document of N
times as many operations: the same paths under N prefixes (``/v0/...``, ``/v1/...``), each
copy's ``operationId``s suffixed, standing for a description of thousands of operations.

    uv run python bench/openapi_import_bench.py [--runs 5] [--copies 8]
"""

from __future__ import annotations

import argparse
import gzip
import json
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from junction.connectors.openapi import import_openapi
from junction.connectors.openapi.document import parse

DOCUMENT = Path(__file__).resolve().parents[1] / "tests/fixtures/openapi/github-api.json.gz"


def _time(source: bytes, runs: int) -> tuple[list[float], int, int]:
    times: list[float] = []
    methods = warnings = 0
    for _ in range(runs):
        start = time.perf_counter()
        result = import_openapi(source)
        times.append(time.perf_counter() - start)
        methods, warnings = len(result.definition["Methods"]), len(result.warnings)
    return times, methods, warnings


def _row(label: str, size: int, times: list[float], methods: int, warnings: int) -> None:
    print(
        f"{label:<6} {size / 1e6:6.1f} MB  median {statistics.median(times):6.3f} s  "
        f"min {min(times):6.3f} s  max {max(times):6.3f} s  "
        f"{methods} methods, {warnings} warnings"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--copies", type=int, default=0)
    args = parser.parse_args()
    print(
        f"$ uv run python bench/openapi_import_bench.py --runs {args.runs}"
        + (f" --copies {args.copies}" if args.copies else "")
    )
    print(
        f"{platform.machine()}, Python {platform.python_version()}, PyYAML {yaml.__version__}"
        f" (C loader: {'yes' if getattr(yaml, '__with_libyaml__', False) else 'no'})"
    )
    text = gzip.decompress(DOCUMENT.read_bytes())
    as_yaml = yaml.safe_dump(json.loads(text), sort_keys=False).encode()

    start = time.perf_counter()
    parse(text)
    json_parse = time.perf_counter() - start
    start = time.perf_counter()
    parse(as_yaml)
    yaml_parse = time.perf_counter() - start

    _row("JSON", len(text), *_time(text, args.runs))
    _row("YAML", len(as_yaml), *_time(as_yaml, args.runs))
    print(f"of which parsing: JSON {json_parse:.3f} s, YAML {yaml_parse:.3f} s")
    if args.copies:
        larger = _copies(json.loads(text), args.copies)
        _row(f"JSON x{args.copies}", len(larger), *_time(larger, args.runs))


def _copies(document: dict[str, Any], copies: int) -> bytes:
    paths: dict[str, Any] = {}
    for copy in range(copies):
        for path, item in document["paths"].items():
            renamed = dict(item)
            for verb, operation in item.items():
                if isinstance(operation, dict) and "operationId" in operation:
                    renamed[verb] = {
                        **operation,
                        "operationId": f"{operation['operationId']}-v{copy}",
                    }
            paths[f"/v{copy}{path}"] = renamed
    return json.dumps({**document, "paths": paths}).encode()


if __name__ == "__main__":
    main()
