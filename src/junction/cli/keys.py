"""``junction keys``: encryption keys for secrets at rest."""

from __future__ import annotations

import typer

from junction.cli.common import console
from junction.security.keyring import generate_key, new_key_id

app = typer.Typer(help="Encryption keys for secrets stored in the database.", no_args_is_help=True)


@app.command()
def generate() -> None:
    """Print a new key as a JUNCTION_ENCRYPTION_KEYS entry (key_id:key)."""
    console.print(f"{new_key_id()}:{generate_key()}", highlight=False, soft_wrap=True)
