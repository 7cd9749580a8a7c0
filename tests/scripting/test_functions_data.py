"""cyclr_sign, cyclr_csv_parse and cyclr_xml_serialize/deserialize, called from scripts."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from junction.scripting.functions import install
from junction.scripting.sandbox import Limits, run

QUICK = Limits(seconds=5.0, memory_bytes=32 * 1024 * 1024)


def js(code: str) -> object:
    return run(code, QUICK, setup=install)


def caught(call: str) -> str:
    value = js(f"try {{ {call}; 'no error' }} catch (e) {{ e.message }}")
    assert isinstance(value, str)
    return value


def literal(value: object) -> str:
    return json.dumps(value)


# --- cyclr_sign ---------------------------------------------------------------------------

KEY_TEXT = "This is the signing key."
VALUE_TEXT = "This is the string to sign. ✓"


@pytest.mark.parametrize(
    ("algorithm", "digest"),
    [("HMAC-SHA1", "sha1"), ("HMAC-SHA256", "sha256"), ("hmac-sha512", "sha512")],
)
def test_hmac_signatures_match_pythons_hmac(algorithm: str, digest: str) -> None:
    expected = hmac.new(KEY_TEXT.encode(), VALUE_TEXT.encode(), getattr(hashlib, digest))
    signature = js(f"cyclr_sign({literal(algorithm)}, {literal(KEY_TEXT)}, {literal(VALUE_TEXT)})")
    assert signature == base64.b64encode(expected.digest()).decode()


def test_a_published_hmac_sha256_vector() -> None:
    # RFC 4231, test case 2.
    signature = js("cyclr_sign('HMAC-SHA256', 'Jefe', 'what do ya want for nothing?')")
    assert isinstance(signature, str)
    assert base64.b64decode(signature).hex() == (
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    )


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _pem(key: rsa.RSAPrivateKey, form: serialization.PrivateFormat) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, form, serialization.NoEncryption()
    ).decode()


def _xml(key: rsa.RSAPrivateKey) -> str:
    numbers = key.private_numbers()

    def b64(number: int) -> str:
        return base64.b64encode(number.to_bytes((number.bit_length() + 7) // 8, "big")).decode()

    parts = {
        "Modulus": numbers.public_numbers.n,
        "Exponent": numbers.public_numbers.e,
        "P": numbers.p,
        "Q": numbers.q,
        "DP": numbers.dmp1,
        "DQ": numbers.dmq1,
        "InverseQ": numbers.iqmp,
        "D": numbers.d,
    }
    return (
        "<RSAKeyValue>"
        + "".join(f"<{k}>{b64(v)}</{k}>" for k, v in parts.items())
        + ("</RSAKeyValue>")
    )


@pytest.mark.parametrize(
    ("algorithm", "hash_type"),
    [
        ("RSA-SHA1", hashes.SHA1),
        ("RSA-SHA224", hashes.SHA224),
        ("RSA-SHA256", hashes.SHA256),
        ("RSA-SHA384", hashes.SHA384),
        ("RSA-SHA512", hashes.SHA512),
    ],
)
@pytest.mark.parametrize("key_form", ["pkcs1", "pkcs8", "xml"])
def test_rsa_signatures_verify_with_the_public_key(
    rsa_key: rsa.RSAPrivateKey,
    algorithm: str,
    hash_type: type[hashes.HashAlgorithm],
    key_form: str,
) -> None:
    key = {
        "pkcs1": lambda: _pem(rsa_key, serialization.PrivateFormat.TraditionalOpenSSL),
        "pkcs8": lambda: _pem(rsa_key, serialization.PrivateFormat.PKCS8),
        "xml": lambda: _xml(rsa_key),
    }[key_form]()
    signature = js(f"cyclr_sign({literal(algorithm)}, {literal(key)}, {literal(VALUE_TEXT)})")
    assert isinstance(signature, str)
    rsa_key.public_key().verify(
        base64.b64decode(signature), VALUE_TEXT.encode(), padding.PKCS1v15(), hash_type()
    )  # raises InvalidSignature when wrong


def test_sign_refuses_bad_algorithms_and_keys(rsa_key: rsa.RSAPrivateKey) -> None:
    assert caught("cyclr_sign('MD5', 'k', 'v')").startswith(
        "cyclr_sign: unknown algorithm 'MD5'; use one of HMAC-SHA1,"
    )
    assert caught("cyclr_sign('RSA-SHA256', 'not a key', 'v')") == (
        "cyclr_sign: key must be a PEM private key or an <RSAKeyValue>"
    )
    broken = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----"
    assert caught(f"cyclr_sign('RSA-SHA256', {literal(broken)}, 'v')") == (
        "cyclr_sign: key is not a readable PEM private key"
    )
    encrypted = rsa_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"secret"),
    ).decode()
    assert caught(f"cyclr_sign('RSA-SHA256', {literal(encrypted)}, 'v')") == (
        "cyclr_sign: key is encrypted; give an unencrypted private key"
    )
    ec_key = (
        ec.generate_private_key(ec.SECP256R1())
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode()
    )
    assert caught(f"cyclr_sign('RSA-SHA256', {literal(ec_key)}, 'v')") == (
        "cyclr_sign: key is not an RSA private key"
    )
    assert caught(
        "cyclr_sign('RSA-SHA256', '<RSAKeyValue><Modulus>AQAB</Modulus></RSAKeyValue>', 'v')"
    ).startswith("cyclr_sign: key: the RSAKeyValue lacks Exponent, P")
    assert caught("cyclr_sign(null, 'k', 'v')") == "cyclr_sign: algorithm is required"


# --- cyclr_csv_parse ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "records"),
    [
        pytest.param(
            "cyclr_csv_parse('1,2,3\\na,b,c', ',', false)",
            [["1", "2", "3"], ["a", "b", "c"]],
            id="documented",
        ),
        pytest.param(
            "cyclr_csv_parse('1,2\\r\\n3,4\\r\\n')", [["1", "2"], ["3", "4"]], id="defaults-crlf"
        ),
        pytest.param(
            'cyclr_csv_parse(\'name,note\\n"Smith, J","said ""hi""\\non two lines"\', \',\', true)',
            [{"name": "Smith, J", "note": 'said "hi"\non two lines'}],
            id="quoted-fields",
        ),
        pytest.param(
            "cyclr_csv_parse('a;b\\n1;2\\n\\n3', ';', true)",
            [{"a": "1", "b": "2"}, {"a": "3", "b": ""}],
            id="short-row-and-blank-line",
        ),
        pytest.param(
            "cyclr_csv_parse('a\\tb\\n1\\t2', '\\t', 'true')",
            [{"a": "1", "b": "2"}],
            id="tab-and-text-flag",
        ),
        pytest.param("cyclr_csv_parse('', ',', true)", [], id="empty"),
        pytest.param("cyclr_csv_parse('a,b', ',', true)", [], id="header-only"),
    ],
)
def test_csv_parse(call: str, records: object) -> None:
    assert js(call) == records


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            "cyclr_csv_parse('a,b', ',,')",
            "cyclr_csv_parse: delimiter must be one character other than a quote or a line"
            " break, not ',,'",
        ),
        ("cyclr_csv_parse('a,b', '')", "cyclr_csv_parse: delimiter must be one character"),
        ("cyclr_csv_parse('a,b', '\"')", "cyclr_csv_parse: delimiter must be one character"),
        ("cyclr_csv_parse('a,b', ',', 'yes')", "cyclr_csv_parse: hasHeader must be true or false"),
        (
            "cyclr_csv_parse('a,b\\n1,2,3', ',', true)",
            "cyclr_csv_parse: line 2 has 3 values but the header has 2 columns",
        ),
        (
            "cyclr_csv_parse('a,a\\n1,2', ',', true)",
            "cyclr_csv_parse: the header repeats the column 'a'",
        ),
        ("cyclr_csv_parse('\"a\"b')", "cyclr_csv_parse: csv is not valid CSV (line 1)"),
        ("cyclr_csv_parse()", "cyclr_csv_parse: csv is required"),
    ],
)
def test_csv_parse_refuses_bad_input(call: str, message: str) -> None:
    assert caught(call).startswith(message)


# --- XML ----------------------------------------------------------------------------------

NOTE = {
    "note": {
        "to": "Tove",
        "from": "Jani",
        "heading": "Reminder",
        "body": "Dont forget me this weekend!",
    }
}
NOTE_XML = (
    "<note><to>Tove</to><from>Jani</from><heading>Reminder</heading>"
    "<body>Dont forget me this weekend!</body></note>"
)


def test_the_documented_xml_example_both_ways() -> None:
    assert js(f"cyclr_xml_serialize({literal(NOTE)})") == NOTE_XML
    assert js(f"cyclr_xml_deserialize({literal(NOTE_XML)})") == NOTE


def test_attributes_text_repeats_and_empty_elements() -> None:
    xml = (
        '<order id="7"><line sku="a">2</line><line sku="b">1</line>'
        "<note/><total>3.5</total><paid>true</paid></order>"
    )
    read = {
        "order": {
            "@id": "7",
            "line": [{"@sku": "a", "#text": "2"}, {"@sku": "b", "#text": "1"}],
            "note": None,
            "total": "3.5",
            "paid": "true",
        }
    }
    assert js(f"cyclr_xml_deserialize({literal(xml)})") == read
    written = js(
        "cyclr_xml_serialize({order: {'@id': 7, line: [{'@sku': 'a', '#text': 2},"
        " {'@sku': 'b', '#text': 1}], note: null, total: 3.5, paid: true}})"
    )
    assert written == xml.replace("<note/>", "<note></note>")
    assert js("cyclr_xml_serialize({a: '<&>\"'})") == '<a>&lt;&amp;&gt;"</a>'


def test_xml_round_trips_through_a_script() -> None:
    assert js(
        f"var o = cyclr_xml_deserialize({literal(NOTE_XML)}); o.note.to = 'Ann';"
        " cyclr_xml_serialize(o)"
    ) == NOTE_XML.replace("Tove", "Ann")


def test_external_entities_are_refused() -> None:
    xxe = (
        '<?xml version="1.0"?><!DOCTYPE note [<!ENTITY secret SYSTEM "file:///etc/passwd">]>'
        "<note>&secret;</note>"
    )
    assert caught(f"cyclr_xml_deserialize({literal(xxe)})") == (
        "cyclr_xml_deserialize: xml may not have a DOCTYPE (entities and DTDs are refused)"
    )
    external_dtd = '<!DOCTYPE note SYSTEM "http://127.0.0.1:9/note.dtd"><note/>'
    assert caught(f"cyclr_xml_deserialize({literal(external_dtd)})").startswith(
        "cyclr_xml_deserialize: xml may not have a DOCTYPE"
    )


def test_entity_expansion_bombs_are_refused() -> None:
    # "Billion laughs": ten levels of ten references each, 10^9 copies of "lol" if expanded.
    entities = '<!ENTITY l0 "lol">' + "".join(
        f'<!ENTITY l{level} "{f"&l{level - 1};" * 10}">' for level in range(1, 10)
    )
    bomb = f"<!DOCTYPE lolz [{entities}]><lolz>&l9;</lolz>"
    started = time.monotonic()
    assert caught(f"cyclr_xml_deserialize({literal(bomb)})").startswith(
        "cyclr_xml_deserialize: xml may not have a DOCTYPE"
    )
    assert time.monotonic() - started < 1


def test_predefined_entities_and_character_references_are_read() -> None:
    assert js("cyclr_xml_deserialize('<a>&lt;&amp;&#233;</a>')") == {"a": "<&é"}


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            "cyclr_xml_deserialize('<a><b></a>')",
            "cyclr_xml_deserialize: xml is not well-formed: mismatched tag",
        ),
        ("cyclr_xml_deserialize('')", "cyclr_xml_deserialize: xml is not well-formed"),
        ("cyclr_xml_deserialize()", "cyclr_xml_deserialize: xml is required"),
        (
            "cyclr_xml_serialize({a: 1, b: 2})",
            "cyclr_xml_serialize: object must be an object with one key, the root element",
        ),
        ("cyclr_xml_serialize('<a/>')", "cyclr_xml_serialize: object must be an object"),
        (
            "cyclr_xml_serialize({a: [1, 2]})",
            "cyclr_xml_serialize: object.a is an array, but a document has one root",
        ),
        (
            "cyclr_xml_serialize({a: {'b c': 1}})",
            "cyclr_xml_serialize: object.a.b c is not a valid XML name",
        ),
        (
            "cyclr_xml_serialize({a: {'@1x': 1}})",
            "cyclr_xml_serialize: object.a.@1x is not a valid XML name",
        ),
        ("cyclr_xml_serialize()", "cyclr_xml_serialize: object is required"),
    ],
)
def test_xml_refuses_bad_input(call: str, message: str) -> None:
    assert caught(call).startswith(message)
