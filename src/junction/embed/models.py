"""Sign-in tokens and the browser sessions they are exchanged for.

Neither table holds a usable secret: a token and a session cookie are stored as their
SHA-256 digests, so a copy of the database signs nobody in.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from junction.db.base import Base
from junction.db.types import JSONDocument, UTCDateTime


class SignInToken(Base):
    __tablename__ = "sign_in_tokens"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("account_users.id", ondelete="CASCADE")
    )
    # What the pages do for this sign-in: LAUNCH's options, for instance.
    options: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class BrowserSession(Base):
    __tablename__ = "browser_sessions"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("account_users.id", ondelete="CASCADE")
    )
    options: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    # Sent back with every form; a form without it is refused.
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class Marketplace(Base):
    """A partner's Marketplace: its cards (``document``) and where notices about it go."""

    __tablename__ = "marketplaces"
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(255))
    document: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    # The key that signs its notifications, sealed with the keyring.
    signing_secret_sealed: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class MarketplaceInstall(Base):
    """One installation of an integration package in an account: the cycles it made."""

    __tablename__ = "marketplace_installs"
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    marketplace_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("marketplaces.id", ondelete="CASCADE"), index=True
    )
    package_id: Mapped[int] = mapped_column(Integer)
    account_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    cycle_ids: Mapped[list[str]] = mapped_column(JSONDocument)
    complete_parameter: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Appearance(Base):
    """How the customer pages look: the partner's (``scope`` "partner") or one account's
    changes to it (``scope`` "account:{id}")."""

    __tablename__ = "appearances"

    scope: Mapped[str] = mapped_column(String(80), primary_key=True)
    document: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
