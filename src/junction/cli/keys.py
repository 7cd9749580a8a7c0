"""``junction keys``: encryption keys for secrets at rest."""

from __future__ import annotations

from dataclasses import replace

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from junction.auth import service as auth_service
from junction.cli.common import (
    console,
    fail,
    keyring_for,
    load_settings,
    progress_bar,
    run_in_transaction,
)
from junction.connectors.accounts import service as account_connectors
from junction.security.keyring import (
    Keyring,
    b64decode,
    generate_key,
    new_key_id,
    write_keyring_file,
)

app = typer.Typer(help="Encryption keys for secrets stored in the database.", no_args_is_help=True)


async def _reseal_all(session: AsyncSession, keyring: Keyring) -> int:
    # Every table holding sealed values takes part here.
    total = await auth_service.sealed_count(session=session)
    total += await account_connectors.sealed_count(session=session)
    with progress_bar() as progress:
        task = progress.add_task("Re-encrypting secrets", total=total)

        def seen() -> None:
            progress.advance(task)

        count = await auth_service.reseal_secrets(session=session, keyring=keyring, seen=seen)
        return count + await account_connectors.reseal_secrets(
            session=session, keyring=keyring, seen=seen
        )


@app.command()
def generate() -> None:
    """Print a new key as a JUNCTION_ENCRYPTION_KEYS entry (key_id:key)."""
    console.print(f"{new_key_id()}:{generate_key()}", highlight=False, soft_wrap=True)


@app.command()
def reseal() -> None:
    """Re-encrypt every stored secret with the current primary key (the first one)."""
    settings = load_settings()
    keyring = keyring_for(settings)
    count = run_in_transaction(settings, lambda session: _reseal_all(session, keyring))
    console.print(
        f"Re-encrypted {count} secret(s) with key '{keyring.primary_key_id}'. "
        "Keys other than the primary are no longer needed for them."
    )


@app.command()
def rotate() -> None:
    """Add a new primary key to the keyring file in the data folder and re-encrypt with it."""
    settings = load_settings()
    if settings.encryption_keys:
        fail(
            "Keys come from JUNCTION_ENCRYPTION_KEYS: put a new key (from `junction keys "
            "generate`) first in that list, restart, then run `junction keys reseal`."
        )
    keyring = keyring_for(settings)
    key_id = new_key_id()
    rotated = replace(
        keyring, primary_key_id=key_id, keys={**keyring.keys, key_id: b64decode(generate_key())}
    )
    # Write the key before using it: a crash in between must not leave data sealed with a
    # key that exists nowhere.
    write_keyring_file(settings.keyring_path, rotated)
    count = run_in_transaction(settings, lambda session: _reseal_all(session, rotated))
    console.print(f"New primary key '{key_id}'; re-encrypted {count} secret(s).")
