"""Calling account connectors: Data on Demand, method tests, and the OAuth sign-in flow."""

from __future__ import annotations

from dataclasses import asdict
from html import escape
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, BackgroundTasks, Body, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from junction.accounts import usage
from junction.api.context import Context, get_services
from junction.api.ids import RowId
from junction.auth.identity import CurrentAccount
from junction.connectors.accounts.custom_field_hooks import queue_discovery
from junction.connectors.calls import oauth
from junction.connectors.calls import service as calls
from junction.connectors.calls.answers import trigger_choices, upstream_error
from junction.connectors.runtime import CallResult, Exchange
from junction.connectors.spec.models import (
    AuthenticationSpec,
)
from junction.errors import BadRequest, ConnectorCallError, UpstreamHttpError
from junction.services import Services

router = APIRouter(tags=["Data on Demand"])
callback_router = APIRouter(tags=["Account connectors"])


class MethodCallIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    Parameters: dict[str, Any] = Field(
        default_factory=dict, description="By parameter Id (from the method listing) or name."
    )
    Fields: dict[str, Any] = Field(
        default_factory=dict, description="By request field Id, SystemField or ConnectorField."
    )


class AuthoriseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ReturnUrl: str | None = Field(
        None, description="Where the browser goes after the provider answers."
    )


class AuthoriseOut(BaseModel):
    AuthoriseUrl: str


@router.post(
    "/account/connectors/{account_connector_id}/methods/{method}",
    summary="Call a connector method (Data on Demand)",
    description="`method` is a method Id or its MethodUniqueIdentifier. Returns the API's "
    "response body. A paged method returns its first page. An upstream 4xx is answered "
    "with the same status (400 for upstream 401/403/407), 5xx with 502, a timeout with 504, "
    "each with UpstreamStatus and UpstreamBody.",
)
async def call_method(
    account_connector_id: RowId,
    method: str,
    account: CurrentAccount,
    context: Context,
    body: Annotated[MethodCallIn | None, Body()] = None,
) -> Any:
    try:
        result = await _run(
            context, account.account_id, account_connector_id, method, body or MethodCallIn()
        )
    except ConnectorCallError as exc:
        return upstream_error(exc)
    if isinstance(result.body, dict | list):
        return JSONResponse(result.body)
    return Response(
        content="" if result.body is None else str(result.body),
        media_type=result.headers.get("Content-Type", "text/plain"),
    )


def _answer(result: CallResult) -> Response:
    """The API's answer body, as Data on Demand returns it."""
    if isinstance(result.body, dict | list):
        return JSONResponse(result.body)
    return Response(
        content="" if result.body is None else str(result.body),
        media_type=result.headers.get("Content-Type", "text/plain"),
    )


def _query_parameters(request: Request) -> dict[str, Any]:
    """Parameters given in the query string: each key a parameter Id or name, once."""
    values: dict[str, Any] = {}
    for key, value in request.query_params.multi_items():
        if key in values:
            raise BadRequest(f"Parameters: '{key}' is given more than once in the query string")
        values[key] = value
    return values


@router.get(
    "/account/connectors/{account_connector_id}/methods/{method}",
    summary="Call a connector method with query-string parameters (Data on Demand)",
    description="The GET form of Data on Demand: each query-string key is a parameter Id "
    "(from the method listing) or a parameter name, and its value the parameter's value. "
    "No request fields are sent. Answers like the POST form.",
)
async def call_method_get(
    account_connector_id: RowId,
    method: str,
    request: Request,
    account: CurrentAccount,
    context: Context,
) -> Any:
    values = MethodCallIn(Parameters=_query_parameters(request))
    try:
        result = await _run(context, account.account_id, account_connector_id, method, values)
    except ConnectorCallError as exc:
        return upstream_error(exc)
    return _answer(result)


@router.post(
    "/account/connectors/{account_connector_id}/methods/{method}/body",
    summary="Call a connector method with a body of your own (Data on Demand)",
    description="The request body (JSON, XML, text or any other type) is sent to the API as "
    "the method's body as is, with the request's Content-Type; the method's request fields "
    "are not used. Parameters come from the query string as in the GET form. Answers like "
    "the POST form.",
    openapi_extra={
        "requestBody": {"required": True, "content": {"*/*": {"schema": {"type": "string"}}}}
    },
)
async def call_method_with_body(
    account_connector_id: RowId,
    method: str,
    request: Request,
    account: CurrentAccount,
    context: Context,
) -> Any:
    raw = await request.body()
    if not raw:
        raise BadRequest("Body: the body to send is empty; use the JSON form without /body")
    values = MethodCallIn(Parameters=_query_parameters(request))
    content_type = request.headers.get("content-type")
    try:
        result = await _run(
            context, account.account_id, account_connector_id, method, values, raw, content_type
        )
    except ConnectorCallError as exc:
        return upstream_error(exc)
    return _answer(result)


@router.post(
    "/account/connectors/{account_connector_id}/triggers/{trigger_id}",
    summary="Run a look-up trigger",
    description="Calls the trigger's method and answers the values it lists as "
    "`[{Name, Value}]` (from its HumanReadableKey and IdentifierKey).",
)
async def run_trigger(
    account_connector_id: RowId, trigger_id: str, account: CurrentAccount, context: Context
) -> Any:
    return await trigger_choices(context, account.account_id, account_connector_id, trigger_id)


async def _run(
    context: Services,
    account_id: str,
    account_connector_id: RowId,
    method: str,
    values: MethodCallIn,
    raw_body: bytes | None = None,
    raw_content_type: str | None = None,
) -> CallResult:
    """One Data on Demand call (or method test), counted as a task once it reached the API."""
    try:
        result = await calls.run(
            gateway=context.gateway,
            account_id=account_id,
            account_connector_id=account_connector_id,
            method_ref=method,
            parameters=values.Parameters,
            fields=values.Fields,
            raw_body=raw_body,
            raw_content_type=raw_content_type,
        )
    except ConnectorCallError as exc:
        if exc.exchanges:
            await _count_task(context, account_id)
        raise
    await _count_task(context, account_id)
    return result


async def _count_task(context: Services, account_id: str) -> None:
    context.tally.add(account_id, usage.SOURCE_DATA_ON_DEMAND, 1, context.clock())


async def _try(
    context: Services,
    account_id: str,
    account_connector_id: RowId,
    method: str,
    values: MethodCallIn,
) -> Any:
    try:
        result = await _run(context, account_id, account_connector_id, method, values)
    except ConnectorCallError as exc:
        return {
            "Success": False,
            "Message": exc.message,
            **_details(exc),
            "Exchanges": [_exchange(e) for e in exc.exchanges],
        }
    return {
        "Success": True,
        "StatusCode": result.status,
        "Records": result.records,
        "Exchanges": [_exchange(e) for e in result.exchanges],
    }


def _exchange(exchange: Exchange) -> dict[str, Any]:
    """A redacted request/response copy in the API's PascalCase."""
    return {
        "".join(part.capitalize() for part in key.split("_")): value
        for key, value in asdict(exchange).items()
    }


def _details(exc: ConnectorCallError) -> dict[str, Any]:
    if isinstance(exc, UpstreamHttpError):
        return {"StatusCode": exc.upstream_status, "UpstreamBody": exc.body_text}
    return {}


@router.get(
    "/account/connectors/{account_connector_id}/test/{method}",
    summary="Test a connector method",
    description="Calls the method once and reports success, the mapped records and a "
    "redacted copy of each request and response.",
)
async def try_method_get(
    account_connector_id: RowId, method: str, account: CurrentAccount, context: Context
) -> Any:
    return await _try(context, account.account_id, account_connector_id, method, MethodCallIn())


@router.post(
    "/account/connectors/{account_connector_id}/test/{method}",
    summary="Test a connector method with input values",
)
async def try_method_post(
    account_connector_id: RowId,
    method: str,
    account: CurrentAccount,
    context: Context,
    body: Annotated[MethodCallIn | None, Body()] = None,
) -> Any:
    values = body or MethodCallIn()
    return await _try(context, account.account_id, account_connector_id, method, values)


async def _oauth_settings(
    context: Services, account_connector_id: int
) -> tuple[AuthenticationSpec, dict[str, str], str | None]:
    return await calls.oauth_settings(
        database=context.database,
        keyring=context.keyring,
        account_connector_id=account_connector_id,
    )


@router.post(
    "/account/connectors/{account_connector_id}/oauth/authorize",
    response_model=AuthoriseOut,
    summary="Start OAuth 2.0 sign-in for an account connector (Junction extension)",
    description="Junction extension. Returns the provider URL to open in the user's browser "
    "(state and PKCE included). The provider sends the browser back to "
    f"{oauth.CALLBACK_PATH}, which stores the tokens and then redirects to ReturnUrl with "
    "`status=success` or `status=error&message=...` (or shows a short page).",
)
async def authorise(
    account_connector_id: RowId,
    account: CurrentAccount,
    context: Context,
    body: Annotated[AuthoriseIn | None, Body()] = None,
) -> AuthoriseOut:
    row = await calls.account_connector(
        database=context.database,
        account_id=account.account_id,
        account_connector_id=account_connector_id,
    )
    auth, properties, script = await _oauth_settings(context, row.id)
    url = await oauth.start_authorisation(
        env=context.gateway.oauth,
        row=row,
        auth=auth,
        properties=properties,
        script=script,
        return_url=(body or AuthoriseIn()).ReturnUrl,
    )
    return AuthoriseOut(AuthoriseUrl=url)


@callback_router.get(oauth.CALLBACK_PATH, include_in_schema=False)
async def oauth_callback(
    request: Request,
    background: BackgroundTasks,
    state: str = "",
    code: str | None = None,
    error: str | None = None,
) -> Response:
    # Unauthenticated by necessity: the provider sends the user's browser here; the
    # single-use state is what identifies the flow.
    context = get_services(request)
    result = await oauth.finish_authorisation(
        env=context.gateway.oauth,
        state=state,
        code=code,
        error=error,
        settings_for=lambda ac_id: _oauth_settings(context, ac_id),
    )
    if result.ok and result.account_connector_id is not None:
        # The tokens are stored: custom fields are looked up after the answer has left.
        queue_discovery(context, background, result.account_connector_id)
    if result.return_url:
        query = (
            {"status": "success"} if result.ok else {"status": "error", "message": result.message}
        )
        separator = "&" if "?" in result.return_url else "?"
        return RedirectResponse(
            f"{result.return_url}{separator}{urlencode(query)}", status_code=303
        )
    title = "Connected" if result.ok else "Not connected"
    return HTMLResponse(
        f"<!doctype html><title>{title}</title><h1>{title}</h1><p>{escape(result.message)}</p>"
        "<p>You can close this window.</p>",
        status_code=200 if result.ok else 400,
    )
