"""``cyclr_csv_parse``: CSV text into rows (arrays of strings) or records (objects keyed by
the header row).

Quoted fields may hold the delimiter, quotes (doubled) and line breaks. Blank lines are
skipped. With a header, a short row leaves its missing columns empty, and a row longer than
the header is an error (its extra values would have no name to go under).
"""

from __future__ import annotations

import csv
import io
from typing import Any

from junction.scripting.functions.bridge import (
    Answer,
    ScriptFunctionError,
    as_json,
    guarded,
    need_text,
    optional_text,
)


def _flag(value: Any, argument: str) -> bool:
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):  # from a form
        return value.strip().lower() == "true"
    raise ScriptFunctionError(f"{argument} must be true or false")


def parse(source: str, delimiter: str, has_header: bool) -> list[Any]:
    if len(delimiter) != 1 or delimiter in '\r\n"':
        raise ScriptFunctionError(
            f"delimiter must be one character other than a quote or a line break, not {delimiter!r}"
        )
    reader = csv.reader(io.StringIO(source, newline=""), delimiter=delimiter, strict=True)
    try:
        rows = [(reader.line_num, row) for row in reader if row]
    except csv.Error as exc:
        raise ScriptFunctionError(f"csv is not valid CSV (line {reader.line_num}): {exc}") from None
    if not has_header:
        return [row for _, row in rows]
    if not rows:
        return []
    (_, header), *body = rows
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        raise ScriptFunctionError(f"the header repeats the column {repeated[0]!r}")
    records = []
    for line, row in body:
        if len(row) > len(header):
            raise ScriptFunctionError(
                f"line {line} has {len(row)} values but the header has {len(header)} columns"
            )
        records.append(dict(zip(header, row + [""] * (len(header) - len(row)), strict=True)))
    return records


@guarded("cyclr_csv_parse")
def cyclr_csv_parse(source: object, delimiter: object, has_header: object) -> Answer:
    separator = optional_text(delimiter, "delimiter")
    return as_json(
        parse(
            need_text(source, "csv"),
            "," if separator is None else separator,
            _flag(has_header, "hasHeader"),
        )
    )
