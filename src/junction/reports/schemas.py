"""API shapes for transactions, step data and incidents (Cyclr's names)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from junction.bounds import Instant
from junction.engine.models import Incident, StepRun, Transaction
from junction.engine.transactions import Status

MAX_REPLAY = 10_000

# Cyclr's clients write dates the US way in report filters: month/day/year, with or without
# a time of day (01/31/2022, 1/31/2022 13:05:00).
_US_DATE = re.compile(
    r"^(?P<month>\d{1,2})/(?P<day>\d{1,2})/(?P<year>\d{4})"
    r"(?:[ T](?P<time>\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?))?$"
)


def _us_date(value: Any) -> Any:
    """A US-format date as ISO 8601 text for the date parser; anything else unchanged."""
    if not isinstance(value, str):
        return value
    found = _US_DATE.match(value.strip())
    if found is None:
        return value
    time = found["time"] or "00:00:00"
    if len(time.split(":")[0]) == 1:
        time = "0" + time
    return f"{found['year']}-{int(found['month']):02d}-{int(found['day']):02d}T{time}"


ReportDate = Annotated[Instant, BeforeValidator(_us_date)]
"""A filter date: ISO 8601, or US month/day/year; UTC when it has no offset."""


def _status_any_case(value: Any) -> Any:
    if isinstance(value, str):
        for status in Status:
            if status.value.lower() == value.strip().lower():
                return status
    return value


StatusFilter = Annotated[Status, BeforeValidator(_status_any_case)]
"""A transaction status in any letter case (Cyclr's clients send completed, errored...)."""


class TransactionOut(BaseModel):
    Id: str
    CycleId: str
    CycleName: str
    Status: str
    Origin: str = Field(description="Schedule, Webhook, Split or Replay.")
    CreatedOnUtc: datetime
    StartedOnUtc: datetime | None
    EndedOnUtc: datetime | None
    StepCount: int = Field(description="Steps run so far.")
    ErrorCount: int
    WarningCount: int
    Message: str | None
    CurrentStepId: str | None = Field(
        description="The next step to run, or the step where the transaction ended."
    )
    StepDataPurged: bool = Field(description="Its step data is gone (retention).")

    @classmethod
    def build(cls, row: Transaction, cycle_name: str) -> TransactionOut:
        return cls(
            Id=row.id,
            CycleId=row.cycle_id,
            CycleName=cycle_name,
            Status=row.status,
            Origin=row.origin,
            CreatedOnUtc=row.created_at,
            StartedOnUtc=row.started_at,
            EndedOnUtc=row.ended_at,
            StepCount=row.steps_run,
            ErrorCount=row.error_count,
            WarningCount=row.warning_count,
            Message=row.message,
            CurrentStepId=row.step_id,
            StepDataPurged=row.purged_at is not None,
        )


class StepDataOut(BaseModel):
    Sequence: int
    StepId: str
    StepName: str
    Status: str = Field(description="Success, Warning, Error or Skipped.")
    Attempt: int
    StartedOnUtc: datetime
    DurationMs: float
    Exchanges: list[Any] = Field(description="The step's HTTP calls, redacted, as recorded.")
    Output: Any
    Message: str | None

    @classmethod
    def build(cls, row: StepRun) -> StepDataOut:
        return cls(
            Sequence=row.sequence,
            StepId=row.step_id,
            StepName=row.step_name,
            Status=row.status,
            Attempt=row.attempt,
            StartedOnUtc=row.started_at,
            DurationMs=row.duration_ms,
            Exchanges=row.exchanges,
            Output=row.output,
            Message=row.message,
        )


class IncidentOut(BaseModel):
    Id: str
    CycleId: str
    CycleName: str
    IncidentLevel: str = Field(description="Error or Warning.")
    ShortMessage: str
    FullMessage: str | None
    StepId: str | None
    StepName: str | None
    TransactionId: str | None
    CreatedOnUtc: datetime

    @classmethod
    def build(cls, row: Incident, cycle_name: str) -> IncidentOut:
        return cls(
            Id=row.id,
            CycleId=row.cycle_id,
            CycleName=cycle_name,
            IncidentLevel=row.level,
            ShortMessage=row.short_message,
            FullMessage=row.full_message,
            StepId=row.step_id,
            StepName=row.step_name,
            TransactionId=row.transaction_id,
            CreatedOnUtc=row.created_at,
        )


class ReplayIn(BaseModel):
    """Either ``TransactionIds``, or ``CycleId`` with the ``Status`` to replay."""

    model_config = ConfigDict(extra="forbid")

    TransactionIds: list[str] | None = Field(None, min_length=1, max_length=MAX_REPLAY)
    CycleId: str | None = None
    Status: Literal["Errored", "Stopped"] = "Errored"

    @model_validator(mode="after")
    def _one_form(self) -> ReplayIn:
        if (self.TransactionIds is None) == (self.CycleId is None):
            raise ValueError("give either TransactionIds or CycleId (with Status), not both")
        return self


class NotReplayedOut(BaseModel):
    Id: str
    Reason: str


class ReplayOut(BaseModel):
    Replayed: list[str]
    NotReplayed: list[NotReplayedOut]
