"""Request dependencies shared by the account connector routers (``router.py`` and
``custom_fields_router.py``), which never import one another.

Not in ``service.py``: they need the request context (``junction.api.context``), which
imports the calls sub-package, which imports this sub-package's service.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from junction.api.context import Session
from junction.api.ids import RowId
from junction.auth.identity import CurrentAccount
from junction.connectors.accounts import service
from junction.connectors.accounts.models import AccountConnector


async def _row(
    account: CurrentAccount, session: Session, account_connector_id: RowId
) -> AccountConnector:
    return await service.get(
        session=session, account_id=account.account_id, account_connector_id=account_connector_id
    )


Row = Annotated[AccountConnector, Depends(_row)]
