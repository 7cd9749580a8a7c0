"""Data Tools: each text, number, date and list operation, and each bad input."""

from __future__ import annotations

from typing import Any

import pytest

from tests.utilities.tooling import one, refused

D = "data-tools/"


def test_text_operations() -> None:
    assert one(D + "text-upper", Text="Grüße x") == {"Result": "GRÜSSE X"}
    assert one(D + "text-lower", Text="HeLLo") == {"Result": "hello"}
    assert one(D + "text-upper") == {"Result": ""}
    assert one(D + "text-trim", Text="  a b \t\n") == {"Result": "a b"}
    assert one(D + "text-trim", Text="--a-b--", Characters="-") == {"Result": "a-b"}
    assert one(D + "text-replace", Text="a.b.c", Find=".", ReplaceWith="::") == {
        "Result": "a::b::c"
    }
    assert one(D + "text-replace", Text="a.B.b", Find="b") == {"Result": "a.B."}
    assert one(D + "text-substring", Text="abcdef", Start="2", Length="3") == {"Result": "cde"}
    assert one(D + "text-substring", Text="abcdef", Start=4) == {"Result": "ef"}
    assert one(D + "text-substring", Text="abcdef", Length=2) == {"Result": "ab"}
    assert one(D + "text-substring", Text="abc", Start=10, Length=2) == {"Result": ""}
    assert one(D + "text-split", Text="a, b,,c") == {"Items": ["a", " b", "", "c"], "Count": 4}
    assert one(D + "text-split", Text="a, b", TrimItems="yes") == {"Items": ["a", "b"], "Count": 2}
    assert one(D + "text-split", Text="a\tb", Separator="\\t") == {"Items": ["a", "b"], "Count": 2}
    assert one(D + "text-split", Text="a b", Separator=" ") == {"Items": ["a", "b"], "Count": 2}
    assert one(D + "text-split", Text="") == {"Items": [], "Count": 0}
    assert one(D + "text-length", Text="héllo") == {"Length": 5}
    assert one(D + "text-length") == {"Length": 0}
    assert one(D + "text-pad", Text="42", Length=5, Character="0") == {"Result": "00042"}
    assert one(D + "text-pad", Text="ab", Length="4", Side="right") == {"Result": "ab  "}
    assert one(D + "text-pad", Text="abcdef", Length=3) == {"Result": "abcdef"}


@pytest.mark.parametrize(
    ("name", "inputs", "message"),
    [
        ("text-upper", {"Text": ["a", "b"]}, "Text: must be a single value, not a list"),
        ("text-replace", {"Text": "abc"}, "Find: required"),
        ("text-substring", {"Text": "abc", "Start": -1}, "Start: must be 0 or more"),
        ("text-substring", {"Text": "abc", "Length": "-2"}, "Length: must be 0 or more"),
        ("text-substring", {"Text": "abc", "Start": "one"}, "Start: 'one' is not a whole number"),
        (
            "text-split",
            {"Text": "a", "TrimItems": "perhaps"},
            "TrimItems: 'perhaps' is not true or false",
        ),
        ("text-pad", {"Text": "a"}, "Length: required"),
        ("text-pad", {"Text": "a", "Length": 20_000}, "Length: at most 10000"),
        (
            "text-pad",
            {"Text": "a", "Length": 3, "Character": "ab"},
            "Character: must be exactly one character",
        ),
        ("text-pad", {"Text": "a", "Length": 3, "Side": "middle"}, "Side: must be Left or Right"),
    ],
)
def test_text_bad_input(name: str, inputs: dict[str, Any], message: str) -> None:
    refused(D + name, message, **inputs)


def test_number_operations() -> None:
    assert one(D + "number-round", Number="2.5") == {"Result": 3}
    assert one(D + "number-round", Number="-2.5") == {"Result": -3}
    assert one(D + "number-round", Number=3.14159, Places="2") == {"Result": 3.14}
    assert one(D + "number-add", Number1="0.1", Number2=0.2) == {"Result": 0.3}
    assert one(D + "number-add", Number1=2, Number2="3") == {"Result": 5}
    assert one(D + "number-subtract", Number1="10", Number2="2.5") == {"Result": 7.5}
    assert one(D + "number-multiply", Number1="1.5", Number2="4") == {"Result": 6}
    assert one(D + "number-divide", Dividend=7, Divisor=2) == {"Result": 3.5}
    assert one(D + "number-divide", Dividend=1, Divisor=3) == {"Result": 0.3333333333333333}
    assert one(D + "number-format", Number="1234.5") == {"Text": "1234.50"}
    assert one(D + "number-format", Number="1234567.891", Places=1, ThousandsSeparator=True) == {
        "Text": "1,234,567.9"
    }
    assert one(D + "number-format", Number="2.5", Places="0") == {"Text": "3"}
    assert one(D + "number-parse", Text=" 1,234.50 ") == {"Number": 1234.5}
    assert one(D + "number-parse", Text="-7") == {"Number": -7}
    assert one(D + "number-parse", Text="1.234,5", GroupSeparator=".", DecimalSeparator=",") == {
        "Number": 1234.5
    }


@pytest.mark.parametrize(
    ("name", "inputs", "message"),
    [
        ("number-round", {}, "Number: required"),
        ("number-round", {"Number": "abc"}, "Number: 'abc' is not a number"),
        ("number-round", {"Number": "NaN"}, "Number: 'NaN' is not a number"),
        ("number-round", {"Number": True}, "Number: 'True' is not a number"),
        ("number-round", {"Number": "1e500"}, "Number: '1e500' is too large"),
        ("number-round", {"Number": 1, "Places": 21}, "Places: must be between 0 and 20"),
        ("number-round", {"Number": 1, "Places": -1}, "Places: must be between 0 and 20"),
        (
            "number-round",
            {"Number": "1e30", "Places": 2},
            "Number: too many digits to give 2 decimal places",
        ),
        ("number-add", {"Number1": 1}, "Number2: required"),
        ("number-subtract", {"Number1": "x", "Number2": 1}, "Number1: 'x' is not a number"),
        ("number-multiply", {"Number1": [1, 2], "Number2": 1}, "Number1: '[1, 2]' is not a number"),
        ("number-divide", {"Dividend": 1, "Divisor": 0}, "Divisor: cannot be zero"),
        ("number-divide", {"Dividend": 1, "Divisor": "0.00"}, "Divisor: cannot be zero"),
        ("number-divide", {"Divisor": 2}, "Dividend: required"),
        (
            "number-format",
            {"Number": 1, "ThousandsSeparator": "x"},
            "ThousandsSeparator: 'x' is not true or false",
        ),
        ("number-parse", {}, "Text: required"),
        ("number-parse", {"Text": "12abc"}, "Text: '12abc' is not a number"),
        ("number-parse", {"Text": "Infinity"}, "Text: 'Infinity' is not a number"),
        (
            "number-parse",
            {"Text": "1", "DecimalSeparator": ".."},
            "DecimalSeparator: must be exactly one character",
        ),
        (
            "number-parse",
            {"Text": "1", "GroupSeparator": "."},
            "GroupSeparator: must differ from the decimal separator",
        ),
    ],
)
def test_number_bad_input(name: str, inputs: dict[str, Any], message: str) -> None:
    refused(D + name, message, **inputs)


def test_date_operations() -> None:
    # The test context's clock is 2024-03-10T12:30:00Z.
    assert one(D + "date-now") == {"Date": "2024-03-10T12:30:00Z"}
    assert one(D + "date-now", TimeZone="America/New_York") == {
        "Date": "2024-03-10T08:30:00-04:00"  # daylight saving began that morning
    }
    assert one(D + "date-convert", Date="2024-07-01T12:00:00Z", ToTimeZone="Europe/London") == {
        "Date": "2024-07-01T13:00:00+01:00"
    }
    assert one(
        D + "date-convert",
        Date="2024-01-15T09:00:00",
        FromTimeZone="Asia/Tokyo",
        ToTimeZone="UTC",
    ) == {"Date": "2024-01-15T00:00:00Z"}
    # An offset in the date wins over FromTimeZone.
    assert one(
        D + "date-convert",
        Date="2024-01-15T09:00:00+01:00",
        FromTimeZone="Asia/Tokyo",
        ToTimeZone="UTC",
    ) == {"Date": "2024-01-15T08:00:00Z"}
    assert one(
        D + "date-format", Date="2024-03-05T07:08:09.123Z", Format="dd/MM/yyyy HH:mm:ss.fff"
    ) == {"Text": "05/03/2024 07:08:09.123"}
    assert one(
        D + "date-format",
        Date="2024-07-01T23:30:00Z",
        Format="yyyy-MM-dd'T'HH:mmzzz",
        TimeZone="Europe/Paris",
    ) == {"Text": "2024-07-02T01:30+02:00"}
    assert one(D + "date-format", Date="2024-03-05", Format="d/M/yy") == {"Text": "5/3/24"}
    assert one(D + "date-parse", Text="2024-03-05T10:00:00+02:00") == {
        "Date": "2024-03-05T08:00:00Z"
    }
    assert one(D + "date-parse", Text="2024-03-05") == {"Date": "2024-03-05T00:00:00Z"}
    assert one(D + "date-parse", Text="05/03/2024 14:15", Format="dd/MM/yyyy HH:mm") == {
        "Date": "2024-03-05T14:15:00Z"
    }
    assert one(D + "date-add", Date="2024-02-28T10:00:00Z", Days=1, Hours="2", Minutes=-30) == {
        "Date": "2024-02-29T11:30:00Z"
    }
    assert one(D + "date-add", Date="2024-02-28T10:00:00+01:00") == {
        "Date": "2024-02-28T10:00:00+01:00"
    }
    assert one(D + "date-subtract", Date="2024-03-01T00:00:00Z", Days="1", Minutes=1) == {
        "Date": "2024-02-28T23:59:00Z"
    }
    assert one(D + "date-difference", Start="2024-03-01T00:00:00Z", End="2024-03-01T01:00:30Z") == {
        "Seconds": 3630
    }
    assert one(
        D + "date-difference", Start="2024-03-01T01:00:00+01:00", End="2024-02-29T23:59:59.5Z"
    ) == {"Seconds": -0.5}


@pytest.mark.parametrize(
    ("name", "inputs", "message"),
    [
        ("date-now", {"TimeZone": "Mars/Olympus"}, "TimeZone: unknown time zone 'Mars/Olympus'"),
        ("date-now", {"TimeZone": "../etc/passwd"}, "TimeZone: unknown time zone '../etc/passwd'"),
        ("date-convert", {"Date": "2024-01-01"}, "ToTimeZone: required"),
        (
            "date-convert",
            {"Date": "2024-01-01", "ToTimeZone": "UTC", "FromTimeZone": "Nowhere"},
            "FromTimeZone: unknown time zone 'Nowhere'",
        ),
        ("date-convert", {"ToTimeZone": "UTC"}, "Date: required"),
        (
            "date-convert",
            {"Date": "yesterday", "ToTimeZone": "UTC"},
            "Date: 'yesterday' is not an ISO 8601 date-time",
        ),
        ("date-format", {"Date": "2024-01-01"}, "Format: required"),
        (
            "date-format",
            {"Date": "2024-01-01", "Format": "y" * 201},
            "Format: 201 characters; at most 200 are allowed",
        ),
        (
            "date-format",
            {"Date": "2024-13-01", "Format": "yyyy"},
            "Date: '2024-13-01' is not an ISO 8601 date-time",
        ),
        (
            "date-format",
            {"Date": "2024-01-01", "Format": "yyyy", "TimeZone": "X"},
            "TimeZone: unknown time zone 'X'",
        ),
        ("date-parse", {}, "Text: required"),
        ("date-parse", {"Text": "31/02/2024"}, "Text: '31/02/2024' is not an ISO 8601 date-time"),
        (
            "date-parse",
            {"Text": "31/02/2024", "Format": "dd/MM/yyyy"},
            "Text: '31/02/2024' does not match the format 'dd/MM/yyyy'",
        ),
        (
            "date-parse",
            {"Text": "2024 2024", "Format": "yyyy yyyy"},
            "Format: 'yyyy yyyy' names a part twice and cannot be read",
        ),
        ("date-add", {"Date": "2024-01-01", "Days": "1.5"}, "Days: '1.5' is not a whole number"),
        (
            "date-add",
            {"Date": "9999-12-31", "Days": 1},
            "Date: the result is outside the years 1-9999",
        ),
        ("date-subtract", {"Date": "2024-01-01", "Hours": "x"}, "Hours: 'x' is not a whole number"),
        ("date-difference", {"Start": "2024-01-01"}, "End: required"),
        (
            "date-difference",
            {"Start": "soon", "End": "2024-01-01"},
            "Start: 'soon' is not an ISO 8601 date-time",
        ),
    ],
)
def test_date_bad_input(name: str, inputs: dict[str, Any], message: str) -> None:
    refused(D + name, message, **inputs)


def test_list_operations() -> None:
    names = ["b", "a", None, "b", "C"]
    assert one(D + "list-count", Items=names) == {"Count": 5}
    assert one(D + "list-count", Items="single") == {"Count": 1}
    assert one(D + "list-count") == {"Count": 0}
    assert one(D + "list-first", Items=names) == {"Value": "b", "Found": True}
    assert one(D + "list-last", Items=names) == {"Value": "C", "Found": True}
    assert one(D + "list-first", Items=[]) == {"Value": None, "Found": False}
    assert one(D + "list-last", Items="x") == {"Value": "x", "Found": True}
    assert one(D + "list-distinct", Items=names) == {"Items": ["b", "a", None, "C"], "Count": 4}
    assert one(D + "list-distinct", Items=[{"a": 1, "b": 2}, {"b": 2, "a": 1}, 1, "1"]) == {
        "Items": [{"a": 1, "b": 2}, 1, "1"],
        "Count": 3,
    }
    assert one(D + "list-sort", Items=names) == {"Items": ["C", "a", "b", "b", None], "Count": 5}
    assert one(D + "list-sort", Items=[10, 9.5, "", 100], Descending="true") == {
        "Items": [100, 10, 9.5, ""],
        "Count": 4,
    }
    assert one(D + "list-sort", Items=["10", "9"]) == {"Items": ["10", "9"], "Count": 2}
    assert one(D + "list-join", Items=names) == {"Text": "b,a,b,C"}
    assert one(D + "list-join", Items=["a", "", True, 2], Separator="\\t", KeepEmpty="1") == {
        "Text": "a\t\ttrue\t2"
    }
    assert one(D + "list-join", Items="solo", Separator=" | ") == {"Text": "solo"}


@pytest.mark.parametrize(
    ("name", "inputs", "message"),
    [
        (
            "list-sort",
            {"Items": [1], "Descending": "down"},
            "Descending: 'down' is not true or false",
        ),
        ("list-join", {"Items": ["a", {"b": 1}]}, "Items: item 2 is a record or list, not a value"),
        ("list-join", {"Items": ["a"], "KeepEmpty": "z"}, "KeepEmpty: 'z' is not true or false"),
        (
            "list-join",
            {"Items": ["a"], "Separator": ["x"]},
            "Separator: must be a single value, not a list",
        ),
    ],
)
def test_list_bad_input(name: str, inputs: dict[str, Any], message: str) -> None:
    refused(D + name, message, **inputs)
