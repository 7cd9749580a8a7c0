"""Fixtures of the engine tests: the loopback APIs cycles call."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.cycles.conftest import clients, saas
from tests.fixtures.crm import CrmApi
from tests.fixtures.mailer import MailerApi

__all__ = ["clients", "crm", "mailer", "saas"]


@pytest.fixture
def crm() -> Iterator[CrmApi]:
    with CrmApi() as api:
        yield api


@pytest.fixture
def mailer() -> Iterator[MailerApi]:
    with MailerApi() as api:
        yield api
