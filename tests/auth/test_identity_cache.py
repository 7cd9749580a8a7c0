"""Tokens and accounts answered from memory, and changes reaching every process.

Two Junctions share one database, as two ``junction serve`` processes would: each has its
own services (its own memory, stamp-file view or LISTEN connection). What one revokes or
deletes, the other refuses at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

import psycopg
from sqlalchemy import select
from sqlalchemy.engine import make_url

from junction.auth import service as auth_service
from junction.auth.models import AccessToken
from junction.db import migrate
from junction.db.changes import CHANNEL, RECONNECT_SECONDS
from junction.security.hashing import token_hash
from junction.services import Services
from tests.fixtures.databases import fresh_database
from tests.fixtures.shared_database import (
    NOTICE_DEADLINE_SECONDS,
    eventually,
    partner_token,
    serving,
)


async def _token_id(services: Services, token: str) -> str:
    async with services.database.transaction(read_only=True) as session:
        found = await session.scalar(
            select(AccessToken.id).where(AccessToken.token_hash == token_hash(token))
        )
    assert found is not None
    return found


def _live(services: Services) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return services.database.changes.live()

    return check


def test_revocations_and_deletions_reach_the_other_process(
    database_url: str, tmp_path: Path
) -> None:
    postgres = not database_url.startswith("sqlite")

    async def scenario() -> None:
        async with (
            serving(database_url, tmp_path / "one") as (one, first),
            serving(database_url, tmp_path / "two") as (two, second),
        ):
            admin = await partner_token(one, first, "admin")
            victim = await partner_token(one, first, "victim")
            as_admin = {"Authorization": f"Bearer {admin}"}
            as_victim = {"Authorization": f"Bearer {victim}"}
            for name in ("acme", "globex"):
                created = await first.post(
                    "/v1.0/accounts", json={"Id": name, "Name": name}, headers=as_admin
                )
                assert created.status_code == 200, created.text
            # The second process listens for notices from its first request on.
            await second.get("/v1.0/accounts", headers=as_admin)
            await eventually(_live(two), NOTICE_DEADLINE_SECONDS)

            async def status(headers: dict[str, str], account: str) -> int:
                answer = await second.get(
                    "/v1.0/account", headers=headers | {"X-Cyclr-Account": account}
                )
                return answer.status_code

            assert await status(as_admin, "acme") == 200
            assert await status(as_victim, "globex") == 200
            # Both tokens and both accounts are now answered from the second one's memory.
            now = two.clock()
            assert two.identities.token(token_hash(victim), now) is not None
            assert two.identities.token(token_hash(admin), now) is not None
            assert two.identities.has_account("acme")
            assert two.identities.has_account("globex")

            async def becomes(headers: dict[str, str], account: str, expected: int) -> None:
                if not postgres:
                    # The stamp is read before every answer from memory: the very next
                    # request sees the change.
                    assert await status(headers, account) == expected
                    return

                async def check() -> bool:
                    return await status(headers, account) == expected

                await eventually(check, NOTICE_DEADLINE_SECONDS)

            # An account deleted in the first process is unknown to the second.
            deleted = await first.delete("/v1.0/accounts/acme", headers=as_admin)
            assert deleted.status_code == 200
            await becomes(as_admin, "acme", 404)
            assert await status(as_admin, "globex") == 200

            # A token revoked in the first process is refused by the second.
            revoked = await first.delete(
                f"/v1.0/tokens/{await _token_id(one, victim)}", headers=as_admin
            )
            assert revoked.status_code == 200
            await becomes(as_victim, "globex", 401)
            assert await status(as_admin, "globex") == 200

            # A credential set deleted in the first process: its tokens are refused too.
            async with one.database.transaction() as session:
                client_id = await auth_service.identify(session=session, token=admin, now=now)
                assert client_id is not None
                await auth_service.delete_credentials(
                    session=session, client_id=client_id[0].client_id
                )
            await becomes(as_admin, "globex", 401)

    asyncio.run(scenario())


def test_without_notices_postgresql_answers_from_the_database(tmp_path: Path) -> None:
    """While a process's LISTEN connection is down it cannot know what changed: it reads
    every token from the database until the connection is back."""
    with fresh_database("postgres", tmp_path, migrated=True) as url:
        migrate.upgrade(url)

        async def scenario() -> None:
            async with (
                serving(url, tmp_path / "one") as (one, first),
                serving(url, tmp_path / "two") as (two, second),
            ):
                token = await partner_token(one, first, "partner")
                headers = {"Authorization": f"Bearer {token}"}
                assert (await second.get("/v1.0/accounts", headers=headers)).status_code == 200
                await eventually(_live(two), NOTICE_DEADLINE_SECONDS)
                assert (await second.get("/v1.0/accounts", headers=headers)).status_code == 200
                assert two.identities.token(token_hash(token), two.clock()) is not None

                admin = make_url(url).set(drivername="postgresql")
                async with await psycopg.AsyncConnection.connect(
                    admin.render_as_string(hide_password=False), autocommit=True
                ) as connection:
                    # Cut the second process's notices, then revoke while it cannot hear.
                    await connection.execute(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                        " WHERE query = %s AND pid <> pg_backend_pid()",
                        (f"LISTEN {CHANNEL}",),
                    )
                    await eventually(_not(_live(two)), NOTICE_DEADLINE_SECONDS)
                    async with one.database.transaction() as session:
                        await auth_service.revoke_token(
                            session=session, token_id=await _token_id(one, token), now=one.clock()
                        )
                    answer = await second.get("/v1.0/accounts", headers=headers)
                    assert answer.status_code == 401
                # It listens again by itself, and starts with an empty memory.
                await eventually(_live(two), RECONNECT_SECONDS + NOTICE_DEADLINE_SECONDS)
                assert two.identities.token(token_hash(token), two.clock()) is None

        asyncio.run(scenario())


def _not(check: Callable[[], Awaitable[bool]]) -> Callable[[], Awaitable[bool]]:
    async def negated() -> bool:
        return not await check()

    return negated
