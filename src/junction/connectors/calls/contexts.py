"""What a call of an account connector's method is made from, kept in memory between calls.

A Data on Demand call needs the account connector (checked to be the account's), its
connection (decrypted credentials and properties), its connector's definition, the method
and the account connector's custom fields. Reading them took one joined query in a read
transaction per call, about half of a call's own CPU (docs/benchmarks.md, "Account
connector contexts from memory"). They are read once and kept here, per account, account
connector and method, until any of the tables they come from is written: the
``CONNECTIONS`` change notice (``db.changes``) empties the cache in every process, in this
one before the writing request is answered. The gateway's ``ttl`` bounds what no notice
reports (rows edited by hand in the database). While the notices cannot be heard (PostgreSQL's
LISTEN connection down) nothing is answered from here.

OAuth access tokens are not part of it: the token source reads the current token for each
call, as before.
"""

from __future__ import annotations

import time
from collections.abc import Hashable
from typing import Generic, TypeVar

from junction.accounts.models import Account
from junction.connectors.accounts.models import (
    AccountConnector,
    AccountConnectorField,
    AccountConnectorProperty,
)
from junction.connectors.catalog.models import (
    Connector,
    ConnectorField,
    ConnectorMethod,
    PartnerConnectorProperty,
)
from junction.db.changes import CONNECTIONS, ChangeFeed, watch_tables

# Past this many contexts the cache starts afresh: a bound on memory.
MAX_CONTEXTS = 10_000

# Accounts: deleting one removes its account connectors by ON DELETE CASCADE, which no
# session event sees.
watch_tables(
    CONNECTIONS,
    Account,
    AccountConnector,
    AccountConnectorField,
    AccountConnectorProperty,
    Connector,
    ConnectorMethod,
    ConnectorField,
    PartnerConnectorProperty,
)

T = TypeVar("T")


class ContextCache(Generic[T]):
    def __init__(self, feed: ChangeFeed, ttl: float, size: int = MAX_CONTEXTS) -> None:
        self._feed = feed
        # A bound for what no notice reports (rows edited by hand in the database).
        self._ttl = ttl
        self._size = size
        self._kept: dict[Hashable, tuple[float, T]] = {}
        # Bumped by every change notice: a read that began before one is not kept.
        self.generation = 0
        feed.subscribe(self._changed)

    def _changed(self, topics: frozenset[str] | None) -> None:
        if topics is None or CONNECTIONS in topics:
            self.forget()

    def forget(self) -> None:
        self.generation += 1
        self._kept = {}

    def get(self, key: Hashable) -> T | None:
        if not self._feed.live():
            return None
        found = self._kept.get(key)
        if found is None or time.monotonic() - found[0] >= self._ttl:
            return None
        return found[1]

    def keep(self, generation: int, key: Hashable, value: T) -> None:
        """Keep what a read that began at ``generation`` found, unless a change came since."""
        if generation != self.generation:
            return
        if len(self._kept) >= self._size:
            self._kept = {}
        self._kept[key] = (time.monotonic(), value)
