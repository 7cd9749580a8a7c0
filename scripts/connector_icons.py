"""Copy the shipped connectors' brand icons into src/junction/connectors/library/icons.

The icons come from the ``simple-icons`` package of the npm registry (CC0 1.0), at the
version locked in scripts/icons/package-lock.json, each filled with the brand's colour. A
brand that simple-icons does not carry (some vendors ask for their marks to be left out)
gets a monogram drawn here: the brand's initials on a square of its colour. The copies are
kept in the repository, so nothing is fetched when Junction runs:

    npm ci --prefix scripts/icons && uv run python scripts/connector_icons.py

Each connector's icon is named ``<slug>.svg``, the slug of its definition file.
"""

from __future__ import annotations

import json
import re
import sys
from html import escape
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "scripts" / "icons" / "node_modules" / "simple-icons"
TARGET = ROOT / "src" / "junction" / "connectors" / "library" / "icons"

# connector slug -> simple-icons slug, or (initials, colour) for a monogram.
ICONS: dict[str, str | tuple[str, str]] = {
    "airtable": "airtable",
    "box": "box",
    "calendly": "calendly",
    "clickup": "clickup",
    "freshdesk": ("Fd", "#25C16F"),
    "github": "github",
    "gmail": "gmail",
    "google-sheets": "googlesheets",
    "hubspot": "hubspot",
    "intercom": "intercom",
    "jira": "jira",
    "klaviyo": ("K", "#232426"),
    "mailchimp": "mailchimp",
    "microsoft-graph": ("MS", "#0078D4"),
    "monday": ("m", "#FF3D57"),
    "notion": "notion",
    "pipedrive": ("P", "#017737"),
    "quickbooks": "quickbooks",
    "salesforce": ("SF", "#00A1E0"),
    "sendgrid": ("SG", "#1A82E2"),
    "shopify": "shopify",
    "slack": ("S", "#4A154B"),
    "stripe": "stripe",
    "trello": "trello",
    "twilio": ("T", "#F22F46"),
    "typeform": "typeform",
    "woocommerce": "woocommerce",
    "xero": "xero",
    "zendesk": "zendesk",
    "zoho-crm": "zoho",
    "zoom": "zoom",
}


def monogram(initials: str, colour: str, title: str) -> str:
    size = 11 if len(initials) == 1 else 9
    return (
        '<svg role="img" viewBox="0 0 24 24" xmlns="http://www.w3.org/2000/svg">'
        f"<title>{escape(title)}</title>"
        f'<rect width="24" height="24" rx="5" fill="{colour}"/>'
        f'<text x="12" y="16" font-family="Arial,Helvetica,sans-serif" font-size="{size}" '
        f'font-weight="700" fill="#fff" text-anchor="middle">{escape(initials)}</text></svg>'
    )


def main() -> int:
    if not PACKAGE.is_dir():
        print("run `npm ci --prefix scripts/icons` first", file=sys.stderr)
        return 1
    data = json.loads((PACKAGE / "data" / "simple-icons.json").read_text(encoding="utf-8"))
    entries = data if isinstance(data, list) else data["icons"]
    colours = {entry.get("slug", ""): entry["hex"] for entry in entries}
    TARGET.mkdir(parents=True, exist_ok=True)
    for slug, source in sorted(ICONS.items()):
        if isinstance(source, tuple):
            svg = monogram(source[0], source[1], slug.replace("-", " ").title())
        else:
            svg = (PACKAGE / "icons" / f"{source}.svg").read_text(encoding="utf-8")
            svg = re.sub(r"^<svg ", f'<svg fill="#{colours[source]}" ', svg, count=1)
        (TARGET / f"{slug}.svg").write_text(svg.strip() + "\n", encoding="utf-8")
    print(f"{len(ICONS)} icons written to {TARGET.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
