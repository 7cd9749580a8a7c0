"""``POST /api/webhook/{identifier}``: where source apps send their webhook calls.

The call is answered only after its transaction is committed: a 2xx means the payload is
stored and will run. A cycle that is not running answers 409 and stores nothing, so the
sender keeps the data. When the cycle has a WebhookResponse step, the call waits (up to the
configured timeout) for that step's answer, from whichever process runs the transaction
(``answers``).
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from pydantic import BaseModel

from junction.api.context import Context
from junction.engine import transactions as tx
from junction.errors import JunctionError, NotFound, PayloadTooLarge
from junction.webhooks import answers, refusals, scripts, service

router = APIRouter(tags=["Webhooks"])


async def _read_limited(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"The body is larger than the {limit} bytes a webhook accepts")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"The body is larger than the {limit} bytes a webhook accepts")
        chunks.append(chunk)
    return b"".join(chunks)


@router.post(
    "/api/webhook/{identifier}",
    summary="Receive a webhook call",
    description="Public (no token): the identifier is the secret. 200 once the payload is "
    "stored as a transaction; 404 for an unknown address; 409 while the cycle is not "
    "running (nothing is stored); 400 for a body that is not strict JSON or nests too "
    "deep; 413 over the size limit or for a list of more items than one call may hold. "
    "A cycle with a WebhookResponse step answers with that step's status and body, or "
    "202 when it takes longer than the timeout (the transaction goes on).",
)
async def receive(identifier: str, request: Request, context: Context) -> Any:
    try:
        return await _receive(identifier, request, context)
    except JunctionError as exc:
        refused = exc.status_code < 500
        context.metrics.webhook_calls.labels("refused" if refused else "failed").inc()
        if refused:
            await refusals.log_refusal(context.database, identifier, exc)
        raise


async def _receive(identifier: str, request: Request, context: Context) -> Any:
    # With no engine here another process runs the transaction: its answer is read
    # from the step data.
    engine = context.engine
    body = await _read_limited(request, context.settings.webhook_max_bytes)
    payload = service.parse_body(
        body,
        request.headers.get("content-type", ""),
        max_depth=context.settings.json_max_depth,
        max_items=context.settings.webhook_max_items,
    )
    hook = await context.webhook_scripts.hook(identifier)
    if hook is not None:
        payload, turned = await scripts.before_webhook(
            hook,
            url=str(request.url),
            headers=dict(request.headers),
            parameters=dict(request.query_params),
            payload=payload,
            limits=context.gateway.runtime.settings.script_limits,
            loop_http=context.gateway.runtime.script_request,
            loop=asyncio.get_running_loop(),
        )
        if turned is not None:
            return _turned_away(turned)
    transaction_id = tx.new_id()
    waiter: asyncio.Future[tuple[int, Any] | None] = asyncio.get_running_loop().create_future()
    # Registered before the commit, so the engine cannot answer before anyone listens.
    responses = context.waiters if engine is not None else {}
    responses[transaction_id] = waiter
    try:
        accepted = await context.intake.submit(
            identifier, payload, transaction_id, max_items=context.settings.webhook_max_items
        )
        context.metrics.webhook_calls.labels("accepted").inc()
        context.dispatcher.wake_for(accepted.transaction_id, accepted.account_id)
        accepted_body = {"Message": "Accepted", "TransactionId": accepted.transaction_id}
        if not accepted.responds:
            return JSONResponse(accepted_body)
        try:
            async with asyncio.timeout(context.settings.webhook_response_timeout_seconds):
                answer = await answers.wait(
                    context.database, accepted, waiter if engine is not None else None
                )
        except TimeoutError:
            return JSONResponse(accepted_body | {"Message": "Accepted; still running"}, 202)
        if answer is None:
            return JSONResponse(accepted_body | {"Message": "Accepted; ended without a response"})
        status, content = answer
        return JSONResponse(content, status)
    finally:
        responses.pop(transaction_id, None)


class AddressOut(BaseModel):
    Message: str


@router.head("/api/webhook/{identifier}", include_in_schema=False)  # the GET's twin
@router.get(
    "/api/webhook/{identifier}",
    response_model=AddressOut,
    summary="Check a webhook address",
    description="Public: 200 when the address belongs to a cycle's webhook step (whatever "
    "the cycle's status), else 404; HEAD answers the same without a body. Some apps (Trello "
    "with HEAD, Mailchimp with GET) check the address this way before they register a "
    "webhook; nothing is stored.",
)
async def check(identifier: str, context: Context) -> AddressOut:
    async with context.database.transaction(read_only=True) as session:
        known = await service.cycle_of_address(session, identifier)
    if known is None:
        raise NotFound("No webhook has this address")
    return AddressOut(Message="This address takes webhook calls (POST)")


def _turned_away(turned: scripts.Turned) -> Response:
    """A call a before_webhook handler answered itself: its method_response, as JSON (text
    stays text), with its method_response_headers."""
    if isinstance(turned.body, str):
        return PlainTextResponse(turned.body, turned.status, headers=turned.headers)
    body = {} if turned.body is None else turned.body
    return JSONResponse(body, turned.status, headers=turned.headers)
