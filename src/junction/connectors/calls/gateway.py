"""The connector gateway: the one way a process reaches third-party APIs.

It holds the connector runtime (the pooled HTTP client), the OAuth environment (token
refreshes, one at a time per account connector) and one cache of opened connections
(decrypted credentials and property values), shared by the engine, Data on Demand,
look-ups, custom field discovery and webhook installation alike.

A cached connection is reused for ``ttl`` seconds at most. A write to any table it is
opened from drops every cached connection at once, in this process and the others (the
``CONNECTIONS`` change notice, see ``contexts``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from junction.connectors.accounts.models import AccountConnector
from junction.connectors.calls import oauth
from junction.connectors.calls import service as calls
from junction.connectors.calls.connections import Connection, NotAuthenticated, open_connection
from junction.connectors.calls.contexts import ContextCache
from junction.connectors.runtime import Runtime
from junction.db.changes import CONNECTIONS
from junction.db.engine import Database
from junction.security.keyring import Keyring

CONNECTION_TTL = 30.0  # seconds a decrypted connection is reused before it is read again
CONNECTION_CACHE_SIZE = 1024


@dataclass
class _Cached:
    opened: float  # time.monotonic()
    connection: Connection


class ConnectorGateway:
    def __init__(
        self,
        *,
        database: Database,
        keyring: Keyring,
        runtime: Runtime,
        oauth_env: oauth.OAuthEnvironment,
        ttl: float = CONNECTION_TTL,
        size: int = CONNECTION_CACHE_SIZE,
    ) -> None:
        self.database = database
        self.keyring = keyring
        self.runtime = runtime
        self.oauth = oauth_env
        self.ttl = ttl
        self.size = size
        self._connections: dict[int, _Cached] = {}
        # Whole call contexts (Data on Demand, method tests), kept until a change notice.
        self.contexts: ContextCache[calls.Prepared] = ContextCache(database.changes, ttl)
        database.changes.subscribe(self._changed)

    async def connection(self, account_connector_id: int) -> Connection:
        """The account connector's connection, from the cache while it is fresh."""
        cached = self._connections.get(account_connector_id)
        if cached is not None and time.monotonic() - cached.opened < self.ttl:
            return cached.connection
        async with self.database.transaction(read_only=True) as session:
            row = await session.get(AccountConnector, account_connector_id)
            if row is None:
                raise NotAuthenticated(f"Account connector {account_connector_id} was removed")
            connection = await open_connection(
                session=session,
                keyring=self.keyring,
                row=row,
                token_source=calls.token_sources(self.oauth),
            )
        self._keep(account_connector_id, connection)
        return connection

    def cached(self, row: AccountConnector) -> Connection | None:
        """The cached connection of ``row`` if it is fresh and was opened from this very
        version of the row (its ``updated_at``): callers that read the row anyway use it to
        skip decrypting again, and never get credentials older than the row they read."""
        cached = self._connections.get(row.id)
        if cached is None or time.monotonic() - cached.opened >= self.ttl:
            return None
        if cached.connection.row.updated_at != row.updated_at:
            return None
        return cached.connection

    async def open(self, *, session: AsyncSession, row: AccountConnector) -> Connection:
        """``row``'s connection, opened in the caller's ``session`` unless the cache holds
        one opened from this very version of the row. For callers that read the row anyway
        (Data on Demand, look-ups, discovery, webhook installation): they never act on
        credentials older than the row they read."""
        cached = self.cached(row)
        if cached is not None:
            return cached
        connection = await open_connection(
            session=session,
            keyring=self.keyring,
            row=row,
            token_source=calls.token_sources(self.oauth),
        )
        self._keep(row.id, connection)
        return connection

    def _keep(self, account_connector_id: int, connection: Connection) -> None:
        self._connections[account_connector_id] = _Cached(time.monotonic(), connection)
        if len(self._connections) > self.size:
            oldest = min(self._connections, key=lambda key: self._connections[key].opened)
            del self._connections[oldest]

    def _changed(self, topics: frozenset[str] | None) -> None:
        # What connections are opened from changed, here or in another process.
        if topics is None or CONNECTIONS in topics:
            self._connections.clear()

    async def close(self) -> None:
        await self.runtime.close()
