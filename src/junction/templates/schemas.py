"""API shapes for templates and their releases."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from junction.templates.models import Template, TemplateRelease
from junction.templates.spec.models import StepKind, TemplateDocument


class TemplateConnectorOut(BaseModel):
    Name: str
    Version: str | None
    StepCount: int


class ReleaseSummary(BaseModel):
    Version: int
    Status: str
    CreatedDate: datetime
    UpdatedDate: datetime


class TemplateOut(BaseModel):
    Id: str
    Name: str
    Description: str | None
    Tags: list[str]
    Connectors: list[TemplateConnectorOut]
    Releases: list[ReleaseSummary]
    CreatedDate: datetime

    @classmethod
    def build(cls, template: Template, releases: list[TemplateRelease]) -> TemplateOut:
        newest = TemplateDocument.model_validate(releases[-1].document) if releases else None
        counts: Counter[tuple[str, str | None]] = Counter(
            (step.ConnectorName, step.ConnectorVersion)
            for step in (newest.Steps if newest else [])
            if step.StepType is StepKind.METHOD and step.ConnectorName
        )
        return cls(
            Id=template.id,
            Name=template.name,
            Description=template.description,
            Tags=newest.Tags if newest else [],
            Connectors=[
                TemplateConnectorOut(Name=name, Version=version, StepCount=count)
                for (name, version), count in counts.items()
            ],
            Releases=[
                ReleaseSummary(
                    Version=r.version,
                    Status=r.status,
                    CreatedDate=r.created_at,
                    UpdatedDate=r.updated_at,
                )
                for r in releases
            ],
            CreatedDate=template.created_at,
        )


class ReleaseOut(BaseModel):
    TemplateId: str
    Version: int
    Status: str
    Document: dict[str, Any]
    CreatedDate: datetime
    UpdatedDate: datetime

    @classmethod
    def build(cls, release: TemplateRelease) -> ReleaseOut:
        return cls(
            TemplateId=release.template_id,
            Version=release.version,
            Status=release.status,
            Document=release.document,
            CreatedDate=release.created_at,
            UpdatedDate=release.updated_at,
        )


class StatusIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    Status: Literal["Live", "Deprecated"]


class ProblemOut(BaseModel):
    Location: str
    Message: str
