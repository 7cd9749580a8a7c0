"""A Cyclr connector definition (its JSON export, or the custom connector JSON of its API)
converted to Junction's connector format.

What is read: the keys of Cyclr's connector JSON (``UniqueIdentifier``, ``Name``,
``ProductAddon``, ``Authentication``, ``Parameters``, ``Triggers``, ``MethodCategories``,
``Methods``, ``RateLimits``, ``Deprecations``, ``Status``, ``ReleaseStatus``, ``Billable``)
and, inside them, the property names of Cyclr's connector builder (``TargetType``,
``ConnectorField``, ``Hide``, ``DataType``...). Whatever has no Junction equivalent is noted
with its location and left out; nothing is dropped without a note.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from junction.migration.notes import Notes, flag, objects, text

DEFAULT_VERSION = "1.0"
WEBHOOK_ENDPOINT = "https://webhook.invalid/"  # never called: the step receives calls instead
_IDENTIFIER = re.compile(r"^[A-Za-z0-9_.:-]{1,128}$")
_MERGEFIELD_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")
_VERSION = re.compile(r"^[A-Za-z0-9._-]{1,32}$")

_AUTH_TYPES = {"none": "None", "apikey": "ApiKey", "basic": "Basic", "oauth2": "OAuth2"}
_AUTH_TYPES |= {"authfields": "AuthFields"}
_OAUTH2_TYPES = {
    "authorisationcode": "AuthorisationCode",
    "authorizationcode": "AuthorisationCode",
    "clientcredentials": "ClientCredentials",
    "passwordcredentials": "PasswordCredentials",
    "password": "PasswordCredentials",
}
_TARGETS = {t.lower(): t for t in ("HttpHeader", "MergeField", "QueryString", "ResponseField")}
_TARGETS["script"] = "Script"
_FIELD_TYPES = {t.lower(): t for t in ("Text", "Integer", "Float", "Decimal", "Boolean")}
_FIELD_TYPES["datetime"] = "DateTime"
_BODIES = {"json": "Json", "form": "Form", "plaintext": "PlainText"}
_VERBS = {"GET", "POST", "PUT", "PATCH", "DELETE"}
_STATUSES = {"draft": "Draft", "live": "Live", "deprecated": "Deprecated"}

_CONNECTOR_KEYS = {
    "UniqueIdentifier", "Name", "Description", "Version", "Icon", "Categories", "ProductAddon",
    "Authentication", "Parameters", "Triggers", "MethodCategories", "Methods", "RateLimits",
    "Deprecations", "Status", "ReleaseStatus", "Billable", "Script", "InboundPaging",
    "InboundPageSize", "OutboundPageSize", "PagedOutboundLocation", "Id", "AuthType",
    "AuthDescription", "AuthScheme", "OAuth2Type", "BaseUrl",
}  # fmt: skip
_PARAMETER_KEYS = {
    "Id", "TargetType", "TargetName", "DisplayName", "Description", "Value", "DefaultValue",
    "Trigger", "TriggerName", "Hidden", "Optional", "Sensitive", "AccountConnectorProperty",
    "PartnerConnectorProperty", "Multiline", "DataType",
}  # fmt: skip
_FIELD_KEYS = {
    "Id", "ConnectorField", "SystemField", "DisplayName", "Description", "Optional", "DataType",
    "DataTypeFormat", "DefaultValue", "EntityIdentifier", "IsReadOnly", "IsHidden", "Values",
    "MethodUniqueIdentifier", "ForRequestFormat", "Sensitive", "Name",
}  # fmt: skip
_METHOD_KEYS = {
    "Id", "Name", "Description", "Warning", "Status", "Comments", "Category", "Subcategory",
    "MethodType", "HttpMethod", "Endpoint", "EndPoint", "Hide", "Hidden", "DataType",
    "XmlRootElement", "MethodUniqueIdentifier", "RequestFormat", "ResponseFormat",
    "RequestFields", "ResponseFields", "Parameters", "Script", "RateLimits", "InboundPaging",
    "InboundPageSize", "OutboundPageSize", "PagedOutboundLocation", "CreateWebhookMethod",
    "DeleteWebhookMethod",
}  # fmt: skip


@dataclass
class ConvertedConnector:
    definition: dict[str, Any]
    # Cyclr's numeric ids of fields and parameters -> the name a template mapping uses here.
    names_by_id: dict[str, str] = field(default_factory=dict)
    unique_identifier: str | None = None


def convert_connector(source: dict[str, Any], where: str, notes: Notes) -> ConvertedConnector:
    """``where``: the location of ``source`` in the document ('' for a connector export)."""
    at = _prefix(where)
    notes.unknown(source, where, _CONNECTOR_KEYS)
    addon = source.get("ProductAddon") if isinstance(source.get("ProductAddon"), dict) else {}
    assert isinstance(addon, dict)
    name = text(source.get("Name")) or text(addon.get("ConnectorName")) or ""
    converted = ConvertedConnector(definition={"Name": name[:255]})
    definition = converted.definition
    version = text(source.get("Version"))
    if version is None:
        notes.add(f"{at}Version", f"missing; the release is given Version {DEFAULT_VERSION}")
        version = DEFAULT_VERSION
    elif not _VERSION.match(version):
        cleaned = re.sub(r"[^A-Za-z0-9._-]+", "-", version)[:32] or DEFAULT_VERSION
        notes.add(f"{at}Version", f"'{version}' holds characters a version cannot; '{cleaned}'")
        version = cleaned
    definition["Version"] = version
    uid = text(source.get("UniqueIdentifier"))
    converted.unique_identifier = uid
    if uid is not None:
        notes.add(
            f"{at}UniqueIdentifier",
            f"'{uid}' is not kept: Junction identifies a connector release by Name and "
            "Version (its Id is a number given here)",
        )
    for key in ("Description", "Icon", "Script"):
        if text(source.get(key)) is not None:
            definition[key] = text(source.get(key))
    _script_notes(definition.get("Script"), f"{at}Script", notes)
    categories = source.get("Categories") or addon.get("Categories") or []
    if isinstance(categories, list):
        definition["Categories"] = [
            c if isinstance(c, str) else text(c.get("Name")) if isinstance(c, dict) else str(c)
            for c in categories
        ]
    status = _STATUSES.get(str(source.get("ReleaseStatus") or "").lower())
    if source.get("ReleaseStatus") and status is None:
        notes.add(f"{at}ReleaseStatus", f"'{source['ReleaseStatus']}' is not known; Draft")
    definition["ReleaseStatus"] = status or "Draft"
    if text(source.get("BaseUrl")) is not None:
        definition["BaseUrl"] = text(source.get("BaseUrl"))
    notes.dropped(
        source,
        where,
        {
            "Status": "Cyclr's approval status has no equivalent (Junction has ReleaseStatus)",
            "Billable": "billing flags are not part of a Junction connector",
            "Deprecations": "deprecation notices are not carried; deprecate a release instead",
            "OutboundPageSize": "outbound paging is not supported",
            "PagedOutboundLocation": "outbound paging is not supported",
            "AuthDescription": "shown by Cyclr only; not part of a Junction definition",
        },
    )
    notes.dropped(
        addon,
        f"{at}ProductAddon",
        {
            "Currency": "pricing is not part of a Junction connector",
            "Published": "Junction lists every connector release; publish by making it Live",
        },
    )
    paging = _paging(source, where, notes)
    if paging:
        definition["Paging"] = paging
    definition["Authentication"] = _authentications(source, at, notes)
    definition["Parameters"] = [
        p
        for i, raw in objects(source.get("Parameters"), f"{at}Parameters", notes)
        if (p := _parameter(raw, f"{at}Parameters[{i}]", notes, converted, connector=True))
    ]
    rate_limits = _rate_limits(source.get("RateLimits"), f"{at}RateLimits", notes)
    if rate_limits:
        definition["RateLimits"] = rate_limits
    methods = _methods(source, at, notes, converted)
    definition["Methods"] = methods
    definition["Triggers"] = _triggers(source, at, notes, methods, definition)
    return converted


# What Cyclr's scripts may use that Junction's script host does not give them.
_SCRIPT_GAPS = {
    "method_auth_value": "method_auth_value is not given to scripts here; use the "
    "{{Cyclr_Auth_ApiKey}} mergefield or the ApiKey settings instead",
    "method_response_fields": "method_response_fields is not given to scripts here",
    "moment(": "the moment library is not bundled; use the cyclr_date_* functions",
    "CryptoJS": "the crypto-js library is not bundled; use cyclr_sign, btoa and atob",
}


def _script_notes(script: Any, where: str, notes: Notes) -> None:
    if isinstance(script, str):
        for needle, why in _SCRIPT_GAPS.items():
            if needle in script:
                notes.add(where, f"kept, but {why}")


def _prefix(where: str) -> str:
    return f"{where}." if where else ""


def _paging(source: dict[str, Any], where: str, notes: Notes) -> dict[str, Any]:
    paging: dict[str, Any] = {}
    if source.get("InboundPaging") is not None:
        paging["InboundPaging"] = flag(source["InboundPaging"])
    size = source.get("InboundPageSize")
    if isinstance(size, int) and 1 <= size <= 100_000:
        paging["InboundPageSize"] = size
    elif size not in (None, "", 0):
        notes.add(f"{_prefix(where)}InboundPageSize", f"{size!r} is not a page size; left out")
    return paging


def _authentications(source: dict[str, Any], at: str, notes: Notes) -> list[dict[str, Any]]:
    entries = objects(source.get("Authentication"), f"{at}Authentication", notes)
    if not entries and source.get("AuthType"):
        # Cyclr's connector answers carry a single AuthType at the top level.
        entries = [(-1, {k: source[k] for k in ("AuthType", "OAuth2Type") if k in source})]
    converted: list[dict[str, Any]] = []
    used: set[str] = set()
    for index, raw in entries:
        where = f"{at}Authentication[{index}]" if index >= 0 else f"{at}AuthType"
        kind = _AUTH_TYPES.get(str(raw.get("AuthType") or raw.get("Type") or "").lower())
        if kind is None:
            notes.add(
                where,
                f"authentication type '{raw.get('AuthType') or raw.get('Type')}' is not "
                "supported by Junction (None, ApiKey, Basic, OAuth2, AuthFields); left out",
            )
            continue
        auth_id = text(raw.get("Id")) or kind
        if not _IDENTIFIER.match(auth_id) or auth_id in used:
            auth_id = f"{kind}-{len(converted) + 1}"
        used.add(auth_id)
        entry: dict[str, Any] = {"Id": auth_id, "AuthType": kind}
        if text(raw.get("Name")) is not None:
            entry["Name"] = text(raw.get("Name"))
        if flag(raw.get("IsDefault")):
            entry["IsDefault"] = True
        known = {"Id", "AuthType", "Type", "Name", "IsDefault", "Description"}
        if kind == "ApiKey":
            entry["ApiKey"] = _api_key(raw, where, notes)
            known |= {"HeaderName", "ApiKeyHeader", "Location", "Prefix"}
        elif kind == "OAuth2":
            entry["OAuth2"] = _oauth2(raw, where, notes)
            known |= {
                "OAuth2Type", "ClientId", "ClientSecret", "AuthoriseUrl", "AuthorizeUrl",
                "AccessTokenUrl", "TokenUrl", "Scopes", "Scope", "RefreshTokenUrl",
            }  # fmt: skip
        elif kind == "AuthFields":
            entry["AuthFields"] = _auth_fields(raw, where, notes)
            known |= {"AuthFields", "Fields"}
        notes.unknown(raw, where, known)
        converted.append(entry)
    return converted


def _api_key(raw: dict[str, Any], where: str, notes: Notes) -> dict[str, Any]:
    header = text(raw.get("HeaderName")) or text(raw.get("ApiKeyHeader"))
    if header is None:
        notes.add(
            where,
            "Cyclr hands an API key to the connector's scripts (method_auth_value); Junction "
            "sends it in the X-Api-Key header unless ApiKey.Name is changed: check it",
        )
        return {"Location": "HttpHeader", "Name": "X-Api-Key"}
    return {"Location": "HttpHeader", "Name": header, "Prefix": text(raw.get("Prefix")) or ""}


def _oauth2(raw: dict[str, Any], where: str, notes: Notes) -> dict[str, Any]:
    grant = _OAUTH2_TYPES.get(str(raw.get("OAuth2Type") or "").lower())
    if grant is None:
        notes.add(f"{where}.OAuth2Type", f"{raw.get('OAuth2Type')!r}; AuthorisationCode is used")
        grant = "AuthorisationCode"
    entry: dict[str, Any] = {
        "OAuth2Type": grant,
        "TokenUrl": text(raw.get("AccessTokenUrl")) or text(raw.get("TokenUrl")) or "",
        "ClientId": text(raw.get("ClientId")) or "",
        "ClientSecret": text(raw.get("ClientSecret")) or "",
    }
    authorise = text(raw.get("AuthoriseUrl")) or text(raw.get("AuthorizeUrl"))
    if authorise is not None:
        entry["AuthoriseUrl"] = authorise
    scopes = raw.get("Scopes") or raw.get("Scope")
    if isinstance(scopes, str):
        entry["Scopes"] = [s for s in re.split(r"[\s,]+", scopes) if s]
    elif isinstance(scopes, list):
        entry["Scopes"] = [str(s) for s in scopes]
    if not entry["ClientId"]:
        notes.add(f"{where}.ClientId", "missing; set it (or a {{PartnerProperty}}) before use")
    notes.dropped(raw, where, {"RefreshTokenUrl": "Junction refreshes at the token URL"})
    return entry


def _auth_fields(raw: dict[str, Any], where: str, notes: Notes) -> list[dict[str, Any]]:
    fields = []
    source = raw.get("AuthFields", raw.get("Fields"))
    for index, item in objects(source, f"{where}.AuthFields", notes):
        at = f"{where}.AuthFields[{index}]"
        key = text(item.get("Key")) or ""
        if not _MERGEFIELD_NAME.match(key):
            notes.add(f"{at}.Key", f"'{key}' cannot name a mergefield; left out")
            continue
        kind = "Password" if str(item.get("Type", "")).lower() == "password" else "Text"
        if str(item.get("Type") or "Text").lower() not in ("text", "password"):
            notes.add(f"{at}.Type", f"'{item.get('Type')}' is shown as Text")
        fields.append({"Name": text(item.get("Name")) or key, "Key": key, "Type": kind})
    return fields


def _parameter(
    raw: dict[str, Any],
    where: str,
    notes: Notes,
    converted: ConvertedConnector,
    *,
    connector: bool,
) -> dict[str, Any] | None:
    notes.unknown(raw, where, _PARAMETER_KEYS)
    target = _TARGETS.get(str(raw.get("TargetType") or "").lower())
    name = text(raw.get("TargetName"))
    if target is None:
        notes.add(
            f"{where}.TargetType",
            f"'{raw.get('TargetType')}' parameters are not supported (HttpHeader, MergeField, "
            "QueryString, ResponseField, Script); left out",
        )
        return None
    if name is None:
        notes.add(f"{where}.TargetName", "missing; the parameter is left out")
        return None
    parameter: dict[str, Any] = {"TargetType": target, "TargetName": name[:255]}
    for key in ("DisplayName", "Description", "Value", "DefaultValue"):
        if text(raw.get(key)) is not None:
            parameter[key] = text(raw.get(key))
    for key in ("Hidden", "Optional", "Sensitive"):
        if flag(raw.get(key)):
            parameter[key] = True
    trigger = text(raw.get("TriggerName")) or text(raw.get("Trigger"))
    if trigger is not None:
        parameter["TriggerName"] = trigger
    data_type = _field_type(raw.get("DataType"), f"{where}.DataType", notes)
    if data_type != "Text":
        parameter["DataType"] = data_type
    if connector:
        account, partner = (
            flag(raw.get("AccountConnectorProperty")),
            flag(raw.get("PartnerConnectorProperty")),
        )
        if account and partner:
            notes.add(
                f"{where}.PartnerConnectorProperty",
                "a parameter cannot be both; kept as an account connector property",
            )
            partner = False
        if account:
            parameter["AccountConnectorProperty"] = True
        if partner:
            parameter["PartnerConnectorProperty"] = True
        notes.dropped(raw, where, {"Multiline": "the input is shown on one line"})
    else:
        notes.dropped(
            raw,
            where,
            {
                "AccountConnectorProperty": "only connector-level parameters are properties",
                "PartnerConnectorProperty": "only connector-level parameters are properties",
                "Multiline": "the input is shown on one line",
            },
        )
    if raw.get("Id") is not None:
        converted.names_by_id[f"P{raw['Id']}"] = parameter["TargetName"]
    return parameter


def _field_type(value: Any, where: str, notes: Notes) -> str:
    if value in (None, ""):
        return "Text"
    found = _FIELD_TYPES.get(str(value).lower())
    if found is None:
        notes.add(where, f"'{value}' is not a Junction data type; the field is Text")
        return "Text"
    return found


def _field(
    raw: dict[str, Any], where: str, notes: Notes, converted: ConvertedConnector
) -> dict[str, Any] | None:
    notes.unknown(raw, where, _FIELD_KEYS)
    path = text(raw.get("ConnectorField"))
    if path is None:
        notes.add(f"{where}.ConnectorField", "missing; the field is left out")
        return None
    spec: dict[str, Any] = {"ConnectorField": path[:512]}
    system = text(raw.get("SystemField"))
    if system is not None and _IDENTIFIER.match(system):
        spec["SystemField"] = system
    elif system is not None:
        notes.add(f"{where}.SystemField", f"'{system}' holds characters a SystemField cannot")
    for key in ("DisplayName", "Description", "DataTypeFormat", "DefaultValue"):
        if text(raw.get(key)) is not None:
            spec[key] = text(raw.get(key))
    data_type = _field_type(raw.get("DataType"), f"{where}.DataType", notes)
    if data_type != "Text":
        spec["DataType"] = data_type
    # Cyclr treats a field without Optional as required; Junction's default is the reverse.
    spec["Optional"] = flag(raw.get("Optional"))
    if flag(raw.get("EntityIdentifier")):
        spec["EntityIdentifier"] = True
    if flag(raw.get("Sensitive")):
        spec["Sensitive"] = True
    notes.dropped(
        raw,
        where,
        {
            "IsReadOnly": "read-only fields are not marked in Junction",
            "IsHidden": "hidden fields are not marked in Junction",
            "Values": "fixed value lists of fields are not carried; use a trigger",
        },
    )
    if raw.get("Id") is not None:
        converted.names_by_id[f"F{raw['Id']}"] = spec.get("SystemField") or path
    return spec


def _rate_limits(value: Any, where: str, notes: Notes) -> list[dict[str, Any]]:
    limits: list[dict[str, Any]] = []
    for index, raw in objects(value, where, notes):
        at = f"{where}[{index}]"
        per_second = raw.get("MaxRequestsPerSecond", raw.get("RequestsPerSecond"))
        between = raw.get("SecondsBetweenRequests")
        if isinstance(per_second, int | float) and per_second > 0:
            if per_second >= 1 and float(per_second).is_integer():
                limits.append({"Requests": int(per_second), "IntervalSeconds": 1})
            else:
                limits.append({"Requests": 1, "IntervalSeconds": round(1 / per_second, 3)})
        elif isinstance(between, int | float) and between > 0:
            limits.append({"Requests": 1, "IntervalSeconds": between})
        else:
            notes.add(
                at,
                "neither MaxRequestsPerSecond nor SecondsBetweenRequests is a positive "
                "number; left out",
            )
            continue
        notes.unknown(
            raw, at, {"MaxRequestsPerSecond", "RequestsPerSecond", "SecondsBetweenRequests", "Id"}
        )
    return limits


def _methods(
    source: dict[str, Any], at: str, notes: Notes, converted: ConvertedConnector
) -> list[dict[str, Any]]:
    listed: list[tuple[str, dict[str, Any], str | None]] = [
        (f"{at}Methods[{i}]", m, None)
        for i, m in objects(source.get("Methods"), f"{at}Methods", notes)
    ]
    for c, category in objects(source.get("MethodCategories"), f"{at}MethodCategories", notes):
        where = f"{at}MethodCategories[{c}]"
        name = text(category.get("Name"))
        for i, item in objects(category.get("Methods"), f"{where}.Methods", notes):
            listed.append((f"{where}.Methods[{i}]", item, name))
    methods: list[dict[str, Any]] = []
    seen: set[str] = set()
    for where, raw, category_name in listed:
        method = _method(raw, where, notes, converted, category_name)
        if method is None:
            continue
        if method["MethodUniqueIdentifier"] in seen:
            notes.add(
                f"{where}.MethodUniqueIdentifier",
                f"'{method['MethodUniqueIdentifier']}' is another method's too; left out",
            )
            continue
        seen.add(method["MethodUniqueIdentifier"])
        methods.append(method)
    return methods


def _method(
    raw: dict[str, Any],
    where: str,
    notes: Notes,
    converted: ConvertedConnector,
    category: str | None,
) -> dict[str, Any] | None:
    notes.unknown(raw, where, _METHOD_KEYS)
    name = text(raw.get("Name"))
    mui = text(raw.get("MethodUniqueIdentifier"))
    if name is None or mui is None or not _IDENTIFIER.match(mui):
        notes.add(
            where,
            "a method needs a Name and a MethodUniqueIdentifier (letters, digits, _ . : -); "
            "left out",
        )
        return None
    kind = str(raw.get("MethodType") or "Action")
    if kind.lower() not in ("action", "webhook"):
        notes.add(
            f"{where}.MethodType",
            f"'{kind}' methods are not supported (Action, Webhook); method '{name}' left out",
        )
        return None
    data_type = str(raw.get("DataType") or "Json")
    body = _BODIES.get(data_type.lower())
    if body is None:
        notes.add(
            f"{where}.DataType",
            f"'{data_type}' bodies are not supported (Json, Form, PlainText); method '{name}' "
            "left out",
        )
        return None
    method: dict[str, Any] = {
        "Name": name[:255],
        "MethodUniqueIdentifier": mui,
        "MethodType": "Webhook" if kind.lower() == "webhook" else "Action",
        "BodyFormat": body,
    }
    verb = str(raw.get("HttpMethod") or "GET").upper()
    if verb not in _VERBS:
        notes.add(f"{where}.HttpMethod", f"'{verb}' is not supported; GET is used")
        verb = "GET"
    method["HttpMethod"] = verb
    endpoint = text(raw.get("Endpoint")) or text(raw.get("EndPoint"))
    if endpoint is None and method["MethodType"] == "Webhook":
        notes.add(
            f"{where}.Endpoint",
            f"a Webhook method without one is given {WEBHOOK_ENDPOINT} (never called)",
        )
        endpoint = WEBHOOK_ENDPOINT
    method["Endpoint"] = endpoint or ""
    for key in ("Description", "Script", "CreateWebhookMethod", "DeleteWebhookMethod"):
        if text(raw.get(key)) is not None:
            method[key] = text(raw.get(key))
    _script_notes(method.get("Script"), f"{where}.Script", notes)
    method_category = text(raw.get("Category")) or category
    if method_category is not None:
        method["Category"] = method_category
    if flag(raw.get("Hide")) or flag(raw.get("Hidden")):
        method["Hidden"] = True
    notes.dropped(
        raw,
        where,
        {
            "Warning": "method warnings are not shown by Junction",
            "Status": "method statuses are not kept",
            "Comments": "comments are not kept",
            "Subcategory": "Junction has one level of category",
            "XmlRootElement": "XML bodies are not supported",
            "OutboundPageSize": "outbound paging is not supported",
            "PagedOutboundLocation": "outbound paging is not supported",
        },
    )
    method["Parameters"] = [
        p
        for i, item in objects(raw.get("Parameters"), f"{where}.Parameters", notes)
        if (p := _parameter(item, f"{where}.Parameters[{i}]", notes, converted, connector=False))
    ]
    for ours, theirs in (("RequestFields", "RequestFormat"), ("ResponseFields", "ResponseFormat")):
        key = theirs if theirs in raw else ours
        method[ours] = [
            f
            for i, item in objects(raw.get(key), f"{where}.{key}", notes)
            if (f := _field(item, f"{where}.{key}[{i}]", notes, converted))
        ]
    paging = _paging(raw, where, notes)
    if paging:
        method["Paging"] = paging
    limits = _rate_limits(raw.get("RateLimits"), f"{where}.RateLimits", notes)
    if limits:
        method["RateLimits"] = limits
    if raw.get("Id") is not None:
        converted.names_by_id[f"M{raw['Id']}"] = mui
    return method


def _triggers(
    source: dict[str, Any],
    at: str,
    notes: Notes,
    methods: list[dict[str, Any]],
    definition: dict[str, Any],
) -> list[dict[str, Any]]:
    by_name = {m["Name"].lower(): m["MethodUniqueIdentifier"] for m in methods}
    muis = {m["MethodUniqueIdentifier"] for m in methods}
    renamed: dict[str, str] = {}
    triggers = []
    for index, raw in objects(source.get("Triggers"), f"{at}Triggers", notes):
        where = f"{at}Triggers[{index}]"
        notes.unknown(
            raw,
            where,
            {"Id", "Name", "Method", "MethodName", "MethodUniqueIdentifier", "IdentifierKey"}
            | {"HumanReadableKey"},
        )
        name = text(raw.get("Name")) or ""
        method = text(raw.get("MethodUniqueIdentifier")) or text(raw.get("Method")) or ""
        method = method if method in muis else by_name.get(method.lower(), "")
        if not method:
            method = by_name.get(str(raw.get("MethodName") or "").lower(), "")
        keys = (text(raw.get("IdentifierKey")), text(raw.get("HumanReadableKey")))
        if not name or not method or None in keys:
            notes.add(
                where,
                "a trigger needs a Name, a method of this connector, an IdentifierKey and a "
                "HumanReadableKey; left out",
            )
            continue
        if not _IDENTIFIER.match(name):
            cleaned = re.sub(r"[^A-Za-z0-9_.:-]+", "_", name)[:128]
            notes.add(f"{where}.Name", f"'{name}' is renamed '{cleaned}' (and where it is used)")
            renamed[name] = cleaned
            name = cleaned
        triggers.append(
            {
                "Name": name,
                "MethodUniqueIdentifier": method,
                "IdentifierKey": keys[0],
                "HumanReadableKey": keys[1],
            }
        )
    if renamed:
        parameters = list(definition.get("Parameters", []))
        for entry in methods:
            parameters += entry.get("Parameters", [])
        for parameter in parameters:
            if parameter.get("TriggerName") in renamed:
                parameter["TriggerName"] = renamed[parameter["TriggerName"]]
    return triggers
