"""The utility connectors Junction ships (``connectors/builtin/*.yaml``), added to the
catalogue at start-up like any connector release, so templates and accounts use them
through the usual APIs."""

from __future__ import annotations

import logging
from datetime import datetime
from importlib import resources

import yaml
from sqlalchemy.exc import IntegrityError

from junction.connectors.catalog import service as catalog
from junction.db.engine import Database
from junction.errors import JunctionError

log = logging.getLogger("junction.utilities")


def definitions() -> list[dict[str, object]]:
    folder = resources.files("junction.connectors") / "builtin"
    documents = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".yaml"):
            documents.append(yaml.safe_load(entry.read_text(encoding="utf-8")))
    return documents


async def register(*, database: Database, now: datetime) -> None:
    """Add each shipped release that the catalogue lacks (a second start changes nothing)."""
    for document in definitions():
        try:
            async with database.transaction() as session:
                await catalog.add_release(session=session, document=document, now=now)
        except IntegrityError:
            log.info("%s was added by another process meanwhile", document.get("Name"))
        except JunctionError as exc:
            # A Live release cannot change: a changed shipped definition needs a new
            # Version. The stored release keeps serving rather than the server not starting.
            log.warning("utility connector %s not updated: %s", document.get("Name"), exc.message)
