"""Fixtures of the operations tests: the loopback APIs a cycle calls."""

from __future__ import annotations

from tests.engine.conftest import crm, mailer

__all__ = ["crm", "mailer"]
