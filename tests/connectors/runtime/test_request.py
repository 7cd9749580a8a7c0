"""Request building: URL, mergefields, parameters, bodies, and the errors for bad input."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from junction.connectors.runtime.auth import resolve_auth
from junction.connectors.runtime.request import BuiltRequest, build_request, compile_request
from junction.connectors.runtime.types import CallInput, ConnectionContext
from junction.connectors.spec.models import ConnectorDefinition
from junction.errors import CallInputError
from tests.connectors.runtime.helpers import (
    async_test,
    call_input,
    context,
    definition,
    echo,
    make_runtime,
    method_of,
    serve,
)

BASE = "https://api.example.com/v2"


def build(
    spec: ConnectorDefinition,
    values: CallInput | None = None,
    connection: ConnectionContext | None = None,
    page: dict[str, str] | None = None,
) -> BuiltRequest:
    connection = connection or context()
    auth = asyncio.run(resolve_auth(connection.credentials))
    plan = compile_request(spec, method_of(spec))
    return build_request(plan, connection, values or call_input(), auth, page=page)


def one(method: dict[str, Any], **extra: Any) -> ConnectorDefinition:
    return definition(BASE, [method], **extra)


def merge_param(name: str, **extra: Any) -> dict[str, Any]:
    return {"TargetType": "MergeField", "TargetName": name, **extra}


def query(name: str, **extra: Any) -> dict[str, Any]:
    return {"TargetType": "QueryString", "TargetName": name, **extra}


def header(name: str, **extra: Any) -> dict[str, Any]:
    return {"TargetType": "HttpHeader", "TargetName": name, **extra}


# --- URLs and mergefields -------------------------------------------------------------


def test_endpoint_is_appended_to_the_base_url_with_escaped_mergefields() -> None:
    spec = one(
        {"Endpoint": "/contacts/{{ContactId}}/notes", "Parameters": [merge_param("ContactId")]}
    )
    request = build(spec, call_input({"ContactId": "a/b c?&#"}))
    assert request.url.raw_path == "/v2/contacts/a%2Fb%20c%3F&%23/notes"
    assert request.url.path == "/v2/contacts/a/b c?&#/notes"
    assert request.method == "GET"
    assert request.body is None


def test_dot_segments_cannot_be_injected_through_a_mergefield() -> None:
    spec = one({"Endpoint": "/contacts/{{ContactId}}", "Parameters": [merge_param("ContactId")]})
    with pytest.raises(CallInputError, match=r"\{\{ContactId\}\} cannot be '\.\.'"):
        build(spec, call_input({"ContactId": ".."}))


def test_a_leading_mergefield_is_the_base_address_and_is_not_escaped() -> None:
    spec = definition(
        "{{ApiBase}}",
        [{"Endpoint": "/items/{{Id}}", "Parameters": [merge_param("Id")]}],
        Parameters=[merge_param("ApiBase", AccountConnectorProperty=True)],
    )
    request = build(
        spec,
        call_input({"Id": "7"}),
        context(properties={"ApiBase": "https://eu.example.com/api/"}),
    )
    assert str(request.url) == "https://eu.example.com/api/items/7"


def test_an_absolute_endpoint_ignores_the_base_url() -> None:
    spec = one({"Endpoint": "https://other.example.com/x"})
    assert str(build(spec).url) == "https://other.example.com/x"


def test_a_base_address_property_that_is_not_a_url_is_a_clear_error() -> None:
    spec = definition(
        "{{ApiBase}}",
        [{"Endpoint": "/items"}],
        Parameters=[merge_param("ApiBase", AccountConnectorProperty=True)],
    )
    with pytest.raises(CallInputError, match=r"\'eu\.example\.com/items\' is not an http"):
        build(spec, connection=context(properties={"ApiBase": "eu.example.com"}))


def test_missing_mergefield_value_names_the_parameter() -> None:
    spec = one(
        {
            "Endpoint": "/contacts/{{ContactId}}",
            "Parameters": [merge_param("ContactId", DisplayName="Contact id")],
        }
    )
    with pytest.raises(CallInputError, match=r"'ContactId' \(Contact id\) needs a value") as raised:
        build(spec)
    assert raised.value.status_code == 400


def test_auth_values_and_connector_properties_fill_mergefields() -> None:
    spec = one(
        {
            "Endpoint": "/u/{{Cyclr_Auth_Username}}/{{Region}}?key={{Cyclr_Auth_ApiKey}}",
        },
        Parameters=[merge_param("Region", AccountConnectorProperty=True)],
    )
    request = build(
        spec,
        connection=context(properties={"Region": "eu west"}, username="ann", api_key="k&y"),
    )
    assert request.url.raw_path == "/v2/u/ann/eu%20west"
    assert request.url.query["key"] == "k&y"


@pytest.mark.parametrize(
    ("endpoint", "run_date", "expected"),
    [
        ("/since/{{LastSuccessfulRunDate}}", None, "1970-01-01T00:00:00Z"),
        (
            "/since/{{LastSuccessfulRunDate}}",
            datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=UTC),
            "2024-05-06T07:08:09Z",
        ),
        (
            "/since/{{LastSuccessfulRunDate format=yyyy-MM-ddTHH:mm:ssZ}}",
            datetime(2024, 5, 6, 9, 8, 9, tzinfo=timezone(timedelta(hours=2))),
            "2024-05-06T07:08:09Z",
        ),
        (
            "/since/{{LastSuccessfulRunDate format=yyyy-MM-dd HH:mm:ss.fff}}",
            datetime(2024, 12, 31, 23, 59, 58, 7000),
            "2024-12-31 23:59:58.007",
        ),
        ("/since/{{LastSuccessfulRunDate format=yyyyMMdd}}", None, "19700101"),
        # Unix time (Junction's own formats): seconds, or milliseconds, in UTC.
        (
            "/since/{{LastSuccessfulRunDate format=unix}}",
            datetime(2026, 3, 1, 10, 0, 0, 500000, tzinfo=timezone(timedelta(hours=1))),
            "1772355600",
        ),
        (
            "/since/{{LastSuccessfulRunDate format=UnixMs}}",
            datetime(2026, 3, 1, 9),
            "1772355600000",
        ),
        ("/since/{{LastSuccessfulRunDate format='unix'}}", None, "0"),
    ],
)
def test_last_successful_run_date(endpoint: str, run_date: datetime | None, expected: str) -> None:
    spec = one({"Endpoint": endpoint})
    request = build(spec, call_input(last_successful_run_date=run_date))
    assert request.url.path == f"/v2/since/{expected}"


# --- query string and header parameters -----------------------------------------------


def test_query_and_header_parameters_from_connector_and_method() -> None:
    spec = one(
        {
            "Endpoint": "/contacts?fixed=1",
            "Parameters": [
                query("status", Optional=True),
                query("limit", Value="50"),
                query("sort", DefaultValue="name"),
                header("X-Region", Value="us"),  # overrides the connector's
                header("X-Trace", Value="{{TraceId}}"),
                merge_param("TraceId"),
            ],
        },
        Parameters=[
            header("X-Region", Value="eu"),
            header("X-Version", Value="2024-01"),
            query("api_version", Value="3"),
        ],
    )
    request = build(spec, call_input({"TraceId": "t-1"}))
    assert list(request.url.query.items()) == [
        ("fixed", "1"),
        ("api_version", "3"),
        ("limit", "50"),
        ("sort", "name"),
    ]
    assert request.headers["X-Region"] == "us"
    assert request.headers["X-Version"] == "2024-01"
    assert request.headers["X-Trace"] == "t-1"


def test_value_then_caller_then_property_then_default() -> None:
    spec = one(
        {"Endpoint": "/x", "Parameters": [query("fixed", Value="v"), query("a", DefaultValue="d")]},
        Parameters=[query("b", DefaultValue="d", AccountConnectorProperty=True)],
    )
    given = build(
        spec, call_input({"fixed": "ignored", "a": "caller"}), context(properties={"b": "prop"})
    )
    assert given.url.query["fixed"] == "v"
    assert given.url.query["a"] == "caller"
    assert given.url.query["b"] == "prop"
    defaults = build(spec)
    assert defaults.url.query["a"] == "d"
    assert defaults.url.query["b"] == "d"


def test_ignore_parameter_drops_a_connector_parameter() -> None:
    spec = one(
        {
            "Endpoint": "/x",
            "Parameters": [
                query("api_version", Value="CYCLR_IGNORE_PARAMETER"),
                header("X-Version", Value="CYCLR_IGNORE_PARAMETER"),
            ],
        },
        Parameters=[query("api_version", Value="3"), header("X-Version", Value="1")],
    )
    request = build(spec)
    assert "api_version" not in request.url.query
    assert "X-Version" not in request.headers


def test_missing_required_query_parameter_names_it() -> None:
    spec = one({"Endpoint": "/x", "Parameters": [query("status", DisplayName="Status")]})
    with pytest.raises(CallInputError, match=r"'status' \(Status\) needs a value \(QueryString"):
        build(spec)


def test_missing_required_header_parameter_names_it() -> None:
    spec = one({"Endpoint": "/x"}, Parameters=[header("X-Tenant", AccountConnectorProperty=True)])
    with pytest.raises(CallInputError, match="'X-Tenant' needs a value"):
        build(spec)


def test_optional_parameters_without_value_are_left_out() -> None:
    spec = one(
        {"Endpoint": "/x", "Parameters": [query("q", Optional=True), header("X-Q", Optional=True)]}
    )
    request = build(spec, call_input({"q": ""}))
    assert not request.url.query
    assert "X-Q" not in request.headers


def test_parameter_data_types_are_checked() -> None:
    spec = one(
        {
            "Endpoint": "/x",
            "Parameters": [
                query("limit", DataType="Integer", Optional=True),
                query("active", DataType="Boolean", Optional=True),
            ],
        }
    )
    assert build(spec, call_input({"limit": "20", "active": "YES"})).url.query_string == (
        "limit=20&active=true"
    )
    with pytest.raises(
        CallInputError, match=r"'limit' must be a whole number \(Integer\), not 'abc'"
    ):
        build(spec, call_input({"limit": "abc"}))
    with pytest.raises(CallInputError, match=r"'active' must be true or false"):
        build(spec, call_input({"active": "maybe"}))


def test_header_values_cannot_carry_line_breaks() -> None:
    spec = one({"Endpoint": "/x", "Parameters": [header("X-Note")]})
    with pytest.raises(CallInputError, match="'X-Note' cannot hold a line break"):
        build(spec, call_input({"X-Note": "a\r\nX-Admin: 1"}))


def test_caller_values_are_not_merged() -> None:
    spec = one({"Endpoint": "/x", "Parameters": [query("q")]})
    request = build(spec, call_input({"q": "{{Cyclr_Auth_ApiKey}}"}), context(api_key="secret"))
    assert request.url.query["q"] == "{{Cyclr_Auth_ApiKey}}"


def test_unknown_mergefield_at_call_time_is_named() -> None:
    # Valid as a definition (AuthFields key), but this account connector has no such value.
    spec = one(
        {"Endpoint": "/t/{{Tenant}}"},
        Authentication=[
            {
                "Id": "f",
                "AuthType": "AuthFields",
                "AuthFields": [{"Name": "Tenant", "Key": "Tenant"}],
            }
        ],
    )
    with pytest.raises(CallInputError, match=r"no value for the mergefield \{\{Tenant\}\}"):
        build(spec)


def test_paging_variables_come_from_the_page() -> None:
    spec = one(
        {
            "Endpoint": "/x",
            "Parameters": [
                query("page", Value="CYCLR_PAGE_NUMBER"),
                query("size", Value="CYCLR_PAGE_SIZE"),
                {"TargetType": "ResponseField", "TargetName": "next", "Value": "CYCLR_PAGE_TOKEN"},
                query("cursor", Value="CYCLR_PAGE_TOKEN"),
            ],
        }
    )
    first = build(spec, page={"CYCLR_PAGE_NUMBER": "1", "CYCLR_PAGE_SIZE": "50"})
    assert first.url.query_string == "page=1&size=50"  # no token yet: left out
    later = build(spec, page={"CYCLR_PAGE_NUMBER": "2", "CYCLR_PAGE_TOKEN": "abc"})
    assert later.url.query_string == "page=2&cursor=abc"


# --- bodies ---------------------------------------------------------------------------

FIELDS = [
    {"ConnectorField": "email", "SystemField": "Email", "Optional": False},
    {"ConnectorField": "profile.name", "SystemField": "Name"},
    {"ConnectorField": "vip", "SystemField": "Vip", "DataType": "Boolean"},
    {"ConnectorField": "age", "SystemField": "Age", "DataType": "Integer"},
    {"ConnectorField": "score", "DataType": "Float"},
    {"ConnectorField": "price", "SystemField": "Price", "DataType": "Decimal"},
    {
        "ConnectorField": "born",
        "SystemField": "Born",
        "DataType": "DateTime",
        "DataTypeFormat": "dd/MM/yyyy",
    },
    {"ConnectorField": "seen", "SystemField": "Seen", "DataType": "DateTime"},
    {"ConnectorField": "source", "SystemField": "Source", "DefaultValue": "junction"},
    {"ConnectorField": "[tags].label", "SystemField": "Tags"},
]


def test_json_body_places_and_converts_fields() -> None:
    spec = one({"Endpoint": "/contacts", "HttpMethod": "POST", "RequestFields": FIELDS})
    request = build(
        spec,
        call_input(
            fields={
                "Email": "ann@example.com",
                "Name": "Ann",
                "Vip": "yes",
                "Age": "42",
                "score": 1,  # by ConnectorField: it has no SystemField
                "Price": "19.999999999999999",
                "Born": "1990-03-04",
                "Seen": datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC),
                "Tags": ["a", "b"],
                "Unknown": "ignored",
            }
        ),
    )
    assert request.headers["Content-Type"] == "application/json"
    assert request.body is not None
    assert json.loads(request.body) == {
        "email": "ann@example.com",
        "profile": {"name": "Ann"},
        "vip": True,
        "age": 42,
        "score": 1.0,
        "price": 20,
        "born": "04/03/1990",
        "seen": "2024-01-02T03:04:05Z",
        "source": "junction",
        "tags": [{"label": "a"}, {"label": "b"}],
    }
    assert request.body_log == request.body.decode()


def test_missing_required_field_is_named() -> None:
    spec = one({"Endpoint": "/contacts", "HttpMethod": "POST", "RequestFields": FIELDS})
    with pytest.raises(CallInputError, match="The field 'Email' is required"):
        build(spec, call_input(fields={"Name": "Ann"}))


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("Age", "forty", r"'Age' must be a whole number \(Integer\), not 'forty'"),
        ("Age", "4.5", r"'Age' must be a whole number"),
        ("Age", True, r"'Age' must be a whole number \(Integer\), not bool"),
        ("Vip", "perhaps", r"'Vip' must be true or false \(Boolean\), not 'perhaps'"),
        ("score", "n/a", r"'score' must be a number \(Float\), not 'n/a'"),
        ("Price", "nan", r"'Price' must be a number \(Decimal\)"),
        ("Born", "03/04", r"'Born' must be a date-time \(in the format dd/MM/yyyy\)"),
        ("Seen", "yesterday", r"'Seen' must be a date-time \(ISO 8601\), not 'yesterday'"),
        ("Tags", "a", r"'Tags' goes through a list \(\[tags\].label\); give a list"),
    ],
)
def test_unconvertible_field_values_are_named(field: str, value: Any, message: str) -> None:
    spec = one({"Endpoint": "/contacts", "HttpMethod": "POST", "RequestFields": FIELDS})
    with pytest.raises(CallInputError, match=message):
        build(spec, call_input(fields={"Email": "a@b.c", field: value}))


def test_form_body_is_flat_and_urlencoded() -> None:
    spec = one(
        {
            "Endpoint": "/form",
            "HttpMethod": "POST",
            "BodyFormat": "Form",
            "RequestFields": [
                {"ConnectorField": "name", "SystemField": "Name"},
                {"ConnectorField": "active", "SystemField": "Active", "DataType": "Boolean"},
                {"ConnectorField": "note", "SystemField": "Note"},
            ],
        }
    )
    request = build(spec, call_input(fields={"Name": "A & B", "Active": 1, "Note": None}))
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    # Spaces as %20 (not +, which some APIs' validators read as a reserved character).
    assert request.body == b"name=A%20%26%20B&active=true"
    with pytest.raises(CallInputError, match="'Name' holds an object or list; a form body"):
        build(spec, call_input(fields={"Name": {"first": "A"}}))


def test_form_body_refuses_list_paths() -> None:
    spec = one(
        {
            "Endpoint": "/form",
            "HttpMethod": "POST",
            "BodyFormat": "Form",
            "RequestFields": [{"ConnectorField": "[tags].label", "SystemField": "Tags"}],
        }
    )
    with pytest.raises(CallInputError, match="'Tags' goes through a list; a form body is flat"):
        build(spec, call_input(fields={"Tags": ["x"]}))


def test_plain_text_body() -> None:
    spec = one(
        {
            "Endpoint": "/note",
            "HttpMethod": "PUT",
            "BodyFormat": "PlainText",
            "RequestFields": [{"ConnectorField": "text", "SystemField": "Text"}],
        }
    )
    request = build(spec, call_input(fields={"Text": "hello\nworld"}))
    assert request.body == b"hello\nworld"
    assert request.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert request.headers["Accept"] == "*/*"


def test_get_and_delete_send_no_body() -> None:
    for verb in ("GET", "DELETE"):
        spec = one({"Endpoint": "/x", "HttpMethod": verb, "RequestFields": FIELDS})
        request = build(spec, call_input(fields={"Email": "a@b.c"}))
        assert request.body is None
        assert "Content-Type" not in request.headers


def test_a_top_level_list_body() -> None:
    spec = one(
        {
            "Endpoint": "/batch",
            "HttpMethod": "POST",
            "RequestFields": [
                {"ConnectorField": "[].id", "SystemField": "Id", "DataType": "Integer"},
                {"ConnectorField": "[].name", "SystemField": "Name"},
            ],
        }
    )
    request = build(spec, call_input(fields={"Id": ["1", 2], "Name": ["a", "b"]}))
    assert request.body is not None
    assert json.loads(request.body) == [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}]


def test_sensitive_fields_are_masked_in_the_logged_body_only() -> None:
    spec = one(
        {
            "Endpoint": "/users",
            "HttpMethod": "POST",
            "RequestFields": [
                {"ConnectorField": "user", "SystemField": "User"},
                {"ConnectorField": "auth.password", "SystemField": "Password", "Sensitive": True},
            ],
        }
    )
    request = build(spec, call_input(fields={"User": "ann", "Password": "pw-123456"}))
    assert request.body is not None
    assert b"pw-123456" in request.body
    assert request.body_log == '{"user":"ann","auth":{"password":"[redacted]"}}'


@async_test
async def test_the_built_request_reaches_a_real_server() -> None:
    async with serve({"/{tail:.*}": echo}) as base:
        spec = definition(
            base,
            [
                {
                    "Endpoint": "/contacts/{{Id}}",
                    "HttpMethod": "PATCH",
                    "Parameters": [merge_param("Id"), query("notify", Value="true")],
                    "RequestFields": [{"ConnectorField": "name", "SystemField": "Name"}],
                }
            ],
            Parameters=[header("X-Region", Value="eu")],
        )
        runtime = make_runtime()
        try:
            result = await runtime.call(
                spec, method_of(spec), context(), call_input({"Id": "a b/c"}, {"Name": "Zoë"})
            )
        finally:
            await runtime.close()
    body = result.body
    assert body["method"] == "PATCH"
    assert body["raw_path"] == "/contacts/a%20b%2Fc?notify=true"
    assert body["headers"]["X-Region"] == "eu"
    assert json.loads(body["body"]) == {"name": "Zoë"}
    assert result.exchanges[0].request_body == '{"name":"Zoë"}'


def test_a_value_that_is_not_json_is_a_clear_error() -> None:
    spec = one(
        {
            "Endpoint": "/x",
            "HttpMethod": "POST",
            "RequestFields": [{"ConnectorField": "tags", "SystemField": "Tags"}],
        }
    )
    with pytest.raises(CallInputError, match="cannot be sent as JSON: a set cannot be sent"):
        build(spec, call_input(fields={"Tags": {"a", "b"}}))
