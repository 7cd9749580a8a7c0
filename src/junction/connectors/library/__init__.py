"""The third-party connectors Junction ships (``library/<slug>.yaml``): HubSpot, Slack,
Stripe and the other apps customers ask for, each curated from the vendor's own API
description where one is published. They join the catalogue at start-up beside the utility
connectors; ``JUNCTION_LIBRARY_CONNECTORS`` chooses which (docs/connectors.md lists them).

A definition's ``Icon`` is filled in from ``icons/<slug>.svg`` (a ``data:`` URI), so the
YAML stays readable and the icons stay files a designer can open.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Collection
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any

from junction.connectors.catalog.documents import load_yaml


def _folder() -> Traversable:
    return resources.files("junction.connectors") / "library"


def slugs() -> list[str]:
    """Every shipped connector's slug (its file name without ``.yaml``), sorted."""
    return sorted(e.name[:-5] for e in _folder().iterdir() if e.name.endswith(".yaml"))


def icon(slug: str) -> str | None:
    entry = _folder() / "icons" / f"{slug}.svg"
    if not entry.is_file():
        return None
    return "data:image/svg+xml;base64," + base64.b64encode(entry.read_bytes()).decode("ascii")


# Top-level keys start a line; a shipped file says its Name and Version there (a test holds
# every file to it), so a start-up can tell what the catalogue lacks without parsing YAML.
_TOP_LEVEL = re.compile(r"^(Name|Version):[ \t]*(.+?)[ \t]*$", re.MULTILINE)


def release_of(slug: str) -> tuple[str, str]:
    """The Name and Version of a shipped file, read without parsing it."""
    found = dict(_TOP_LEVEL.findall((_folder() / f"{slug}.yaml").read_text(encoding="utf-8")))
    name, version = (str(load_yaml(found.get(key, "''"))) for key in ("Name", "Version"))
    return name, version


def definition(slug: str) -> dict[str, Any]:
    document = load_yaml((_folder() / f"{slug}.yaml").read_text(encoding="utf-8"))
    if not isinstance(document, dict):
        raise ValueError(f"library/{slug}.yaml is not a connector definition")
    if "Icon" not in document and (data_uri := icon(slug)) is not None:
        document["Icon"] = data_uri
    return document


def choose(chosen: str) -> list[str]:
    """The slugs that ``chosen`` names: ``all``, ``none``, or slugs joined by commas, as
    the ``library_connectors`` setting checked them (an unknown slug is refused there)."""
    choice = chosen.strip().lower()
    if choice == "none":
        return []
    if choice == "all":
        return slugs()
    return [s.strip() for s in choice.split(",") if s.strip()]


def definitions(
    chosen: str = "all", *, leaving: Collection[tuple[str, str]] = ()
) -> list[dict[str, Any]]:
    """The shipped definitions that ``chosen`` names (see ``choose``), but for the releases
    in ``leaving`` (Name, Version), which are not read at all."""
    return [definition(slug) for slug in choose(chosen) if release_of(slug) not in leaving]
