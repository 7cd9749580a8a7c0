"""Cyclr Tools: checks of a value's form (an email address's syntax, a regular expression).

The email check is syntax only, with no DNS or mailbox lookup: an address is valid when it
is at most 254 characters and is ``local@domain`` where

- the local part is 1-64 characters of letters, digits and ``!#$%&'*+/=?^_`{|}~-``,
  in dot-separated runs (no leading, trailing or doubled dot; no quoted local parts);
- the domain is at least two dot-separated labels of 1-63 letters, digits or hyphens
  (not starting or ending with a hyphen), the last being 2 or more letters (no IP-literal
  domains, no internationalised names other than their ``xn--`` form).

The regular-expression match uses Python's ``re`` (``(?P<name>...)`` groups, ``\\d``...).
Python has no match time-out, so to bound the work the text may be at most 100,000
characters and the pattern at most 1,000; a pattern that backtracks badly can still be slow
on long text, so keep patterns simple.
"""

from __future__ import annotations

import re
from typing import Any

from junction.utilities.data_values import flag
from junction.utilities.operations import UtilityContext, UtilityError, operation, text

MAX_EMAIL = 254
MAX_LOCAL = 64
MAX_TEXT = 100_000
MAX_PATTERN = 1_000

_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_EMAIL = re.compile(
    rf"(?P<local>{_ATOM}(?:\.{_ATOM})*)@(?P<domain>(?:{_LABEL}\.)+[A-Za-z]{{2,63}})"
)
_PUNYCODE_TLD = re.compile(r"xn--[a-z0-9-]{1,59}", re.IGNORECASE)


def email_is_valid(address: str) -> bool:
    if len(address) > MAX_EMAIL:
        return False
    match = _EMAIL.fullmatch(address)
    if match is None:
        # An internationalised top-level domain in its xn-- form (``example.xn--p1ai``).
        local, _, domain = address.rpartition("@")
        head, _, tld = domain.rpartition(".")
        if not (_PUNYCODE_TLD.fullmatch(tld) and head):
            return False
        match = _EMAIL.fullmatch(f"{local}@{head}.aa")
        if match is None:
            return False
    return len(match.group("local")) <= MAX_LOCAL


@operation("tools/email-syntax")
async def email_syntax(context: UtilityContext, inputs: dict[str, Any]) -> list[dict[str, Any]]:
    address = text(inputs, "Email").strip()
    return [{"Email": address, "IsValid": email_is_valid(address)}]


@operation("tools/regex-match")
async def regex_match(context: UtilityContext, inputs: dict[str, Any]) -> list[dict[str, Any]]:
    subject = text(inputs, "Text", required=False)
    if len(subject) > MAX_TEXT:
        raise UtilityError(f"Text: {len(subject)} characters; at most {MAX_TEXT} are allowed")
    source = text(inputs, "Pattern")
    if len(source) > MAX_PATTERN:
        raise UtilityError(f"Pattern: {len(source)} characters; at most {MAX_PATTERN} are allowed")
    flags = re.IGNORECASE if flag(inputs, "IgnoreCase", False) else 0
    try:
        pattern = re.compile(source, flags)
    except re.error as exc:
        raise UtilityError(f"Pattern: not a valid regular expression ({exc})") from None
    found = pattern.search(subject)
    if found is None:
        return [{"IsMatch": False, "Match": None, "Groups": []}]
    return [{"IsMatch": True, "Match": found.group(0), "Groups": list(found.groups())}]
