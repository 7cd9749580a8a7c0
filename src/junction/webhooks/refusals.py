"""One log line for each webhook call Junction refuses (unknown address, cycle not running,
body too large or unreadable): the sender was told, but the operator should see it too.

The line names the cycle and why, never the address (it is the webhook's secret) nor the
body. A refusal of a known cycle's address is a WARNING: a sender's data was not taken. An
unknown address is INFO: anyone on the internet can call one.

Calls answered 5xx (a failing before_webhook script, the database away) are not refusals
but Junction's own trouble: the API's error handlers log those.
"""

from __future__ import annotations

import logging

from sqlalchemy.exc import InterfaceError, OperationalError

from junction.db.engine import Database
from junction.errors import JunctionError
from junction.webhooks import service

log = logging.getLogger("junction.webhooks")


async def log_refusal(database: Database, identifier: str, error: JunctionError) -> None:
    # Looked up again here rather than carried from the intake: most refusals happen
    # before the address is looked up at all (the body is read first), and a refused
    # call is off the path that has to be fast.
    cycle_id: str | None = None
    try:
        async with database.transaction(read_only=True) as session:
            cycle_id = await service.cycle_of_address(session, identifier)
    except (OperationalError, InterfaceError):
        pass  # the refusal is still worth its line, without the cycle
    log.log(
        logging.WARNING if cycle_id is not None else logging.INFO,
        "webhook call refused (%d): %s",
        error.status_code,
        error.message,
        extra={"cycle_id": cycle_id},
    )
