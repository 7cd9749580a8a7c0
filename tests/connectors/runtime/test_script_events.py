"""Connector, method and step scripts around calls: each event, its globals, the order of
the handlers, and what answering false or throwing does."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aiohttp import web

from junction.connectors.runtime import Runtime
from junction.connectors.spec.models import AuthenticationSpec, ConnectorDefinition
from junction.errors import ScriptFailed, ScriptStopped, ScriptWarning, UpstreamHttpError
from junction.scripting.events import ScriptEnvironment
from tests.connectors.runtime.helpers import (
    TokenSource,
    async_test,
    call_input,
    context,
    definition,
    echo,
    make_runtime,
    method_of,
    serve,
)

ORDER = """
function before_action() { method_request_headers['X-Order'] =
    (method_request_headers['X-Order'] || '') + '{level},'; return true; }
function after_action() { method_response.order = (method_response.order || []).concat(['{level}']);
    return true; }
"""


def order_script(level: str) -> str:
    return ORDER.replace("{level}", level)


async def call(
    runtime: Runtime,
    spec: ConnectorDefinition,
    *,
    step: str | None = None,
    env: ScriptEnvironment | None = None,
    **extra: Any,
) -> Any:
    script = env or ScriptEnvironment(step_script=step)
    return await runtime.call(spec, method_of(spec), context(), call_input(script=script, **extra))


@async_test
async def test_handlers_run_in_cyclrs_order_at_each_level() -> None:
    async with serve({"/echo": echo}) as base:
        spec = definition(
            base,
            [{"Endpoint": "/echo", "Script": order_script("method")}],
            Script=order_script("connector"),
        )
        async with make_runtime() as runtime:
            result = await call(runtime, spec, step=order_script("step"))
    # before_*: method, connector, step; the others: connector, method, step.
    assert result.body["headers"]["X-Order"] == "method,connector,step,"
    assert result.body["order"] == ["connector", "method", "step"]


@async_test
async def test_before_action_changes_every_part_of_the_request() -> None:
    script = """
    function before_action() {
      method_request.properties = Object.keys(method_request.properties).map(function (k) {
        return {key: k, value: method_request.properties[k]}; });
      method_request_parameters.added = 'yes';
      delete method_request_parameters.drop;
      method_request_headers['X-Extra'] = script_parameters.Flavour;
      method_request_mergefields.kept = 'for after_action';
      action_data.seen = method_endpoint;
      return true;
    }
    function after_action() {
      method_response.kept = method_request_mergefields.kept;
      method_response.action_data = action_data.seen;
      method_response.sent = method_request;
      return true;
    }
    """
    async with serve({"/echo": echo}) as base:
        spec = definition(
            base,
            [
                {
                    "Endpoint": "/echo?drop=1",
                    "HttpMethod": "POST",
                    "Script": script,
                    "Parameters": [
                        {"TargetType": "Script", "TargetName": "Flavour", "Value": "mint"}
                    ],
                    "RequestFields": [{"ConnectorField": "properties"}],
                }
            ],
        )
        async with make_runtime() as runtime:
            result = await call(runtime, spec, fields={"properties": {"email": "a@b.c"}})
    body = result.body
    assert json.loads(body["body"]) == {"properties": [{"key": "email", "value": "a@b.c"}]}
    assert ["added", "yes"] in body["query"]
    assert not any(k == "drop" for k, _ in body["query"])
    assert body["headers"]["X-Extra"] == "mint"
    assert body["kept"] == "for after_action"
    assert body["action_data"] == f"{base}/echo"
    assert body["sent"] == {"properties": [{"key": "email", "value": "a@b.c"}]}
    assert "mint" not in json.dumps(body["query"])  # a Script parameter is never sent


@async_test
async def test_scripts_never_see_or_drop_the_connectors_credentials() -> None:
    script = """
    function before_action() {
      method_request_parameters.seen = JSON.stringify(method_request_headers);
      method_request_headers = {};
      return true;
    }
    """
    auth = AuthenticationSpec.model_validate({"Id": "key", "AuthType": "ApiKey"})
    async with serve({"/echo": echo}) as base:
        spec = definition(base, [{"Endpoint": "/echo", "Script": script}])
        async with make_runtime() as runtime:
            result = await runtime.call(
                spec,
                method_of(spec),
                context(auth=auth, api_key="secret-key"),
                call_input(script=ScriptEnvironment()),
            )
    sent = dict(result.body["query"])
    assert "secret-key" not in sent["seen"]
    assert result.body["headers"]["X-Api-Key"] == "secret-key"


@async_test
async def test_before_action_answering_false_sends_nothing() -> None:
    hits: list[str] = []

    async def counted(request: web.Request) -> web.Response:
        hits.append(request.path)
        return web.json_response({})

    async with serve({"/x": counted}) as base:
        spec = definition(
            base,
            [{"Endpoint": "/x", "Script": "function before_action() { return false; }"}],
            Script="function before_action() { throw new Error('never reached'); }",
        )
        async with make_runtime() as runtime:
            with pytest.raises(ScriptStopped):
                await call(runtime, spec)
    assert hits == []  # the method's handler ran first and stopped the chain


@async_test
async def test_a_throwing_handler_fails_the_call_naming_level_and_event() -> None:
    async with serve({"/echo": echo}) as base:
        spec = definition(
            base,
            [{"Endpoint": "/echo"}],
            Script="function after_action() { throw new Error('bad data'); }",
        )
        async with make_runtime() as runtime:
            with pytest.raises(ScriptFailed) as raised:
                await call(runtime, spec)
    assert "connector script's after_action handler failed: Error: bad data" in str(raised.value)


async def _failing(request: web.Request) -> web.Response:
    return web.json_response({"error": "Email Address not valid"}, status=400, reason="Bad Email")


@pytest.mark.parametrize(
    ("handler", "expected"),
    [
        ("method_error.isError = false; method_error.isWarning = true;", ScriptWarning),
        ("", UpstreamHttpError),
        (
            "method_error.isError = false; method_error.isSuccess = true;"
            " method_error.content = JSON.stringify({id: method_error.statusCode});",
            None,
        ),
    ],
)
def test_after_error_may_turn_an_error_into_a_warning_or_a_success(
    handler: str, expected: type[Exception] | None
) -> None:
    script = (
        "function after_error() { if (method_error.reasonPhrase !== 'Bad Email' ||"
        " JSON.parse(method_error.content).error !== 'Email Address not valid') return true; "
        + handler
        + " return true; }"
    )

    @async_test
    async def scenario() -> None:
        async with serve({"/x": _failing}) as base:
            spec = definition(
                base,
                [
                    {
                        "Endpoint": "/x",
                        "Script": script,
                        "ResponseFields": [{"ConnectorField": "id"}],
                    }
                ],
            )
            async with make_runtime() as runtime:
                if expected is None:
                    result = await call(runtime, spec)
                    assert result.records == [{"id": "400"}]
                else:
                    with pytest.raises(expected):
                        await call(runtime, spec)

    scenario()


@async_test
async def test_auth_refresh_exception_refreshes_the_token_and_tries_again() -> None:
    tokens = TokenSource()

    async def api(request: web.Request) -> web.Response:
        if request.headers["Authorization"] == "Bearer token-1":
            return web.json_response({"error": "invalid_grant"})  # 200 with an error inside
        return web.json_response({"ok": True})

    script = """function after_action() {
      if (method_response.error === 'invalid_grant') throw new AuthRefreshException();
      return true; }"""
    oauth = AuthenticationSpec.model_validate(
        {
            "Id": "o",
            "AuthType": "OAuth2",
            "OAuth2": {
                "OAuth2Type": "ClientCredentials",
                "TokenUrl": "https://t.example/t",
                "ClientId": "c",
            },
        }
    )
    async with serve({"/x": api}) as base:
        spec = definition(base, [{"Endpoint": "/x", "Script": script}])
        async with make_runtime() as runtime:
            result = await runtime.call(
                spec,
                method_of(spec),
                context(auth=oauth, access_token=tokens),
                call_input(script=ScriptEnvironment()),
            )
    assert result.body == {"ok": True}
    assert tokens.calls == [False, True]


@async_test
async def test_after_action_paging_sees_every_page_and_sets_the_next_run_date() -> None:
    async def pages(request: web.Request) -> web.Response:
        page = int(request.query.get("page", "1"))
        items = [{"id": page * 10 + i} for i in range(2)] if page <= 2 else []
        return web.json_response({"data": items})

    script = """
    function after_action() { method_response.data.forEach(function (d) { d.seen = true; });
      return true; }
    function after_action_paging() {
      method_response = {data: method_response.data.map(function (d) {
        return {cyclr_field_location: 'f' + d.id, seen: d.seen}; })};
      next_last_successful_run_date = '2026-01-02T03:04:05+00:00';
      return true; }
    """
    async with serve({"/items": pages}) as base:
        spec = definition(
            base,
            [
                {
                    "Endpoint": "/items",
                    "Script": script,
                    "Paging": {"InboundPaging": True, "InboundPageSize": 2},
                    "Parameters": [
                        {
                            "TargetType": "QueryString",
                            "TargetName": "page",
                            "Value": "CYCLR_PAGE_NUMBER",
                        }
                    ],
                    "ResponseFields": [
                        {
                            "ConnectorField": "[data].cyclr_field_location",
                            "SystemField": "Location",
                        },
                        {
                            "ConnectorField": "[data].seen",
                            "SystemField": "Seen",
                            "DataType": "Boolean",
                        },
                    ],
                }
            ],
        )
        env = ScriptEnvironment()
        given = call_input(script=env)
        async with make_runtime() as runtime:
            assert runtime.concludes(spec, method_of(spec), given)
            bodies = [p.body async for p in runtime.pages(spec, method_of(spec), context(), given)]
            _, records, branch = await runtime.conclude(spec, method_of(spec), given, bodies)
    assert [r["Location"] for r in records] == ["f10", "f11", "f20", "f21"]
    assert all(r["Seen"] is True for r in records)
    assert branch is None
    assert env.next_last_successful_run_date == "2026-01-02T03:04:05+00:00"


@pytest.mark.parametrize(("status", "branch"), [("active", True), ("closed", False)])
def test_action_condition_decides_the_exit(status: str, branch: bool) -> None:
    script = "function action_condition() { return method_response.status === 'active'; }"

    async def api(request: web.Request) -> web.Response:
        return web.json_response({"status": status})

    @async_test
    async def scenario() -> None:
        async with serve({"/x": api}) as base:
            spec = definition(base, [{"Endpoint": "/x", "Script": script, "Conditional": True}])
            async with make_runtime() as runtime:
                result = await call(runtime, spec)
        assert result.branch is branch

    scenario()


@async_test
async def test_globals_of_the_run_reach_the_handlers() -> None:
    script = """function after_action() {
      method_response = {ids: [cycle_id, cycle_step_id, cyclr_account_id, external_account_id],
        variables: cycle_variables, context: script_execution_context,
        last: last_successful_run_date, status: statusCode,
        header: method_response_headers['Content-Type']};
      return true; }"""
    from datetime import UTC, datetime

    async with serve({"/echo": echo}) as base:
        spec = definition(base, [{"Endpoint": "/echo", "Script": script}])
        env = ScriptEnvironment(
            values={
                "cycle_id": "c1",
                "cycle_step_id": "s1",
                "cyclr_account_id": "a1",
                "external_account_id": "a1",
                "cycle_variables": {"Region": "EU"},
            }
        )
        async with make_runtime() as runtime:
            result = await call(
                runtime,
                spec,
                env=env,
                last_successful_run_date=datetime(2026, 1, 1, tzinfo=UTC),
            )
    assert result.body == {
        "ids": ["c1", "s1", "a1", "a1"],
        "variables": {"Region": "EU"},
        "context": "RUNNING_TRANSACTION",
        "last": "2026-01-01T00:00:00+00:00",
        "status": 200,
        "header": "application/json; charset=utf-8",
    }


@async_test
async def test_http_request_reaches_an_api_and_answers_status_headers_and_content() -> None:
    async def detail(request: web.Request) -> web.Response:
        return web.json_response({"full": True, "auth": request.headers.get("Authorization")})

    async with serve({"/echo": echo, "/detail": detail}) as base:
        script = (
            "function after_action() { var answer = http_request({method: 'GET', url: '"
            + base
            + "/detail', headers: {Authorization: 'Token t'}});"
            " method_response = {status: answer.status_code, content: answer.content,"
            " type: answer.headers['Content-Type'], url: answer.request.url}; return true; }"
        )
        spec = definition(base, [{"Endpoint": "/echo", "Script": script}])
        async with make_runtime() as runtime:
            result = await call(runtime, spec)
    assert result.body["status"] == 200
    assert result.body["content"] == {"full": True, "auth": "Token t"}
    assert result.body["url"] == f"{base}/detail"


@pytest.mark.parametrize(
    "target",
    ["http://127.0.0.1:9/", "http://10.0.0.1/", "http://169.254.169.254/latest/meta-data/"],
)
def test_http_request_cannot_reach_private_addresses(target: str) -> None:
    script = "function before_action() { http_request({url: '" + target + "'}); return true; }"

    @async_test
    async def scenario() -> None:
        hits: list[str] = []

        async def counted(request: web.Request) -> web.Response:
            hits.append(request.path)
            return web.json_response({})

        async with serve({"/x": counted}) as base:
            spec = definition(base, [{"Endpoint": "/x", "Script": script}])
            # The operator's default: neither loopback nor private addresses.
            async with make_runtime(allow_loopback=False) as runtime:
                with pytest.raises(ScriptFailed, match=r"are not allowed"):
                    await call(runtime, spec)
        assert hits == []

    scenario()


@pytest.mark.parametrize(
    ("handler", "reason"),
    [
        ("while (true) {}", "ran longer than its time limit"),
        ("var a = []; while (true) { a.push(new Array(100000).fill(1)); }", "more memory"),
        ("function f() { return f() + 1; } f();", "stack"),
        ("var x = http_request; while (true) { x; }", "ran longer than its time limit"),
    ],
)
def test_escape_attempts_end_in_a_clear_error(handler: str, reason: str) -> None:
    from junction.scripting.sandbox import Limits

    script = "function after_action() { " + handler + " return true; }"

    @async_test
    async def scenario() -> None:
        async with serve({"/echo": echo}) as base:
            spec = definition(base, [{"Endpoint": "/echo", "Script": script}])
            async with make_runtime(
                script_limits=Limits(seconds=0.5, memory_bytes=16 * 1024 * 1024)
            ) as runtime:
                with pytest.raises(ScriptFailed) as raised:
                    await call(runtime, spec)
                assert reason in str(raised.value)
                # The runtime goes on serving: the next call, without the handler, works.
                plain = definition(base, [{"Endpoint": "/echo"}])
                assert (await call(runtime, plain)).status == 200

    scenario()


@async_test
async def test_nothing_of_one_execution_is_seen_by_the_next() -> None:
    script = """
    function after_action() {
      method_response = {
        leaked: typeof leftBehind !== 'undefined',
        tampered: typeof ({}).stolen !== 'undefined',
        json: JSON.stringify({a: 1}),
      };
      leftBehind = 'secret of the previous call';
      Object.prototype.stolen = function () { return 'gotcha'; };
      JSON.stringify = function () { return 'replaced'; };
      return true;
    }
    """
    async with serve({"/echo": echo}) as base:
        spec = definition(base, [{"Endpoint": "/echo", "Script": script}])
        async with make_runtime() as runtime:
            first = await call(runtime, spec)
            second = await call(runtime, spec)
    expected = {"leaked": False, "tampered": False, "json": '{"a":1}'}
    assert first.body == expected
    assert second.body == expected


@async_test
async def test_a_handler_breaking_json_fails_its_call_clearly() -> None:
    script = """function after_action() {
      Object.prototype.toJSON = function () { return 'broken'; }; return true; }"""
    async with serve({"/echo": echo}) as base:
        spec = definition(base, [{"Endpoint": "/echo", "Script": script}])
        async with make_runtime() as runtime:
            with pytest.raises(ScriptFailed, match="cannot be read back"):
                await call(runtime, spec)


@async_test
async def test_credentials_are_placeholders_to_scripts_and_stay_with_the_api() -> None:
    # What before_action sees goes out through action_data and the answer, which are never
    # filled back in; what it leaves in the request is (the secret goes to the API only).
    script = """function before_action() {
      action_data.seen = JSON.stringify([method_request_headers, method_request_parameters,
        method_request_mergefields, method_endpoint, script_parameters]);
      method_request_headers['X-Moved'] = method_request_headers['X-Key'];
      return true; }
    function after_action() { method_response.seen = action_data.seen; return true; }"""
    key_auth = {
        "Id": "key",
        "AuthType": "ApiKey",
        "ApiKey": {"Location": "MergeField", "Name": "Key"},
    }
    auth = AuthenticationSpec.model_validate(key_auth)
    async with serve({"/echo": echo}) as base:
        spec = definition(
            base,
            [
                {
                    "Endpoint": "/echo?k={{Cyclr_Auth_ApiKey}}",
                    "Script": script,
                    "Parameters": [
                        {"TargetType": "HttpHeader", "TargetName": "X-Key", "Value": "{{Key}}"},
                        {"TargetType": "MergeField", "TargetName": "Copy", "Value": "{{Key}}"},
                    ],
                }
            ],
            Authentication=[key_auth],
        )
        async with make_runtime() as runtime:
            result = await runtime.call(
                spec,
                method_of(spec),
                context(auth=auth, api_key="secret-key-1"),
                call_input(script=ScriptEnvironment()),
            )
    seen = result.body["seen"]
    assert "secret-key-1" not in seen
    assert "{{secret-1}}" in seen
    assert result.body["headers"]["X-Key"] == "secret-key-1"  # the API still gets it
    assert result.body["headers"]["X-Moved"] == "secret-key-1"
    assert ["k", "secret-key-1"] in result.body["query"]


@async_test
async def test_a_script_cannot_send_the_request_to_another_host() -> None:
    script = """function before_action() {
      method_endpoint = 'http://127.0.0.2:9/steal'; return true; }"""
    async with serve({"/echo": echo}) as base:
        spec = definition(base, [{"Endpoint": "/echo", "Script": script}])
        async with make_runtime() as runtime:
            with pytest.raises(ScriptFailed, match=r"the request stays with 127\.0\.0\.1"):
                await call(runtime, spec)


@async_test
async def test_repeated_query_values_are_lists_and_kept() -> None:
    script = """function before_action() {
      method_request_parameters.extra = 'x';
      method_request_headers['X-Ids'] = JSON.stringify(method_request_parameters.ids);
      return true; }"""
    async with serve({"/echo": echo}) as base:
        spec = definition(base, [{"Endpoint": "/echo?ids=1&ids=2&ids=3", "Script": script}])
        async with make_runtime() as runtime:
            result = await call(runtime, spec)
    assert result.body["headers"]["X-Ids"] == '["1","2","3"]'
    assert result.body["query"] == [["ids", "1"], ["ids", "2"], ["ids", "3"], ["extra", "x"]]


@async_test
async def test_host_calls_end_when_the_time_limit_has_passed() -> None:
    import asyncio
    import time

    from junction.scripting.sandbox import Limits

    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(0.3)
        return web.json_response({})

    async with serve({"/echo": echo, "/slow": slow}) as base:
        # Waiting on http_request takes no CPU time: the wall-clock deadline stops it.
        script = (
            "function after_action() { for (;;) { try { http_request({url: '"
            + base
            + "/slow'}); } catch (e) { if (e.message.indexOf('time limit') >= 0) throw e; } } }"
        )
        spec = definition(base, [{"Endpoint": "/echo", "Script": script}])
        async with make_runtime(script_limits=Limits(seconds=1.0)) as runtime:
            started = time.monotonic()
            with pytest.raises(ScriptFailed, match="time limit has passed"):
                await call(runtime, spec)
    assert time.monotonic() - started < 5


@async_test
async def test_an_unused_required_mergefield_without_a_value_does_not_fail_a_scripted_call() -> (
    None
):
    # A connector offering OAuth 2.0 declares its client id as a required partner property;
    # an account using the API key instead leaves it unset, and scripted calls still run.
    script = """
    function before_action() {
      method_request_headers['X-Seen'] = '[' + method_request_mergefields.ClientId + ']';
      return true;
    }
    """
    client_id = {"TargetType": "MergeField", "TargetName": "ClientId", "Optional": False}
    async with serve({"/echo": echo}) as base:
        spec = definition(base, [{"Endpoint": "/echo", "Script": script}], Parameters=[client_id])
        used = definition(base, [{"Endpoint": "/echo?id={{ClientId}}"}], Parameters=[client_id])
        async with make_runtime() as runtime:
            result = await call(runtime, spec)
            assert result.body["headers"]["X-Seen"] == "[]"
            # A request that does use it is still refused, naming it.
            with pytest.raises(Exception, match="'ClientId' needs a value"):
                await call(runtime, used)
