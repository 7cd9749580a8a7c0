"""Response bodies mapped to records, field data types, and .NET-style date formats."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from aiohttp import web

from junction.connectors.runtime.convert import from_response_value
from junction.connectors.runtime.dates import compile_format
from junction.connectors.runtime.mapping import map_records, mapping_plan
from junction.connectors.spec.models import FieldType, MethodSpec
from tests.connectors.runtime.helpers import (
    async_test,
    call_input,
    context,
    definition,
    make_runtime,
    method_of,
    serve,
)


def method(fields: list[dict[str, Any]]) -> MethodSpec:
    return MethodSpec.model_validate(
        {"Name": "m", "MethodUniqueIdentifier": "m", "Endpoint": "/m", "ResponseFields": fields}
    )


CONTACTS = method(
    [
        {"ConnectorField": "[contacts].id", "SystemField": "Id", "DataType": "Integer"},
        {"ConnectorField": "[contacts].email", "SystemField": "Email"},
        {"ConnectorField": "[contacts].vip", "SystemField": "Vip", "DataType": "Boolean"},
        {"ConnectorField": "[contacts].score", "SystemField": "Score", "DataType": "Float"},
        {"ConnectorField": "[contacts].balance", "SystemField": "Balance", "DataType": "Decimal"},
        {
            "ConnectorField": "[contacts].born",
            "SystemField": "Born",
            "DataType": "DateTime",
            "DataTypeFormat": "dd/MM/yyyy HH:mm",
        },
        {"ConnectorField": "[contacts].seen", "SystemField": "Seen", "DataType": "DateTime"},
        {"ConnectorField": "[contacts].address.city"},  # no SystemField: keyed by the path
        {"ConnectorField": "meta.total", "SystemField": "Total", "DataType": "Integer"},
    ]
)


def test_one_record_per_collection_item_with_data_types() -> None:
    body = {
        "meta": {"total": "2"},
        "contacts": [
            {
                "id": "12",
                "email": "a@example.com",
                "vip": "true",
                "score": "1.5",
                "balance": 10.1234567890129,
                "born": "04/03/1990 14:30",
                "seen": "2024-01-02T03:04:05+02:00",
                "address": {"city": "Leeds"},
            },
            {
                "id": 13.0,
                "email": 7,
                "vip": 0,
                "score": 2,
                "balance": "3",
                "born": "not a date",
                "seen": "2024-01-02",
            },
        ],
    }
    assert map_records(CONTACTS, body) == [
        {
            "Id": 12,
            "Email": "a@example.com",
            "Vip": True,
            "Score": 1.5,
            "Balance": 10.123456789013,
            "Born": "1990-03-04T14:30:00Z",
            "Seen": "2024-01-02T01:04:05Z",
            "[contacts].address.city": "Leeds",
            "Total": 2,
        },
        {
            "Id": 13,
            "Email": "7",
            "Vip": False,
            "Score": 2.0,
            "Balance": 3.0,
            "Born": "not a date",  # left as it came
            "Seen": "2024-01-02T00:00:00Z",
            "[contacts].address.city": None,
            "Total": 2,
        },
    ]


@pytest.mark.parametrize(
    ("data_type", "value"),
    [
        (FieldType.INTEGER, "twelve"),
        (FieldType.INTEGER, "1.5"),
        (FieldType.INTEGER, True),
        (FieldType.FLOAT, "n/a"),
        (FieldType.BOOLEAN, "perhaps"),
        (FieldType.DATETIME, 1700000000),
        (FieldType.DECIMAL, {"amount": 1}),
    ],
)
def test_unconvertible_response_values_pass_unchanged(data_type: FieldType, value: Any) -> None:
    assert from_response_value(data_type, value) == value


def test_a_single_object_is_one_record() -> None:
    spec = method(
        [
            {"ConnectorField": "id", "SystemField": "Id", "DataType": "Integer"},
            {"ConnectorField": "profile.name", "SystemField": "Name"},
            {"ConnectorField": "profile.[tags]", "SystemField": "Tags"},
        ]
    )
    # profile.[tags] goes through a list, so it is the collection: one record per tag.
    assert map_records(spec, {"id": "5", "profile": {"name": "Ann", "tags": ["a", "b"]}}) == [
        {"Id": 5, "Name": "Ann", "Tags": "a"},
        {"Id": 5, "Name": "Ann", "Tags": "b"},
    ]
    single = method(
        [
            {"ConnectorField": "id", "SystemField": "Id", "DataType": "Integer"},
            {"ConnectorField": "profile.name", "SystemField": "Name"},
        ]
    )
    assert map_records(single, {"id": "5", "profile": {"name": "Ann"}}) == [
        {"Id": 5, "Name": "Ann"}
    ]


def test_a_top_level_list_and_nested_collections() -> None:
    root = method([{"ConnectorField": "[].id", "SystemField": "Id", "DataType": "Integer"}])
    assert map_records(root, [{"id": "1"}, {"id": "2"}]) == [{"Id": 1}, {"Id": 2}]
    lines = method(
        [
            {"ConnectorField": "[orders].[lines].sku", "SystemField": "Sku"},
            {"ConnectorField": "[orders].[lines].qty", "SystemField": "Qty", "DataType": "Integer"},
        ]
    )
    body = {"orders": [{"lines": [{"sku": "a", "qty": "1"}]}, {"lines": [{"sku": "b", "qty": 2}]}]}
    assert map_records(lines, body) == [{"Sku": "a", "Qty": 1}, {"Sku": "b", "Qty": 2}]


def test_bodies_without_the_collection() -> None:
    assert map_records(CONTACTS, {"meta": {"total": 0}}) == []
    assert map_records(CONTACTS, "plain text") == []
    assert map_records(CONTACTS, None) == []
    assert map_records(method([]), {"id": 1}) == []
    # A single object where a list was expected counts as a list of one.
    assert map_records(CONTACTS, {"contacts": {"id": "1"}})[0]["Id"] == 1


def test_the_plan_is_compiled_once_per_method() -> None:
    assert mapping_plan(CONTACTS) is mapping_plan(CONTACTS)
    twin = MethodSpec.model_validate(CONTACTS.model_dump(by_alias=True))
    assert mapping_plan(twin) is not mapping_plan(CONTACTS)


@pytest.mark.parametrize(
    ("fmt", "text", "expected"),
    [
        ("yyyy-MM-ddTHH:mm:ssZ", "2024-05-06T07:08:09Z", datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)),
        ("dd/MM/yyyy", "31/12/2023", datetime(2023, 12, 31, tzinfo=UTC)),
        (
            "yyyy-MM-dd HH:mm:ss.fff",
            "2024-01-02 03:04:05.678",
            datetime(2024, 1, 2, 3, 4, 5, 678000, tzinfo=UTC),
        ),
        (
            "yyyy-MM-ddTHH:mm:sszzz",
            "2024-01-02T03:04:05-05:00",
            datetime(2024, 1, 2, 8, 4, 5, tzinfo=UTC),
        ),
        ("M/d/yy", "3/4/24", datetime(2024, 3, 4, tzinfo=UTC)),
        ("yyyy'T'MM", "2024T05", datetime(2024, 5, 1, tzinfo=UTC)),
        ("dd/MM/yyyy", "2023-12-31", None),
        ("dd/MM/yyyy", "31/02/2023", None),
    ],
)
def test_dotnet_formats_parse(fmt: str, text: str, expected: datetime | None) -> None:
    assert compile_format(fmt).parse(text) == expected


def test_dotnet_formats_format() -> None:
    moment = datetime(2024, 3, 4, 5, 6, 7, 89000, tzinfo=UTC)
    assert compile_format("yyyy-MM-ddTHH:mm:ss.fffZ").format(moment) == "2024-03-04T05:06:07.089Z"
    assert compile_format("d/M/yy H:m:s").format(moment) == "4/3/24 5:6:7"
    assert compile_format("yyyyMMddK").format(moment) == "20240304Z"


@async_test
async def test_call_maps_a_real_response() -> None:
    async def api(request: web.Request) -> web.Response:
        return web.json_response({"contacts": [{"id": "1", "vip": "false"}], "meta": {"total": 1}})

    async def text(request: web.Request) -> web.Response:
        return web.Response(text="OK")

    async with serve({"/contacts": api, "/text": text}) as base:
        spec = definition(
            base,
            [
                {
                    "Endpoint": "/contacts",
                    "ResponseFields": CONTACTS.model_dump(by_alias=True)["ResponseFields"],
                },
                {"MethodUniqueIdentifier": "t", "Endpoint": "/text"},
            ],
        )
        runtime = make_runtime()
        try:
            result = await runtime.call(spec, method_of(spec), context(), call_input())
            plain = await runtime.call(spec, method_of(spec, "t"), context(), call_input())
        finally:
            await runtime.close()
    assert result.records[0]["Id"] == 1
    assert result.records[0]["Vip"] is False
    assert result.records[0]["Total"] == 1
    assert plain.body == "OK"
    assert plain.records == []
    assert plain.headers["Content-Type"].startswith("text/plain")
