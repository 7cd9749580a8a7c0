"""Generic File: delimited text (CSV, tab-separated...) made from records, and read back.

Create: ``Rows`` is a whole mapped collection of records (the request field is marked
``WholeList``; a single record is one row). The columns are every key the rows have, in the
order first seen; a row without a key has an empty cell. Values are written as text (true
and false for booleans, JSON for nested records and lists); a cell is quoted only when it
holds the delimiter, a quote or a line break; lines end with CRLF (RFC 4180). ``Columns``
(names separated by commas) chooses the columns and their order instead: records stored
by PostgreSQL (JSONB) do not keep their keys' order, so name the columns when it matters.
``Delimiter`` is one character (``,`` by default; ``\\t`` as typed means a tab).

Parse: ``Content`` read with ``Delimiter``; with ``HasHeader`` (the default) the first line
names the fields (an empty name becomes ``ColumnN``; a short line leaves the missing fields
empty, a long line's extra cells are ``ColumnN``), without it the fields are ``Column1``,
``Column2``... Blank lines are skipped. Content is limited to 10,000,000 characters.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from junction.utilities.data_values import flag, items, separator
from junction.utilities.operations import UtilityContext, UtilityError, operation, text

Records = list[dict[str, Any]]

MAX_CONTENT = 10_000_000


def _delimiter(inputs: dict[str, Any]) -> str:
    value = separator(inputs, "Delimiter", ",")
    if len(value) != 1:
        raise UtilityError("Delimiter: must be one character (or \\t for a tab)")
    if value in '"\r\n':
        raise UtilityError("Delimiter: cannot be a quote or a line break")
    return value


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, default=str)
    return str(value)


@operation("generic-file/create-delimited")
async def create_delimited(context: UtilityContext, inputs: dict[str, Any]) -> Records:
    delimiter = _delimiter(inputs)
    header = flag(inputs, "IncludeHeader", True)
    rows = items(inputs, "Rows")
    columns: dict[str, None] = {}
    for index, row in enumerate(rows, start=1):
        if not isinstance(row, dict):
            raise UtilityError(f"Rows: item {index} is not a record")
        columns.update(dict.fromkeys(str(key) for key in row))
    chosen = text(inputs, "Columns", required=False)
    if chosen:
        names = [name.strip() for name in chosen.split(",")]
        if "" in names:
            raise UtilityError("Columns: a column name is empty")
        if len(set(names)) != len(names):
            raise UtilityError("Columns: a column is named twice")
        columns = dict.fromkeys(names)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    if header and columns:
        writer.writerow(columns)
    for row in rows:
        cells = {str(key): value for key, value in row.items()}
        writer.writerow([_cell(cells.get(column)) for column in columns])
    return [{"Content": out.getvalue()}]


@operation("generic-file/parse-delimited")
async def parse_delimited(context: UtilityContext, inputs: dict[str, Any]) -> Records:
    content = text(inputs, "Content", required=False)
    if len(content) > MAX_CONTENT:
        raise UtilityError(f"Content: {len(content)} characters; at most {MAX_CONTENT} are allowed")
    delimiter = _delimiter(inputs)
    has_header = flag(inputs, "HasHeader", True)
    reader = csv.reader(io.StringIO(content, newline=""), delimiter=delimiter, strict=True)
    try:
        lines = [line for line in reader if line]
    except csv.Error as exc:
        raise UtilityError(
            f"Content: not valid delimited text (line {reader.line_num}: {exc})"
        ) from None
    names: list[str] = []
    if has_header and lines:
        for position, name in enumerate(lines.pop(0), start=1):
            name = name.strip() or f"Column{position}"
            if name in names:
                raise UtilityError(f"Content: the header names the column '{name}' twice")
            names.append(name)
    records = []
    for line in lines:
        record = {}
        for position in range(max(len(names), len(line))):
            name = names[position] if position < len(names) else f"Column{position + 1}"
            record[name] = line[position] if position < len(line) else ""
        records.append(record)
    return records
