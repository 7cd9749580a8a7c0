"""A Cyclr template export converted to a Junction template export (one Draft release).

Cyclr does not document its export file; what is read is the shape of its API's answers
for the same objects: the template (``Id``, ``Name``, ``Description``, ``Tags``), its cycle
settings, ``Variables``, ``Steps`` (``Id``, ``ActionType``/``StepType``, ``Connector``,
``MethodUniqueIdentifier``, ``Parameters``/``FieldMappings`` mappings with ``Parameter``/
``Field``, ``SourceStepId``, ``SourceFieldId``...), ``Edges`` (``TailStepId``, ``HeadStepId``,
``EdgeType``) and the connector releases it carries (``Connectors``). GUID ids are kept: the
template's Id, and each step's Id as its Key.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from junction.guids import is_guid
from junction.migration.cyclr_connector import ConvertedConnector, convert_connector
from junction.migration.notes import Notes, flag, objects, text

_KINDS = {
    "decision": "Decision",
    "delay": "Delay",
    "waituntil": "WaitUntil",
    "stop": "Stop",
    "webhookresponse": "WebhookResponse",
    "synchronousresponse": "WebhookResponse",
    "annotation": "Annotation",
}
_METHOD_KINDS = {"", "method", "action", "get", "webhook"}
_MAPPINGS = {
    "ignore": "Ignore",
    "staticvalue": "StaticValue",
    "valuelist": "ValueList",
    "stepdata": "StepData",
    "previousstep": "StepData",
    "sourcestep": "StepData",
    "variable": "Variable",
    "cyclevariable": "Variable",
    "mappingvariable": "Variable",
    "lookup": "Lookup",
    "triggervalue": "Lookup",
    "script": "Script",
    "inlinescript": "Script",
}
_OPERATORS = {
    o.lower(): o
    for o in (
        "Equals", "NotEquals", "Contains", "NotContains", "StartsWith", "EndsWith",
        "GreaterThan", "GreaterThanOrEqual", "LessThan", "LessThanOrEqual", "IsEmpty",
        "IsNotEmpty",
    )
}  # fmt: skip
_OPERATORS |= {"equalto": "Equals", "notequalto": "NotEquals", "empty": "IsEmpty"}
_OPERATORS |= {"notempty": "IsNotEmpty", "doesnotcontain": "NotContains"}
_ERROR_ACTIONS = {
    "ignore": "Ignore",
    "retry": "Retry",
    "retryafterawait": "Retry",
    "stoptransaction": "StopTransaction",
    "stopthetransaction": "StopTransaction",
    "stopintegration": "StopIntegration",
    "stoptheintegration": "StopIntegration",
    "stopcycle": "StopIntegration",
}
_SPLITS = {"first": "FirstStep", "firststep": "FirstStep", "all": "AllSteps"}
_SPLITS |= {"allsteps": "AllSteps", "none": "None"}
_UNITS = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400, "weeks": 604800}
_VARIABLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")
_KEY = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")

_TEMPLATE_KEYS = {
    "Id", "TemplateId", "Name", "Description", "Tags", "Version", "ReleaseVersion",
    "ReleaseStatus", "Status", "Settings", "Variables", "Steps", "Edges", "Connectors",
    "ConnectorReleases", "StepErrorAction", "RetryAttempts", "ContinueOnStepError",
    "CollectionSplitType", "LogStepDataRequests", "StepDataSuccessRetentionHours",
    "StepDataErroredRetentionHours", "ConnectorInstallation", "Published", "FolderId",
    "CreatedDate", "ModifiedDate", "Icon",
}  # fmt: skip
_STEP_KEYS = {
    "Id", "Name", "Description", "ActionType", "StepType", "DisplayPositionLeft",
    "DisplayPositionTop", "Connector", "AccountConnector", "ConnectorName", "ConnectorVersion",
    "MethodUniqueIdentifier", "MethodName", "MethodId", "Parameters", "FieldMappings",
    "CollectionSplitType", "Script", "DelaySeconds", "DelayUnit", "DelayInterval",
    "DelayPeriod", "Conditions", "Combine", "Match", "WaitUntil", "Text", "ResponseStatus",
    "WebhookKeyMappings",
}  # fmt: skip
_MAPPING_KEYS = {
    "Parameter", "Field", "Name", "MappingType", "Value", "SourceStepId", "SourceFieldId",
    "SourceField", "VariableName", "TriggerValue", "TriggerValueDisplayName", "IsLaunchVisible",
    "IsEntityIdentifier",
}  # fmt: skip


@dataclass
class ConvertedTemplate:
    export: dict[str, Any]  # a Junction template export (Format junction-template)
    connectors: list[ConvertedConnector] = field(default_factory=list)


def convert_template(source: dict[str, Any], notes: Notes) -> ConvertedTemplate:
    notes.unknown(source, "", _TEMPLATE_KEYS)
    connectors = _connectors(source, notes)
    names_by_id: dict[str, str] = {}
    for converted in connectors:
        names_by_id |= converted.names_by_id
    template_id = text(source.get("Id")) or text(source.get("TemplateId"))
    if is_guid(template_id):
        assert template_id is not None
        template_id = template_id.lower()
    else:
        new_id = str(uuid.uuid4())
        notes.add("Id", f"{template_id!r} is not a GUID; the template is given Id {new_id}")
        template_id = new_id
    status = text(source.get("ReleaseStatus")) or text(source.get("Status"))
    if status and status.lower() != "draft":
        notes.add(
            "ReleaseStatus",
            f"'{status}' is not carried: the release arrives as a Draft, to be published "
            "here after review (its problems: GET /v1.0/templates/{Id}/releases/1/problems)",
        )
    notes.dropped(
        source,
        "",
        {
            "Version": "the release is release 1 here",
            "ReleaseVersion": "the release is release 1 here",
            "Published": "template publishing to a marketplace is not carried",
            "FolderId": "Junction has no template folders",
            "Icon": "templates have no icon of their own here",
        },
    )
    name = (text(source.get("Name")) or "Imported from Cyclr")[:255]
    steps, keys = _steps(source, notes, names_by_id)
    document: dict[str, Any] = {
        "Name": name,
        "Description": text(source.get("Description")),
        "Tags": _tags(source.get("Tags"), notes),
        "Settings": _settings(source, notes),
        "Variables": _variables(source.get("Variables"), notes),
        "Steps": steps,
        "Edges": _edges(source.get("Edges"), keys, notes),
    }
    export = {
        "Format": "junction-template",
        "FormatVersion": 1,
        "Template": {"Id": template_id, "Name": name, "Description": document["Description"]},
        "Releases": [{"Version": 1, "Status": "Draft", "Document": document}],
        "Connectors": [c.definition for c in connectors],
    }
    return ConvertedTemplate(export=export, connectors=connectors)


def _tags(value: Any, notes: Notes) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list):
        notes.add("Tags", "is not a list; left out")
        return []
    return [str(t) if not isinstance(t, dict) else str(t.get("Name")) for t in value if t]


def _connectors(source: dict[str, Any], notes: Notes) -> list[ConvertedConnector]:
    key = "ConnectorReleases" if "ConnectorReleases" in source else "Connectors"
    found = []
    for index, raw in objects(source.get(key), key, notes):
        where = f"{key}[{index}]"
        if not any(k in raw for k in ("Methods", "MethodCategories", "Authentication")):
            notes.add(
                where,
                f"'{raw.get('Name')}' {raw.get('Version') or ''} is listed without its "
                "definition: it must already be here",
            )
            continue
        found.append(convert_connector(raw, where, notes))
    return found


def _settings(source: dict[str, Any], notes: Notes) -> dict[str, Any]:
    raw = source.get("Settings") if isinstance(source.get("Settings"), dict) else source
    assert isinstance(raw, dict)
    where = "Settings." if raw is not source else ""
    settings: dict[str, Any] = {}
    action = raw.get("StepErrorAction")
    if action not in (None, ""):
        found = _ERROR_ACTIONS.get(re.sub(r"\W", "", str(action)).lower())
        if found is None:
            notes.add(f"{where}StepErrorAction", f"'{action}' is not known; Ignore is used")
        else:
            settings["StepErrorAction"] = found
    attempts = raw.get("RetryAttempts")
    if isinstance(attempts, int) and 1 <= attempts <= 5:
        settings["RetryAttempts"] = attempts
    elif attempts is not None:
        notes.add(f"{where}RetryAttempts", f"{attempts!r} is not 1 to 5; 3 is used")
    split = raw.get("CollectionSplitType")
    if split not in (None, ""):
        found = _SPLITS.get(str(split).lower())
        if found is None:
            notes.add(f"{where}CollectionSplitType", f"'{split}' is not known; FirstStep")
        else:
            settings["CollectionSplitType"] = found
    for key in ("ContinueOnStepError", "LogStepDataRequests"):
        if raw.get(key) is not None:
            settings[key] = flag(raw[key])
    for key in ("StepDataSuccessRetentionHours", "StepDataErroredRetentionHours"):
        value = raw.get(key)
        if isinstance(value, int) and 0 <= value <= 2**31 - 1:
            settings[key] = value
        elif value is not None:
            notes.add(f"{where}{key}", f"{value!r} is not a number of hours; left out")
    installation = text(raw.get("ConnectorInstallation"))
    if installation in ("Existing", "Fresh"):
        settings["ConnectorInstallation"] = installation
    elif installation is not None:
        notes.add(f"{where}ConnectorInstallation", f"'{installation}' is not Existing or Fresh")
    return settings


def _variables(value: Any, notes: Notes) -> list[dict[str, Any]]:
    variables = []
    seen: set[str] = set()
    for index, raw in objects(value, "Variables", notes):
        where = f"Variables[{index}]"
        notes.unknown(
            raw, where, {"SystemName", "DisplayName", "Value", "MappingType", "IsLaunchVisible"}
        )
        name = text(raw.get("SystemName")) or text(raw.get("DisplayName")) or ""
        if not _VARIABLE.match(name):
            cleaned = re.sub(r"\W+", "_", name).strip("_")[:128]
            cleaned = cleaned if _VARIABLE.match(cleaned) else f"Variable{index + 1}"
            notes.add(f"{where}.SystemName", f"'{name}' cannot name a variable; '{cleaned}'")
            name = cleaned
        if name in seen:
            notes.add(where, f"'{name}' is another variable's name too; left out")
            continue
        seen.add(name)
        kind = str(raw.get("MappingType") or "StaticValue")
        if kind.lower() != "staticvalue":
            notes.add(f"{where}.MappingType", f"'{kind}' variables are kept as a static value")
        variables.append(
            {
                "SystemName": name,
                "DisplayName": text(raw.get("DisplayName")),
                "Value": text(raw.get("Value")),
                "IsLaunchVisible": flag(raw.get("IsLaunchVisible")),
            }
        )
    return variables


def _steps(
    source: dict[str, Any], notes: Notes, names_by_id: dict[str, str]
) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """The steps, and each Cyclr step id -> its Key here."""
    raws = objects(source.get("Steps"), "Steps", notes)
    keys: dict[str, str] = {}
    for index, raw in raws:
        step_id = text(raw.get("Id"))
        if is_guid(step_id):
            assert step_id is not None
            keys[step_id.lower()] = step_id.lower()
        elif step_id is not None and _KEY.match(step_id):
            keys[step_id.lower()] = step_id
        else:
            keys[f"#{index}"] = f"step-{index + 1}"
            notes.add(f"Steps[{index}].Id", f"{step_id!r} is not an id; Key step-{index + 1}")
    steps = []
    for index, raw in raws:
        converted = _step(raw, f"Steps[{index}]", notes, names_by_id, keys, index)
        if converted is not None:
            steps.append(converted)
    kept = {s["Key"] for s in steps}
    return steps, {k: v for k, v in keys.items() if v in kept}


def _edges(value: Any, keys: dict[str, str], notes: Notes) -> list[dict[str, Any]]:
    edges = []
    for index, raw in objects(value, "Edges", notes):
        where = f"Edges[{index}]"
        notes.unknown(raw, where, {"Id", "TailStepId", "HeadStepId", "EdgeType"})
        tail = keys.get((text(raw.get("TailStepId")) or "").lower())
        head = keys.get((text(raw.get("HeadStepId")) or "").lower())
        kind = str(raw.get("EdgeType") or "Forward").capitalize()
        if tail is None or head is None:
            notes.add(where, "joins a step that is not carried over; left out")
            continue
        if kind not in ("Forward", "True", "False"):
            notes.add(f"{where}.EdgeType", f"'{raw.get('EdgeType')}' is not known; left out")
            continue
        if raw.get("Id") is not None:
            # Template edges have no ids here; a cycle's edges get theirs when installed.
            notes.add(f"{where}.Id", "template edges have no Id here; not kept")
        edges.append({"TailStepKey": tail, "HeadStepKey": head, "EdgeType": kind})
    return edges


def _key_of(raw: dict[str, Any], keys: dict[str, str], index: int) -> str:
    step_id = (text(raw.get("Id")) or "").lower()
    return keys.get(step_id) or keys[f"#{index}"]


def _step(
    raw: dict[str, Any],
    where: str,
    notes: Notes,
    names_by_id: dict[str, str],
    keys: dict[str, str],
    index: int,
) -> dict[str, Any] | None:
    notes.unknown(raw, where, _STEP_KEYS)
    name = (text(raw.get("Name")) or f"Step {index + 1}")[:255]
    kind_text = str(raw.get("StepType") or raw.get("ActionType") or "")
    connector = raw.get("Connector")
    if not isinstance(connector, dict):
        account_connector = raw.get("AccountConnector")
        connector = (
            account_connector.get("Connector") if isinstance(account_connector, dict) else None
        )
    connector = connector if isinstance(connector, dict) else {}
    connector_name = text(raw.get("ConnectorName")) or text(connector.get("Name"))
    mui = text(raw.get("MethodUniqueIdentifier"))
    kind = _KINDS.get(re.sub(r"\W", "", kind_text).lower())
    if kind is None and (kind_text.lower() in _METHOD_KINDS or kind_text.isdigit()):
        kind = "Method"
    if kind is None:
        notes.add(
            f"{where}.ActionType",
            f"'{kind_text}' steps are not supported here; step '{name}' and its edges are left out",
        )
        return None
    step: dict[str, Any] = {"Key": _key_of(raw, keys, index), "Name": name, "StepType": kind}
    if text(raw.get("Description")) is not None:
        step["Description"] = text(raw.get("Description"))
    for key in ("DisplayPositionLeft", "DisplayPositionTop"):
        if isinstance(raw.get(key), int) and abs(raw[key]) < 2**31:
            step[key] = raw[key]
    context = _Context(where, notes, names_by_id, keys)
    if kind == "Method":
        if connector_name is None or mui is None:
            notes.add(
                where,
                "a method step needs its Connector's Name and a MethodUniqueIdentifier; it is "
                "kept without them, to be set here",
            )
        step["ConnectorName"] = connector_name
        step["ConnectorVersion"] = text(raw.get("ConnectorVersion")) or text(
            connector.get("Version")
        )
        step["MethodUniqueIdentifier"] = mui
        step["Parameters"] = context.inputs(raw.get("Parameters"), "Parameters", "Parameter")
        step["FieldMappings"] = context.inputs(raw.get("FieldMappings"), "FieldMappings", "Field")
        if text(raw.get("Script")) is not None:
            step["Script"] = text(raw.get("Script"))
        split = raw.get("CollectionSplitType")
        if split not in (None, ""):
            found = _SPLITS.get(str(split).lower())
            if found is None:
                notes.add(f"{where}.CollectionSplitType", f"'{split}' is not known; left out")
            else:
                step["CollectionSplitType"] = found
    elif kind == "Decision":
        step["Conditions"] = context.conditions(raw.get("Conditions"))
        combine = str(raw.get("Combine") or raw.get("Match") or "All").lower()
        step["Combine"] = "Any" if combine in ("any", "or") else "All"
    elif kind == "Delay":
        seconds = _delay(raw, where, notes)
        if seconds is not None:
            step["DelaySeconds"] = seconds
    elif kind == "WaitUntil" and isinstance(raw.get("WaitUntil"), dict):
        step["WaitUntil"] = context.mapping(raw["WaitUntil"], f"{where}.WaitUntil")
    elif kind == "WebhookResponse":
        status = raw.get("ResponseStatus")
        if isinstance(status, int) and 200 <= status <= 599:
            step["ResponseStatus"] = status
        step["FieldMappings"] = context.inputs(raw.get("FieldMappings"), "FieldMappings", "Field")
    elif kind == "Annotation":
        step["Text"] = text(raw.get("Text")) or text(raw.get("Description"))
    notes.dropped(
        raw,
        where,
        {"WebhookKeyMappings": "webhook key mappings are not carried (nor by Cyclr's export)"},
    )
    return step


def _delay(raw: dict[str, Any], where: str, notes: Notes) -> int | None:
    if isinstance(raw.get("DelaySeconds"), int):
        seconds: int = raw["DelaySeconds"]
    else:
        amount = raw.get("DelayInterval", raw.get("DelayPeriod"))
        unit = _UNITS.get(str(raw.get("DelayUnit") or "").lower())
        if not isinstance(amount, int) or unit is None:
            notes.add(
                where, "the delay is not a DelaySeconds or a DelayUnit with a number; set it here"
            )
            return None
        seconds = amount * unit
    if not 1 <= seconds <= 60 * 60 * 24 * 7 * 52:
        notes.add(where, f"a delay of {seconds} seconds is not 1 second to 52 weeks; set it here")
        return None
    return seconds


@dataclass
class _Context:
    where: str
    notes: Notes
    names_by_id: dict[str, str]
    keys: dict[str, str]

    def inputs(self, value: Any, section: str, holder: str) -> list[dict[str, Any]]:
        mappings = []
        prefix = "P" if holder == "Parameter" else "F"
        for index, raw in objects(value, f"{self.where}.{section}", self.notes):
            at = f"{self.where}.{section}[{index}]"
            described = raw.get(holder) if isinstance(raw.get(holder), dict) else {}
            assert isinstance(described, dict)
            name = (
                text(raw.get("Name"))
                or text(described.get("TargetName"))
                or text(described.get("SystemField"))
                or text(described.get("ConnectorField"))
                or self.names_by_id.get(f"{prefix}{described.get('Id')}")
                or text(described.get("Name"))
            )
            if name is None:
                self.notes.add(at, f"names no {holder.lower()}; left out")
                continue
            mapping = self.mapping(raw, at)
            if mapping["MappingType"] == "Ignore" and not flag(raw.get("IsLaunchVisible")):
                continue
            mappings.append({"Name": name[:512], **mapping})
        return mappings

    def mapping(self, raw: dict[str, Any], at: str) -> dict[str, Any]:
        self.notes.unknown(raw, at, _MAPPING_KEYS)
        kind_text = str(raw.get("MappingType") or "Ignore")
        kind = _MAPPINGS.get(re.sub(r"\W", "", kind_text).lower())
        if kind is None and raw.get("SourceStepId"):
            kind = "StepData"  # Cyclr does not document its name for "previous step"
        if kind is None:
            self.notes.add(
                f"{at}.MappingType",
                f"'{kind_text}' mappings are not supported; the input is left unmapped",
            )
            kind = "Ignore"
        mapping: dict[str, Any] = {"MappingType": kind}
        if flag(raw.get("IsLaunchVisible")):
            mapping["IsLaunchVisible"] = True
        value = text(raw.get("Value"))
        if kind in ("StaticValue", "ValueList", "Script"):
            mapping["Value"] = value
        elif kind == "Lookup":
            mapping["TriggerValue"] = text(raw.get("TriggerValue")) or value
            mapping["TriggerValueDisplayName"] = text(raw.get("TriggerValueDisplayName"))
        elif kind == "Variable":
            name = text(raw.get("VariableName")) or (value or "").strip("{} ")
            if _VARIABLE.match(name):
                mapping["VariableName"] = name
            else:
                self.notes.add(at, f"names no variable ({name!r}); the input is left unmapped")
                mapping["MappingType"] = "Ignore"
        elif kind == "StepData":
            source_step = (text(raw.get("SourceStepId")) or "").lower()
            field_name = text(raw.get("SourceField")) or self.names_by_id.get(
                f"F{raw.get('SourceFieldId')}"
            )
            if source_step not in self.keys or field_name is None:
                self.notes.add(
                    at,
                    "its SourceStepId or SourceFieldId names nothing in the export; the input "
                    "is left unmapped",
                )
                mapping["MappingType"] = "Ignore"
            else:
                mapping |= {"SourceStepKey": self.keys[source_step], "SourceField": field_name}
        return mapping

    def conditions(self, value: Any) -> list[dict[str, Any]]:
        conditions = []
        for index, raw in objects(value, f"{self.where}.Conditions", self.notes):
            at = f"{self.where}.Conditions[{index}]"
            left = raw.get("Left", raw.get("LeftOperand"))
            right = raw.get("Right", raw.get("RightOperand"))
            operator = _OPERATORS.get(str(raw.get("Operator") or raw.get("Condition")).lower())
            if not isinstance(left, dict) or operator is None:
                self.notes.add(at, "needs a left operand and a known operator; left out")
                continue
            condition = {"Left": self.mapping(left, f"{at}.Left"), "Operator": operator}
            if isinstance(right, dict):
                condition["Right"] = self.mapping(right, f"{at}.Right")
            conditions.append(condition)
        return conditions
