"""The date helpers: cyclr_now, cyclr_date_format, cyclr_date_parse and cyclr_date_add."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from junction.scripting.functions import install
from junction.scripting.sandbox import Limits, run

QUICK = Limits(seconds=2.0, memory_bytes=32 * 1024 * 1024)


def js(code: str) -> object:
    return run(code, QUICK, setup=install)


def caught(call: str) -> str:
    value = js(f"try {{ {call}; 'no error' }} catch (e) {{ e.message }}")
    assert isinstance(value, str)
    return value


def test_now_is_iso_8601_utc() -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    now = js("cyclr_now()")
    assert isinstance(now, str)
    assert now.endswith("Z")
    assert before <= datetime.fromisoformat(now) <= datetime.now(UTC)


@pytest.mark.parametrize(
    ("call", "text"),
    [
        pytest.param(
            "cyclr_date_format('2024-05-01T10:00:00Z', 'yyyy-MM-ddTHH:mm:ssK')",
            "2024-05-01T10:00:00Z",
            id="utc",
        ),
        pytest.param(
            "cyclr_date_format('2024-05-01T10:00:00Z', 'dd/MM/yyyy HH:mm zzz', 'Europe/London')",
            "01/05/2024 11:00 +01:00",
            id="summer-time",
        ),
        pytest.param(
            "cyclr_date_format('2024-01-15T10:00:00Z', 'd/M/yy H:m K', 'America/New_York')",
            "15/1/24 5:0 -05:00",
            id="winter-short-tokens",
        ),
        pytest.param(
            "cyclr_date_format(new Date(Date.UTC(2024, 4, 1, 10, 0, 0, 250)), 'HH:mm:ss.fff')",
            "10:00:00.250",
            id="date-object",
        ),
        pytest.param("cyclr_date_format(0, 'yyyy-MM-dd')", "1970-01-01", id="milliseconds"),
        pytest.param(
            "cyclr_date_format('2024-05-01T10:00:00+02:00', \"'at' HH:mm\", 'utc')",
            "at 08:00",
            id="offset-and-quoted-text",
        ),
    ],
)
def test_date_format(call: str, text: str) -> None:
    assert js(call) == text


@pytest.mark.parametrize(
    ("call", "iso"),
    [
        pytest.param("cyclr_date_parse('2024-05-01')", "2024-05-01T00:00:00Z", id="iso-date"),
        pytest.param(
            "cyclr_date_parse('2024-05-01T10:00:00.25+02:00')",
            "2024-05-01T08:00:00.250Z",
            id="iso-offset",
        ),
        pytest.param(
            "cyclr_date_parse('2024-05-01 10:00', null, 'Europe/Paris')",
            "2024-05-01T08:00:00Z",
            id="iso-in-zone",
        ),
        pytest.param(
            "cyclr_date_parse('01/05/2024 10:30', 'dd/MM/yyyy HH:mm')",
            "2024-05-01T10:30:00Z",
            id="format",
        ),
        pytest.param(
            "cyclr_date_parse('01/05/2024 10:30', 'dd/MM/yyyy HH:mm', 'Europe/London')",
            "2024-05-01T09:30:00Z",
            id="format-in-zone",
        ),
        pytest.param(
            "cyclr_date_parse('01/05/2024 10:30 +05:00', 'dd/MM/yyyy HH:mm zzz', 'Europe/London')",
            "2024-05-01T05:30:00Z",
            id="offset-beats-zone",
        ),
    ],
)
def test_date_parse(call: str, iso: str) -> None:
    assert js(call) == iso


@pytest.mark.parametrize(
    ("call", "iso"),
    [
        ("cyclr_date_add('2024-05-01T10:00:00Z', 90, 'seconds')", "2024-05-01T10:01:30Z"),
        ("cyclr_date_add('2024-05-01T10:00:00Z', -2, 'hour')", "2024-05-01T08:00:00Z"),
        ("cyclr_date_add('2024-05-01T10:00:00Z', 1.5, 'days')", "2024-05-02T22:00:00Z"),
        ("cyclr_date_add('2024-05-01T10:00:00Z', '2', 'Weeks')", "2024-05-15T10:00:00Z"),
        ("cyclr_date_add('2024-01-31T10:00:00Z', 1, 'months')", "2024-02-29T10:00:00Z"),
        ("cyclr_date_add('2024-02-29T10:00:00Z', 1, 'year')", "2025-02-28T10:00:00Z"),
        ("cyclr_date_add('2024-05-01T10:00:00Z', 15, 'minutes')", "2024-05-01T10:15:00Z"),
        # A calendar day in London across the clocks going forward is 23 hours.
        (
            "cyclr_date_add('2024-03-30T12:00:00Z', 1, 'day', 'Europe/London')",
            "2024-03-31T11:00:00Z",
        ),
        (
            "cyclr_date_add('2024-03-30T12:00:00Z', 24, 'hours', 'Europe/London')",
            "2024-03-31T12:00:00Z",
        ),
        ("cyclr_date_add(new Date(0), 1, 'days')", "1970-01-02T00:00:00Z"),
    ],
)
def test_date_add(call: str, iso: str) -> None:
    assert js(call) == iso


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            "cyclr_date_format('soon', 'yyyy')",
            "cyclr_date_format: value is not an ISO 8601 date: 'soon'",
        ),
        (
            "cyclr_date_format(new Date(NaN), 'yyyy')",
            "cyclr_date_format: value is not a valid date",
        ),
        ("cyclr_date_format({}, 'yyyy')", "cyclr_date_format: value is not a valid date"),
        ("cyclr_date_format(null, 'yyyy')", "cyclr_date_format: value is required"),
        ("cyclr_date_format(1e20, 'yyyy')", "cyclr_date_format: value is out of range"),
        ("cyclr_date_format('2024-05-01', '')", "cyclr_date_format: format is empty"),
        ("cyclr_date_format('2024-05-01')", "cyclr_date_format: format is required"),
        (
            "cyclr_date_format('2024-05-01', 'yyyy', 'Mars/Olympus')",
            "cyclr_date_format: timezone is not an IANA time zone: 'Mars/Olympus'",
        ),
        (
            "cyclr_date_format('2024-05-01', 'yyyy', '../../etc/passwd')",
            "cyclr_date_format: timezone is not an IANA time zone",
        ),
        (
            "cyclr_date_parse('2024-13-01')",
            "cyclr_date_parse: text is not an ISO 8601 date: '2024-13-01'",
        ),
        (
            "cyclr_date_parse('1/5/2024', 'dd/MM/yyyy')",
            "cyclr_date_parse: text '1/5/2024' does not match the format 'dd/MM/yyyy'",
        ),
        (
            "cyclr_date_parse('31/02/2024', 'dd/MM/yyyy')",
            "cyclr_date_parse: text '31/02/2024' does not match",
        ),
        (
            "cyclr_date_parse('2024 2024', 'yyyy yyyy')",
            "cyclr_date_parse: format 'yyyy yyyy' cannot be read (a token repeats)",
        ),
        (
            "cyclr_date_parse('2024', 'yyyy', 'Nowhere')",
            "cyclr_date_parse: timezone is not an IANA time zone: 'Nowhere'",
        ),
        ("cyclr_date_parse()", "cyclr_date_parse: text is required"),
        (
            "cyclr_date_add('2024-05-01', 1, 'fortnights')",
            "cyclr_date_add: unit 'fortnights' is not one of seconds, minutes",
        ),
        (
            "cyclr_date_add('2024-05-01', 1.5, 'months')",
            "cyclr_date_add: amount must be a whole number of months",
        ),
        (
            "cyclr_date_add('2024-05-01', 'many', 'days')",
            "cyclr_date_add: amount must be a number, not 'many'",
        ),
        ("cyclr_date_add('2024-05-01', NaN, 'days')", "cyclr_date_add: amount is not a number"),
        (
            "cyclr_date_add('2024-05-01', undefined, 'days')",
            "cyclr_date_add: amount must be a number",
        ),
        ("cyclr_date_add('9999-12-01', 1, 'months')", "cyclr_date_add: the result is out of range"),
        ("cyclr_date_add('9999-12-31', 1e9, 'days')", "cyclr_date_add: the result is out of range"),
        ("cyclr_date_add('2024-05-01', 1)", "cyclr_date_add: unit is required"),
    ],
)
def test_dates_refuse_bad_input(call: str, message: str) -> None:
    assert caught(call).startswith(message)
