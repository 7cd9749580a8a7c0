"""Generate a migration from the difference between the models and the latest migration.

Usage: uv run scripts/new_migration.py "short description"
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from alembic import command

from junction.db.migrate import alembic_config, upgrade


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'head.db'}"
        upgrade(url)
        versions = Path(__file__).parents[1] / "src/junction/db/migrations/versions"
        number = len([p for p in versions.glob("[0-9]*.py")]) + 1
        command.revision(
            alembic_config(url), message=sys.argv[1], autogenerate=True, rev_id=f"{number:04d}"
        )


if __name__ == "__main__":
    main()
