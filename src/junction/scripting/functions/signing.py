"""``cyclr_sign``: an HMAC or RSA signature of text, as Base64 of the signature bytes.

HMAC keys are text (their UTF-8 bytes are the key). RSA keys are private keys, either PEM
(``BEGIN RSA PRIVATE KEY`` or ``BEGIN PRIVATE KEY``, unencrypted) or .NET's
``<RSAKeyValue>`` XML; signatures are PKCS#1 v1.5. The value signed is the UTF-8 bytes of
the text.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import re
from functools import lru_cache

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from junction.scripting.functions.bridge import Answer, ScriptFunctionError, guarded, need_text
from junction.scripting.functions.bridge import text as answer_text

_HMAC = {"HMAC-SHA1": "sha1", "HMAC-SHA256": "sha256", "HMAC-SHA512": "sha512"}
_RSA: dict[str, type[hashes.HashAlgorithm]] = {
    "RSA-SHA1": hashes.SHA1,
    "RSA-SHA224": hashes.SHA224,
    "RSA-SHA256": hashes.SHA256,
    "RSA-SHA384": hashes.SHA384,
    "RSA-SHA512": hashes.SHA512,
}
ALGORITHMS = (*_HMAC, *_RSA)

_XML_PART = re.compile(r"<(\w+)>\s*([A-Za-z0-9+/=\s]*?)\s*</\1>")
_XML_NAMES = ("Modulus", "Exponent", "P", "Q", "DP", "DQ", "InverseQ", "D")


def _xml_key(key: str) -> rsa.RSAPrivateKey:
    """.NET's ``RSA.ToXmlString(true)``: big-endian Base64 numbers in named elements."""
    parts = {name: value for name, value in _XML_PART.findall(key)}
    missing = [name for name in _XML_NAMES if not parts.get(name)]
    if missing:
        raise ScriptFunctionError(f"key: the RSAKeyValue lacks {', '.join(missing)}")
    try:
        n, e, p, q, dp, dq, iq, d = (
            int.from_bytes(base64.b64decode(parts[name], validate=False), "big")
            for name in _XML_NAMES
        )
        numbers = rsa.RSAPrivateNumbers(p, q, d, dp, dq, iq, rsa.RSAPublicNumbers(e, n))
        return numbers.private_key()
    except (binascii.Error, ValueError):
        raise ScriptFunctionError("key: the RSAKeyValue is not a consistent RSA key") from None


@lru_cache(maxsize=32)  # loading checks the key, which costs milliseconds
def _rsa_key(key: str) -> rsa.RSAPrivateKey:
    stripped = key.strip()
    if stripped.startswith("<RSAKeyValue>"):
        return _xml_key(stripped)
    if "-----BEGIN" not in stripped:
        raise ScriptFunctionError("key must be a PEM private key or an <RSAKeyValue>")
    try:
        loaded = serialization.load_pem_private_key(stripped.encode("utf-8"), password=None)
    except TypeError:
        raise ScriptFunctionError("key is encrypted; give an unencrypted private key") from None
    except (ValueError, UnsupportedAlgorithm):
        raise ScriptFunctionError("key is not a readable PEM private key") from None
    if not isinstance(loaded, rsa.RSAPrivateKey):
        raise ScriptFunctionError("key is not an RSA private key")
    return loaded


def sign(algorithm: str, key: str, value: str) -> bytes:
    name = algorithm.strip().upper()
    data = value.encode("utf-8")
    if name in _HMAC:
        return hmac.new(key.encode("utf-8"), data, _HMAC[name]).digest()
    if name in _RSA:
        return _rsa_key(key).sign(data, padding.PKCS1v15(), _RSA[name]())
    raise ScriptFunctionError(
        f"unknown algorithm {algorithm!r}; use one of {', '.join(ALGORITHMS)}"
    )


@guarded("cyclr_sign")
def cyclr_sign(algorithm: object, key: object, value: object) -> Answer:
    signature = sign(
        need_text(algorithm, "algorithm"), need_text(key, "key"), need_text(value, "value")
    )
    return answer_text(base64.b64encode(signature).decode("ascii"))
