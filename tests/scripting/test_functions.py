"""The script function library: how functions are installed, how values and errors cross,
the exception classes, and btoa/atob. Every call goes through a real QuickJS context set up
as the sandbox does it."""

from __future__ import annotations

import statistics
import time

import pytest
import quickjs

from junction.scripting.functions import install, thrown_auth_exception, thrown_name
from junction.scripting.sandbox import Limits, ScriptError, run

QUICK = Limits(seconds=2.0, memory_bytes=32 * 1024 * 1024)


def js(code: str) -> object:
    return run(code, QUICK, setup=install)


def caught(call: str) -> str:
    """The message a script's own try/catch sees when ``call`` throws."""
    value = js(
        f"try {{ {call}; 'no error' }} catch (e) {{ (e instanceof Error) + ' ' + e.message }}"
    )
    assert isinstance(value, str)
    assert value.startswith("true "), value
    return value.removeprefix("true ")


# --- installing ---------------------------------------------------------------------------


def test_scripts_see_the_public_names_only() -> None:
    names = js("Object.keys(globalThis).sort()")
    assert names == sorted(
        [
            "btoa",
            "atob",
            "cyclr_sign",
            "cyclr_csv_parse",
            "cyclr_xml_serialize",
            "cyclr_xml_deserialize",
            "cyclr_now",
            "cyclr_date_format",
            "cyclr_date_parse",
            "cyclr_date_add",
            "AuthRefreshException",
            "AuthSessionException",
        ]
    )
    assert js("typeof __jf_btoa") == "undefined"


def test_without_setup_a_context_has_none_of_them() -> None:
    assert run("typeof cyclr_sign + typeof AuthRefreshException", QUICK) == "undefinedundefined"


def test_a_script_may_replace_a_function_for_itself() -> None:
    assert js("btoa = function () { return 'mine'; }; btoa('x')") == "mine"
    assert js("btoa('x')") == "eA=="  # the next execution has the library's again


def test_installing_is_cheap() -> None:
    # Medians of interleaved runs, so a busy machine moves both sides alike.
    plain, installed = [], []
    for _ in range(300):
        started = time.perf_counter()
        quickjs.Context()
        plain.append(time.perf_counter() - started)
        started = time.perf_counter()
        install(quickjs.Context())
        installed.append(time.perf_counter() - started)
    cost = statistics.median(installed) - statistics.median(plain)
    assert cost < 0.0005, f"install took {cost * 1e6:.0f} µs"  # about 50 µs when idle


def test_a_failure_of_the_library_itself_reaches_the_script_without_a_traceback() -> None:
    # A circular object cannot become JSON: the message says so, and the context goes on.
    message = caught("var o = {}; o.self = o; cyclr_xml_serialize(o)")
    assert message.startswith("cyclr_xml_serialize: object cannot be written as JSON")
    assert "Traceback" not in message
    assert js("try { cyclr_xml_serialize(null) } catch (e) {} btoa('still works')") == (
        "c3RpbGwgd29ya3M="
    )


def test_an_uncaught_library_error_ends_the_script_with_its_message() -> None:
    with pytest.raises(ScriptError, match=r"^Error: btoa: unknown charset 'EBCDIC'"):
        js("btoa('x', 'EBCDIC')")


@pytest.mark.parametrize(
    ("call", "message"),
    [
        pytest.param("btoa()", "btoa: text is required", id="missing-text"),
        pytest.param("btoa({})", "btoa: text must be text, not an object", id="object-text"),
        pytest.param("atob('YQ==', [1])", "atob: charset must be text", id="array-charset"),
        pytest.param("cyclr_sign('HMAC-SHA1', 'k')", "cyclr_sign: value is required", id="sign"),
    ],
)
def test_arguments_of_the_wrong_kind_are_named(call: str, message: str) -> None:
    assert caught(call).startswith(message)


def test_primitive_arguments_are_taken_as_javascript_writes_them() -> None:
    assert js("atob(btoa(12)) + atob(btoa(true)) + atob(btoa(1.5)) + atob(btoa(2**53))") == (
        "12true1.59007199254740992"
    )
    assert js("btoa('a', undefined) + btoa('a', null)") == "YQ==YQ=="
    assert js("btoa('a', 'utf-8', 'ignored')") == "YQ=="


# --- exceptions ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["AuthRefreshException", "AuthSessionException"])
def test_auth_exceptions_are_errors_that_keep_their_name(name: str) -> None:
    other = "AuthSessionException" if name == "AuthRefreshException" else "AuthRefreshException"
    assert js(
        f"try {{ throw new {name}('expired') }} catch (e) {{"
        f" [e instanceof Error, e instanceof {name}, e instanceof {other}, e.name, e.message,"
        f" String(e), typeof e.stack, {name}.name, e.constructor === {name}] }}"
    ) == [True, True, False, name, "expired", f"{name}: expired", "string", name, True]
    assert js(f"{name}().name") == name  # usable without new, like Error

    with pytest.raises(ScriptError) as raised:
        js(f"function after_error() {{ throw new {name}(); }} after_error()")
    assert str(raised.value) == name
    assert thrown_name(str(raised.value)) == name
    assert thrown_auth_exception(str(raised.value)) == name
    with pytest.raises(ScriptError) as raised:
        js(f"throw new {name}('token expired\\nsecond line')")
    assert str(raised.value) == f"{name}: token expired"
    assert thrown_auth_exception(str(raised.value)) == name


@pytest.mark.parametrize(
    ("message", "name", "auth"),
    [
        ("AuthRefreshException", "AuthRefreshException", "AuthRefreshException"),
        ("AuthSessionException: gone\n    at f (<input>)", "AuthSessionException", None),
        ("Error: AuthRefreshException", "Error", None),
        ("TypeError: x is not a function", "TypeError", None),
        ("the script ran longer than its time limit", None, None),
        ("[object Object]", None, None),
        ("", None, None),
    ],
)
def test_thrown_name_reads_the_class_from_the_error_text(
    message: str, name: str | None, auth: str | None
) -> None:
    assert thrown_name(message) == name
    if name == "AuthSessionException":
        auth = name
    assert thrown_auth_exception(message) == auth


# --- btoa / atob --------------------------------------------------------------------------

HELLO = "Hĕllō Wōrld"


@pytest.mark.parametrize(
    ("charset", "encoded", "decoded"),
    [
        (None, "SMSVbGzFjSBXxY1ybGQ=", HELLO),
        ("UTF-8", "SMSVbGzFjSBXxY1ybGQ=", HELLO),
        ("ascii", "SD9sbD8gVz9ybGQ=", "H?ll? W?rld"),  # what ASCII cannot hold becomes ?
        ("iso-8859-1", "SGVsbG8gV29ybGQ=", "Hello World"),  # accents dropped first
        ("UTF-16", "SAAVAWwAbABNASAAVwBNAXIAbABkAA==", HELLO),  # little-endian, no BOM
        ("utf-16le", "SAAVAWwAbABNASAAVwBNAXIAbABkAA==", HELLO),
        ("UTF-16BE", "AEgBFQBsAGwBTQAgAFcBTQByAGwAZA==", HELLO),
        ("UTF-32", "SAAAABUBAABsAAAAbAAAAE0BAAAgAAAAVwAAAE0BAAByAAAAbAAAAGQAAAA=", HELLO),
        ("UTF-32LE", "SAAAABUBAABsAAAAbAAAAE0BAAAgAAAAVwAAAE0BAAByAAAAbAAAAGQAAAA=", HELLO),
        ("UTF-32BE", "AAAASAAAARUAAABsAAAAbAAAAU0AAAAgAAAAVwAAAU0AAAByAAAAbAAAAGQ=", HELLO),
        ("UTF-7", "SCtBUlUtbGwrQVUwIFcrQVUwLXJsZA==", HELLO),
    ],
)
def test_btoa_and_atob_in_each_charset(charset: str | None, encoded: str, decoded: str) -> None:
    extra = "" if charset is None else f", '{charset}'"
    assert js(f"btoa('{HELLO}'{extra})") == encoded
    assert js(f"atob('{encoded}'{extra})") == decoded


def test_atob_reads_a_byte_order_mark_and_tolerant_base64() -> None:
    assert js("atob('/v8ASABp', 'UTF-16')") == "Hi"  # big-endian, announced
    assert js("atob('//5IAGkA', 'UTF-16')") == "Hi"  # little-endian, announced
    assert js("atob(' SGk\\n', 'utf-8')") == "Hi"  # spaces and missing padding
    assert js("atob('gA==', 'ascii')") == "?"
    assert js("atob('/w==')") == "\ufffd"  # not UTF-8: replaced, as .NET does


def test_btoa_of_characters_beyond_the_basic_plane() -> None:
    assert js("atob(btoa('😀'))") == "😀"
    assert js("atob(btoa('😀', 'UTF-16'), 'UTF-16')") == "😀"
    assert js("atob(btoa('😀', 'UTF-7'), 'UTF-7')") == "😀"


@pytest.mark.parametrize(
    ("call", "message"),
    [
        ("btoa('x', 'EBCDIC')", "btoa: unknown charset 'EBCDIC'; use one of ASCII,"),
        ("atob('eA==', 'latin-2')", "atob: unknown charset 'latin-2'"),
        ("atob('not base64!')", "atob: base64 is not valid Base64 text"),
        ("atob('eA===')", "atob: base64 is not valid Base64 text"),
        ("atob()", "atob: base64 is required"),
    ],
)
def test_btoa_and_atob_refuse_bad_input(call: str, message: str) -> None:
    assert caught(call).startswith(message)
