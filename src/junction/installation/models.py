"""The partner's overrides of environment settings: one row per overridden setting."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from junction.db.base import Base
from junction.db.types import JSONDocument, UTCDateTime


class InstallationSetting(Base):
    __tablename__ = "installation_settings"

    # The Settings field name ("embed_frame_ancestors").
    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    # The value as Settings holds it (a list of origins, a number of hours, a URL or null:
    # a row with null means "none", unlike no row, which means "the environment's").
    value: Mapped[Any] = mapped_column(JSONDocument, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_by: Mapped[str] = mapped_column(String(300))
