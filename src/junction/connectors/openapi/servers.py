"""The connector's BaseUrl: 3.x ``servers[0]``, or 2.0 ``schemes``, ``host`` and ``basePath``.

A fixed address becomes ``{{BaseUrl}}``, an account connector property whose DefaultValue is
that address, so that an account can point the connector at a sandbox, a region or a mock.

Server variables become account connector properties (their default as DefaultValue), so an
account can point the connector at its own tenant or region. A relative server URL names no
host, so the address itself becomes an account connector property, ``ApiBase``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from junction.connectors.openapi.document import Source
from junction.connectors.openapi.names import mergefield_name, unique
from junction.connectors.openapi.notes import Notes, at
from junction.connectors.openapi.schemas import describe, value_text

API_BASE = "ApiBase"
BASE_URL = "BaseUrl"
_ABSOLUTE = re.compile(r"^https?://[^/\s]", re.IGNORECASE)
_VARIABLE = re.compile(r"\{([^{}]+)\}")


@dataclass
class Server:
    base_url: str
    parameters: list[dict[str, Any]] = field(default_factory=list)
    # The address as written (variables at their defaults), when it is a full one: relative
    # OAuth URLs are resolved against it.
    literal: str | None = None


def server(source: Source, notes: Notes, taken: set[str]) -> Server:
    variables: dict[str, Any] = {}
    if source.major == 2:
        url, where = _v2_url(source.root), "host"
    else:
        url, variables, where = _v3_url(source.root, notes)
    parameters: list[dict[str, Any]] = []

    def variable(match: re.Match[str]) -> str:
        name = match.group(1)
        target = unique(mergefield_name(name), taken)
        spec: dict[str, Any] = {"TargetType": "MergeField", "TargetName": target}
        if target != name:
            spec["DisplayName"] = name
        declared = variables.get(name)
        if isinstance(declared, dict):
            note = describe(declared.get("description"), _list(declared.get("enum")))
            if note:
                spec["Description"] = note
            default = value_text(declared.get("default"))
            if default is not None:
                spec["DefaultValue"] = default
        else:
            notes.warn("servers[0].url", f"the variable {{{name}}} is not declared")
        spec["AccountConnectorProperty"] = True
        parameters.append(spec)
        return "{{" + target + "}}"

    merged = _VARIABLE.sub(variable, url)
    defaults = {v.get("DisplayName", v["TargetName"]): v.get("DefaultValue") for v in parameters}
    if merged.startswith("//"):
        notes.warn(where, f"the server URL '{url}' has no scheme; https is assumed")
        merged = f"https:{merged}"
    if merged.startswith("{{") or _ABSOLUTE.match(merged):
        # The address with each variable at its default, when all have one.
        literal = None
        if all(value is not None for value in defaults.values()):
            literal = _VARIABLE.sub(lambda m: str(defaults[m.group(1)]), url)
        if parameters:
            return Server(merged, parameters, literal)
        # A fixed address is the default of a property, so that an account can use a
        # sandbox, another region or a mock without editing the definition.
        name = unique(BASE_URL, taken)
        spec = {
            "TargetType": "MergeField",
            "TargetName": name,
            "DisplayName": "API address",
            "Description": _base_description(source),
            "DefaultValue": merged.rstrip("/") or merged,
            "AccountConnectorProperty": True,
        }
        return Server("{{" + name + "}}", [spec], literal)
    notes.warn(
        where,
        f"the server URL '{url}' is relative, so each account gives the API's address in "
        f"the property {API_BASE}",
    )
    name = unique(API_BASE, taken)
    parameters.insert(
        0,
        {
            "TargetType": "MergeField",
            "TargetName": name,
            "DisplayName": "API address",
            "Description": "The address of the API, such as https://api.example.com",
            "AccountConnectorProperty": True,
        },
    )
    path = merged.strip()
    if re.match(
        r"^[A-Za-z][A-Za-z0-9+.-]*://", path
    ):  # another scheme (ws://...): the host part is not usable
        path = re.sub(r"^[A-Za-z][A-Za-z0-9+.-]*://[^/]*", "", path)
    path = path.strip("/")
    return Server("{{" + name + "}}" + (f"/{path}" if path else ""), parameters)


def _base_description(source: Source) -> str:
    text = "The address of the API; change it to use a sandbox, another region or a mock"
    servers = source.root.get("servers") if source.major == 3 else None
    others = [
        str(item["url"])
        for item in (servers[1:] if isinstance(servers, list) else [])
        if isinstance(item, dict) and isinstance(item.get("url"), str)
    ]
    if others:
        text += ". Other servers the document lists: " + ", ".join(others[:10])
    return text


def _v3_url(root: dict[str, Any], notes: Notes) -> tuple[str, dict[str, Any], str]:
    servers = root.get("servers")
    if not isinstance(servers, list) or not servers:
        return "/", {}, "servers"
    first = servers[0]
    if not isinstance(first, dict) or not isinstance(first.get("url"), str):
        notes.warn("servers[0]", "has no url; the server is taken to be relative")
        return "/", {}, "servers[0]"
    if len(servers) > 1:
        notes.warn("servers", f"{len(servers)} servers are listed; the first is the BaseUrl")
    variables = first.get("variables")
    return first["url"], variables if isinstance(variables, dict) else {}, at("servers[0]", "url")


def _v2_url(root: dict[str, Any]) -> str:
    host = root.get("host")
    base_path = root.get("basePath")
    path = base_path if isinstance(base_path, str) else ""
    if not isinstance(host, str) or not host.strip():
        return path or "/"
    schemes = [str(s).lower() for s in _list(root.get("schemes"))]
    scheme = "https" if "https" in schemes or not schemes else schemes[0]
    return f"{scheme}://{host.strip()}{path if path.startswith('/') or not path else '/' + path}"


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []
