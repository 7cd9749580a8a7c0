"""Encryption at rest: sealing, key ids, rotation and start-up rules."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from junction.errors import ConfigurationError
from junction.security.keyring import (
    DecryptionError,
    Keyring,
    generate_key,
    load_keyring,
    parse_keys,
)
from junction.settings import Environment, Settings


def test_seal_and_open_with_context() -> None:
    keyring = parse_keys(f"one:{generate_key()}")
    sealed = keyring.seal("s3cret", context="row:1")
    assert sealed.startswith("one:")
    assert "s3cret" not in sealed
    assert keyring.open(sealed, context="row:1") == "s3cret"
    with pytest.raises(DecryptionError):
        keyring.open(sealed, context="row:2")  # copied into another row


def test_rotation_keeps_old_values_readable() -> None:
    old_key, new_key = generate_key(), generate_key()
    old = parse_keys(f"old:{old_key}")
    sealed = old.seal("value", context="c")
    rotated = parse_keys(f"new:{new_key},old:{old_key}")
    assert rotated.open(sealed, context="c") == "value"
    assert rotated.needs_reseal(sealed)
    assert rotated.seal("value", context="c").startswith("new:")
    with pytest.raises(DecryptionError, match="no key with id 'old'"):
        parse_keys(f"new:{new_key}").open(sealed, context="c")


def test_tampered_value_is_refused() -> None:
    keyring = parse_keys(f"k:{generate_key()}")
    sealed = keyring.seal("value", context="c")
    tampered = sealed[:-2] + ("A" if sealed[-2] != "A" else "B") + sealed[-1]
    with pytest.raises(DecryptionError):
        keyring.open(tampered, context="c")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("nocolon", "key_id:base64url_key", id="no-separator"),
        pytest.param("k:c2hvcnQ", "must be 32 bytes", id="short-key"),
        pytest.param("bad id:" + "A" * 43, "key id", id="bad-key-id"),
        pytest.param(" , ", "holds no key", id="empty"),
    ],
)
def test_bad_key_settings(text: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        parse_keys(text)


def test_development_generates_a_private_key_file_once(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    first = load_keyring(settings)
    assert stat.S_IMODE(settings.keyring_path.stat().st_mode) == 0o600
    second = load_keyring(settings)
    assert first == second


def test_production_without_a_key_refuses_to_start(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, env=Environment.PRODUCTION)
    with pytest.raises(ConfigurationError, match="JUNCTION_ENCRYPTION_KEYS"):
        load_keyring(settings)
    assert not settings.keyring_path.exists()


def test_production_with_a_key(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path, env=Environment.PRODUCTION, encryption_keys=f"prod:{generate_key()}"
    )
    keyring = load_keyring(settings)
    assert isinstance(keyring, Keyring)
    assert keyring.primary_key_id == "prod"
