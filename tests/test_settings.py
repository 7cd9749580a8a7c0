"""Settings read from the environment: the documented forms, and one clear line per mistake."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import ValidationError

from junction.settings import Settings, describe_settings_error


@pytest.mark.parametrize(
    ("variable", "value", "field", "expected"),
    [
        pytest.param(
            "JUNCTION_ACCESS_TOKEN_LIFETIME",
            "1209600",
            "access_token_lifetime",
            timedelta(days=14),
            id="lifetime-in-seconds",
        ),
        pytest.param(
            "JUNCTION_TOKEN_FAILURE_WINDOW",
            "300",
            "token_failure_window",
            timedelta(minutes=5),
            id="window-in-seconds",
        ),
        pytest.param(
            "JUNCTION_TOKEN_FAILURE_WINDOW",
            " 90.5 ",
            "token_failure_window",
            timedelta(seconds=90.5),
            id="fractional-seconds",
        ),
        pytest.param(
            "JUNCTION_ACCESS_TOKEN_LIFETIME",
            "P14D",
            "access_token_lifetime",
            timedelta(days=14),
            id="iso-8601-days",
        ),
        pytest.param(
            "JUNCTION_TOKEN_FAILURE_WINDOW",
            "PT5M",
            "token_failure_window",
            timedelta(minutes=5),
            id="iso-8601-minutes",
        ),
    ],
)
def test_durations_are_read_as_seconds_or_iso_8601(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, field: str, expected: timedelta
) -> None:
    monkeypatch.setenv(variable, value)
    assert getattr(Settings(), field) == expected


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        pytest.param(
            "JUNCTION_PORT", "abc", "JUNCTION_PORT: Input should be a valid integer", id="port"
        ),
        pytest.param(
            "JUNCTION_PORT", "70000", "JUNCTION_PORT: Input should be less than", id="port-range"
        ),
        pytest.param(
            "JUNCTION_TOKEN_FAILURE_WINDOW",
            "soon",
            "JUNCTION_TOKEN_FAILURE_WINDOW: Input should be a valid timedelta",
            id="duration",
        ),
        pytest.param(
            "JUNCTION_LOG_FORMAT", "xml", "JUNCTION_LOG_FORMAT: Input should be", id="choice"
        ),
    ],
)
def test_a_bad_value_is_named_by_its_variable_in_one_line(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, expected: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ValidationError) as raised:
        Settings()
    message = describe_settings_error(raised.value)
    assert message.startswith(expected)
    assert f"(got {value!r})" in message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("10.0.0.0/8, 192.0.2.1,::1", ["10.0.0.0/8", "192.0.2.1", "::1"], id="list"),
        pytest.param("", [], id="no-proxy"),
        pytest.param("*", ["*"], id="every-peer"),
    ],
)
def test_forwarded_allow_ips_lists_addresses_and_networks(
    monkeypatch: pytest.MonkeyPatch, value: str, expected: list[str]
) -> None:
    monkeypatch.setenv("JUNCTION_FORWARDED_ALLOW_IPS", value)
    assert Settings().forwarded_allow_ips == expected


def test_forwarded_allow_ips_defaults_to_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JUNCTION_FORWARDED_ALLOW_IPS", raising=False)
    assert Settings().forwarded_allow_ips == ["127.0.0.1", "::1"]


@pytest.mark.parametrize("value", ["proxy.internal", "10.0.0.1/8", "10.0.0.0/8,*"])
def test_a_forwarded_allow_ips_typo_is_an_error(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("JUNCTION_FORWARDED_ALLOW_IPS", value)
    with pytest.raises(ValidationError) as raised:
        Settings()
    message = describe_settings_error(raised.value)
    assert message.startswith("JUNCTION_FORWARDED_ALLOW_IPS: Value error")
    assert "is not an IP address or network" in message
