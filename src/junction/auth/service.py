"""Client credential sets and access tokens. Functions flush; the caller commits."""

from __future__ import annotations

import hmac
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from junction.accounts.models import Account
from junction.auth.models import AccessToken, ClientCredential
from junction.db.changes import AUTH, announce
from junction.errors import BadRequest, LimitReached, NotFound
from junction.security.hashing import new_token, token_hash
from junction.security.keyring import Keyring


def _secret_context(client_id: str) -> str:
    return f"client_credentials.secret:{client_id}"


@dataclass(frozen=True)
class CredentialSet:
    client_id: str
    client_secret: str | None  # present only when created or revealed
    description: str
    created_at: datetime


@dataclass(frozen=True)
class IssuedToken:
    id: str
    access_token: str
    client_id: str
    account_id: str | None
    issued_at: datetime
    expires_at: datetime


@dataclass(frozen=True)
class Identity:
    """Who is calling: the credential set behind the token and, if any, its account scope."""

    token_id: str
    client_id: str
    account_scope: str | None


async def create_credentials(
    *, session: AsyncSession, keyring: Keyring, description: str, limit: int, now: datetime
) -> CredentialSet:
    description = description.strip()
    if not description:
        raise BadRequest("Description is required")
    if len(description) > 255:
        raise BadRequest("Description must be at most 255 characters")
    count = await session.scalar(select(func.count()).select_from(ClientCredential))
    if (count or 0) >= limit:
        raise LimitReached(
            f"At most {limit} client credential sets may exist; delete one before creating another"
        )
    client_id = secrets.token_hex(16)
    client_secret = secrets.token_urlsafe(32)
    session.add(
        ClientCredential(
            client_id=client_id,
            secret_sealed=keyring.seal(client_secret, context=_secret_context(client_id)),
            description=description,
            created_at=now,
        )
    )
    await session.flush()
    return CredentialSet(client_id, client_secret, description, now)


async def list_credentials(*, session: AsyncSession) -> list[CredentialSet]:
    rows = await session.scalars(
        select(ClientCredential).order_by(ClientCredential.created_at, ClientCredential.client_id)
    )
    return [CredentialSet(r.client_id, None, r.description, r.created_at) for r in rows]


async def reveal_credentials(
    *, session: AsyncSession, keyring: Keyring, client_id: str
) -> CredentialSet:
    row = await session.get(ClientCredential, client_id)
    if row is None:
        raise NotFound(f"No client credential set with ClientId '{client_id}'")
    secret = keyring.open(row.secret_sealed, context=_secret_context(client_id))
    return CredentialSet(row.client_id, secret, row.description, row.created_at)


async def delete_credentials(*, session: AsyncSession, client_id: str) -> None:
    """Delete a credential set; its tokens go with it (cascade), so they stop working."""
    row = await session.get(ClientCredential, client_id)
    if row is None:
        raise NotFound(f"No client credential set with ClientId '{client_id}'")
    await session.execute(delete(AccessToken).where(AccessToken.client_id == client_id))
    await session.delete(row)
    await session.flush()
    await announce(session, AUTH)


async def verify_client(
    *, session: AsyncSession, keyring: Keyring, client_id: str, client_secret: str
) -> bool:
    row = await session.get(ClientCredential, client_id)
    if row is None:
        # Still compare against something, so the reply to an unknown id is not the fastest.
        hmac.compare_digest(client_secret.encode(), secrets.token_bytes(32))
        return False
    expected = keyring.open(row.secret_sealed, context=_secret_context(client_id))
    return hmac.compare_digest(client_secret.encode(), expected.encode())


async def account_exists(*, session: AsyncSession, account_id: str) -> bool:
    return await session.get(Account, account_id) is not None


async def issue_token(
    *,
    session: AsyncSession,
    client_id: str,
    account_id: str | None,
    lifetime: timedelta,
    now: datetime,
) -> IssuedToken:
    # Housekeeping on the way: this client's expired tokens are of no further use.
    await session.execute(
        delete(AccessToken).where(AccessToken.client_id == client_id, AccessToken.expires_at <= now)
    )
    token = new_token()
    issued = IssuedToken(
        id=str(uuid.uuid4()),
        access_token=token,
        client_id=client_id,
        account_id=account_id,
        issued_at=now,
        expires_at=now + lifetime,
    )
    session.add(
        AccessToken(
            id=issued.id,
            token_hash=token_hash(token),
            client_id=client_id,
            account_id=account_id,
            issued_at=now,
            expires_at=issued.expires_at,
        )
    )
    await session.flush()
    return issued


async def identify(
    *, session: AsyncSession, token: str, now: datetime
) -> tuple[Identity, datetime] | None:
    """The identity behind a bearer token and when the token expires, or None when it is
    unknown, expired or revoked."""
    row = (
        await session.execute(
            select(
                AccessToken.id,
                AccessToken.client_id,
                AccessToken.account_id,
                AccessToken.expires_at,
            ).where(AccessToken.token_hash == token_hash(token), AccessToken.expires_at > now)
        )
    ).first()
    if row is None:
        return None
    identity = Identity(token_id=row.id, client_id=row.client_id, account_scope=row.account_id)
    return identity, row.expires_at


async def list_tokens(
    *, session: AsyncSession, now: datetime, client_id: str | None = None
) -> list[AccessToken]:
    query = select(AccessToken).where(AccessToken.expires_at > now)
    if client_id is not None:
        query = query.where(AccessToken.client_id == client_id)
    rows = await session.scalars(query.order_by(AccessToken.issued_at, AccessToken.id))
    return list(rows)


async def revoke_token(*, session: AsyncSession, token_id: str, now: datetime) -> None:
    row = await session.get(AccessToken, token_id)
    if row is None or row.expires_at <= now:
        raise NotFound(f"No access token with Id '{token_id}'")
    await session.delete(row)
    await session.flush()
    await announce(session, AUTH)


async def sealed_count(*, session: AsyncSession) -> int:
    """How many sealed values ``reseal_secrets`` looks at (for a progress bar)."""
    return int(await session.scalar(select(func.count()).select_from(ClientCredential)) or 0)


async def reseal_secrets(
    *, session: AsyncSession, keyring: Keyring, seen: Callable[[], None] | None = None
) -> int:
    """Re-encrypt client secrets sealed with an older key; returns how many changed.
    ``seen`` is called after each sealed value looked at."""
    changed = 0
    for row in await session.scalars(select(ClientCredential)):
        if keyring.needs_reseal(row.secret_sealed):
            context = _secret_context(row.client_id)
            secret = keyring.open(row.secret_sealed, context=context)
            row.secret_sealed = keyring.seal(secret, context=context)
            changed += 1
        if seen is not None:
            seen()
    await session.flush()
    return changed
