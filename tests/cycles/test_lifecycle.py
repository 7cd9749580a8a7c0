"""The cycle state machine (``cycles/lifecycle.py``): its table, every public path that
changes a cycle's state going through it with one new version each, and no other writer."""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import event, select

from junction.cycles import lifecycle
from junction.cycles.lifecycle import (
    CHANGE_OPTION,
    TRANSITIONS,
    Change,
    IllegalTransition,
    Phase,
)
from junction.cycles.models import Cycle
from junction.errors import Conflict
from tests.engine.hooks import wait_for
from tests.fixtures.crm import CrmApi
from tests.fixtures.engine_flows import InstalledFlow, install_flow, scheduled_sync, webhook_flow
from tests.fixtures.mailer import MailerApi
from tests.fixtures.server import Junction

NOW = datetime(2026, 1, 1)
SOURCE = Path(__file__).parents[2] / "src" / "junction"
# What only the lifecycle writes.
GUARDED = frozenset(
    {"status", "draining", "next_run_at", "stopped_at", "consecutive_errors", "version"}
)


@pytest.fixture
def crm() -> Iterator[CrmApi]:
    with CrmApi() as api:
        yield api


@pytest.fixture
def mailer() -> Iterator[MailerApi]:
    with MailerApi() as api:
        yield api


# -- the table ---------------------------------------------------------------------------


def test_the_table_refuses_what_it_does_not_list() -> None:
    for change in (Change.RUN_ONCE_STARTED, Change.PAUSE_FOR_ERRORS, Change.DRAINED):
        with pytest.raises(IllegalTransition) as refused:
            lifecycle.values(change, Phase.PAUSED, now=NOW)
        assert isinstance(refused.value, Conflict)  # answered 409
        assert refused.value.message.startswith("A cycle that is Paused cannot ")
    with pytest.raises(IllegalTransition, match="cannot be stopped by a step's error"):
        lifecycle.target(Phase.FINISHING, Change.STOP_INTEGRATION)
    # Every phase can be activated and deactivated, and the names cover every change.
    for moves in TRANSITIONS.values():
        assert {Change.ACTIVATE, Change.PAUSE, Change.PAUSE_AND_FINISH} <= set(moves)
    assert set().union(*TRANSITIONS.values()) == set(Change)


def test_each_change_writes_its_companions() -> None:
    start = datetime(2026, 1, 2)
    activated = lifecycle.values(Change.ACTIVATE, Phase.FINISHING, now=NOW, first_run=start)
    assert {k: v for k, v in activated.items() if k != "version"} == {
        "status": "Active",
        "draining": False,
        "next_run_at": start,
        "stopped_at": None,
        "consecutive_errors": 0,
        "updated_at": NOW,
    }
    assert str(activated["version"]) == "cycles.version + :version_1"
    finishing = lifecycle.values(Change.PAUSE_AND_FINISH, Phase.ACTIVE, now=NOW)
    assert (finishing["status"], finishing["draining"], finishing["stopped_at"]) == (
        "Paused",
        True,
        NOW,
    )
    # Deactivating a paused cycle with finishQueuedTransactions leaves nothing to finish.
    assert lifecycle.values(Change.PAUSE_AND_FINISH, Phase.PAUSED, now=NOW)["draining"] is False
    # The end of a drain is the one change that keeps the version.
    assert lifecycle.values(Change.DRAINED, Phase.FINISHING, now=NOW) == {
        "status": "Paused",
        "draining": False,
    }
    with pytest.raises(ValueError, match="several phases"):
        lifecycle.statement(Change.ACTIVATE, now=NOW)


def test_a_change_that_does_not_apply_is_refused_on_the_stored_cycle(
    junction: Junction, crm: CrmApi, mailer: MailerApi
) -> None:
    flow = install_flow(junction, crm, mailer, webhook_flow())

    async def start_one_run() -> str:
        async with junction.services.database.transaction() as session:
            cycle = await session.get(Cycle, flow.cycle_id)
            assert cycle is not None
            try:
                await lifecycle.apply(session, cycle, Change.RUN_ONCE_STARTED, now=NOW)
            except IllegalTransition as exc:
                return exc.message
        return "applied"

    assert junction.run(start_one_run()) == (
        "Cycle 'CRM to Mailer (webhook)' is Paused: it cannot start its one run"
    )
    assert _version(junction, flow.cycle_id) == 1


# -- every public path -------------------------------------------------------------------


class Recorder:
    """What the server writes to ``cycles``: the lifecycle's tag of each UPDATE, and any
    UPDATE of a guarded column that came from elsewhere."""

    def __init__(self) -> None:
        self.tags: list[str] = []
        self.untagged: list[str] = []

    def __call__(self, _conn: Any, _cursor: Any, sql: str, *_rest: Any) -> None:
        context = _rest[1]
        found = re.match(r"\s*UPDATE cycles SET (.*?)(?: WHERE |$)", sql, re.S)
        if found is None:
            return
        tag = context.execution_options.get(CHANGE_OPTION)
        if tag is not None:
            self.tags.append(tag)
        elif GUARDED & set(re.findall(r"(\w+)\s*=", found.group(1))):
            self.untagged.append(sql)

    def versioned(self) -> list[str]:
        """The changes that make a new version (the engine's bookkeeping left out)."""
        made = {c.value for c in lifecycle.NEW_VERSION} | {"Touch"}
        return [tag for tag in self.tags if tag in made]


@pytest.fixture
def recorder(junction: Junction) -> Iterator[Recorder]:
    recorder = Recorder()
    engines = {junction.services.database.engine.sync_engine}
    if junction.engine is not None:
        engines.add(junction.engine.database.engine.sync_engine)
    for engine in engines:
        event.listen(engine, "before_cursor_execute", recorder)
    yield recorder
    for engine in engines:
        event.remove(engine, "before_cursor_execute", recorder)


def _version(junction: Junction, cycle_id: str) -> int:
    async def read() -> int:
        async with junction.services.database.transaction(read_only=True) as session:
            version = await session.scalar(select(Cycle.version).where(Cycle.id == cycle_id))
            assert version is not None
            return version

    return junction.run(read())


def _state(junction: Junction, cycle_id: str) -> tuple[str, bool]:
    async def read() -> tuple[str, bool]:
        async with junction.services.database.transaction(read_only=True) as session:
            row = (
                await session.execute(
                    select(Cycle.status, Cycle.draining).where(Cycle.id == cycle_id)
                )
            ).one()
            return str(row[0]), bool(row[1])

    return junction.run(read())


def _ok(answer: httpx.Response) -> dict[str, Any]:
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


class Driver:
    """Runs one public action and checks it made ``expected`` through the lifecycle, and
    exactly one new version."""

    def __init__(self, junction: Junction, recorder: Recorder, flow: InstalledFlow) -> None:
        self.junction, self.recorder, self.flow = junction, recorder, flow
        self.path = f"/v1.0/cycles/{flow.cycle_id}"
        self.made: list[str] = []

    def version(self) -> int:
        return _version(self.junction, self.flow.cycle_id)

    def state(self) -> tuple[str, bool]:
        return _state(self.junction, self.flow.cycle_id)

    def expect(self, expected: str, action: Callable[[], object]) -> None:
        before = self.version()
        self.recorder.tags.clear()
        action()
        # The engine's changes happen after the call that causes them is answered.
        wait_for(lambda: self.version() != before)
        assert self.version() == before + 1, expected
        assert self.recorder.untagged == []
        wait_for(lambda: self.recorder.versioned() == [expected])
        self.made.append(expected)

    def call(self, url: str, email: str) -> None:
        _ok(httpx.post(url, json={"email": email, "name": email, "status": "active"}))

    def ended(self, count: int) -> None:
        def done() -> bool:
            answer = self.flow.account.get(f"{self.path}/transactions", params={"pageSize": 100})
            assert answer.status_code == 200, answer.text
            items: list[dict[str, Any]] = answer.json()
            return len(items) == count and all(
                t["Status"] in ("Completed", "Errored", "Stopped") for t in items
            )

        wait_for(done)


def test_every_public_path_goes_through_the_lifecycle_with_one_version_each(
    junction: Junction, crm: CrmApi, mailer: MailerApi, recorder: Recorder
) -> None:
    engine = junction.engine
    assert engine is not None
    limit = engine.options.consecutive_error_limit
    engine.options.consecutive_error_limit = 0
    try:
        _every_path(junction, crm, mailer, recorder)
    finally:
        engine.options.consecutive_error_limit = limit


def _every_path(junction: Junction, crm: CrmApi, mailer: MailerApi, recorder: Recorder) -> None:
    engine = junction.engine
    assert engine is not None
    flow = install_flow(junction, crm, mailer, webhook_flow())
    cycle = Driver(junction, recorder, flow)
    path, account = cycle.path, flow.account
    url = ""

    def activate(body: dict[str, Any] | None = None) -> None:
        nonlocal url
        url = _ok(account.put(f"{path}/activate", json=body or {}))["Webhooks"][0]["Url"]

    def configure(**settings: Any) -> None:
        _ok(account.put(path, json=settings))

    def housekeep() -> None:
        junction.run(junction.dispatcher.housekeep())

    # Activate, then deactivate: stop now.
    cycle.expect("Activate", activate)
    assert cycle.state() == ("Active", False)
    cycle.expect("Pause", lambda: _ok(account.put(f"{path}/deactivate")))
    assert cycle.state() == ("Paused", False)

    # Deactivate with finishQueuedTransactions: Finishing until housekeeping sees it drained,
    # which keeps the version.
    cycle.expect("Activate", activate)
    cycle.expect(
        "PauseAndFinish",
        lambda: _ok(account.put(f"{path}/deactivate", params={"finishQueuedTransactions": "true"})),
    )
    assert cycle.state() == ("Paused", True)
    drained = cycle.version()
    housekeep()
    assert cycle.state() == ("Paused", False)
    assert cycle.version() == drained

    # A step's error action Stop the integration (a settings edit: one new version too).
    cycle.expect("Touch", lambda: configure(StepErrorAction="StopIntegration"))
    cycle.expect("Activate", activate)
    mailer.fail_next(1, 500)
    cycle.expect("StopIntegration", lambda: cycle.call(url, "stop@example.com"))
    cycle.ended(1)
    assert cycle.state() == ("Paused", False)

    # The consecutive error limit.
    cycle.expect("Touch", lambda: configure(StepErrorAction="Ignore"))
    cycle.expect("Activate", activate)
    engine.options.consecutive_error_limit = 2
    mailer.fail_next(2, 500)
    cycle.call(url, "error1@example.com")
    cycle.ended(2)
    cycle.expect("PauseForErrors", lambda: cycle.call(url, "error2@example.com"))
    cycle.ended(3)
    engine.options.consecutive_error_limit = 0
    assert cycle.state() == ("Paused", False)

    # RunOnce, started by a webhook call.
    cycle.expect("Activate", lambda: activate({"RunOnce": True}))
    cycle.expect("RunOnceStarted", lambda: cycle.call(url, "once@example.com"))
    assert cycle.state() == ("Paused", True)
    cycle.ended(4)
    housekeep()
    assert cycle.state() == ("Paused", False)

    # An upgrade to a release the cycle is not set up for pauses it: one new version.
    cycle.expect("Activate", activate)
    second = webhook_flow()
    add = next(s for s in second["Steps"] if s["Key"] == "add")
    add["FieldMappings"] = [m for m in add["FieldMappings"] if m["Name"] != "Email"]
    template = f"/v1.0/templates/{flow.template_id}"
    assert flow.partner.post(f"{template}/releases", json=second).status_code == 201
    live = flow.partner.put(f"{template}/releases/2/status", json={"Status": "Live"})
    assert live.status_code == 200, live.text
    upgraded: dict[str, Any] = {}
    cycle.expect("UpgradePause", lambda: upgraded.update(_ok(account.put(f"{path}/upgrade"))))
    assert upgraded["Deactivated"] is True
    assert cycle.state() == ("Paused", False)

    # RunOnce, started by the scheduler.
    scheduled = install_flow(junction, crm, mailer, scheduled_sync())
    timed = Driver(junction, recorder, scheduled)
    start = junction.clock.now + timedelta(hours=1)
    body = {"StartTime": start.isoformat(), "RunOnce": True}
    timed.expect(
        "Activate", lambda: _ok(scheduled.account.put(f"{timed.path}/activate", json=body))
    )

    def due() -> None:
        junction.clock.advance(timedelta(hours=1))
        junction.run(junction.dispatcher.tick())  # (or the dispatcher's own, if sooner)

    timed.expect("RunOnceStarted", due)
    assert timed.state() == ("Paused", True)

    assert set(cycle.made + timed.made) == {c.value for c in lifecycle.NEW_VERSION} | {"Touch"}


# -- no other writer ---------------------------------------------------------------------


def _cycle_like(node: ast.expr) -> bool:
    """``cycle``, ``structure.cycle``, ``self.cycle``, ``found[0]``... named like a cycle."""
    while isinstance(node, ast.Subscript):
        node = node.value
    name = node.attr if isinstance(node, ast.Attribute) else getattr(node, "id", "")
    return "cycle" in name.lower()


def _names_cycle(node: ast.AST) -> bool:
    """Whether an expression mentions the Cycle model (``update(Cycle)``, ``Cycle.__table__``,
    a table named ``cycles``)."""
    return any(
        (isinstance(n, ast.Name) and n.id in ("Cycle", "cycles"))
        or (isinstance(n, ast.Constant) and n.value == "cycles")
        for n in ast.walk(node)
    )


def _guarded_keys(call: ast.Call) -> set[str]:
    keys = {k.arg for k in call.keywords if k.arg in GUARDED}
    for argument in call.args:
        if isinstance(argument, ast.Dict):
            keys |= {
                k.value for k in argument.keys if isinstance(k, ast.Constant) and k.value in GUARDED
            }
    return {k for k in keys if k is not None}


def writes_of_cycle_state(source: str) -> list[str]:
    """Every write of a guarded cycle column in ``source``: attribute assignments on
    something named like a cycle, ``.values(...)`` of an UPDATE or INSERT of cycles, and
    ``Cycle(...)`` given one."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = list(node.targets)
        elif isinstance(node, ast.AugAssign | ast.AnnAssign):
            targets = [node.target]
        for target in targets:
            for item in target.elts if isinstance(target, ast.Tuple) else [target]:
                if (
                    isinstance(item, ast.Attribute)
                    and item.attr in GUARDED
                    and _cycle_like(item.value)
                ):
                    found.append(f"line {getattr(node, 'lineno', 0)}: .{item.attr} =")
        if not isinstance(node, ast.Call):
            continue
        if isinstance(node.func, ast.Attribute) and node.func.attr == "values":
            keys = _guarded_keys(node)
            if keys and _names_cycle(node.func.value):
                found.append(f"line {node.lineno}: .values({', '.join(sorted(keys))})")
        if isinstance(node.func, ast.Name) and node.func.id == "Cycle" and _guarded_keys(node):
            found.append(f"line {node.lineno}: Cycle({', '.join(sorted(_guarded_keys(node)))})")
    return found


@pytest.mark.parametrize(
    "write",
    [
        'cycle.status = "Paused"',
        "cycle.status, cycle.draining = 'Paused', True",
        "structure.cycle.next_run_at = None",
        "loaded.cycle.version += 1",
        "cycle.consecutive_errors: int = 0",
        'update(Cycle).where(Cycle.id == i).values(status="Paused")',
        "update(Cycle).values(draining=False).execution_options(synchronize_session=False)",
        'update(Cycle).values({"stopped_at": now})',
        "cycles.update().values(version=cycles.c.version + 1)",
        'Cycle(id=i, name="n", status="Active")',
    ],
)
def test_the_scan_finds_a_write(write: str) -> None:
    assert writes_of_cycle_state(write), write


def test_the_scan_leaves_other_objects_alone() -> None:
    others = [
        'outcome.status = "Warning"',
        'release.status = "Live"',
        "update(Transaction).values(status=Status.QUEUED.value)",
        "cycle.name = name",
        "Cycle(id=i, name=n)",
    ]
    assert [w for w in others if writes_of_cycle_state(w)] == []


def test_only_the_lifecycle_writes_a_cycles_state() -> None:
    owner = SOURCE / "cycles" / "lifecycle.py"
    migrations = SOURCE / "db" / "migrations"
    found = {
        str(path.relative_to(SOURCE)): writes
        for path in sorted(SOURCE.rglob("*.py"))
        if path != owner and migrations not in path.parents
        for writes in [writes_of_cycle_state(path.read_text())]
        if writes
    }
    assert found == {}
