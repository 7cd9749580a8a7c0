"""The script sandbox: values out, errors with what went wrong, limits that hold, and no
state or host access shared between executions."""

from __future__ import annotations

import asyncio
import time

import pytest

from junction.scripting.sandbox import Limits, ScriptError, evaluate, run

QUICK = Limits(seconds=0.3, memory_bytes=16 * 1024 * 1024)


@pytest.mark.parametrize(
    ("code", "value"),
    [
        ("(100 * 2)", 200),
        ("`a` + 'b';", "ab"),
        ("'' === '' ? 'no value' : 'x'", "no value"),
        ("({a: 1, b: [1, 'two', null]})", {"a": 1, "b": [1, "two", None]}),
        ("[1, 2].map(x => x * 2)", [2, 4]),
        ("undefined", None),
        ("1.5 + 1", 2.5),
        ("true && !false", True),
    ],
)
def test_a_script_gives_its_last_value(code: str, value: object) -> None:
    assert run(code, QUICK) == value


def test_what_went_wrong_is_said() -> None:
    with pytest.raises(ScriptError, match=r"^Error: nope$"):
        run("throw new Error('nope')", QUICK)
    with pytest.raises(ScriptError, match="SyntaxError"):
        run("let = ;", QUICK)
    with pytest.raises(ScriptError, match="ReferenceError: 'missing' is not defined"):
        run("missing + 1", QUICK)


def test_a_script_that_never_ends_is_stopped_at_its_time_limit() -> None:
    started = time.monotonic()
    with pytest.raises(ScriptError, match="ran longer than its time limit"):
        run("while (true) {}", QUICK)
    assert time.monotonic() - started < 3


def test_a_huge_allocation_is_stopped_at_the_memory_limit() -> None:
    with pytest.raises(ScriptError, match="more memory than its limit"):
        run("const a = []; while (true) { a.push(new Array(100000).fill(1)); }", QUICK)
    with pytest.raises(ScriptError, match="more memory than its limit"):
        run("'x'.repeat(64 * 1024 * 1024)", QUICK)


def test_runaway_recursion_is_stopped() -> None:
    with pytest.raises(ScriptError):
        run("function f(n) { return f(n + 1) + 1; } f(0)", QUICK)


def test_nothing_of_one_execution_reaches_the_next() -> None:
    run(
        "Object.prototype.polluted = 'yes'; globalThis.leftOver = 42; Array.prototype.map = null",
        QUICK,
    )
    assert run("({}).polluted === undefined && typeof leftOver === 'undefined'", QUICK) is True
    assert run("[1].map(x => x + 1)", QUICK) == [2]


def test_no_host_is_within_reach() -> None:
    names = ["require", "process", "fetch", "std", "os", "XMLHttpRequest"]
    reach = "[" + ", ".join(f"typeof {name}" for name in names) + "]"
    assert run(reach, QUICK) == ["undefined"] * 6


def test_the_event_loop_goes_on_while_a_script_spins() -> None:
    async def main() -> int:
        spinning = asyncio.ensure_future(evaluate("while (true) {}", QUICK))
        ticks = 0
        while not spinning.done():
            await asyncio.sleep(0.01)
            ticks += 1
        with pytest.raises(ScriptError):
            spinning.result()
        return ticks

    assert asyncio.run(main()) >= 10
