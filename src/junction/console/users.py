"""Console users: created with a password that meets the policy, stored as argon2id hashes,
signed in to short sessions. Services: they never commit.

Roles: an ``administrator`` may change anything the console changes; a ``viewer`` may look
at everything and change nothing.

A user created by single sign-on (``create_sso_user``) has no password: it is found again by
its link (issuer and subject) and never by the password form.
"""

from __future__ import annotations

import asyncio
import functools
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from junction.console.models import ConsoleSession, ConsoleSsoLink, ConsoleUser
from junction.errors import BadRequest
from junction.security.hashing import token_hash

ADMINISTRATOR, VIEWER = "administrator", "viewer"
ROLES = (ADMINISTRATOR, VIEWER)
MIN_LENGTH = 12
# Checked whole, ignoring case: the passwords people try first.
COMMON = frozenset(
    {"password1234", "123456789012", "qwertyuiopas", "administrator", "letmein12345"}
)

# Stored as the hash of a user who signs in through the provider: no password matches it.
NO_PASSWORD = ""

_HASHER = PasswordHasher()  # argon2id with the library's current recommended parameters


@functools.cache
def _dummy() -> str:
    """Checked against when the user does not exist, so that the answer takes as long.
    Made on first use, not at import: an argon2 hash costs every process (each CLI
    command, each worker) a tenth of a second."""
    return _HASHER.hash("no such user: a password nobody has")


def password_problems(password: str, username: str) -> list[str]:
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(f"at least {MIN_LENGTH} characters")
    if username and username.lower() in password.lower():
        problems.append("not containing the user name")
    if len(set(password)) < 4:
        problems.append("more than a few different characters")
    if password.lower() in COMMON:
        problems.append("not one of the most common passwords")
    return problems


def check_password(password: str, username: str) -> None:
    problems = password_problems(password, username)
    if problems:
        raise BadRequest("Password: needs " + ", ".join(problems))


def check_username(username: str) -> str:
    name = username.strip()
    if not 1 <= len(name) <= 255 or any(ch.isspace() for ch in name):
        raise BadRequest("Username: 1 to 255 characters, without spaces")
    return name


async def create_user(
    *, session: AsyncSession, username: str, password: str, role: str, now: datetime
) -> ConsoleUser:
    name = check_username(username)
    if role not in ROLES:
        raise BadRequest(f"Role: one of {', '.join(ROLES)}")
    check_password(password, name)
    await _check_free(session, name)
    # argon2 is slow on purpose: off the event loop.
    hashed = await asyncio.to_thread(_HASHER.hash, password)
    user = ConsoleUser(username=name, password_hash=hashed, role=role, created_at=now)
    session.add(user)
    await session.flush()
    return user


async def _check_free(session: AsyncSession, name: str) -> None:
    taken = await session.scalar(
        select(ConsoleUser.id).where(func.lower(ConsoleUser.username) == name.lower())
    )
    if taken is not None:
        raise BadRequest(f"Username: '{name}' is taken")


async def sso_user(*, session: AsyncSession, issuer: str, subject: str) -> ConsoleUser | None:
    """The console user linked to this person at this provider, if one was created."""
    return await session.scalar(
        select(ConsoleUser)
        .join(ConsoleSsoLink, ConsoleSsoLink.user_id == ConsoleUser.id)
        .where(ConsoleSsoLink.issuer == issuer, ConsoleSsoLink.subject == subject)
    )


async def create_sso_user(
    *, session: AsyncSession, issuer: str, subject: str, username: str, role: str, now: datetime
) -> ConsoleUser:
    """A user without a password, linked to the provider's ``issuer`` and ``subject``."""
    name = check_username(username)
    if role not in ROLES:
        raise BadRequest(f"Role: one of {', '.join(ROLES)}")
    await _check_free(session, name)
    user = ConsoleUser(username=name, password_hash=NO_PASSWORD, role=role, created_at=now)
    session.add(user)
    await session.flush()
    session.add(ConsoleSsoLink(issuer=issuer, subject=subject, user_id=user.id, created_at=now))
    await session.flush()
    return user


async def users(*, session: AsyncSession) -> list[ConsoleUser]:
    return list(await session.scalars(select(ConsoleUser).order_by(ConsoleUser.username)))


async def count(*, session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(ConsoleUser)) or 0)


def _verify(stored: str | None, password: str) -> bool:
    try:
        if stored is None:
            _HASHER.verify(_dummy(), password)
            return False
        return _HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


async def authenticate(
    *, session: AsyncSession, username: str, password: str
) -> ConsoleUser | None:
    user = await session.scalar(
        select(ConsoleUser).where(func.lower(ConsoleUser.username) == username.strip().lower())
    )
    # A user without a password costs the same check as an unknown one, so the answer's
    # timing does not tell which names sign in through the provider.
    stored = user.password_hash if user is not None and user.password_hash else None
    ok = await asyncio.to_thread(_verify, stored, password)
    return user if user is not None and user.password_hash and ok else None


@dataclass(frozen=True)
class Opened:
    cookie: str
    expires_at: datetime


async def open_session(
    *, session: AsyncSession, user: ConsoleUser, now: datetime, lifetime: timedelta
) -> Opened:
    await session.execute(delete(ConsoleSession).where(ConsoleSession.expires_at < now))
    cookie = secrets.token_urlsafe(32)
    expires_at = now + lifetime
    session.add(
        ConsoleSession(
            digest=token_hash(cookie),
            user_id=user.id,
            csrf=secrets.token_urlsafe(32),
            created_at=now,
            expires_at=expires_at,
        )
    )
    await session.flush()
    return Opened(cookie, expires_at)


async def session_of(
    *, session: AsyncSession, cookie: str, now: datetime
) -> tuple[ConsoleSession, ConsoleUser] | None:
    found = await session.get(ConsoleSession, token_hash(cookie))
    if found is None or found.expires_at <= now:
        return None
    user = await session.get(ConsoleUser, found.user_id)
    return None if user is None else (found, user)


async def close_session(*, session: AsyncSession, cookie: str) -> None:
    await session.execute(delete(ConsoleSession).where(ConsoleSession.digest == token_hash(cookie)))
