"""``/healthz``, ``/readyz`` and ``/metrics``: unauthenticated by the API's tokens on
purpose (probes and Prometheus hold none); ``/metrics`` has its own setting and token."""

from __future__ import annotations

import hmac
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from junction.api.context import Context
from junction.errors import NotFound, Unauthenticated
from junction.ops.figures import refresh_queue_gauges
from junction.ops.health import readiness

router = APIRouter(tags=["Operations"])


@router.get(
    "/healthz",
    summary="Liveness",
    description="*Junction extension.* 200 while the process answers; touches no database.",
)
async def healthz() -> dict[str, Any]:
    return {"Status": "ok"}


@router.get(
    "/readyz",
    summary="Readiness",
    description="*Junction extension.* 200 when the database answers, its schema is at this "
    "release's migrations and the dispatcher runs; else 503 naming the failed checks.",
)
async def readyz(context: Context) -> JSONResponse:
    result = await readiness(context)
    if result.ready:
        return JSONResponse({"Status": "ready", "Checks": result.checks})
    return JSONResponse(
        {
            "Status": "not ready",
            "Message": "Not ready: " + ", ".join(name.lower() for name in result.failed),
            "Checks": result.checks,
        },
        status_code=503,
    )


def _check_access(request: Request, context: Context) -> None:
    settings = context.settings
    if settings.metrics == "off":
        raise NotFound("Metrics are off (JUNCTION_METRICS=off)")
    if settings.metrics == "token":
        expected = (settings.metrics_token or "").encode()
        given = request.headers.get("authorization", "")
        scheme, _, token = given.partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip().encode(), expected):
            raise Unauthenticated("Metrics need Authorization: Bearer {JUNCTION_METRICS_TOKEN}")


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    description="*Junction extension.* This process's counters and the queue gauges, in "
    "Prometheus text format. Off, open or behind JUNCTION_METRICS_TOKEN (JUNCTION_METRICS).",
)
async def metrics(request: Request, context: Context) -> Response:
    _check_access(request, context)
    await refresh_queue_gauges(context, context.metrics)
    return Response(generate_latest(context.metrics.registry), media_type=CONTENT_TYPE_LATEST)
