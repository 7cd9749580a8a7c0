"""Discovery of custom fields once an account connector is authenticated, as a request
dependency: the discovery is queued as a background task, which runs after the request's
transaction has committed (the authentication is stored whatever the lookups answer) and
after the answer has left (the user does not wait for the lookups)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import BackgroundTasks, Depends, Request

from junction.api.context import get_services
from junction.connectors.accounts.custom_field_discovery import after_authentication
from junction.services import Services


def queue_discovery(
    context: Services, background: BackgroundTasks, account_connector_id: int
) -> None:
    background.add_task(
        after_authentication,
        gateway=context.gateway,
        account_connector_id=account_connector_id,
        now=context.clock(),
    )


async def _discover_after_commit(
    request: Request, background: BackgroundTasks
) -> Callable[[int], None]:
    context = get_services(request)
    return lambda account_connector_id: queue_discovery(context, background, account_connector_id)


# Call it with the account connector's Id once it is authenticated.
DiscoverAfterCommit = Annotated[Callable[[int], None], Depends(_discover_after_commit)]
