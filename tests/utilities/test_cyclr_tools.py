"""Cyclr Tools: email syntax and regular-expression match."""

from __future__ import annotations

from typing import Any

import pytest

from tests.utilities.tooling import one, refused


@pytest.mark.parametrize(
    "address",
    [
        "a@b.co",
        "john.smith+tag@example.com",
        "o'neil@sub.example.co.uk",
        "x_y-z@my-domain.io",
        "user@example.xn--p1ai",
        "  padded@example.com  ",
        "l" * 64 + "@example.com",
    ],
)
def test_valid_email_addresses(address: str) -> None:
    assert one("tools/email-syntax", Email=address) == {"Email": address.strip(), "IsValid": True}


@pytest.mark.parametrize(
    "address",
    [
        "plainaddress",
        "a@b",
        "a@b.c",
        "a..b@example.com",
        ".a@example.com",
        "a.@example.com",
        "a b@example.com",
        "a@-example.com",
        "a@example-.com",
        "a@example..com",
        "a@1.2.3.4",
        "a@@example.com",
        "a@example.com.",
        "l" * 65 + "@example.com",
        "a@" + "d" * 64 + ".com",
        "a@" + ("d" * 60 + ".") * 5 + "com",  # longer than 254 characters
    ],
)
def test_invalid_email_addresses(address: str) -> None:
    assert one("tools/email-syntax", Email=address) == {"Email": address, "IsValid": False}


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        ({}, "Email: required"),
        ({"Email": ""}, "Email: required"),
        ({"Email": ["a@b.co", "c@d.co"]}, "Email: must be a single value, not a list"),
    ],
)
def test_email_bad_input(inputs: dict[str, Any], message: str) -> None:
    refused("tools/email-syntax", message, **inputs)


def test_regex_match() -> None:
    assert one("tools/regex-match", Text="Order ORD-1234 shipped", Pattern=r"ORD-(\d+)(x)?") == {
        "IsMatch": True,
        "Match": "ORD-1234",
        "Groups": ["1234", None],
    }
    assert one("tools/regex-match", Text="Order ord-9", Pattern=r"ORD-\d") == {
        "IsMatch": False,
        "Match": None,
        "Groups": [],
    }
    assert one("tools/regex-match", Text="Order ord-9", Pattern=r"ORD-\d", IgnoreCase="true") == {
        "IsMatch": True,
        "Match": "ord-9",
        "Groups": [],
    }
    assert one("tools/regex-match", Text="abc", Pattern="^abc$", IgnoreCase=False)["IsMatch"]
    # Empty text is text: an optional pattern can match it.
    assert one("tools/regex-match", Pattern="^$")["IsMatch"] is True
    assert one("tools/regex-match", Text="x" * 100_000, Pattern="x$")["IsMatch"] is True


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        ({"Text": "abc"}, "Pattern: required"),
        (
            {"Text": "abc", "Pattern": "("},
            "Pattern: not a valid regular expression "
            "(missing ), unterminated subpattern at position 0)",
        ),
        (
            {"Text": "abc", "Pattern": "a" * 1001},
            "Pattern: 1001 characters; at most 1000 are allowed",
        ),
        (
            {"Text": "x" * 100_001, "Pattern": "x"},
            "Text: 100001 characters; at most 100000 are allowed",
        ),
        (
            {"Text": "abc", "Pattern": "a", "IgnoreCase": "maybe"},
            "IgnoreCase: 'maybe' is not true or false",
        ),
        ({"Text": ["a", "b"], "Pattern": "a"}, "Text: must be a single value, not a list"),
    ],
)
def test_regex_bad_input(inputs: dict[str, Any], message: str) -> None:
    refused("tools/regex-match", message, **inputs)
