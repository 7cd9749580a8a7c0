"""The loopback stand-ins of the engine's end-to-end tests, one of each per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fixtures.crm import CrmApi
from tests.fixtures.mailer import MailerApi


@pytest.fixture
def crm() -> Iterator[CrmApi]:
    with CrmApi() as api:
        yield api


@pytest.fixture
def mailer() -> Iterator[MailerApi]:
    with MailerApi() as api:
        yield api
