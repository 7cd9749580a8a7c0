"""Fixtures of the webhook tests: the contacts API and clients of the cycles' tests."""

from __future__ import annotations

from tests.cycles.conftest import clients, saas

__all__ = ["clients", "saas"]
