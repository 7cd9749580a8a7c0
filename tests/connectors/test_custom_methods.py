"""Effective methods: a method with its account connector's custom fields, built once per
content so the runtime's plans (cached by method object) are compiled once."""

from __future__ import annotations

from junction.connectors.accounts.custom_field_describe import data_type, display_name, field_values
from junction.connectors.accounts.custom_methods import CustomField, effective
from junction.connectors.runtime import mapping_plan
from junction.connectors.spec.models import FieldSpec, FieldType, MethodSpec


def _method() -> MethodSpec:
    return MethodSpec.model_validate(
        {
            "Name": "Create order",
            "MethodUniqueIdentifier": "orders-create",
            "HttpMethod": "POST",
            "Endpoint": "https://api.example.com/orders",
            "RequestFields": [{"ConnectorField": "customer", "SystemField": "Customer"}],
            "ResponseFields": [{"ConnectorField": "id", "SystemField": "Id"}],
        }
    )


def _field(
    field_id: int,
    path: str,
    *,
    for_request: bool = True,
    method: str | None = "orders-create",
    read_only: bool = False,
    data: FieldType = FieldType.TEXT,
) -> CustomField:
    return CustomField(
        id=field_id,
        method=method,
        for_request=for_request,
        spec=FieldSpec(ConnectorField=path, SystemField=path, DataType=data),
        read_only=read_only,
        hidden=False,
        field_values=[],
        source="Manual",
    )


def test_no_custom_fields_leave_the_method_itself() -> None:
    method = _method()
    assert effective(method, []) is method
    assert effective(method, [_field(1, "x", method="other-method")]) is method
    assert effective(method, [_field(1, "x", read_only=True)]) is method  # never sent


def test_custom_fields_are_appended_and_the_object_is_reused_while_unchanged() -> None:
    method = _method()
    fields = [
        _field(1, "priority"),
        _field(2, "tracking", for_request=False, method=None),
        _field(3, "internal", read_only=True),
    ]
    built = effective(method, fields)
    assert [f.ConnectorField for f in built.RequestFields] == ["customer", "priority"]
    assert [f.ConnectorField for f in built.ResponseFields] == ["id", "tracking"]
    assert method.RequestFields[-1].ConnectorField == "customer"  # the definition is untouched

    # Same content (even read again from the database as new objects): the same object,
    # so a plan compiled for it is found again.
    again = effective(method, [_field(1, "priority"), *fields[1:]])
    assert again is built
    assert mapping_plan(again) is mapping_plan(built)

    changed = effective(method, [_field(1, "priority", data=FieldType.INTEGER), *fields[1:]])
    assert changed is not built
    assert changed.RequestFields[-1].DataType is FieldType.INTEGER
    assert mapping_plan(changed) is not mapping_plan(built)


def test_lookup_attributes_are_read_leniently() -> None:
    assert [data_type(c) for c in (0, 1, 2, 3, 4, 5, "2", "Boolean", 9, None)] == [
        FieldType.TEXT,
        FieldType.TEXT,
        FieldType.INTEGER,
        FieldType.FLOAT,
        FieldType.BOOLEAN,
        FieldType.DATETIME,
        FieldType.INTEGER,
        FieldType.BOOLEAN,
        FieldType.TEXT,
        FieldType.TEXT,
    ]
    assert field_values([{"value": "UK", "label": "United Kingdom"}, "US", None, {"x": 1}]) == [
        {"Value": "UK", "Label": "United Kingdom"},
        {"Value": "US", "Label": None},
    ]
    assert field_values("not a list") == []
    assert [display_name(k) for k in ("customer_type", "orderRef", "HTTPCode", "x2")] == [
        "Customer Type",
        "Order Ref",
        "HTTP Code",
        "X 2",
    ]
