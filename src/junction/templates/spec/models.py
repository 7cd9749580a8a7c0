"""A template release as a document: what the authoring API edits and export carries.

Names follow Cyclr's template vocabulary. Steps are referred to by a ``Key`` that is stable
within the template (database ids are assigned when a release is stored). Cross-references
(edges, mappings, variables, the graph's shape) are checked in ``graph.py``.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from junction.bounds import Int32, NonNegativeInt32

StepKeyText = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")]
VariableNameText = Annotated[
    str, Field(min_length=1, max_length=128, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
]


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StepKind(StrEnum):
    METHOD = "Method"
    DECISION = "Decision"
    DELAY = "Delay"
    WAIT_UNTIL = "WaitUntil"
    STOP = "Stop"
    WEBHOOK_RESPONSE = "WebhookResponse"
    ANNOTATION = "Annotation"


class EdgeKind(StrEnum):
    FORWARD = "Forward"
    TRUE = "True"
    FALSE = "False"


class MappingKind(StrEnum):
    IGNORE = "Ignore"
    STATIC_VALUE = "StaticValue"
    VALUE_LIST = "ValueList"
    STEP_DATA = "StepData"
    VARIABLE = "Variable"
    LOOKUP = "Lookup"
    SCRIPT = "Script"


class ErrorAction(StrEnum):
    IGNORE = "Ignore"
    RETRY = "Retry"
    STOP_TRANSACTION = "StopTransaction"
    STOP_INTEGRATION = "StopIntegration"


class CollectionSplit(StrEnum):
    FIRST_STEP = "FirstStep"
    ALL_STEPS = "AllSteps"
    NONE = "None"


class Mapping(_Spec):
    """Where one input of a step gets its value."""

    MappingType: MappingKind = MappingKind.IGNORE
    Value: str | None = Field(
        None,
        description="StaticValue: text with {{mergefields}}; ValueList: the chosen value; "
        "Script: an expression starting with '='.",
    )
    SourceStepKey: StepKeyText | None = Field(
        None, description="StepData: the step that ran earlier."
    )
    SourceField: str | None = Field(None, description="StepData: its field (SystemField or path).")
    VariableName: VariableNameText | None = Field(None, description="Variable: a cycle variable.")
    TriggerValue: str | None = Field(None, description="Lookup: the chosen value.")
    TriggerValueDisplayName: str | None = None
    IsLaunchVisible: bool = Field(False, description="The end user may set it when installing.")


class InputMapping(Mapping):
    Name: Annotated[str, Field(min_length=1, max_length=512)] = Field(
        description="A parameter's TargetName, or a request field's SystemField or ConnectorField."
    )


class Condition(_Spec):
    Left: Mapping
    Operator: Literal[
        "Equals",
        "NotEquals",
        "Contains",
        "NotContains",
        "StartsWith",
        "EndsWith",
        "GreaterThan",
        "GreaterThanOrEqual",
        "LessThan",
        "LessThanOrEqual",
        "IsEmpty",
        "IsNotEmpty",
    ]
    Right: Mapping = Field(default_factory=Mapping)


class Step(_Spec):
    Key: StepKeyText
    Name: Annotated[str, Field(min_length=1, max_length=255)]
    Description: str | None = None
    StepType: StepKind = StepKind.METHOD
    # Method steps
    ConnectorName: str | None = None
    ConnectorVersion: str | None = None
    MethodUniqueIdentifier: str | None = None
    Parameters: list[InputMapping] = Field(default_factory=list)
    FieldMappings: list[InputMapping] = Field(default_factory=list)
    CollectionSplitType: CollectionSplit | None = Field(
        None, description="Overrides the template's setting for this step."
    )
    # Decision steps
    Conditions: list[Condition] = Field(default_factory=list)
    Combine: Literal["All", "Any"] = "All"
    # Delay steps
    DelaySeconds: int | None = Field(None, ge=1, le=60 * 60 * 24 * 7 * 52)
    # Wait Until steps
    WaitUntil: Mapping | None = None
    # WebhookResponse steps (FieldMappings name the body's fields)
    ResponseStatus: int | None = Field(
        None, ge=200, le=599, description="WebhookResponse: the status code (200 when empty)."
    )
    # Annotation steps
    Text: str | None = None
    Script: Annotated[str, Field(max_length=256 * 1024)] | None = Field(
        None, description="Method steps: JavaScript event handlers for this step only."
    )
    DisplayPositionLeft: Int32 = 0
    DisplayPositionTop: Int32 = 0


class Edge(_Spec):
    TailStepKey: StepKeyText = Field(description="The step the edge leaves.")
    HeadStepKey: StepKeyText = Field(description="The step the edge enters.")
    EdgeType: EdgeKind = EdgeKind.FORWARD


class Variable(_Spec):
    SystemName: VariableNameText
    DisplayName: str | None = None
    Value: str | None = None
    IsLaunchVisible: bool = False


class TemplateSettings(_Spec):
    StepErrorAction: ErrorAction = ErrorAction.IGNORE
    RetryAttempts: int = Field(3, ge=1, le=5, description="With StepErrorAction Retry.")
    ContinueOnStepError: bool = False
    CollectionSplitType: CollectionSplit = CollectionSplit.FIRST_STEP
    LogStepDataRequests: bool = True
    StepDataSuccessRetentionHours: NonNegativeInt32 | None = None
    StepDataErroredRetentionHours: NonNegativeInt32 | None = None
    ConnectorInstallation: Literal["Existing", "Fresh"] = "Existing"


class TemplateDocument(_Spec):
    FormatVersion: Literal[1] = 1
    Name: Annotated[str, Field(min_length=1, max_length=255)]
    Description: str | None = None
    Tags: list[str] = Field(default_factory=list)
    Settings: TemplateSettings = Field(default_factory=TemplateSettings)
    Variables: list[Variable] = Field(default_factory=list)
    Steps: list[Step] = Field(default_factory=list)
    Edges: list[Edge] = Field(default_factory=list)
