"""``configure_logging``: text and JSON lines on stderr, levels, and the ids of the
transaction being run; the settings that choose them."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from junction.cli.main import app
from junction.logs import bind_transaction, configure_logging, unbind
from junction.settings import Settings
from tests.fixtures.logs import logging_kept

TEXT_LINE = re.compile(
    r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (?P<level>[A-Z]+) (?P<logger>\S+): (?P<rest>.*)$"
)


@pytest.fixture(autouse=True)
def _logging_kept() -> Iterator[None]:
    with logging_kept():
        yield


def configured(capsys: pytest.CaptureFixture[str], **settings: str) -> None:
    configure_logging(Settings.model_validate(settings))
    capsys.readouterr()  # what came before is not this test's


def lines(capsys: pytest.CaptureFixture[str]) -> list[str]:
    captured = capsys.readouterr()
    assert captured.out == "", "logs go to stderr only"
    return captured.err.splitlines()


def json_lines(capsys: pytest.CaptureFixture[str]) -> list[dict[str, object]]:
    return [json.loads(line) for line in lines(capsys)]


def test_text_lines_are_readable(capsys: pytest.CaptureFixture[str]) -> None:
    configured(capsys)
    logging.getLogger("junction.engine").info("cycle %s paused", "c1")
    [line] = lines(capsys)
    match = TEXT_LINE.match(line)
    assert match is not None, line
    assert match.groupdict() == {
        "level": "INFO",
        "logger": "junction.engine",
        "rest": "cycle c1 paused",
    }
    stamp = datetime.fromisoformat(line.split(" ")[0])
    assert abs(stamp - datetime.now(UTC)) < timedelta(minutes=1)


def test_json_lines_hold_one_object_each(capsys: pytest.CaptureFixture[str]) -> None:
    configured(capsys, log_format="json")
    logging.getLogger("junction.dispatch").warning("two\nlines")
    try:
        raise ValueError("boom")
    except ValueError:
        logging.getLogger("junction.engine").exception("failed")
    first, second = lines(capsys)  # a message's line break and a traceback stay escaped
    entry = json.loads(first)
    assert entry == {
        "time": entry["time"],
        "level": "WARNING",
        "logger": "junction.dispatch",
        "message": "two\nlines",
    }
    stamp = datetime.fromisoformat(str(entry["time"]))
    assert stamp.utcoffset() == timedelta(0)
    assert str(entry["time"]).endswith("Z")
    failed = json.loads(second)
    assert (failed["level"], failed["message"]) == ("ERROR", "failed")
    assert "ValueError: boom" in failed["exception"]


def test_the_level_governs_junction_and_uvicorn_other_libraries_warn(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configured(capsys, log_level="warning", log_format="json")
    for name in ("junction.engine", "uvicorn.error", "uvicorn.access", "some.library"):
        logging.getLogger(name).info("quiet")
        logging.getLogger(name).warning("loud")
    assert [(e["logger"], e["message"]) for e in json_lines(capsys)] == [
        ("junction.engine", "loud"),
        ("uvicorn.error", "loud"),
        ("uvicorn.access", "loud"),
        ("some.library", "loud"),
    ]

    configured(capsys, log_level="DEBUG", log_format="json")
    for name in ("junction.engine", "uvicorn.access", "some.library"):
        logging.getLogger(name).debug("detail")
    assert [e["logger"] for e in json_lines(capsys)] == ["junction.engine", "uvicorn.access"]

    configured(capsys, log_level="error", log_format="json")
    logging.getLogger("some.library").warning("loud")
    logging.getLogger("junction.engine").warning("loud")
    logging.getLogger("junction.engine").error("louder")
    assert [e["message"] for e in json_lines(capsys)] == ["louder"]


def test_configuring_again_replaces_the_handler(capsys: pytest.CaptureFixture[str]) -> None:
    configured(capsys)
    configured(capsys, log_format="json")
    logging.getLogger("junction").info("once")
    [entry] = json_lines(capsys)
    assert entry["message"] == "once"


def test_lines_logged_while_a_transaction_runs_carry_its_ids(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configured(capsys, log_format="json")
    log = logging.getLogger("junction.engine")
    bound = bind_transaction(account_id="acme", cycle_id="c-1", transaction_id="t-1")
    try:
        log.warning("inside")
        logging.getLogger("some.library").warning("a library's line too")
        log.warning("given", extra={"cycle_id": "c-2", "step_id": "s-1"})
    finally:
        unbind(bound)
    log.warning("after")
    inside, library, given, after = json_lines(capsys)
    ids = {"account_id": "acme", "cycle_id": "c-1", "transaction_id": "t-1"}
    assert inside.items() >= ids.items()
    assert library.items() >= ids.items()
    assert given.items() >= {**ids, "cycle_id": "c-2", "step_id": "s-1"}.items()
    assert not set(after) & {"account_id", "cycle_id", "transaction_id"}

    configured(capsys)
    bound = bind_transaction(account_id="acme", cycle_id="c-1", transaction_id="t-1")
    try:
        log.warning("inside")
    finally:
        unbind(bound)
    [line] = lines(capsys)
    assert line.endswith(" inside account_id=acme cycle_id=c-1 transaction_id=t-1"), line


def test_ids_follow_the_task_that_bound_them(capsys: pytest.CaptureFixture[str]) -> None:
    import asyncio

    configured(capsys, log_format="json")
    log = logging.getLogger("junction.engine")

    async def run(name: str, step: asyncio.Event, other: asyncio.Event) -> None:
        bound = bind_transaction(account_id="a", cycle_id="c", transaction_id=name)
        try:
            step.set()
            await other.wait()  # both are bound now, interleaved
            log.warning(name)
        finally:
            unbind(bound)

    async def both() -> None:
        one, two = asyncio.Event(), asyncio.Event()
        await asyncio.gather(run("t-1", one, two), run("t-2", two, one))

    asyncio.run(both())
    assert {(e["message"], e["transaction_id"]) for e in json_lines(capsys)} == {
        ("t-1", "t-1"),
        ("t-2", "t-2"),
    }


def test_log_settings_are_checked() -> None:
    settings = Settings.model_validate({"log_format": "JSON", "log_level": "Info"})
    assert settings.log_format == "json"
    with pytest.raises(ValidationError, match="log_format") as raised:
        Settings(log_format="xml")
    assert "'text' or 'json'" in str(raised.value)
    with pytest.raises(ValidationError, match="log_level"):
        Settings(log_level="loud")


def test_a_command_with_a_bad_log_format_says_so(tmp_path: Path) -> None:
    env = {"JUNCTION_DATA_DIR": str(tmp_path), "JUNCTION_LOG_FORMAT": "xml"}
    result = CliRunner().invoke(app, ["migrate"], env=env)
    assert result.exit_code == 1
    assert "Invalid settings" in result.output
    assert "JUNCTION_LOG_FORMAT" in result.output


@pytest.mark.parametrize(
    "command", [["migrate"], ["credentials", "list"], ["tokens", "list"], ["keys", "reseal"]]
)
def test_commands_set_up_logging_as_they_start(
    command: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    env = {
        "JUNCTION_DATA_DIR": str(tmp_path),
        "JUNCTION_LOG_FORMAT": "json",
        "JUNCTION_LOG_LEVEL": "debug",
    }
    result = CliRunner().invoke(app, command, env=env)
    assert result.exit_code == 0, result.output
    capsys.readouterr()
    logging.getLogger("junction.cli").debug("after the command")
    [entry] = json_lines(capsys)
    assert (entry["level"], entry["message"]) == ("DEBUG", "after the command")


def test_scripts_threads_log_with_the_ids_of_their_transaction(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Scripts run on a thread pool: what their functions log still names the transaction."""
    import asyncio

    from junction.scripting.sandbox import Limits, evaluate

    configured(capsys, log_format="json")

    def setup(_context: object) -> None:  # runs on the scripts' thread, as functions do
        logging.getLogger("junction.scripting").warning("from the script thread")

    async def main() -> None:
        bound = bind_transaction(account_id="a", cycle_id="c", transaction_id="t")
        try:
            assert await evaluate("1 + 1", Limits(), setup) == 2
        finally:
            unbind(bound)

    asyncio.run(main())
    [entry] = json_lines(capsys)
    assert (entry["message"], entry["transaction_id"]) == ("from the script thread", "t")


def test_access_lines_leave_out_webhook_addresses_and_query_values(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configured(capsys, log_format="json")
    configured(capsys, log_format="json")  # its filter is not added twice
    access = logging.getLogger("uvicorn.access")
    line = '%s - "%s %s HTTP/%s" %d'
    for path in (
        "/api/webhook/s3cr3t-identifier",
        "/oauth/callback?state=st4te&code=c0de",
        "/v1.0/cycles?page=2&pageSize=50",
        "/api/webhook/",
    ):
        access.info(line, "127.0.0.1:5000", "POST", path, "1.1", 200)
    messages = [str(e["message"]) for e in json_lines(capsys)]
    assert messages == [
        '127.0.0.1:5000 - "POST /api/webhook/*** HTTP/1.1" 200',
        '127.0.0.1:5000 - "POST /oauth/callback?state=***&code=*** HTTP/1.1" 200',
        '127.0.0.1:5000 - "POST /v1.0/cycles?page=***&pageSize=*** HTTP/1.1" 200',
        '127.0.0.1:5000 - "POST /api/webhook/ HTTP/1.1" 200',
    ]
