"""Signing in to the console from tests, and reading what its pages carry."""

from __future__ import annotations

import re

import httpx

from junction.console import users
from tests.fixtures.server import Junction

COOKIE = re.compile(r"junction_console=([^;]+)")
TOKEN = re.compile(r'name="token" value="([^"]+)"')
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
PASSWORD = "correct horse battery"


def make_user(junction: Junction, username: str, role: str) -> None:
    async def create() -> None:
        async with junction.services.database.transaction() as session:
            await users.create_user(
                session=session,
                username=username,
                password=PASSWORD,
                role=role,
                now=junction.clock(),
            )

    junction.run(create())


def sign_in(junction: Junction, username: str, password: str = PASSWORD) -> httpx.Client:
    """A client holding the user's session cookie; ``client.last`` is the sign-in's answer."""
    client = junction.http()
    form = client.get("/console/signin")
    token = TOKEN.search(form.text)
    assert token
    client.headers["Cookie"] = form.headers["set-cookie"].split(";")[0]
    answer = client.post(
        "/console/signin",
        data={"username": username, "password": password, "token": token.group(1)},
    )
    found = COOKIE.search(answer.headers.get("set-cookie", ""))
    if found:
        client.headers["Cookie"] = f"junction_console={found.group(1)}"
    client.last = answer  # type: ignore[attr-defined]
    return client


def csrf_of(page: httpx.Response) -> str:
    found = CSRF.search(page.text)
    assert found, "the page carries no form"
    return found.group(1)


def post_form(client: httpx.Client, path: str, data: dict[str, str]) -> httpx.Response:
    """Posts ``data`` to ``path`` with the CSRF token of the page at ``path``."""
    return client.post(path, data={"csrf": csrf_of(client.get(path)), **data})
