"""Limits on JSON request bodies, checked on the raw bytes before anything is built from them.

A 3 MB body of a million ``{}`` costs well over a hundred megabytes once parsed into Python
objects, and a body nested a few thousand deep overflows the parser's stack. So the nesting
depth is read from the bytes first (``check_depth``), and the items of a top-level list are
counted one at a time, each dropped once counted, stopping one past the limit
(``count_items``).

``strict_loads`` is the webhook's parser: only JSON that SQLite and PostgreSQL store alike
(RFC 8259, no NUL character, no lone surrogate, no NaN or Infinity, every number a finite
double), so a call is accepted or refused the same way on both.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from junction.errors import BadRequest

# A JSON string: a quote, then anything but a quote or backslash, or an escape; unrolled so
# the regular expression engine runs long stretches without backtracking.
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
# Objects and lists nest alike: both become lists, and every other byte is dropped.
_BRACKETS = bytes.maketrans(b"{}", b"[]")
_DROP = bytes(b for b in range(256) if b not in b"[]{}")
_SPACE = re.compile(r"[ \t\n\r]*")
# Escapes or raw bytes that may stand for a NUL character or a surrogate, or a run of
# digits long enough for an integer past the double range: only a body holding one of
# them is walked value by value, so the common body costs one regular expression search.
_SUSPECT = re.compile(rb"\\u(?:0000|[dD][89a-fA-F])|\xed[\xa0-\xbf]|[0-9]{309}")


def check_depth(body: bytes, *, max_depth: int, what: str = "Body") -> int:
    """The body's nesting depth; BadRequest when it is deeper than ``max_depth``.

    Meant for JSON; on anything else the figure means little, and the parser that runs
    next refuses it. Each pass removes the innermost lists (``bytes.replace`` only
    matches pairs that were there before the pass, so exactly one level goes), and
    every pass copies the body at most once: no object per item.
    """
    skeleton = _STRING.sub(b"", body).translate(_BRACKETS, _DROP)
    depth = 0
    while skeleton:
        if depth >= max_depth:
            raise BadRequest(
                f"{what}: JSON nested deeper than {max_depth} levels, the most accepted"
            )
        shorter = skeleton.replace(b"[]", b"")
        if len(shorter) == len(skeleton):
            break  # unbalanced brackets: not JSON, which the parser says
        skeleton = shorter
        depth += 1
    return depth


def _skip_space(text: str, at: int = 0) -> int:
    """Where the JSON whitespace from ``at`` ends."""
    found = _SPACE.match(text, at)
    return found.end() if found else at


def count_items(body: bytes, *, limit: int) -> int | None:
    """How many items a top-level JSON list holds, counted up to ``limit + 1`` (the
    caller only needs to know it is over); None when the body is not a list.

    Each item is parsed and dropped at once, so memory stays flat however many there
    are, and counting stops one past the limit. Call ``check_depth`` first.
    """
    text = body.decode("utf-8", "surrogatepass")
    at = _skip_space(text)
    if text[at : at + 1] != "[":
        return None
    decoder = json.JSONDecoder()
    at = _skip_space(text, at + 1)
    if text[at : at + 1] == "]":
        return 0
    count = 0
    while count <= limit:
        try:
            _, at = decoder.raw_decode(text, at)
        except ValueError:
            return count  # not JSON: the parser that runs next says where
        count += 1
        at = _skip_space(text, at)
        if text[at : at + 1] != ",":
            break
        at = _skip_space(text, at + 1)
    return count


def _refuse_constant(name: str) -> Any:
    raise _Refused(f"{name} is not JSON; send a number or null")


def _finite(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise _Refused(f"the number {text[:40]} is outside the range of a double")
    return value


class _Refused(ValueError):
    pass


def strict_loads(body: bytes, *, what: str = "Body") -> Any:
    """``body`` parsed as strict JSON, or BadRequest saying what is wrong and where."""
    try:
        value = json.loads(body, parse_constant=_refuse_constant, parse_float=_finite)
    except _Refused as exc:
        raise BadRequest(f"{what}: {exc}") from None
    except RecursionError:
        # Only reached when the caller skipped ``scan``.
        raise BadRequest(f"{what}: JSON nested too deep") from None
    except ValueError as exc:
        raise BadRequest(f"{what}: not valid JSON ({exc})") from None
    if _SUSPECT.search(body):
        _walk(value, what)
    return value


def _check_number(value: int, path: str, what: str) -> None:
    # A float past the double range is refused while parsing (1e400); an integer is
    # exact in Python, so one as large is refused here, by the same rule.
    try:
        float(value)
    except OverflowError:
        raise BadRequest(f"{what}: the number at {path} is outside the range of a double") from None


def _walk(value: Any, what: str) -> None:
    stack: list[tuple[Any, str]] = [(value, "$")]
    while stack:
        node, path = stack.pop()
        if isinstance(node, dict):
            for key, item in node.items():
                child = f"{path}.{key}"
                _check_text(key, f"the key {child}", what)
                stack.append((item, child))
        elif isinstance(node, list):
            stack.extend((item, f"{path}[{i}]") for i, item in enumerate(node))
        elif isinstance(node, str):
            _check_text(node, f"the string at {path}", what)
        elif isinstance(node, int) and not isinstance(node, bool):
            _check_number(node, path, what)


def _check_text(text: str, where: str, what: str) -> None:
    if "\x00" in text:
        raise BadRequest(f"{what}: {where} holds a NUL character (\\u0000), which is not stored")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise BadRequest(
            f"{what}: {where} holds a lone surrogate (\\ud800 to \\udfff), which is not text"
        ) from None


def check_text(text: str, where: str, what: str = "Body") -> None:
    """BadRequest when ``text`` (from a form or a text body) holds a NUL character."""
    _check_text(text, where, what)
