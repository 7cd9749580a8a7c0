"""API shapes for transactions, step data and incidents (Cyclr's names)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from junction.engine.models import Incident, StepRun, Transaction

MAX_REPLAY = 10_000


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


class TransactionDetailOut(TransactionOut):
    Steps: list[StepDataOut]


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
