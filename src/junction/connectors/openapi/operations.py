"""One connector method per operation: endpoint, parameters, body, response and paging.

Path parameters become MergeField parameters filling ``{{name}}`` in the endpoint (names
cleaned up to what a mergefield can hold, the endpoint rewritten to match); query and
header parameters become QueryString and HttpHeader parameters. Paging comes from
``x-ms-pageable`` where the document declares it, else from the names of a GET operation's
parameters and answer fields (see ``paging``), with a note saying how sure the guess is.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from junction.connectors.openapi.bodies import Bodies, RequestBody, is_json
from junction.connectors.openapi.document import Source
from junction.connectors.openapi.names import mergefield_name, name_fields, one_line, unique
from junction.connectors.openapi.notes import Notes, at
from junction.connectors.openapi.paging import ListShape
from junction.connectors.openapi.paging import detect as guess_paging
from junction.connectors.openapi.refs import Resolver
from junction.connectors.openapi.schemas import (
    Shape,
    Shapes,
    api_default,
    data_type,
    describe,
    value_text,
)
from junction.connectors.spec.models import Body, FieldType
from junction.connectors.spec.paths import PathError, escape_key, parse_path

VERBS = ("get", "post", "put", "patch", "delete")
SKIPPED_VERBS = ("head", "options", "trace", "query")
_TEMPLATE = re.compile(r"\{([^{}]+)\}")
_IGNORED_HEADERS = frozenset({"accept", "content-type", "authorization"})
_LOCATIONS = {
    2: ("path", "query", "header", "body", "formData"),
    3: ("path", "query", "header", "cookie"),
}
_ABSOLUTE = re.compile(r"^https?://[^/\s{}]+", re.IGNORECASE)
# Names of a parameter that carries an OAuth 2.0 or bearer token (compared as ``_key``).
_TOKEN_NAMES = frozenset({"token", "accesstoken", "oauthtoken", "bearertoken"})


@dataclass(frozen=True)
class Operation:
    path: str
    verb: str  # lower case
    node: dict[str, Any]
    path_item: dict[str, Any]
    where: str  # paths./pets.get
    path_where: str  # paths./pets

    @property
    def operation_id(self) -> str | None:
        value = self.node.get("operationId")
        return str(value).strip() or None if value is not None else None


def operations(source: Source, resolver: Resolver, notes: Notes) -> Iterator[Operation]:
    """Every operation of the document, in document order; reports broken ones."""
    for raw_path, raw_item in source.root["paths"].items():
        path = str(raw_path)
        path_where = at("paths", path)
        if path.startswith("x-"):
            continue  # an extension, not a path
        item, _, _ = resolver.resolve(raw_item, path_where)
        if item is None:
            continue
        if not isinstance(item, dict):
            notes.problem(path_where, "a path item must be an object mapping verbs to operations")
            continue
        if not path.startswith("/"):
            notes.warn(path_where, "a path should start with '/'; one is added")
        for key, node in item.items():
            verb = str(key).lower()
            where = at(path_where, key)
            if verb in SKIPPED_VERBS:
                notes.warn(where, f"{verb.upper()} operations are not supported; skipped")
            elif verb in VERBS:
                if not isinstance(node, dict):
                    notes.problem(where, "an operation must be an object")
                    continue
                yield Operation(
                    path if path.startswith("/") else f"/{path}",
                    verb,
                    node,
                    item,
                    where,
                    path_where,
                )


class MethodBuilder:
    def __init__(
        self,
        source: Source,
        resolver: Resolver,
        shapes: Shapes,
        bodies: Bodies,
        notes: Notes,
        reserved: frozenset[str],
        credentials: frozenset[tuple[str, str]] = frozenset(),
        token_schemes: Mapping[str, str] | None = None,
    ) -> None:
        self.source = source
        self.resolver = resolver
        self.shapes = shapes
        self.bodies = bodies
        self.notes = notes
        self.reserved = reserved
        self.credentials = credentials  # (in, name) of API keys the authentication sends
        self.token_schemes = dict(token_schemes or {})  # scheme → mergefield of its token
        self._maximums: dict[str, int] = {}  # a method's query parameters' maximums

    def method(self, op: Operation, method_id: str) -> dict[str, Any]:
        endpoint, names = self._endpoint(op)
        self._maximums = {}
        parameters: list[dict[str, Any]] = []
        body_parameter: dict[str, Any] | None = None
        form: list[dict[str, Any]] = []
        declared_path: set[str] = set()
        token = self._token_mergefield(op)
        for param, where in self._parameters(op):
            location, name = param["in"], str(param["name"])
            if (location, name.lower() if location == "header" else name) in self.credentials:
                self.notes.warn(where, f"'{name}' is the API key the authentication sends; skipped")
            elif (
                token is not None
                and location in ("query", "header", "formData")
                and _key(name) in _TOKEN_NAMES
            ):
                credential = self._token_parameter(param, where, location, name, token)
                if credential is not None:
                    (form if location == "formData" else parameters).append(credential)
            elif location == "path":
                if name not in names:
                    self.notes.warn(where, f"the path has no {{{name}}}; the parameter is skipped")
                    continue
                declared_path.add(name)
                parameters.append(self._parameter(param, where, "MergeField", names[name]))
            elif location == "query":
                self._named(parameters, param, where, "QueryString", name)
            elif location == "header":
                fixed = self._fixed_header(op, param, where, name)
                if fixed is not None:
                    parameters.append(fixed)
                    continue
                if name.lower() in _IGNORED_HEADERS:
                    self.notes.warn(where, f"the header {name} is set by Junction; skipped")
                    continue
                self._named(parameters, param, where, "HttpHeader", name)
            elif location == "cookie":
                self.notes.warn(where, f"cookie parameters are not supported; '{name}' is skipped")
            elif location == "body":
                body_parameter = param
            else:  # formData (2.0)
                self._form_field(form, param, where)
        for name, target in names.items():
            if name not in declared_path:
                self.notes.warn(op.where, f"{{{name}}} in the path is not declared; added as text")
                parameters.append({"TargetType": "MergeField", "TargetName": target})

        body = self._body(op, body_parameter, form)
        accept = self._accept(op, parameters)
        if accept is not None:
            parameters.append(accept)
        method: dict[str, Any] = {
            "Name": self._name(op),
            "MethodUniqueIdentifier": method_id,
        }
        description = self._description(op)
        if description:
            method["Description"] = description
        tags = op.node.get("tags")
        if isinstance(tags, list) and tags and str(tags[0]).strip():
            method["Category"] = one_line(tags[0])
        method["HttpMethod"] = op.verb.upper()
        method["Endpoint"] = self._server(op) + endpoint
        response_fields = self._response_fields(op, op.node.get("responses"))
        paging = self._paging(op, parameters)
        if paging is None and op.verb == "get":
            known = {str(f["ConnectorField"]) for f in response_fields}
            # Fields only the example answer shows (Slack declares `has_more` but shows its
            # `response_metadata.next_cursor` only in the example) may still carry the cursor.
            shown = [
                {"ConnectorField": path} for path in self._example_paths(op) if path not in known
            ]
            paging = guess_paging(
                ListShape(
                    op.where,
                    parameters,
                    response_fields + shown,
                    self._link_header(op),
                    self._maximums,
                ),
                self.notes,
            )
        if parameters:
            method["Parameters"] = parameters
        if body.fields and op.verb in ("get", "delete"):
            self.notes.warn(
                op.where, f"a {op.verb.upper()} request sends no body; its fields are skipped"
            )
        elif body.fields:
            if body.format is not Body.JSON:
                method["BodyFormat"] = body.format.value
            method["RequestFields"] = name_fields(body.fields)
        if response_fields:
            method["ResponseFields"] = name_fields(response_fields)
        if paging:
            method["Paging"] = paging
        return method

    # -- names and texts ------------------------------------------------------------------

    def _name(self, op: Operation) -> str:
        for candidate in (op.node.get("summary"), op.operation_id):
            if candidate is not None and str(candidate).strip():
                return one_line(candidate)
        return one_line(f"{op.verb.upper()} {op.path}")

    def _description(self, op: Operation) -> str | None:
        text = op.node.get("description")
        description = str(text).strip() if text is not None else ""
        if op.node.get("deprecated") is True:
            description = f"Deprecated. {description}".strip()
        return description or None

    # -- endpoint and parameters ----------------------------------------------------------

    def _endpoint(self, op: Operation) -> tuple[str, dict[str, str]]:
        """The endpoint with ``{{mergefields}}``, and each path variable's mergefield name."""
        taken = set(self.reserved)
        names: dict[str, str] = {}
        for name in _TEMPLATE.findall(op.path):
            if name not in names:
                names[name] = unique(mergefield_name(name), taken)
        endpoint = _TEMPLATE.sub(lambda m: "{{" + names[m.group(1)] + "}}", op.path)
        return endpoint, names

    def _server(self, op: Operation) -> str:
        """An operation's own server, when it is a fixed absolute URL; else the BaseUrl.

        An own server that is the document's server (or a path under it) is the BaseUrl
        (and that path): Twilio repeats its one server on every path, and an absolute
        endpoint there would keep an account from pointing the connector at a sandbox or a
        mock through the BaseUrl property."""
        if self.source.major == 2:
            return ""
        base = _document_server(self.source.root)
        for owner, where in ((op.node, op.where), (op.path_item, op.path_where)):
            servers = owner.get("servers")
            if isinstance(servers, list) and servers:
                first = servers[0]
                url = first.get("url") if isinstance(first, dict) else None
                if isinstance(url, str) and base is not None:
                    own = url.strip().rstrip("/")
                    if own == base or own.startswith(base + "/"):
                        return own[len(base) :]
                if isinstance(url, str) and _ABSOLUTE.match(url) and "{" not in url:
                    return url.rstrip("/")
                self.notes.warn(where, "servers other than a fixed absolute URL are ignored")
                return ""
        return ""

    def _parameters(self, op: Operation) -> list[tuple[dict[str, Any], str]]:
        """Path-level parameters overridden by the operation's own (same name and place)."""
        merged: dict[tuple[str, str], tuple[dict[str, Any], str]] = {}
        allowed = _LOCATIONS[self.source.major]
        for owner, owner_where in ((op.path_item, op.path_where), (op.node, op.where)):
            raw = owner.get("parameters")
            if raw is None:
                continue
            where = at(owner_where, "parameters")
            if not isinstance(raw, list):
                self.notes.problem(where, "must be a list")
                continue
            for index, item in enumerate(raw):
                location = at(where, index)
                param, _, _ = self.resolver.resolve(item, location)
                if param is None:
                    continue
                if not isinstance(param, dict):
                    self.notes.problem(location, "a parameter must be an object")
                    continue
                name, place = param.get("name"), param.get("in")
                if name is None or str(name) == "" or place not in allowed:
                    self.notes.problem(
                        location,
                        f"a parameter needs a 'name' and an 'in' ({', '.join(allowed)}); "
                        f"this one has name {name!r} and in {place!r}",
                    )
                    continue
                merged[(str(place), str(name))] = (param, location)
        return list(merged.values())

    def _shape(self, param: dict[str, Any], where: str) -> Shape:
        if self.source.major == 2:
            return self.shapes.of(param, where)
        schema = param.get("schema")
        location = at(where, "schema")
        if schema is None and isinstance(param.get("content"), dict):
            for media_type, media in param["content"].items():
                if isinstance(media, dict) and "schema" in media:
                    schema, location = (
                        media["schema"],
                        at(at(at(where, "content"), media_type), "schema"),
                    )
                    break
        node, location, _ = self.resolver.resolve(schema, location)
        return self.shapes.of(node, location) if isinstance(node, dict) else Shape("value")

    def _parameter(
        self, param: dict[str, Any], where: str, target: str, target_name: str
    ) -> dict[str, Any]:
        shape = self._shape(param, where)
        spec: dict[str, Any] = {"TargetType": target, "TargetName": target_name}
        original = str(param["name"])
        if original != target_name:
            spec["DisplayName"] = original
        note = describe(param.get("description") or shape.description, shape.enum)
        default = value_text(param.get("default", shape.default))
        required = target == "MergeField" or param.get("required") is True
        if default is not None and "{{" not in default:
            if required:
                spec["DefaultValue"] = default
            else:  # the API applies it itself when the parameter is left out
                note = api_default(note, default)
        if note:
            spec["Description"] = note
        if not required:
            spec["Optional"] = True
        kind, _ = data_type(shape.type, shape.format)
        if kind is not FieldType.TEXT:
            spec["DataType"] = kind.value
        if isinstance(shape.maximum, int) and not isinstance(shape.maximum, bool):
            self._maximums[target_name] = shape.maximum
        return spec

    def _token_mergefield(self, op: Operation) -> str | None:
        """The mergefield of the token that the operation's OAuth 2.0 or bearer scheme
        sends (the first such scheme its security names), or None."""
        security = op.node.get("security", self.source.root.get("security"))
        if security is None:  # nothing required by name: any scheme the document has
            return next(iter(self.token_schemes.values()), None)
        for requirement in security if isinstance(security, list) else ():
            for scheme in requirement if isinstance(requirement, dict) else ():
                if str(scheme) in self.token_schemes:
                    return self.token_schemes[str(scheme)]
        return None

    def _token_parameter(
        self, param: dict[str, Any], where: str, location: str, name: str, token: str
    ) -> dict[str, Any] | None:
        """A ``token`` or ``access_token`` parameter beside an OAuth 2.0 or bearer scheme
        carries the token the authentication already sends (Slack declares one on every
        operation). Left out when optional; when required, sent with the account's token,
        so that no call asks its caller for a credential."""
        if param.get("required") is not True:
            self.notes.warn(
                where, f"'{name}' is the token the authentication sends; skipped (optional)"
            )
            return None
        self.notes.warn(where, f"'{name}' is the token the authentication sends; it is sent")
        value = "{{" + token + "}}"
        if location == "formData":
            return {"ConnectorField": name, "Optional": False, "DefaultValue": value}
        target = "QueryString" if location == "query" else "HttpHeader"
        return {
            "TargetType": target,
            "TargetName": name,
            "Value": value,
            "Hidden": True,
            "Sensitive": True,
        }

    def _fixed_header(
        self, op: Operation, param: dict[str, Any], where: str, name: str
    ) -> dict[str, Any] | None:
        """A required header whose one allowed value the document gives (a single ``enum``
        value or a ``const``; for Accept and Content-Type also a ``default``): sent with
        that value on every call. Content-Type so only where no body sets its own."""
        lower = name.lower()
        if param.get("required") is not True or lower == "authorization" or len(name) > 255:
            return None
        shape = self._shape(param, where)
        values = [value_text(v) for v in shape.enum or []]
        value = values[0] if len(values) == 1 else None
        if value is None and lower in ("accept", "content-type"):
            value = value_text(param.get("default", shape.default))
        if value is None or "{{" in value or "\n" in value or "\r" in value:
            return None
        if lower == "content-type" and op.verb not in ("get", "delete"):
            return None  # the body's format sets it
        canonical = {"accept": "Accept", "content-type": "Content-Type"}.get(lower, name)
        return {"TargetType": "HttpHeader", "TargetName": canonical, "Value": value}

    def _named(
        self,
        parameters: list[dict[str, Any]],
        param: dict[str, Any],
        where: str,
        target: str,
        name: str,
    ) -> None:
        if len(name) > 255:
            self.notes.warn(where, "a parameter name longer than 255 characters is skipped")
            return
        parameters.append(self._parameter(param, where, target, name))

    def _form_field(self, form: list[dict[str, Any]], param: dict[str, Any], where: str) -> None:
        name = str(param["name"])
        if param.get("type") == "file":
            self.notes.warn(where, f"file uploads are not supported; '{name}' is skipped")
            return
        if not name or name != name.strip() or any(c in name for c in ".[]"):
            self.notes.warn(where, f"the form field name '{name}' cannot be a field path; skipped")
            return
        shape = self.shapes.of(param, where)
        kind, date_format = data_type(shape.type, shape.format)
        spec: dict[str, Any] = {"ConnectorField": name}
        if kind is not FieldType.TEXT:
            spec["DataType"] = kind.value
        if date_format:
            spec["DataTypeFormat"] = date_format
        note = describe(param.get("description"), shape.enum)
        default = value_text(param.get("default"))
        if default is not None and "{{" in default:
            default = None
        if param.get("required") is True:
            spec["Optional"] = False
            if default is not None:
                spec["DefaultValue"] = default
        elif default is not None:
            note = api_default(note, default)
        if note:
            spec["Description"] = note
        form.append(spec)

    # -- body, response, paging -----------------------------------------------------------

    def _body(
        self, op: Operation, body_parameter: dict[str, Any] | None, form: list[dict[str, Any]]
    ) -> RequestBody:
        if self.source.major == 3:
            if "requestBody" not in op.node:
                return RequestBody()
            return self.bodies.request_v3(op.node["requestBody"], at(op.where, "requestBody"))
        if body_parameter is not None:
            consumes = self._media_types(op, "consumes")
            if consumes and not any(is_json(t) for t in consumes):
                self.notes.warn(
                    op.where,
                    f"the body is sent as {', '.join(consumes)}, not JSON; its fields are skipped",
                )
                return RequestBody()
        if form and body_parameter is None:
            consumes = self._media_types(op, "consumes")
            if consumes and "application/x-www-form-urlencoded" not in consumes:
                self.notes.warn(
                    op.where,
                    f"form parameters sent as {', '.join(consumes)} are not supported; "
                    "the method has no request fields",
                )
                return RequestBody()
        return self.bodies.request_v2(body_parameter, form, f"{op.where}.parameters(body)")

    def _media_types(self, op: Operation, key: str) -> list[str]:
        value = op.node.get(key, self.source.root.get(key))
        return [str(v) for v in value] if isinstance(value, list) else []

    def _response_fields(self, op: Operation, responses: Any) -> list[dict[str, Any]]:
        where = at(op.where, "responses")
        if self.source.major == 2:
            produces = self._media_types(op, "produces")
            if produces and not any(is_json(t) for t in produces):
                return []
        return self.bodies.response_fields(responses, where, self.source.major == 2)

    def _accept(self, op: Operation, parameters: list[dict[str, Any]]) -> dict[str, Any] | None:
        """A fixed Accept header when the answers are declared only in types other than
        ``application/json`` (JSON:API's ``application/vnd.api+json``, say): Junction asks
        for ``application/json`` by default, which such an API may refuse with a 406."""
        if any(
            p["TargetType"] == "HttpHeader" and p["TargetName"].lower() == "accept"
            for p in parameters
        ):
            return None  # the document's own Accept parameter decides
        types = self._answer_types(op)
        if not types or any(_base_type(t) in ("application/json", "*/*") for t in types):
            return None
        usable = [t for t in types if "\n" not in t and "\r" not in t and len(t) <= 255]
        if not usable:
            return None
        chosen = next((t for t in usable if is_json(t)), usable[0])
        self.notes.warn(op.where, f"the answer is {chosen}, so Accept: {chosen} is sent")
        return {"TargetType": "HttpHeader", "TargetName": "Accept", "Value": chosen}

    def _answer_types(self, op: Operation) -> list[str]:
        """The media types of the operation's 2xx answers that have a body, in order."""
        if self.source.major == 2:
            responses = op.node.get("responses")
            has_body = isinstance(responses, dict) and any(
                str(code).startswith("2")
                and isinstance(answer := self.resolver.resolve(raw, op.where)[0], dict)
                and "schema" in answer
                for code, raw in responses.items()
            )
            return self._media_types(op, "produces") if has_body else []
        types: list[str] = []
        responses = op.node.get("responses")
        for code, raw in responses.items() if isinstance(responses, dict) else ():
            if not str(code).startswith("2"):
                continue
            answer, _, _ = self.resolver.resolve(raw, at(at(op.where, "responses"), code))
            content = answer.get("content") if isinstance(answer, dict) else None
            for name in content if isinstance(content, dict) else ():
                if str(name) not in types:
                    types.append(str(name))
        return types

    def _example_paths(self, op: Operation) -> list[str]:
        """Field paths of the objects (not lists) in the 2xx answers' JSON examples."""
        responses = op.node.get("responses")
        if not isinstance(responses, dict):
            return []
        examples: list[Any] = []
        for code, raw in responses.items():
            if not str(code).startswith("2"):
                continue
            response, _, _ = self.resolver.resolve(raw, at(at(op.where, "responses"), code))
            if not isinstance(response, dict):
                continue
            if isinstance(response.get("examples"), dict):  # 2.0: by media type
                examples += [v for k, v in response["examples"].items() if is_json(str(k))]
            content = response.get("content")
            for media, body in (content or {}).items() if isinstance(content, dict) else ():
                if not is_json(str(media)) or not isinstance(body, dict):
                    continue
                if "example" in body:
                    examples.append(body["example"])
                named = body.get("examples")
                if isinstance(named, dict):
                    examples += [e.get("value") for e in named.values() if isinstance(e, dict)]
        paths: list[str] = []
        for example in examples:
            _object_paths(example, [], paths)
        return paths

    def _link_header(self, op: Operation) -> bool:
        """Whether a 2xx answer declares a ``Link`` header (RFC 8288 paging)."""
        responses = op.node.get("responses")
        if not isinstance(responses, dict):
            return False
        for code, raw in responses.items():
            if not str(code).startswith("2"):
                continue
            response, _, _ = self.resolver.resolve(raw, at(at(op.where, "responses"), code))
            headers = response.get("headers") if isinstance(response, dict) else None
            if isinstance(headers, dict) and any(str(h).lower() == "link" for h in headers):
                return True
        return False

    def _paging(self, op: Operation, parameters: list[dict[str, Any]]) -> dict[str, Any] | None:
        pageable = op.node.get("x-ms-pageable")
        if pageable is None:
            return None
        where = at(op.where, "x-ms-pageable")
        if not isinstance(pageable, dict):
            self.notes.warn(where, "must be an object; no paging")
            return None
        next_link = pageable.get("nextLinkName")
        if next_link is None:
            return None  # the API answers everything in one page
        item_name = str(pageable.get("itemName") or "value")
        next_link = escape_key(str(next_link))  # a property name: "@odata.nextLink" is one
        try:
            parse_path(next_link)
            items = parse_path(f"[{escape_key(item_name)}]").text
        except PathError:
            self.notes.warn(
                where,
                f"'{next_link}' or '{item_name}' cannot be written as a field path; no paging",
            )
            return None
        parameters.append(
            {
                "TargetType": "ResponseField",
                "TargetName": next_link,
                "Value": "CYCLR_PAGE_NEXT_URL",
                "Hidden": True,
            }
        )
        return {"InboundPaging": True, "ItemsPath": items}


def _key(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def _object_paths(value: Any, path: list[str], found: list[str], depth: int = 0) -> None:
    """The paths of ``value``'s keys through nested objects (lists are not entered: paging
    fields sit beside the items), at most four levels deep."""
    if not isinstance(value, dict) or depth >= 4:
        return
    for key, item in value.items():
        if not isinstance(key, str) or not key or "[" in key or "]" in key:
            continue
        here = [*path, escape_key(key)]
        if not isinstance(item, dict | list):
            found.append(".".join(here))
        _object_paths(item, here, found, depth + 1)


def _base_type(media_type: str) -> str:
    return media_type.split(";")[0].strip().lower()


def _document_server(root: dict[str, Any]) -> str | None:
    """The URL of the document's first server as written (no trailing ``/``), which the
    BaseUrl stands for; None when it has none or it is only ``/``."""
    servers = root.get("servers")
    first = servers[0] if isinstance(servers, list) and servers else None
    url = first.get("url") if isinstance(first, dict) else None
    if not isinstance(url, str):
        return None
    return url.strip().rstrip("/") or None
