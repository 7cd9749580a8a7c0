"""Scripts call Python functions and are still held to their time and memory limits."""

from __future__ import annotations

import time

import pytest
import quickjs

from junction.scripting.calls import allow_python_calls
from junction.scripting.functions import install
from junction.scripting.sandbox import Limits, ScriptError, run

QUICK = Limits(seconds=0.3, memory_bytes=16 * 1024 * 1024)


def limited() -> quickjs.Context:
    context = quickjs.Context()
    context.set_time_limit(QUICK.seconds)
    context.set_memory_limit(QUICK.memory_bytes)
    return context


def test_the_binding_alone_refuses_calls_under_a_time_limit() -> None:
    # Why allow_python_calls exists: should a release of the binding lift this, the
    # workaround can go.
    context = limited()
    context.add_callable("ping", lambda: "pong")
    with pytest.raises(quickjs.JSException, match="Can not call into Python"):
        context.eval("ping()")


def test_after_allowing_calls_other_callables_work_too() -> None:
    context = limited()
    context.add_callable("ping", lambda: "pong")
    allow_python_calls(context)
    assert context.eval("ping() + ping()") == "pongpong"
    assert "__junction_allow_calls" not in str(context.eval("Object.keys(globalThis)").json())


@pytest.mark.parametrize(
    "code",
    [
        pytest.param("while (true) {}", id="plain-loop"),
        pytest.param("while (true) { btoa('x'); }", id="loop-calling-python"),
        pytest.param("for (;;) { try { atob('!'); } catch (e) {} }", id="loop-catching-errors"),
    ],
)
def test_a_script_that_never_ends_is_still_stopped(code: str) -> None:
    started = time.monotonic()
    with pytest.raises(ScriptError, match="ran longer than its time limit"):
        run(code, QUICK, setup=install)
    assert time.monotonic() - started < 5


def test_the_memory_limit_still_holds() -> None:
    with pytest.raises(ScriptError, match="more memory than its limit"):
        run("var a = [], s = 'x'.repeat(100000); while (true) { a.push(btoa(s)); }", QUICK, install)


def test_without_a_time_limit_nothing_changes() -> None:
    context = quickjs.Context()
    install(context)
    assert context.eval("btoa('x')") == "eA=="
