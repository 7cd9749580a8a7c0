"""Hashes for high-entropy tokens and for user passwords."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

# scrypt parameters (RFC 7914 interactive-login strength): ~16 MiB and tens of ms.
_SCRYPT_N = 2**14
_SCRYPT_R = 8
_SCRYPT_P = 1


def token_hash(token: str) -> str:
    """Tokens carry 256 random bits, so a fast hash is enough to make a stolen table useless."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(32)


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P)
    encoded = base64.b64encode(salt + digest).decode()
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${encoded}"


def verify_password(password: str, stored: str) -> bool:
    try:
        _, n, r, p, encoded = stored.split("$")
        raw = base64.b64decode(encoded)
    except ValueError:
        return False
    salt, expected = raw[:16], raw[16:]
    digest = hashlib.scrypt(password.encode(), salt=salt, n=int(n), r=int(r), p=int(p))
    return hmac.compare_digest(digest, expected)
