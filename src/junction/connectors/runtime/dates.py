""".NET-style date formats (``yyyy-MM-ddTHH:mm:ssZ``), as connector definitions write them.

Cyclr's definitions use .NET custom format strings for ``LastSuccessfulRunDate`` and for
DateTime fields' ``DataTypeFormat``, so Junction reads the same tokens: ``yyyy yy MM M dd d
HH H mm m ss s fff ff f zzz K``; any other character (``T``, ``Z``, ``-``...) and text in
single quotes is literal. Formats are compiled once and cached.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from functools import lru_cache

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)  # Cyclr's "never ran"

_TOKEN = re.compile(r"yyyy|yy|MM|M|dd|d|HH|H|mm|m|ss|s|fff|ff|f|zzz|K|'[^']*'|\\.|.", re.DOTALL)


def _offset(value: datetime) -> str:
    delta = value.utcoffset() or timedelta(0)
    sign = "-" if delta < timedelta(0) else "+"
    minutes = abs(int(delta.total_seconds())) // 60
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


_FORMATTERS: dict[str, Callable[[datetime], str]] = {
    "yyyy": lambda d: f"{d.year:04d}",
    "yy": lambda d: f"{d.year % 100:02d}",
    "MM": lambda d: f"{d.month:02d}",
    "M": lambda d: str(d.month),
    "dd": lambda d: f"{d.day:02d}",
    "d": lambda d: str(d.day),
    "HH": lambda d: f"{d.hour:02d}",
    "H": lambda d: str(d.hour),
    "mm": lambda d: f"{d.minute:02d}",
    "m": lambda d: str(d.minute),
    "ss": lambda d: f"{d.second:02d}",
    "s": lambda d: str(d.second),
    "fff": lambda d: f"{d.microsecond // 1000:03d}",
    "ff": lambda d: f"{d.microsecond // 10000:02d}",
    "f": lambda d: str(d.microsecond // 100000),
    "zzz": _offset,
    "K": lambda d: "Z" if not d.utcoffset() else _offset(d),
}

_PATTERNS: dict[str, str] = {
    "yyyy": r"(?P<year>\d{4})",
    "yy": r"(?P<year2>\d{2})",
    "MM": r"(?P<month>\d{2})",
    "M": r"(?P<month>\d{1,2})",
    "dd": r"(?P<day>\d{2})",
    "d": r"(?P<day>\d{1,2})",
    "HH": r"(?P<hour>\d{2})",
    "H": r"(?P<hour>\d{1,2})",
    "mm": r"(?P<minute>\d{2})",
    "m": r"(?P<minute>\d{1,2})",
    "ss": r"(?P<second>\d{2})",
    "s": r"(?P<second>\d{1,2})",
    "fff": r"(?P<fraction>\d{3})",
    "ff": r"(?P<fraction>\d{2})",
    "f": r"(?P<fraction>\d)",
    "zzz": r"(?P<offset>[+-]\d{2}:?\d{2})",
    "K": r"(?P<offset>Z|[+-]\d{2}:?\d{2})?",
}


def _literal(token: str) -> str:
    if token.startswith("'") and token.endswith("'") and len(token) >= 2:
        return token[1:-1]
    if token.startswith("\\") and len(token) == 2:
        return token[1]
    return token


@dataclass(frozen=True)
class DateFormat:
    text: str
    parts: tuple[Callable[[datetime], str] | str, ...]
    pattern: re.Pattern[str] | None  # None when a token repeats (cannot be parsed back)

    def format(self, value: datetime) -> str:
        """The date in this format, in UTC (a naive date is taken to be UTC already)."""
        value = as_utc(value)
        return "".join(part if isinstance(part, str) else part(value) for part in self.parts)

    def parse(self, text: str) -> datetime | None:
        """The date ``text`` holds in this format (UTC when it names no offset), or None."""
        if self.pattern is None:
            return None
        match = self.pattern.fullmatch(text.strip())
        if match is None:
            return None
        groups = match.groupdict()
        year = int(groups["year"]) if groups.get("year") else None
        if year is None and groups.get("year2"):
            year = 2000 + int(groups["year2"])
        fraction = groups.get("fraction") or "0"
        offset = groups.get("offset")
        tz = UTC
        if offset and offset != "Z":
            digits = offset[1:].replace(":", "")
            delta = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
            tz = timezone(-delta if offset[0] == "-" else delta)
        try:
            return datetime(
                year or 1970,
                int(groups.get("month") or 1),
                int(groups.get("day") or 1),
                int(groups.get("hour") or 0),
                int(groups.get("minute") or 0),
                int(groups.get("second") or 0),
                int(fraction.ljust(6, "0")[:6]),
                tzinfo=tz,
            ).astimezone(UTC)
        except ValueError:  # 2023-02-30 and the like
            return None


@lru_cache(maxsize=256)
def compile_format(text: str) -> DateFormat:
    parts: list[Callable[[datetime], str] | str] = []
    regex: list[str] = []
    seen: set[str] = set()
    parseable = True
    for token in _TOKEN.findall(text):
        if token in _FORMATTERS:
            parts.append(_FORMATTERS[token])
            group = _PATTERNS[token].split(">")[0]
            if group in seen:
                parseable = False
            seen.add(group)
            regex.append(_PATTERNS[token])
        else:
            literal = _literal(token)
            if parts and isinstance(parts[-1], str):
                parts[-1] += literal
            else:
                parts.append(literal)
            regex.append(re.escape(literal))
    pattern = re.compile("".join(regex)) if parseable else None
    return DateFormat(text, tuple(parts), pattern)


def as_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def iso_utc(value: datetime) -> str:
    """ISO 8601 in UTC with ``Z``, the form Junction hands on; fractions only when present."""
    return as_utc(value).isoformat().replace("+00:00", "Z")


def parse_iso(text: str) -> datetime | None:
    """An ISO 8601 date or date-time (``Z`` or an offset; none means UTC), or None."""
    try:
        return as_utc(datetime.fromisoformat(text.strip()))
    except ValueError:
        return None
