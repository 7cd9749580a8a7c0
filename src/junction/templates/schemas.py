"""API shapes for templates and their releases."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from junction.connectors.catalog.models import Connector
from junction.connectors.catalog.service import definition_of
from junction.templates.models import Template, TemplateRelease
from junction.templates.spec.models import StepKind, TemplateDocument


class TemplateConnectorOut(BaseModel):
    Id: int | None = Field(
        None,
        description="The connector release installing would use; null if there is none here.",
    )
    Name: str
    Version: str | None
    StepCount: int
    Icon: str | None = Field(None, description="Lists: only with includeIcons=true.")


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
    def build(
        cls,
        template: Template,
        releases: list[TemplateRelease],
        connectors: Mapping[tuple[str, str | None], Connector] | None = None,
    ) -> TemplateOut:
        """``connectors``: the releases its steps' connectors resolve to (Id and Icon)."""
        used = connectors or {}
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
                TemplateConnectorOut(
                    Id=used[(name, version)].id if (name, version) in used else None,
                    Name=name,
                    Version=version,
                    StepCount=count,
                    Icon=definition_of(used[(name, version)]).Icon
                    if (name, version) in used
                    else None,
                )
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
