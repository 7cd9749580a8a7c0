"""Running a tools utility operation (Cyclr Tools, Data Tools, Generic File) on its own:
these operations keep nothing, so they need no database or installed connector."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime
from typing import Any, cast

import pytest

from junction.db.engine import Database
from junction.utilities.operations import UtilityContext, UtilityError, run

NOW = datetime(2024, 3, 10, 12, 30, 0, tzinfo=UTC)


def call(name: str, **inputs: Any) -> list[dict[str, Any]]:
    context = UtilityContext(
        database=cast(Database, None),
        account_id="acme",
        account_connector_id=0,
        cycle_id="cycle-1",
        now=NOW,
    )
    return asyncio.run(run(name, context, inputs))


def one(name: str, **inputs: Any) -> dict[str, Any]:
    [record] = call(name, **inputs)
    return record


def refused(name: str, message: str, **inputs: Any) -> None:
    """The operation refuses the inputs with exactly ``message``."""
    with pytest.raises(UtilityError, match="^" + re.escape(message) + "$"):
        call(name, **inputs)
