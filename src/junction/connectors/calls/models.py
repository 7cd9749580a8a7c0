"""OAuth 2.0 sign-ins in progress, the authorisation-code flows of ``oauth.py``."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from junction.db.base import Base
from junction.db.types import UTCDateTime


class OAuthState(Base):
    """An authorisation-code flow in progress: single use, short-lived."""

    __tablename__ = "oauth_states"

    state: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_connector_id: Mapped[int] = mapped_column(
        ForeignKey("account_connectors.id", ondelete="CASCADE"), index=True
    )
    code_verifier_sealed: Mapped[str] = mapped_column(Text)
    return_url: Mapped[str | None] = mapped_column(String(2048))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
