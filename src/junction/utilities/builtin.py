"""The connectors Junction ships, added to the catalogue at start-up like any connector
release, so templates and accounts use them through the usual APIs: the utility connectors
(``connectors/builtin/*.yaml``) and the third-party connectors of the library
(``connectors/library``) that the ``library_connectors`` setting chooses."""

from __future__ import annotations

import logging
from datetime import datetime
from importlib import resources

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from junction.connectors import library
from junction.connectors.catalog import service as catalog
from junction.connectors.catalog.documents import load_yaml
from junction.connectors.catalog.models import Connector
from junction.db.engine import Database
from junction.errors import JunctionError

log = logging.getLogger("junction.utilities")


def definitions() -> list[dict[str, object]]:
    folder = resources.files("junction.connectors") / "builtin"
    documents = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".yaml"):
            documents.append(load_yaml(entry.read_text(encoding="utf-8")))
    return documents


async def register(*, database: Database, now: datetime, library_connectors: str = "none") -> None:
    """Add each shipped release that the catalogue lacks (a second start changes nothing).

    A release already stored under its Name and Version is left alone without reading its
    file again: Live releases cannot change, so a changed shipped definition comes with a
    new Version, and starting stays quick with dozens of large definitions."""
    async with database.transaction() as session:
        rows = await session.execute(select(Connector.name, Connector.version))
        stored = {(name, version) for name, version in rows}
    documents = definitions() + library.definitions(library_connectors, leaving=stored)
    for document in documents:
        if (document.get("Name"), document.get("Version")) in stored:
            continue
        try:
            async with database.transaction() as session:
                await catalog.add_release(session=session, document=document, now=now)
        except IntegrityError:
            log.info("%s was added by another process meanwhile", document.get("Name"))
        except JunctionError as exc:
            # The server still starts: one broken shipped file must not take the API down.
            log.warning("shipped connector %s not added: %s", document.get("Name"), exc.message)
