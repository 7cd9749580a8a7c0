"""HTTP answers shared by the routes that call connectors: Data on Demand
(``router.py``) and a step's look-ups (``junction.cycles.steps_router``), since a router
never imports another router.

Not in ``service.py``: the engine imports the service, and the engine never imports FastAPI.
"""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse

from junction.connectors.calls import lookups
from junction.errors import (
    ConnectorCallError,
    UpstreamHttpError,
    UpstreamRateLimited,
    UpstreamTimeout,
)
from junction.services import Services


def upstream_error(exc: ConnectorCallError) -> JSONResponse:
    body: dict[str, Any] = {"Message": exc.message}
    headers: dict[str, str] = {}
    status = exc.status_code
    if isinstance(exc, UpstreamHttpError):
        body |= {"UpstreamStatus": exc.upstream_status, "UpstreamBody": exc.body_text}
        # Upstream 4xx answers pass through, except those that would read as being about
        # this API itself (our own authentication and rate limits).
        status = (
            exc.upstream_status
            if 400 <= exc.upstream_status < 500 and exc.upstream_status not in (401, 403, 407, 429)
            else (400 if exc.upstream_status < 500 else 502)
        )
    elif isinstance(exc, UpstreamRateLimited):
        headers["Retry-After"] = str(max(1, round(exc.retry_after)))
    elif isinstance(exc, UpstreamTimeout):
        status = 504
    return JSONResponse(body, status_code=status, headers=headers)


async def trigger_choices(
    context: Services, account_id: str, account_connector_id: int, trigger: str
) -> Any:
    """A trigger's ``[{Name, Value}]``, or the upstream failure as for Data on Demand."""
    try:
        return await lookups.run(
            gateway=context.gateway,
            account_id=account_id,
            account_connector_id=account_connector_id,
            trigger_name=trigger,
        )
    except ConnectorCallError as exc:
        return upstream_error(exc)
