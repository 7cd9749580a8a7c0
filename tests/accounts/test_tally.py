"""Data on Demand's task counts, written in groups: none lost, none written twice, each at
its own time, and an account deleted meanwhile left out without losing the others'."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, insert, select

from junction.accounts import tally as tally_module
from junction.accounts.models import Account, TaskUsage
from junction.accounts.tally import UsageTally
from junction.db.engine import Database

START = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


async def _rows(database: Database) -> list[tuple[str, int, datetime]]:
    async with database.transaction(read_only=True) as session:
        found = await session.execute(
            select(TaskUsage.account_id, TaskUsage.tasks, TaskUsage.counted_at).order_by(
                TaskUsage.id
            )
        )
        return [(row.account_id, row.tasks, row.counted_at) for row in found]


def test_counts_are_written_together_soon_after_the_calls(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tally_module, "FLUSH_SECONDS", 0.05)

    async def scenario() -> None:
        database = Database(database_url)
        tally = UsageTally(database)
        async with database.transaction() as session:
            for name in ("acme", "globex"):
                await session.execute(insert(Account).values(id=name, name=name, created_at=START))
        times = [START + timedelta(seconds=n) for n in range(3)]
        for moment in times:
            tally.add("acme", "DataOnDemand", 1, moment)
        tally.add("globex", "DataOnDemand", 1, times[0])
        assert await _rows(database) == []  # nothing written on the call itself
        for _ in range(100):
            await asyncio.sleep(0.02)
            if len(await _rows(database)) == 4:
                break
        written = await _rows(database)
        assert sorted(written) == sorted(
            [("acme", 1, moment) for moment in times] + [("globex", 1, times[0])]
        )

        # An account deleted before its counts are written: the others' still are.
        tally.add("acme", "DataOnDemand", 1, times[2])
        tally.add("globex", "DataOnDemand", 1, times[2])
        async with database.transaction() as session:
            await session.execute(delete(Account).where(Account.id == "globex"))
        await tally.close()
        # globex's rows went with it; acme's new count is there beside its earlier ones.
        assert sorted(await _rows(database)) == sorted(
            [("acme", 1, moment) for moment in [*times, times[2]]]
        )
        await tally.close()  # nothing held: nothing written twice
        assert len(await _rows(database)) == 4
        await database.dispose()

    asyncio.run(scenario())
