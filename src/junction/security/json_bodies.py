"""Limits on JSON request bodies, checked on the raw bytes before anything is built from them.

A 3 MB body of a million ``{}`` costs well over a hundred megabytes once parsed into Python
objects, so the items of a top-level list are counted one at a time, each dropped once
counted, stopping one past the limit (``count_items``), before the body is parsed. A body
nested a few thousand deep overflows the parser's stack: that, and any nesting past the
limit, is refused with 400 (``check_depth``, ``loads``).

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

_SPACE = re.compile(r"[ \t\n\r]*")
# Escapes or raw bytes that may stand for a NUL character or a surrogate, or a run of
# digits long enough for an integer past the double range: only a body holding one of
# them is walked value by value, so the common body costs one regular expression search.
_SUSPECT = re.compile(rb"\\u(?:0000|[dD][89a-fA-F])|\xed[\xa0-\xbf]|[0-9]{309}")


_CONTAINER_TYPES = frozenset({dict, list})


def _too_deep(max_depth: int, what: str) -> BadRequest:
    return BadRequest(
        f"{what}: JSON nested deeper than {max_depth} levels, the most accepted "
        "(JUNCTION_JSON_MAX_DEPTH)"
    )


def check_depth(value: Any, *, max_depth: int, what: str = "Body") -> None:
    """BadRequest when the parsed ``value`` nests deeper than ``max_depth``.

    Read from the parsed value: a scan of the bytes must cut out every string first, which
    costs more than the parse itself for a body of many short strings. Deeper than the
    parser's own stack is caught while parsing (``loads``).
    """
    stack: list[tuple[Any, int]] = [(value, 1)] if isinstance(value, dict | list) else []
    while stack:
        node, depth = stack.pop()
        if depth > max_depth:
            raise _too_deep(max_depth, what)
        children = node.values() if isinstance(node, dict) else node
        # Most containers hold no container: their types are read in C, without a loop.
        if _CONTAINER_TYPES.isdisjoint(map(type, children)):
            continue
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))


def loads(body: bytes, *, max_depth: int, what: str = "Body") -> Any:
    """``body`` parsed as JSON (as the API's routes parse it), held to ``max_depth``;
    ValueError when it is not JSON, which the route reports in its own words."""
    try:
        value = json.loads(body)
    except RecursionError:
        raise _too_deep(max_depth, what) from None
    check_depth(value, max_depth=max_depth, what=what)
    return value


def _skip_space(text: str, at: int = 0) -> int:
    """Where the JSON whitespace from ``at`` ends."""
    found = _SPACE.match(text, at)
    return found.end() if found else at


def count_items(body: bytes, *, limit: int) -> int | None:
    """How many items a top-level JSON list holds, counted up to ``limit + 1`` (the
    caller only needs to know it is over); None when the body is not a list.

    Each item is parsed and dropped at once, so memory stays flat however many there
    are, and counting stops one past the limit.
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
        except RecursionError:
            return count  # nested past the parser's stack: the parser says so too
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


def strict_loads(body: bytes, *, max_depth: int, what: str = "Body") -> Any:
    """``body`` parsed as strict JSON no deeper than ``max_depth``, or BadRequest saying
    what is wrong and where."""
    try:
        value = json.loads(body, parse_constant=_refuse_constant, parse_float=_finite)
    except _Refused as exc:
        raise BadRequest(f"{what}: {exc}") from None
    except RecursionError:
        raise _too_deep(max_depth, what) from None
    except ValueError as exc:
        raise BadRequest(f"{what}: not valid JSON ({exc})") from None
    check_depth(value, max_depth=max_depth, what=what)
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
                # Escaped, so a NUL or a surrogate in the key is shown, not sent.
                child = f"{path}.{json.dumps(key)[1:-1]}"
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
