"""Bearer tokens and accounts already checked, answered from memory.

Every ``/v1.0`` request names a token, and account-level ones an account. Both are read
from the database once, then from here until they expire or change: revoking a token,
deleting a credential set or deleting an account announces the ``AUTH`` topic
(``db.changes``), which empties this cache in every process (this one before the revoking
request is answered). Unknown tokens are never kept, so a guessed token costs a database
read each time, as before.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from junction.auth.service import Identity
from junction.db.changes import AUTH, ChangeFeed

# Past this many tokens (or accounts) the cache starts afresh: a bound on memory that a
# flood of valid tokens cannot push past.
MAX_ENTRIES = 20_000


@dataclass(frozen=True)
class Remembered:
    """What a token stood for when it was read, and until when it holds."""

    identity: Identity
    expires_at: datetime


class IdentityCache:
    def __init__(self, feed: ChangeFeed) -> None:
        self._feed = feed
        self._tokens: dict[str, Remembered] = {}
        self._accounts: set[str] = set()
        # Bumped by every change notice: a read that began before one is not kept.
        self.generation = 0
        feed.subscribe(self._changed)

    def _changed(self, topics: frozenset[str] | None) -> None:
        if topics is None or AUTH in topics:
            self.forget()

    def forget(self) -> None:
        self.generation += 1
        self._tokens = {}
        self._accounts = set()

    def token(self, token_hash: str, now: datetime) -> Remembered | None:
        if not self._feed.live():
            return None
        found = self._tokens.get(token_hash)
        if found is None or found.expires_at <= now:
            return None
        return found

    def has_account(self, account_id: str) -> bool:
        return account_id in self._accounts and self._feed.live()

    def keep(
        self,
        generation: int,
        *,
        token_hash: str | None = None,
        token: Remembered | None = None,
        account_id: str | None = None,
    ) -> None:
        """Keep what a read that began at ``generation`` found, unless a change came since."""
        if generation != self.generation:
            return
        if token_hash is not None and token is not None:
            if len(self._tokens) >= MAX_ENTRIES:
                self._tokens = {}
            self._tokens[token_hash] = token
        if account_id is not None:
            if len(self._accounts) >= MAX_ENTRIES:
                self._accounts = set()
            self._accounts.add(account_id)
