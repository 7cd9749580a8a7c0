"""Decisions and mapping resolution, on plain values."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from junction.engine.conditions import decide, holds
from junction.engine.inputs import (
    MappingError,
    Scope,
    collection_size,
    item,
    merge_text,
    resolve,
    run_scripts,
)
from junction.engine.scheduler import next_slot
from junction.engine.transactions import Status, allowed
from junction.scripting.sandbox import Limits
from junction.templates.spec.models import Condition, Mapping


def scope(**values: object) -> Scope:
    return Scope(
        values=dict(values),
        variables={"ListName": "news", "Limit": "10"},
        last_successful_run=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
    )


def static(value: str) -> Mapping:
    return Mapping(MappingType="StaticValue", Value=value)


def step(key: str, field: str) -> Mapping:
    return Mapping(MappingType="StepData", SourceStepKey=key, SourceField=field)


@pytest.mark.parametrize(
    ("left", "operator", "right", "expected"),
    [
        ("active", "Equals", "ACTIVE", True),
        ("active", "NotEquals", "active", False),
        ("10", "Equals", "10.0", True),
        ("hello world", "Contains", "WORLD", True),
        ("hello", "NotContains", "x", True),
        ("hello", "StartsWith", "he", True),
        ("hello", "EndsWith", "lo", True),
        ("9", "GreaterThan", "10", False),  # numbers, not text ("9" > "10" as text)
        ("10", "GreaterThanOrEqual", "10", True),
        ("2026-01-02T00:00:00Z", "LessThan", "2026-01-03", True),
        ("b", "LessThanOrEqual", "a", False),
        ("", "IsEmpty", "", True),
        ("  ", "IsEmpty", "", True),
        ("x", "IsNotEmpty", "", True),
    ],
)
def test_each_operator(left: str, operator: str, right: str, expected: bool) -> None:
    condition = Condition(Left=static(left), Operator=operator, Right=static(right))
    assert holds(condition, scope()) is expected


def test_a_condition_on_a_collection_holds_when_any_item_matches() -> None:
    condition = Condition(Left=step("list", "Status"), Operator="Equals", Right=static("vip"))
    records = [{"Status": "new"}, {"Status": "VIP"}]
    assert holds(condition, scope(list=records))
    assert not holds(condition, scope(list=[{"Status": "new"}]))
    empty = Condition(Left=step("list", "Status"), Operator="IsEmpty")
    assert holds(empty, scope(list=[]))


def test_all_and_any() -> None:
    yes = Condition(Left=static("a"), Operator="Equals", Right=static("a"))
    no = Condition(Left=static("a"), Operator="Equals", Right=static("b"))
    assert decide([yes, no], "Any", scope())
    assert not decide([yes, no], "All", scope())


def test_mappings_resolve_from_steps_variables_and_mergefields() -> None:
    s = scope(hook={"Email": "a@example.com", "Address": {"City": "Leeds"}})
    assert resolve(step("hook", "Email"), s) == "a@example.com"
    assert resolve(step("hook", "Address.City"), s) == "Leeds"
    assert resolve(Mapping(MappingType="Variable", VariableName="ListName"), s) == "news"
    assert resolve(Mapping(MappingType="ValueList", Value="x"), s) == "x"
    assert resolve(Mapping(MappingType="Lookup", TriggerValue="t"), s) == "t"
    assert resolve(Mapping(), s) is None
    assert (
        merge_text("{{ListName}} since {{LastSuccessfulRunDate format=yyyy-MM-dd}} {{Other}}", s)
        == "news since 2026-01-02 {{Other}}"
    )


def test_a_mapping_from_a_step_that_has_not_run_is_an_error() -> None:
    with pytest.raises(MappingError, match="Required source is empty"):
        resolve(step("later", "Email"), scope())
    with pytest.raises(MappingError, match="no variable 'Nope'"):
        resolve(Mapping(MappingType="Variable", VariableName="Nope"), scope())
    with pytest.raises(MappingError, match="not evaluated before the step ran"):
        resolve(Mapping(MappingType="Script", Value="=1+1"), scope())


def test_script_mappings_are_evaluated_before_they_are_resolved() -> None:
    s = scope()
    good = Mapping(MappingType="Script", Value="=[1, 2].map(n => n * {{Factor}})")
    bad = Mapping(MappingType="Script", Value="=JSON.parse('{')")
    s.variables["Factor"] = "3"
    asyncio.run(run_scripts([good, bad, None], s, Limits(seconds=1)))
    assert resolve(good, s) == [3, 6]
    with pytest.raises(MappingError, match=r"Inline script '=JSON.parse\('\{'\)': SyntaxError"):
        resolve(bad, s)


def test_a_collection_maps_item_by_item() -> None:
    s = scope(list=[{"Email": "a@x"}, {"Email": "b@x"}])
    values = {"Email": resolve(step("list", "Email"), s), "List": "news"}
    assert collection_size(values) == 2
    assert [item(values, i) for i in range(2)] == [
        {"Email": "a@x", "List": "news"},
        {"Email": "b@x", "List": "news"},
    ]
    assert collection_size({"List": "news"}) is None


def test_schedule_slots_skip_missed_runs() -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    hour = timedelta(hours=1)
    assert next_slot(start, hour, start) == start + hour
    assert next_slot(start, hour, start + timedelta(hours=5, minutes=1)) == start + 6 * hour
    assert next_slot(start + hour, hour, start) == start + hour


def test_the_state_machine_allows_only_its_moves() -> None:
    assert allowed(Status.QUEUED, Status.RUNNING)
    assert allowed(Status.RUNNING, Status.WAITING)
    assert allowed(Status.WAITING, Status.RUNNING)
    assert allowed(Status.ERRORED, Status.QUEUED)  # replay
    assert not allowed(Status.COMPLETED, Status.QUEUED)
    assert not allowed(Status.QUEUED, Status.COMPLETED)
    assert not allowed(Status.WAITING, Status.COMPLETED)
