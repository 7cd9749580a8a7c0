"""Scripts and the links between methods are checked when a definition or a template is
stored: each problem names where it is, and nothing is stored."""

from __future__ import annotations

from typing import Any

import pytest

from junction.connectors.spec.validate import DefinitionInvalid, parse_definition
from junction.templates.spec.graph import parse_template


def definition(**method: Any) -> dict[str, Any]:
    return {
        "Name": "Scripted",
        "Version": "1",
        "BaseUrl": "https://api.example.com",
        "Methods": [
            {"Name": "M", "MethodUniqueIdentifier": "m", "Endpoint": "/m", **method},
            {"Name": "Make hook", "MethodUniqueIdentifier": "hook-create", "Endpoint": "/h"},
            {"Name": "Drop hook", "MethodUniqueIdentifier": "hook-delete", "Endpoint": "/h/x"},
        ],
    }


def problems(document: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(DefinitionInvalid) as raised:
        parse_definition(document)
    return {p.location: p.message for p in raised.value.problems}


def test_a_well_formed_scripted_method_is_accepted() -> None:
    parsed = parse_definition(
        definition(
            Script="function action_condition() { return true; }",
            Conditional=True,
        )
    )
    assert parsed.Methods[0].Conditional


def test_a_script_that_does_not_compile_is_refused_with_its_location() -> None:
    found = problems(definition(Script="function before_action( { return true; }"))
    assert "the script does not compile: SyntaxError" in found["Methods[0].Script"]
    whole = definition()
    whole["Script"] = "function after_action() { return ; ) }"
    assert "does not compile" in problems(whole)["Script"]


def test_conditional_and_action_condition_go_together() -> None:
    assert "action_condition" in problems(definition(Conditional=True))["Methods[0].Conditional"]
    found = problems(definition(Script="function action_condition() { return true; }"))
    assert "set Conditional: true" in found["Methods[0].Conditional"]


def test_webhook_install_methods_are_checked() -> None:
    found = problems(definition(CreateWebhookMethod="hook-create", DeleteWebhookMethod="x"))
    assert "only a Webhook method" in found["Methods[0].CreateWebhookMethod"]
    found = problems(definition(MethodType="Webhook", CreateWebhookMethod="hook-create"))
    assert "both a create and a delete" in found["Methods[0].DeleteWebhookMethod"]
    found = problems(
        definition(
            MethodType="Webhook", CreateWebhookMethod="hook-create", DeleteWebhookMethod="gone"
        )
    )
    assert (
        "no method has the MethodUniqueIdentifier 'gone'" in found["Methods[0].DeleteWebhookMethod"]
    )


def test_a_step_script_that_does_not_compile_is_refused() -> None:
    method = parse_definition(definition()).Methods[0]
    template = {
        "Name": "T",
        "Steps": [
            {
                "Key": "a",
                "Name": "A",
                "ConnectorName": "Scripted",
                "MethodUniqueIdentifier": "m",
                "Script": "function before_action() { return true; ",
            }
        ],
    }
    with pytest.raises(DefinitionInvalid) as raised:
        parse_template(template, lambda *_: method)
    assert any(
        p.location.endswith("Script") and "does not compile" in p.message
        for p in raised.value.problems
    )


def test_checking_a_script_that_breaks_out_of_its_wrapper_stays_bounded() -> None:
    import time

    from junction.scripting.sandbox import syntax_error

    for escaping in (
        "}); for (;;) {} (function () {",
        "}); throw {toString: function () { for (;;) {} }}; (function () {",
    ):
        started = time.monotonic()
        assert syntax_error(escaping) is not None
        assert time.monotonic() - started < 2
