"""API shapes for cycles (Cyclr's names)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field, SerializerFunctionWrapHandler, field_serializer

from junction.connectors.accounts.models import AccountConnector
from junction.connectors.catalog import service as catalog
from junction.connectors.catalog.models import Connector
from junction.cycles.models import Cycle

# Cyclr's answer for a date that was never set (.NET's DateTime.MinValue, without an offset).
NEVER = "0001-01-01T00:00:00"


class CycleConnectorOut(BaseModel):
    Id: int = Field(description="The connector release's Id.")
    AccountConnectorId: int
    Name: str
    Version: str
    Authenticated: bool
    StepCount: int
    Icon: str | None


class WebhookOut(BaseModel):
    StepId: str
    StepName: str
    Url: str = Field(description="Where the source app sends its webhook calls.")


class CycleOut(BaseModel):
    Id: str
    Name: str
    Description: str | None
    Status: str
    CreatedOnUtc: datetime
    TemplateId: str | None = Field(description="Empty for a cycle built in the account.")
    TemplateReleaseId: int | None = Field(description="Junction extension: the release it runs.")
    Connectors: list[CycleConnectorOut]
    TasksUsed: int = 0
    ErrorCount: int = 0
    WarningCount: int = 0
    InProgressTransactionCount: int = 0
    LastSuccessfulRunDate: datetime | None = Field(
        None, description=f"{NEVER} (no offset) until a trigger step has run successfully."
    )
    Shareable: bool = False
    StepErrorAction: str = Field(description="Ignore, Retry, StopTransaction or StopIntegration.")
    ContinueOnStepError: bool
    CollectionSplitType: str = Field(description="FirstStep, AllSteps or None.")
    LogStepDataRequests: bool
    StepDataSuccessRetentionHours: int | None
    StepDataErroredRetentionHours: int | None
    Tags: list[str]
    Webhooks: list[WebhookOut] = Field(
        default_factory=list,
        description="Junction extension: the webhook trigger's URL (single cycle answers).",
    )

    @field_serializer("LastSuccessfulRunDate", mode="wrap")
    def _never_run(self, value: datetime | None, handler: SerializerFunctionWrapHandler) -> Any:
        return NEVER if value is None else handler(value)

    @classmethod
    def build(
        cls, cycle: Cycle, connectors: list[tuple[AccountConnector, Connector, int]]
    ) -> CycleOut:
        settings = cycle.settings
        return cls(
            Id=cycle.id,
            Name=cycle.name,
            Description=cycle.description,
            Status=cycle.status,
            CreatedOnUtc=cycle.created_at,
            TemplateId=cycle.template_id,
            TemplateReleaseId=cycle.template_release_id,
            Connectors=[
                CycleConnectorOut(
                    Id=connector.id,
                    AccountConnectorId=row.id,
                    Name=connector.name,
                    Version=connector.version,
                    Authenticated=row.authenticated,
                    StepCount=count,
                    Icon=catalog.definition_of(connector).Icon,
                )
                for row, connector, count in connectors
            ],
            StepErrorAction=str(settings.get("StepErrorAction", "Ignore")),
            ContinueOnStepError=bool(settings.get("ContinueOnStepError", False)),
            CollectionSplitType=str(settings.get("CollectionSplitType", "FirstStep")),
            LogStepDataRequests=bool(settings.get("LogStepDataRequests", True)),
            StepDataSuccessRetentionHours=settings.get("StepDataSuccessRetentionHours"),
            StepDataErroredRetentionHours=settings.get("StepDataErroredRetentionHours"),
            Tags=list(cycle.tags or []),
        )
