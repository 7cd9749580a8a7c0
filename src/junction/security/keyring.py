"""Encryption at rest with a keyring of AES-256-GCM keys.

A sealed value is ``<key id>:<base64url(nonce + ciphertext)>``: the id of the key that
sealed it travels beside the ciphertext, so keys can be added and rotated while old values
stay readable. Each value is bound to a *context* string (for example the row it belongs
to) as associated data, so a ciphertext copied into another row does not decrypt.
"""

from __future__ import annotations

import base64
import json
import os
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from junction.errors import ConfigurationError, JunctionError
from junction.security.files import private_folder
from junction.settings import Environment, Settings

KEY_BYTES = 32
NONCE_BYTES = 12
_KEY_ID = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


class DecryptionError(JunctionError):
    """A sealed value could not be opened (unknown key id, wrong key or tampered data)."""


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class Keyring:
    primary_key_id: str
    keys: dict[str, bytes]

    def __post_init__(self) -> None:
        if self.primary_key_id not in self.keys:
            raise ConfigurationError(f"primary key '{self.primary_key_id}' is not in the keyring")
        for key_id, key in self.keys.items():
            if not _KEY_ID.match(key_id):
                raise ConfigurationError(
                    f"encryption key id '{key_id}' must be 1-64 letters, digits, '_', '.' or '-'"
                )
            if len(key) != KEY_BYTES:
                raise ConfigurationError(
                    f"encryption key '{key_id}' must be {KEY_BYTES} bytes, not {len(key)}"
                )

    def seal(self, plaintext: str, *, context: str) -> str:
        nonce = os.urandom(NONCE_BYTES)
        aead = AESGCM(self.keys[self.primary_key_id])
        ciphertext = aead.encrypt(nonce, plaintext.encode(), context.encode())
        return f"{self.primary_key_id}:{_b64encode(nonce + ciphertext)}"

    def open(self, sealed: str, *, context: str) -> str:
        key_id, _, payload = sealed.partition(":")
        key = self.keys.get(key_id)
        if key is None:
            raise DecryptionError(f"no key with id '{key_id}' in the keyring")
        try:
            raw = b64decode(payload)
            plaintext = AESGCM(key).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], context.encode())
        except (InvalidTag, ValueError) as exc:
            raise DecryptionError("a stored secret could not be decrypted") from exc
        return plaintext.decode()

    def needs_reseal(self, sealed: str) -> bool:
        return sealed.partition(":")[0] != self.primary_key_id


def generate_key() -> str:
    return _b64encode(secrets.token_bytes(KEY_BYTES))


def new_key_id(now: datetime | None = None) -> str:
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%d%H%M%S")
    return f"k{stamp}{secrets.token_hex(2)}"


def parse_keys(text: str) -> Keyring:
    """Parse ``JUNCTION_ENCRYPTION_KEYS``: ``id:key,id:key``, the first one encrypts."""
    keys: dict[str, bytes] = {}
    order: list[str] = []
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        key_id, sep, encoded = item.partition(":")
        if not sep:
            raise ConfigurationError(
                "JUNCTION_ENCRYPTION_KEYS must be comma-separated 'key_id:base64url_key' pairs"
            )
        try:
            keys[key_id] = b64decode(encoded)
        except ValueError as exc:
            raise ConfigurationError(
                f"JUNCTION_ENCRYPTION_KEYS: key '{key_id}' is not valid base64url"
            ) from exc
        order.append(key_id)
    if not order:
        raise ConfigurationError("JUNCTION_ENCRYPTION_KEYS is set but holds no key")
    return Keyring(primary_key_id=order[0], keys=keys)


def _read_file(path: Path) -> Keyring:
    try:
        data = json.loads(path.read_text())
        return Keyring(
            primary_key_id=data["primary"],
            keys={key_id: b64decode(value) for key_id, value in data["keys"].items()},
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ConfigurationError(f"the keyring file {path} cannot be read: {exc}") from exc


def write_keyring_file(path: Path, keyring: Keyring) -> None:
    private_folder(path.parent)
    payload = {
        "primary": keyring.primary_key_id,
        "keys": {key_id: _b64encode(key) for key_id, key in keyring.keys.items()},
    }
    tmp = path.with_suffix(".tmp")
    # Created owner-only from the start: the file holds every key.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(payload, handle, indent=2)
    tmp.replace(path)


def load_keyring(settings: Settings) -> Keyring:
    """The keyring from the settings or the data folder; generated only in development."""
    if settings.encryption_keys:
        return parse_keys(settings.encryption_keys)
    path = settings.keyring_path
    if path.exists():
        return _read_file(path)
    if settings.env is Environment.PRODUCTION:
        raise ConfigurationError(
            "No encryption key is configured. In production Junction never generates one: set "
            "JUNCTION_ENCRYPTION_KEYS (generate a key with `junction keys generate`) or place "
            f"the keyring file at {path}."
        )
    key_id = new_key_id()
    keyring = Keyring(primary_key_id=key_id, keys={key_id: b64decode(generate_key())})
    write_keyring_file(path, keyring)
    return keyring
