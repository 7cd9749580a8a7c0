"""The catalogue part of docs/connectors.md, generated from the shipped definitions.

One section per connector in src/junction/connectors/library: its category, authentication,
methods by category, triggers, rate limits and how its calls are verified (from
tests/fixtures/vendors/<slug>/source.md). Written by hand it would drift from the YAML:

    uv run python scripts/connectors_doc.py            print the block
    uv run python scripts/connectors_doc.py --write    put it into docs/connectors.md
    uv run python scripts/connectors_doc.py --check    exit 1, with a diff, if the doc is stale

The block sits between ``<!-- catalogue:start -->`` and ``<!-- catalogue:end -->``.
"""

from __future__ import annotations

import argparse
import difflib
import functools
import json
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

from junction.connectors.catalog.documents import load_yaml

ROOT = Path(__file__).resolve().parent.parent
LIBRARY = ROOT / "src" / "junction" / "connectors" / "library"
VENDORS = ROOT / "tests" / "fixtures" / "vendors"
DOC = ROOT / "docs" / "connectors.md"
START = "<!-- catalogue:start -->"
END = "<!-- catalogue:end -->"
WRITE_COMMAND = "uv run python scripts/connectors_doc.py --write"


@functools.cache
def definition_of(slug: str) -> dict[str, Any]:
    document: dict[str, Any] = load_yaml((LIBRARY / f"{slug}.yaml").read_text(encoding="utf-8"))
    return document


def _auth(definition: dict[str, Any]) -> str:
    entries = definition.get("Authentication") or []
    if not entries:
        return "none"
    parts = []
    for entry in entries:
        kind = entry["AuthType"]
        if kind == "OAuth2":
            oauth = entry.get("OAuth2") or {}
            scopes = oauth.get("Scopes") or []
            text = f"OAuth 2.0 ({oauth.get('OAuth2Type', 'AuthorisationCode')}"
            text += f", scopes {', '.join(f'`{s}`' for s in scopes)})" if scopes else ")"
        elif kind == "ApiKey":
            key = entry.get("ApiKey") or {}
            where = key.get("Location", "HttpHeader")
            name = key.get("Name", "X-Api-Key")
            prefix = key.get("Prefix", "")
            text = f"API key ({where} `{name}`{f', prefix `{prefix.strip()}`' if prefix else ''})"
        elif kind == "Basic":
            text = "HTTP Basic"
        elif kind == "AuthFields":
            keys = ", ".join(f"`{f['Key']}`" for f in entry.get("AuthFields") or [])
            text = f"fields {keys}"
        else:
            text = kind
        parts.append(text)
    return "; or ".join(parts)


def _verified(slug: str) -> str:
    """Which description the contract test's mock serves, from the vendor folder's
    source.md (it says "written for Junction" when the vendor's own is not used)."""
    source = VENDORS / slug / "source.md"
    if not source.exists():
        return "not verified: no API description is kept"
    link = f"[source and licence](../tests/fixtures/vendors/{slug}/source.md)"
    if "written for junction" in source.read_text(encoding="utf-8").lower():
        return (
            "a mock of an API description written for Junction from the vendor's "
            f"documentation ({link})"
        )
    return f"a mock of the vendor's own API description, cut to the operations called ({link})"


def section(slug: str) -> str:
    definition = definition_of(slug)
    methods = definition.get("Methods") or []
    by_category: dict[str, list[str]] = defaultdict(list)
    webhooks, polling = [], []
    for method in methods:
        if method.get("Hidden"):
            continue
        if method.get("MethodType") == "Webhook":
            auto = " (installed automatically)" if method.get("CreateWebhookMethod") else ""
            webhooks.append(f"{method['Name']}{auto}")
            continue
        by_category[method.get("Category") or "Other"].append(method["Name"])
        text = json.dumps(method, default=str)
        if "LastSuccessfulRunDate" in text or "last_successful_run_date" in text:
            polling.append(method["Name"])
    names = {m["MethodUniqueIdentifier"]: m["Name"] for m in methods}
    lookups = [
        f"`{t['Name']}` ({names.get(t['MethodUniqueIdentifier'], t['MethodUniqueIdentifier'])})"
        for t in definition.get("Triggers") or []
    ]

    def rate(limit: dict[str, Any]) -> str:
        return f"{limit['Requests']} requests per {limit['IntervalSeconds']:g} s"

    limits = [rate(r) for r in definition.get("RateLimits") or []]
    own = sorted(
        {rate(r) for m in methods for r in m.get("RateLimits") or []},
        key=lambda text: float(text.split()[0]),
    )
    if own:
        limits.append(f"some methods also {', '.join(own)}")
    calls = sum(len(v) for v in by_category.values())
    out = [f"### {definition['Name']}", ""]
    if definition.get("Description"):
        out += [definition["Description"].strip(), ""]
    out += [
        f"- **Category:** {', '.join(definition.get('Categories') or [])}",
        f"- **Authentication:** {_auth(definition)}",
        f"- **Methods ({calls}):** "
        + "; ".join(f"*{cat}*: {', '.join(names)}" for cat, names in sorted(by_category.items())),
        f"- **Webhook triggers:** {', '.join(webhooks) if webhooks else 'none'}",
        f"- **Polling triggers (new or changed since the last run):** "
        f"{', '.join(polling) if polling else 'none'}",
        f"- **Look-ups:** {', '.join(str(x) for x in lookups) if lookups else 'none'}",
        f"- **Rate limits:** {'; '.join(limits) if limits else 'none declared'}",
        f"- **Verified against:** {_verified(slug)}",
        "",
    ]
    return "\n".join(out)


def generate() -> str:
    slugs = sorted(p.stem for p in LIBRARY.glob("*.yaml"))
    rows = ["| connector | category | authentication | methods |", "|---|---|---|---|"]
    for slug in slugs:
        definition = definition_of(slug)
        count = sum(
            1
            for m in definition.get("Methods") or []
            if not m.get("Hidden") and m.get("MethodType") != "Webhook"
        )
        kind = ", ".join(e["AuthType"] for e in definition.get("Authentication") or []) or "None"
        anchor = definition["Name"].lower().replace(" ", "-")
        anchor = "".join(c for c in anchor if c.isalnum() or c in "-_")
        rows.append(
            f"| [{definition['Name']}](#{anchor}) | {', '.join(definition.get('Categories') or [])}"
            f" | {kind} | {count} |"
        )
    body = "\n".join(rows) + "\n\n" + "\n".join(section(slug) for slug in slugs)
    return f"{START}\n{body.rstrip()}\n{END}"


def with_block(text: str, block: str) -> str:
    head, _, rest = text.partition(START)
    _, _, tail = rest.partition(END)
    return head + block + tail


def stale_diff() -> str:
    current = DOC.read_text(encoding="utf-8")
    wanted = with_block(current, generate())
    if current == wanted:
        return ""
    return "".join(
        difflib.unified_diff(
            current.splitlines(keepends=True), wanted.splitlines(keepends=True), "doc", "wanted"
        )
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="The catalogue block of docs/connectors.md.")
    action = parser.add_mutually_exclusive_group()
    action.add_argument("--write", action="store_true", help="update docs/connectors.md")
    action.add_argument("--check", action="store_true", help="fail if the doc is out of date")
    args = parser.parse_args(argv)
    if args.check:
        diff = stale_diff()
        if diff:
            sys.stdout.write(diff)
            print(f"\ndocs/connectors.md is out of date; run `{WRITE_COMMAND}`.")
            return 1
        return 0
    if args.write:
        DOC.write_text(with_block(DOC.read_text(encoding="utf-8"), generate()), encoding="utf-8")
        return 0
    print(generate())
    return 0


if __name__ == "__main__":
    sys.exit(main())
