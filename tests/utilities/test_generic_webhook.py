"""Generic Webhook: calls to any URL, and a cycle started by its inbound webhook."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from aiohttp import web

from junction.errors import BlockedAddress, JunctionError
from junction.utilities.operations import UtilityContext, UtilityError, run
from tests.cycles.builders import publish
from tests.engine.hooks import wait_for
from tests.fixtures.loopback import LoopbackApi
from tests.fixtures.server import Junction
from tests.utilities.test_storage import install


class Echo(LoopbackApi):
    """Answers every call with what it received; /fail answers 500."""

    def add_routes(self, app: web.Application) -> None:
        async def echo(request: web.Request) -> web.Response:
            if request.path == "/fail":
                return web.json_response({"error": "broken"}, status=500)
            return web.json_response(
                {"method": request.method, "body": await request.text(), "q": dict(request.query)}
            )

        app.router.add_route("*", "/{tail:.*}", echo)

    def refuse(self, request: web.Request) -> web.Response | None:
        return None  # no credentials asked


@pytest.fixture
def echo() -> Any:
    with Echo() as api:
        yield api


def call(junction: Junction, verb: str, **inputs: Any) -> list[dict[str, Any]]:
    context = UtilityContext(
        database=junction.services.database,
        account_id="acme",
        account_connector_id=0,
        cycle_id="c",
        now=junction.clock(),
        http=junction.services.gateway.runtime.http,
    )
    return junction.run(run(f"generic-webhook/{verb}", context, inputs))


@pytest.mark.parametrize("verb", ["get", "post", "put", "patch", "delete"])
def test_each_verb(junction: Junction, echo: Echo, verb: str) -> None:
    [answer] = call(junction, verb, Url=f"{echo.base_url}/things?x=1", Body='{"a": 1}')
    assert answer["StatusCode"] == 200
    assert answer["Body"]["method"] == verb.upper()
    assert answer["Body"]["q"] == {"x": "1"}
    received = echo.requests[-1]
    assert received.body == '{"a": 1}'
    assert received.header("Content-Type") == "application/json"


def test_headers_as_lines_or_json(junction: Junction, echo: Echo) -> None:
    call(junction, "post", Url=echo.base_url, Headers="X-One: 1\nX-Two: two", Body="hello")
    received = echo.requests[-1]
    assert (received.header("X-One"), received.header("X-Two")) == ("1", "two")
    assert received.header("Content-Type") == "text/plain; charset=utf-8"
    call(junction, "get", Url=echo.base_url, Headers='{"X-Three": "3"}')
    assert echo.requests[-1].header("X-Three") == "3"


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        ({}, "Url: required"),
        ({"Url": "ftp://example.com/x"}, "Url: 'ftp://example.com/x' must be an absolute http"),
        ({"Url": "/relative"}, "Url: '/relative' must be an absolute http"),
        ({"Url": "http://127.0.0.1:9/", "Headers": "no colon"}, "Headers: 'no colon' is not"),
        ({"Url": "http://127.0.0.1:9/", "Headers": "{not json"}, "Headers: not valid JSON"),
        ({"Url": "http://127.0.0.1:9/", "Headers": '{"a": 1, "b\\nc": 2}'}, "Headers: 'b"),
    ],
)
def test_bad_input(junction: Junction, inputs: dict[str, Any], message: str) -> None:
    with pytest.raises(UtilityError) as raised:
        call(junction, "post", **inputs)
    assert raised.value.message.startswith(message)


def test_an_error_answer_fails_the_call(junction: Junction, echo: Echo) -> None:
    with pytest.raises(UtilityError, match=r"^Url: the call answered 500: .*broken"):
        call(junction, "get", Url=f"{echo.base_url}/fail")


def test_private_addresses_are_refused(junction: Junction) -> None:
    with pytest.raises(BlockedAddress):
        call(junction, "get", Url="http://10.1.2.3/")
    with pytest.raises(JunctionError):
        call(junction, "get", Url="http://169.254.169.254/latest/meta-data/")


def test_a_cycle_relays_its_webhook_calls(junction: Junction, echo: Echo) -> None:
    account, _ = install(junction, "Generic Webhook")
    partner = junction.http(junction.token())
    template_id = publish(
        partner,
        {
            "Name": "Relay",
            "Steps": [
                {
                    "Key": "in",
                    "Name": "Received",
                    "ConnectorName": "Generic Webhook",
                    "MethodUniqueIdentifier": "webhook",
                },
                {
                    "Key": "out",
                    "Name": "Relay",
                    "ConnectorName": "Generic Webhook",
                    "MethodUniqueIdentifier": "post",
                    "FieldMappings": [
                        {
                            "Name": "Url",
                            "MappingType": "StaticValue",
                            "Value": f"{echo.base_url}/relay",
                        },
                        {
                            "Name": "Body",
                            "MappingType": "StepData",
                            "SourceStepKey": "in",
                            "SourceField": "order",
                        },
                    ],
                },
            ],
            "Edges": [{"TailStepKey": "in", "HeadStepKey": "out"}],
        },
    )
    cycle = account.post(f"/v1.0/templates/{template_id}/install", json={}).json()
    activated = account.put(f"/v1.0/cycles/{cycle['Id']}/activate", json={})
    assert activated.status_code == 200, activated.text
    url = activated.json()["Webhooks"][0]["Url"]
    assert httpx.post(url, json={"order": {"id": 7, "total": 9.5}}).status_code == 200
    wait_for(lambda: bool(echo.requests_to("POST", "/relay")))
    assert echo.requests_to("POST", "/relay")[0].json() == {"id": 7, "total": 9.5}


def form(junction: Junction, **inputs: Any) -> list[dict[str, Any]]:
    context = UtilityContext(
        database=junction.services.database,
        account_id="acme",
        account_connector_id=0,
        cycle_id="c",
        now=junction.clock(),
        http=junction.services.gateway.runtime.http,
    )
    return junction.run(run("generic-form/post", context, inputs))


def test_a_form_is_posted(junction: Junction, echo: Echo) -> None:
    [answer] = form(junction, Url=f"{echo.base_url}/form", Fields="name=Ann Lee\nlist=news&more")
    assert answer["StatusCode"] == 200
    received = echo.requests[-1]
    assert received.header("Content-Type") == "application/x-www-form-urlencoded"
    assert received.body == "name=Ann+Lee&list=news%26more"
    form(junction, Url=f"{echo.base_url}/form", Fields='{"a": 1, "b": null}', Headers="X-K: v")
    assert (echo.requests[-1].body, echo.requests[-1].header("X-K")) == ("a=1&b=", "v")


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        ({"Url": "http://127.0.0.1:9/"}, "Fields: required"),
        (
            {"Url": "http://127.0.0.1:9/", "Fields": "novalue"},
            "Fields: 'novalue' is not 'name=value'",
        ),
        ({"Url": "http://127.0.0.1:9/", "Fields": "{bad"}, "Fields: not valid JSON"),
        ({"Fields": "a=1"}, "Url: required"),
    ],
)
def test_bad_form_input(junction: Junction, inputs: dict[str, Any], message: str) -> None:
    with pytest.raises(UtilityError) as raised:
        form(junction, **inputs)
    assert raised.value.message.startswith(message)
