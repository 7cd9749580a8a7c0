"""Validation of a connector definition, reporting every problem with its location.

Pydantic checks shapes and types; the checks here follow references across the document
(mergefields, triggers, paging variables, field paths) that no single field can see.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from junction.connectors.spec.mergefields import SYSTEM_MERGEFIELDS, names_in
from junction.connectors.spec.models import (
    AuthenticationSpec,
    AuthType,
    ConnectorDefinition,
    MethodKind,
    MethodSpec,
    OAuth2Type,
    ParameterSpec,
    Target,
)
from junction.connectors.spec.paths import PathError, parse_path
from junction.errors import BadRequest
from junction.scripting.handlers import defines
from junction.scripting.sandbox import syntax_error

PAGE_VARIABLE = re.compile(
    r"^CYCLR_(PAGE_NUMBER|PAGE_OFFSET|PAGE_SIZE|PAGE_NEXT_URL|PAGE_HAS_MORE"
    r"|PAGE_TOKEN(_[A-Za-z0-9]+)?|IGNORE_PARAMETER)$"
)
# Variables that only an answer can fill (the request never sends them).
_READ_ONLY_VARIABLES = ("CYCLR_PAGE_NEXT_URL", "CYCLR_PAGE_HAS_MORE")
_ANSWER_TARGETS = (Target.RESPONSE_FIELD, Target.RESPONSE_HEADER)
HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")  # an RFC 9110 token


@dataclass(frozen=True)
class Problem:
    location: str
    message: str


class DefinitionInvalid(BadRequest):
    """400 with every problem listed (``Problems`` beside ``Message`` in the API)."""

    subject = "The connector definition"

    def __init__(self, problems: list[Problem]) -> None:
        count = len(problems)
        super().__init__(
            f"{self.subject} has {count} problem{'s' if count != 1 else ''}: "
            + "; ".join(f"{p.location}: {p.message}" for p in problems[:20])
            + ("; ..." if count > 20 else "")
        )
        self.problems = problems

    def body(self) -> dict[str, Any]:
        return {
            "Message": self.message,
            "Problems": [{"Location": p.location, "Message": p.message} for p in self.problems],
        }


def problem_location(loc: Iterable[Any]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(document)"


def validation_problems(exc: ValidationError) -> list[Problem]:
    """Pydantic's errors as problems, each at the location of the value it concerns."""
    return [
        Problem(problem_location(error["loc"]), error["msg"].removeprefix("Value error, "))
        for error in exc.errors()
    ]


def parse_definition(document: Any) -> ConnectorDefinition:
    """A validated definition, or DefinitionInvalid listing every problem."""
    try:
        definition = ConnectorDefinition.model_validate(document)
    except ValidationError as exc:
        raise DefinitionInvalid(validation_problems(exc)) from None
    problems = list(_check(definition))
    if problems:
        raise DefinitionInvalid(problems)
    return definition


def _check(definition: ConnectorDefinition) -> Iterable[Problem]:
    yield from _check_authentication(definition.Authentication)
    connector_mergefields = set(SYSTEM_MERGEFIELDS)
    for index, parameter in enumerate(definition.Parameters):
        where = f"Parameters[{index}]"
        if parameter.AccountConnectorProperty and parameter.PartnerConnectorProperty:
            yield Problem(
                where, "a parameter cannot be both an account and a partner connector property"
            )
        connector_mergefields.add(parameter.TargetName)
    for auth in definition.Authentication:
        connector_mergefields.update(field.Key for field in auth.AuthFields)
        if auth.ApiKey is not None and auth.ApiKey.Location == "MergeField":
            connector_mergefields.add(auth.ApiKey.Name)
    for index, auth in enumerate(definition.Authentication):
        if auth.OAuth2 is not None:
            for name in ("ClientId", "ClientSecret", "TokenUrl", "AuthoriseUrl"):
                yield from _unknown_mergefields(
                    getattr(auth.OAuth2, name) or "",
                    connector_mergefields,
                    f"Authentication[{index}].OAuth2.{name}",
                )
    if definition.BaseUrl is not None:
        yield from _url(definition.BaseUrl, "BaseUrl")
        yield from _unknown_mergefields(definition.BaseUrl, connector_mergefields, "BaseUrl")
    yield from _check_parameters(definition.Parameters, "Parameters", connector_mergefields)

    if definition.Script:
        yield from _script(definition.Script, "Script")
    triggers = {trigger.Name for trigger in definition.Triggers}
    methods: dict[str, int] = {}
    for index, method in enumerate(definition.Methods):
        where = f"Methods[{index}]"
        if method.MethodUniqueIdentifier in methods:
            yield Problem(
                f"{where}.MethodUniqueIdentifier",
                f"'{method.MethodUniqueIdentifier}' is already used by "
                f"Methods[{methods[method.MethodUniqueIdentifier]}]",
            )
        else:
            methods[method.MethodUniqueIdentifier] = index
        yield from _check_method(definition, method, where, connector_mergefields, triggers)
    for index, method in enumerate(definition.Methods):
        yield from _check_links(definition, method, f"Methods[{index}]", methods)
    test = definition.AuthenticationTestMethod
    if test is not None and test not in methods:
        yield Problem(
            "AuthenticationTestMethod", f"no method has the MethodUniqueIdentifier '{test}'"
        )
    elif test is not None:
        method = definition.Methods[methods[test]]
        needed = [
            p.TargetName
            for p in method.Parameters
            if p.TargetType is not Target.RESPONSE_FIELD
            and not p.Optional
            and p.Value is None
            and p.DefaultValue is None
        ] + [
            f.SystemField or f.ConnectorField
            for f in method.RequestFields
            if not f.Optional and f.DefaultValue is None
        ]
        if method.MethodType is not MethodKind.ACTION:
            yield Problem("AuthenticationTestMethod", "the test method must be an Action method")
        elif needed:
            # It is called with nothing but the credentials.
            yield Problem(
                "AuthenticationTestMethod",
                f"the test method needs values for {', '.join(needed)}; choose one that "
                "needs no input",
            )

    for index, trigger in enumerate(definition.Triggers):
        where = f"Triggers[{index}]"
        if trigger.MethodUniqueIdentifier not in methods:
            yield Problem(
                f"{where}.MethodUniqueIdentifier",
                f"no method has MethodUniqueIdentifier '{trigger.MethodUniqueIdentifier}'",
            )
        for key in ("IdentifierKey", "HumanReadableKey"):
            yield from _path(getattr(trigger, key), f"{where}.{key}")
    if definition.Paging.ItemsPath:
        yield from _path(definition.Paging.ItemsPath, "Paging.ItemsPath")


def _check_authentication(auths: list[AuthenticationSpec]) -> Iterable[Problem]:
    seen: set[str] = set()
    if sum(1 for auth in auths if auth.IsDefault) > 1:
        yield Problem("Authentication", "at most one authentication may be IsDefault")
    for index, auth in enumerate(auths):
        where = f"Authentication[{index}]"
        if auth.Id in seen:
            yield Problem(f"{where}.Id", f"'{auth.Id}' is used twice")
        seen.add(auth.Id)
        if auth.Type is AuthType.OAUTH2:
            if auth.OAuth2 is None:
                yield Problem(f"{where}.OAuth2", "AuthType OAuth2 needs an OAuth2 section")
            else:
                yield from _url(auth.OAuth2.TokenUrl, f"{where}.OAuth2.TokenUrl")
                if auth.OAuth2.Type is OAuth2Type.AUTHORISATION_CODE:
                    if not auth.OAuth2.AuthoriseUrl:
                        yield Problem(
                            f"{where}.OAuth2.AuthoriseUrl",
                            "required for OAuth2Type AuthorisationCode",
                        )
                    else:
                        yield from _url(auth.OAuth2.AuthoriseUrl, f"{where}.OAuth2.AuthoriseUrl")
        elif auth.OAuth2 is not None:
            yield Problem(f"{where}.OAuth2", f"only allowed with AuthType OAuth2, not {auth.Type}")
        if auth.Type is AuthType.AUTH_FIELDS and not auth.AuthFields:
            yield Problem(f"{where}.AuthFields", "AuthType AuthFields needs at least one field")
        if (
            auth.ApiKey is not None
            and auth.ApiKey.Location == "MergeField"
            and not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", auth.ApiKey.Name)
        ):
            yield Problem(
                f"{where}.ApiKey.Name",
                "with Location MergeField, the name must be usable as {{Name}}: letters, "
                "digits and _, not starting with a digit",
            )
        if auth.ApiKey is not None and auth.Type is not AuthType.API_KEY:
            yield Problem(f"{where}.ApiKey", f"only allowed with AuthType ApiKey, not {auth.Type}")


def _check_parameters(
    parameters: list[ParameterSpec] | list[Any], where: str, mergefields: set[str]
) -> Iterable[Problem]:
    for index, parameter in enumerate(parameters):
        location = f"{where}[{index}]"
        value = parameter.Value or ""
        if value.startswith("CYCLR_"):
            if not PAGE_VARIABLE.match(value):
                yield Problem(f"{location}.Value", f"'{value}' is not a known CYCLR_ variable")
        else:
            yield from _unknown_mergefields(value, mergefields, f"{location}.Value")
        if parameter.TargetType in _ANSWER_TARGETS:
            yield from _answer_parameter(parameter, location)
        elif value in _READ_ONLY_VARIABLES:
            yield Problem(
                f"{location}.Value",
                f"{value} is read from the answer: only a ResponseField or ResponseHeader "
                f"parameter can have it, not a {parameter.TargetType} one",
            )
    for variable in _READ_ONLY_VARIABLES:
        # Two places for one value would leave it to chance which one is read.
        places = [
            i
            for i, p in enumerate(parameters)
            if p.Value == variable and p.TargetType in _ANSWER_TARGETS
        ]
        for index in places[1:]:
            yield Problem(
                f"{where}[{index}].Value",
                f"{where}[{places[0]}] already says where the answer holds {variable}",
            )


def _answer_parameter(parameter: ParameterSpec, location: str) -> Iterable[Problem]:
    """A ResponseField or ResponseHeader parameter: where an answer holds a paging value."""
    value = parameter.Value or ""
    kind = parameter.TargetType
    if kind is Target.RESPONSE_HEADER:
        if not HEADER_NAME.match(parameter.TargetName):
            yield Problem(
                f"{location}.TargetName",
                f"'{parameter.TargetName}' is not a header name (letters, digits and -, "
                "such as Link or X-Next-Cursor)",
            )
    else:
        problems = list(_path(parameter.TargetName, f"{location}.TargetName"))
        yield from problems
        if (
            not problems
            and value in _READ_ONLY_VARIABLES
            and parse_path(parameter.TargetName).list_depth
        ):
            # Only a cursor may come from the page's last item ([data].id); a next URL or
            # "more pages follow" is one value for the whole answer.
            yield Problem(
                f"{location}.TargetName",
                f"'{parameter.TargetName}' goes through a list; {value} is read from one "
                "field of the answer, outside any list",
            )
    if value not in _READ_ONLY_VARIABLES and not value.startswith("CYCLR_PAGE_TOKEN"):
        yield Problem(
            f"{location}.Value",
            f"a {kind} parameter needs CYCLR_PAGE_NEXT_URL, CYCLR_PAGE_TOKEN[_X] or "
            "CYCLR_PAGE_HAS_MORE",
        )


BUILTIN_PREFIX = "junction:"


def _check_method(
    definition: ConnectorDefinition,
    method: MethodSpec,
    where: str,
    connector_mergefields: set[str],
    triggers: set[str],
) -> Iterable[Problem]:
    mergefields = connector_mergefields | {
        p.TargetName for p in method.Parameters if p.TargetType is Target.MERGE_FIELD
    }
    endpoint = method.Endpoint
    if method.Script:
        yield from _script(method.Script, f"{where}.Script")
    decides = any(defines(text, "action_condition") for text in (method.Script, definition.Script))
    if method.Conditional and not definition.Builtin and not decides:
        yield Problem(
            f"{where}.Conditional",
            "a method decides a True or False exit with an action_condition script handler "
            "(method or connector Script); only Builtin connectors' methods need none",
        )
    if defines(method.Script, "action_condition") and not method.Conditional:
        yield Problem(
            f"{where}.Conditional",
            "the method's Script has an action_condition handler: set Conditional: true so "
            "that its steps get True and False exits",
        )
    if definition.Builtin:
        if not endpoint.startswith(BUILTIN_PREFIX):
            yield Problem(
                f"{where}.Endpoint",
                f"a Builtin connector's methods name {BUILTIN_PREFIX}<operation>",
            )
        return
    if endpoint.startswith(BUILTIN_PREFIX):
        yield Problem(f"{where}.Endpoint", f"{BUILTIN_PREFIX} endpoints need Builtin: true")
    elif not re.match(r"^(https?://|\{\{)", endpoint):
        if definition.BaseUrl is None:
            yield Problem(
                f"{where}.Endpoint",
                "must start with http:// or https://, or the connector needs a BaseUrl",
            )
    elif endpoint.startswith("http"):
        yield from _url(endpoint, f"{where}.Endpoint")
    yield from _unknown_mergefields(endpoint, mergefields, f"{where}.Endpoint")
    yield from _check_parameters(method.Parameters, f"{where}.Parameters", mergefields)
    for index, parameter in enumerate(method.Parameters):
        if parameter.TriggerName and parameter.TriggerName not in triggers:
            yield Problem(
                f"{where}.Parameters[{index}].TriggerName",
                f"no trigger is named '{parameter.TriggerName}'",
            )
    tokens_in = {p.Value for p in method.Parameters if p.TargetType not in _ANSWER_TARGETS}
    tokens_out = {p.Value for p in method.Parameters if p.TargetType in _ANSWER_TARGETS}
    for token in sorted(v for v in tokens_in if v and v.startswith("CYCLR_PAGE_TOKEN")):
        if token not in tokens_out:
            yield Problem(
                f"{where}.Parameters",
                f"{token} is sent but no ResponseField or ResponseHeader parameter says where "
                "to read it",
            )
    for kind in ("RequestFields", "ResponseFields"):
        for index, field in enumerate(getattr(method, kind)):
            yield from _path(field.ConnectorField, f"{where}.{kind}[{index}].ConnectorField")
    if method.Paging is not None and method.Paging.ItemsPath:
        yield from _path(method.Paging.ItemsPath, f"{where}.Paging.ItemsPath")


def _check_links(
    definition: ConnectorDefinition, method: MethodSpec, where: str, methods: dict[str, int]
) -> Iterable[Problem]:
    """Methods that name other methods of the connector."""
    webhook = (method.CreateWebhookMethod, method.DeleteWebhookMethod)
    if any(webhook) and method.MethodType is not MethodKind.WEBHOOK:
        yield Problem(
            f"{where}.CreateWebhookMethod",
            "only a Webhook method installs a webhook (MethodType: Webhook)",
        )
    elif any(webhook) and not all(webhook):
        yield Problem(
            f"{where}.{'DeleteWebhookMethod' if webhook[0] else 'CreateWebhookMethod'}",
            "a webhook that is installed at the API needs both a create and a delete method",
        )
    for name in (
        "CreateWebhookMethod",
        "DeleteWebhookMethod",
        "RequestCustomFieldsLookupMethod",
        "ResponseCustomFieldsLookupMethod",
    ):
        target = getattr(method, name)
        if target is None:
            continue
        if target not in methods:
            yield Problem(f"{where}.{name}", f"no method has the MethodUniqueIdentifier '{target}'")
        elif target == method.MethodUniqueIdentifier:
            yield Problem(f"{where}.{name}", "a method cannot name itself")
        elif definition.Methods[methods[target]].MethodType is not MethodKind.ACTION:
            yield Problem(f"{where}.{name}", f"'{target}' must be an Action method")


def _script(text: str, location: str) -> Iterable[Problem]:
    error = syntax_error(text)
    if error is not None:
        yield Problem(location, f"the script does not compile: {error}")


def _unknown_mergefields(text: str, known: set[str], location: str) -> Iterable[Problem]:
    for name in names_in(text):
        if name not in known:
            yield Problem(location, f"unknown mergefield {{{{{name}}}}}")


def _path(text: str, location: str) -> Iterable[Problem]:
    try:
        parse_path(text)
    except PathError as exc:
        yield Problem(location, str(exc))


def _url(text: str, location: str) -> Iterable[Problem]:
    # A mergefield may stand for the whole base or for part of the host
    # (https://{{Subdomain}}.example.com); the runtime checks the final URL again.
    if not re.match(r"^(https?://\S|\{\{)", text):
        yield Problem(location, "must be an http:// or https:// URL")
