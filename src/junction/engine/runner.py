"""Running a claimed transaction from its current step until it ends or waits.

Steps that only look at the transaction's own data (a webhook trigger reading its payload,
Decisions, WebhookResponse) are checkpointed together with the next step that calls out,
so a webhook → map → POST transaction costs one checkpoint; a step that calls a
third-party API is always checkpointed before the next one runs. After a crash the
transaction resumes at its last checkpoint: steps after it run again (at least once).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import InterfaceError, OperationalError

from junction import logs
from junction.clock import Clock
from junction.connectors.calls.connections import Connection
from junction.connectors.calls.gateway import ConnectorGateway
from junction.connectors.runtime import Runtime
from junction.cycles.models import Cycle, CycleStep
from junction.db.engine import Database
from junction.engine import checkpoints, outcomes
from junction.engine import transactions as tx
from junction.engine.executors import StepContext, execute
from junction.engine.inputs import Scope
from junction.engine.models import SeenItem
from junction.engine.notify import Notifier
from junction.engine.outcomes import Outcome
from junction.engine.plans import CyclePlan, PlanCache, StepPlan
from junction.metrics import Metrics
from junction.scripting import workers
from junction.scripting.sandbox import Limits
from junction.templates.spec.models import ErrorAction, StepKind
from junction.utilities import operations as utilities
from junction.utilities.operations import UtilityContext
from junction.utilities.script_storage import storage_for

log = logging.getLogger("junction.engine")

# Webhook calls waiting for a WebhookResponse step, by transaction id.
Waiters = dict[str, asyncio.Future[tuple[int, Any] | None]]
CHECKPOINT_RETRY_WAITS = (0.2, 1.0, 3.0)


class CheckpointFailed(Exception):
    """A checkpoint could not be written after retries (the database is unavailable)."""


# Steps that call an API or answer a webhook count whatever their outcome; tools count
# only when they raise an incident (accounts/usage.py states the whole rule).
_TASK_KINDS = frozenset({StepKind.METHOD, StepKind.WEBHOOK_RESPONSE})


def counts_as_task(step: StepPlan, outcome: Outcome) -> bool:
    """Whether this run of ``step`` is a billable task."""
    if step.kind in _TASK_KINDS:
        return True
    return outcome.failure is not None or outcome.warning is not None


@dataclass
class EngineOptions:
    owner: str
    lease: timedelta
    retry_schedule: list[int]
    consecutive_error_limit: int
    script_limits: Limits = field(default_factory=Limits)


@dataclass
class _Pending:
    """What the next checkpoint will write."""

    values: dict[str, Any]
    records: list[tx.StepRecord] = field(default_factory=list)
    incidents: list[tx.IncidentRecord] = field(default_factory=list)
    spawned: list[dict[str, Any]] = field(default_factory=list)
    last_successful_run: tuple[str, datetime] | None = None
    seen_items: list[str] = field(default_factory=list)


class Engine:
    """Runs transactions. One per process, shared by its workers."""

    def __init__(
        self,
        *,
        database: Database,
        gateway: ConnectorGateway,
        clock: Clock,
        notifier: Notifier,
        options: EngineOptions,
        plans: PlanCache | None = None,
        waiters: Waiters | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self.database = database
        self.metrics = metrics or Metrics()
        self.gateway = gateway
        self.runtime: Runtime = gateway.runtime
        self.clock = clock
        self.notifier = notifier
        self.options = options
        self.plans = plans or PlanCache()
        self.responses: Waiters = waiters if waiters is not None else {}
        self.on_checkpoint: Callable[[], None] = lambda: None
        self.checkpoints = checkpoints.CheckpointWriter(
            database=database,
            owner=options.owner,
            lease=options.lease,
            error_limit=lambda: self.options.consecutive_error_limit,
        )

    # -- what steps need -------------------------------------------------------------

    async def plan(self, cycle_id: str, version: int | None = None) -> CyclePlan | None:
        """The cycle's compiled plan; ``version`` (read with the claim) spares a read when the
        cached plan is that version."""
        if version is not None:
            cached = self.plans.get(cycle_id, version)
            if cached is not None:
                return cached
        async with self.database.transaction(read_only=True) as session:
            cycle = await session.get(Cycle, cycle_id)
            if cycle is None:
                return None
            return await self.plans.of(session=session, cycle=cycle)

    async def connection(self, account_connector_id: int) -> Connection:
        return await self.gateway.connection(account_connector_id)

    async def already_seen(self, step_id: str, keys: list[str]) -> set[str]:
        seen: set[str] = set()
        async with self.database.transaction(read_only=True) as session:
            for start in range(0, len(keys), 500):
                chunk = keys[start : start + 500]
                rows = await session.scalars(
                    select(SeenItem.item_key).where(
                        SeenItem.cycle_step_id == step_id, SeenItem.item_key.in_(chunk)
                    )
                )
                seen.update(rows)
        return seen

    async def last_successful_run(self, step_id: str) -> datetime | None:
        async with self.database.transaction(read_only=True) as session:
            value: datetime | None = await session.scalar(
                select(CycleStep.last_successful_run_at).where(CycleStep.id == step_id)
            )
        return value

    # -- running ---------------------------------------------------------------------

    async def run(self, claimed: tx.Claimed) -> None:
        # Every line logged while it runs, here or in what it calls, carries its ids.
        bound = logs.bind_transaction(
            account_id=claimed.account_id, cycle_id=claimed.cycle_id, transaction_id=claimed.id
        )
        # Its scripts count against its account's share of the script threads.
        scripts_bound = workers.bind_account(claimed.account_id)
        try:
            if claimed.previous_owner not in (None, self.options.owner):
                log.info(
                    "took over the lease of %s, which had expired",
                    claimed.previous_owner,
                    extra={"previous_owner": claimed.previous_owner},
                )
            await self._run(claimed)
        except tx.LeaseLost:
            log.info("transaction %s was taken over by another process", claimed.id)
        except (CheckpointFailed, OperationalError, InterfaceError):
            # The database is unreachable: the lease runs out and the transaction resumes
            # from its last checkpoint, here or in another process.
            log.exception("transaction %s set aside: the database is unavailable", claimed.id)
        except Exception:
            log.exception("transaction %s failed inside the engine", claimed.id)
            await self._give_up(claimed)
        finally:
            if not claimed.waiting:
                # A webhook call waiting for a WebhookResponse that will not come now.
                self._answer(claimed.id, None)
            workers.unbind_account(scripts_bound)
            logs.unbind(bound)

    async def _give_up(self, claimed: tx.Claimed) -> None:
        """An unexpected failure ends the transaction Errored (visible, replayable)
        rather than leaving it to be retried forever."""
        try:
            await self._write(
                claimed,
                tx.Checkpoint(
                    status=tx.Status.ERRORED,
                    step_id=claimed.step_id,
                    values=claimed.values,
                    message="Junction could not run this step; see the server log",
                    keep_payload=True,
                ),
                None,
            )
        except Exception:
            log.exception("could not record the failure of transaction %s", claimed.id)

    async def _run(self, claimed: tx.Claimed) -> None:
        plan = await self.plan(claimed.cycle_id, claimed.cycle_version)
        if plan is None:
            return  # the cycle was deleted, and its transactions with it
        pending = _Pending(values=dict(claimed.values))
        step_id = claimed.step_id
        attempt = claimed.attempt
        while True:
            step = plan.steps.get(step_id) if step_id else None
            if step is None:
                status = tx.Status.COMPLETED if step_id is None else tx.Status.ERRORED
                message = None if step_id is None else "The step to run no longer exists"
                await self._finish(claimed, plan, pending, status, step_id, message)
                return
            now = self.clock()
            started = time.perf_counter()
            # Only a Get trigger keeps a LastSuccessfulRunDate. Unset, its first real run
            # starts from when the run was queued (no backfill; a retry of that run asks
            # from the same time). Other steps see it unset (1970-01-01).
            last_run = None
            if step.is_trigger and not step.is_webhook:
                last_run = await self.last_successful_run(step.id) or claimed.created_at
            outcome = await execute(
                step,
                StepContext(
                    script_limits=self.options.script_limits,
                    runtime=self.runtime,
                    connection=self.connection,
                    already_seen=self.already_seen,
                    scope=Scope(
                        values=pending.values,
                        variables=plan.variables,
                        last_successful_run=last_run,
                    ),
                    payload=claimed.payload,
                    now=now,
                    log_requests=plan.settings.LogStepDataRequests,
                    script_values={
                        "cycle_id": claimed.cycle_id,
                        "cyclr_account_id": claimed.account_id,
                        "external_account_id": claimed.account_id,
                        "cycle_variables": dict(plan.variables),
                    },
                    storage=lambda ac: storage_for(self._utility_context(claimed, ac)),
                    run_utility=lambda name, ac, inputs: utilities.run(
                        name, self._utility_context(claimed, ac), inputs
                    ),
                ),
            )
            record = tx.StepRecord(
                step_id=step.id,
                step_name=step.name,
                status=outcome.status,
                attempt=attempt + 1,
                started_at=now,
                duration_ms=round((time.perf_counter() - started) * 1000, 2),
                exchanges=outcome.exchanges,
                output=outcome.records if outcome.records is not None else outcome.output,
                message=outcome.message,
                task=counts_as_task(step, outcome),
            )
            self.metrics.step_duration.observe(record.duration_ms / 1000)
            if outcome.failure is not None:
                if await self._failed(claimed, plan, pending, step, outcome, record, attempt):
                    return
                step_id, attempt = step.next, 0
                continue
            pending.records.append(record)
            if outcome.warning is not None:
                pending.incidents.append(
                    tx.IncidentRecord(
                        "Warning", outcome.warning.short, outcome.warning.full, step.id, step.name
                    )
                )
            decision = self._advance(claimed, plan, pending, step, outcome)
            if decision is not None:
                status, next_id, due = decision
                if status is tx.Status.WAITING:
                    await self._write(
                        claimed,
                        self._change(pending, tx.Status.WAITING, next_id, due_at=due),
                        plan,
                    )
                    return
                await self._finish(claimed, plan, pending, status, next_id, outcome.message)
                return
            step_id, attempt = self._next_of(step, outcome), 0
            calls_out = step.kind is StepKind.METHOD and not (step.is_trigger and step.is_webhook)
            # A WebhookResponse is written at once: a process other than this one may be
            # waiting to read it and answer the webhook call.
            answered = step.kind is StepKind.WEBHOOK_RESPONSE
            if (calls_out or answered) and step_id is not None:
                await self._write(claimed, self._change(pending, tx.Status.RUNNING, step_id), plan)
                pending = _Pending(values=pending.values)

    def _utility_context(self, claimed: tx.Claimed, account_connector_id: int) -> UtilityContext:
        """What a utility operation or a script's storage function works in."""
        return UtilityContext(
            database=self.database,
            account_id=claimed.account_id,
            account_connector_id=account_connector_id,
            cycle_id=claimed.cycle_id,
            now=self.clock(),
            http=self.runtime.http,
        )

    @staticmethod
    def _next_of(step: StepPlan, outcome: Outcome) -> str | None:
        if outcome.branch is True:
            return step.on_true
        if outcome.branch is False:
            return step.on_false
        return step.next

    def _advance(
        self,
        claimed: tx.Claimed,
        plan: CyclePlan,
        pending: _Pending,
        step: StepPlan,
        outcome: Outcome,
    ) -> tuple[tx.Status, str | None, datetime | None] | None:
        """Record a successful step's effects; a (status, step, due) when the run stops here."""
        if outcome.response is not None:
            self._answer(claimed.id, outcome.response)
        if outcome.end:
            return tx.Status.COMPLETED, None, None
        if outcome.wait_until is not None:
            if outcome.output is not None:
                pending.values[step.key] = outcome.output
            return tx.Status.WAITING, step.next, outcome.wait_until
        if outcome.records is None:
            if outcome.output is not None:
                pending.values[step.key] = outcome.output
            return None
        records = outcome.records
        if outcome.run_started is not None:
            pending.last_successful_run = (step.id, outcome.run_started)
            pending.seen_items.extend(outcome.seen_ids)
        if step.is_trigger and not records:
            return tx.Status.COMPLETED, None, None  # nothing to hand on: see _finish
        if step.splits and len(records) > 1:
            pending.values[step.key] = records[0]
            now = self.clock()
            for record in records[1:]:
                pending.spawned.append(
                    tx.new_row(
                        account_id=claimed.account_id,
                        cycle_id=claimed.cycle_id,
                        step_id=step.next,
                        origin="Split",
                        parent_id=claimed.id,
                        now=now,
                        values=pending.values | {step.key: record},
                    )
                )
        elif len(records) == 1:
            pending.values[step.key] = records[0]
        else:
            pending.values[step.key] = records
        return None

    async def _failed(
        self,
        claimed: tx.Claimed,
        plan: CyclePlan,
        pending: _Pending,
        step: StepPlan,
        outcome: Outcome,
        record: tx.StepRecord,
        attempt: int,
    ) -> bool:
        """Apply the cycle's StepErrorAction; False when the transaction goes on."""
        failure = outcome.failure
        assert failure is not None
        pending.records.append(record)
        now = self.clock()

        def incident(level: str, short: str, full: str | None) -> None:
            pending.incidents.append(tx.IncidentRecord(level, short, full, step.id, step.name))

        if failure.retry_after is not None:
            # Rate limited: wait as the API asked, whatever the error action; not an attempt.
            incident("Warning", failure.short, failure.full)
            due = now + timedelta(seconds=max(failure.retry_after, 1))
            await self._write(
                claimed,
                self._change(pending, tx.Status.WAITING, step.id, due_at=due, attempt=attempt),
                plan,
            )
            return True
        action = plan.error_action
        schedule = self.options.retry_schedule
        retries = min(plan.settings.RetryAttempts, len(schedule))
        if action is ErrorAction.RETRY and outcome.calls > 1:
            # Retrying would repeat the calls that succeeded: like Cyclr, only steps that
            # make one request are retried.
            incident(
                "Error",
                failure.short,
                f"{failure.full}\n\nNot retried: the step made {outcome.calls} calls, one per "
                "item, and retrying would repeat those that succeeded.",
            )
            await self._finish(claimed, plan, pending, tx.Status.ERRORED, step.id, failure.short)
            return True
        if action is ErrorAction.RETRY and attempt < retries:
            due = now + timedelta(seconds=schedule[attempt])
            incident(
                "Warning",
                failure.short,
                f"{failure.full}\n\nAttempt {attempt + 1} of {retries + 1} failed; the next "
                f"is due at {due.isoformat()}.",
            )
            await self._write(
                claimed,
                self._change(pending, tx.Status.WAITING, step.id, due_at=due, attempt=attempt + 1),
                plan,
            )
            return True
        if action is ErrorAction.RETRY:
            incident("Error", outcomes.OUT_OF_RETRIES, failure.full)
            await self._finish(
                claimed, plan, pending, tx.Status.ERRORED, step.id, outcomes.OUT_OF_RETRIES
            )
            return True
        incident("Error", failure.short, failure.full)
        if action is ErrorAction.STOP_TRANSACTION:
            await self._finish(
                claimed, plan, pending, tx.Status.STOPPED, step.id, outcomes.TRANSACTION_STOPPED
            )
            return True
        if action is ErrorAction.STOP_INTEGRATION:
            await self._finish(
                claimed, plan, pending, tx.Status.ERRORED, step.id, failure.short, stop_cycle=True
            )
            return True
        if plan.settings.ContinueOnStepError and step.next is not None:
            return False
        await self._finish(claimed, plan, pending, tx.Status.ERRORED, step.id, failure.short)
        return True

    @staticmethod
    def _change(
        pending: _Pending,
        status: tx.Status,
        step_id: str | None,
        *,
        due_at: datetime | None = None,
        attempt: int = 0,
        message: str | None = None,
        discard: bool = False,
    ) -> tx.Checkpoint:
        return tx.Checkpoint(
            status=status,
            step_id=step_id,
            values=pending.values,
            records=pending.records,
            incidents=pending.incidents,
            spawned=pending.spawned,
            due_at=due_at,
            attempt=attempt,
            message=message,
            last_successful_run=pending.last_successful_run,
            seen_items=pending.seen_items,
            discard=discard,
        )

    async def _finish(
        self,
        claimed: tx.Claimed,
        plan: CyclePlan,
        pending: _Pending,
        status: tx.Status,
        step_id: str | None,
        message: str | None,
        *,
        stop_cycle: bool = False,
    ) -> None:
        # A trigger run that found no items leaves no transaction behind (only its
        # LastSuccessfulRunDate moves on), so schedules do not flood the reports.
        discard = (
            status is tx.Status.COMPLETED
            and claimed.steps_run == 0
            and plan.trigger is not None
            and claimed.step_id == plan.trigger.id
            and not plan.trigger.is_webhook
            and plan.trigger.key not in pending.values
            and not pending.incidents
        )
        change = self._change(pending, status, step_id, message=message, discard=discard)
        await self._write(claimed, change, plan, stop_cycle=stop_cycle)

    async def _write(
        self,
        claimed: tx.Claimed,
        change: tx.Checkpoint,
        plan: CyclePlan | None,
        *,
        stop_cycle: bool = False,
    ) -> None:
        """One checkpoint, then the notices it calls for."""
        now = self.clock()
        job = checkpoints.Job(claimed, change, plan is not None, stop_cycle, now)
        for wait in (*CHECKPOINT_RETRY_WAITS, None):
            try:
                paused = (await self.checkpoints.write(job)).paused
                break
            except (OperationalError, InterfaceError) as exc:
                # A busy or briefly unreachable database (SQLite's lock timeout, a failover,
                # a deadlock broken by PostgreSQL): nothing was written, so try again.
                if wait is None:
                    raise CheckpointFailed(str(exc)) from exc
                log.warning("checkpoint of %s failed (%s); retrying", claimed.id, exc)
                await asyncio.sleep(wait)
        if change.status in tx.ENDED and not change.discard:
            self.metrics.transactions_ended.labels(change.status.value).inc()
        if change.status is tx.Status.ERRORED:
            # One line per errored transaction (its ids come from bind_transaction).
            log.warning(
                "transaction ended Errored: %s", change.message, extra={"step_id": change.step_id}
            )
        if paused is not None:
            log.warning("cycle paused after %d transactions in a row ended with an error", paused)
        claimed.waiting = change.status is tx.Status.WAITING
        if not change.discard:
            claimed.values = change.values
            claimed.steps_run += len(change.records)
            claimed.step_id = change.step_id
            claimed.attempt = change.attempt
            for incident in change.incidents:
                if incident.level == "Error":
                    claimed.error_count += 1
                else:
                    claimed.warning_count += 1
        if change.spawned:
            self.on_checkpoint()  # new transactions to claim
        if plan is not None:
            self._notify(claimed, plan, change, paused, now)

    def _notify(
        self,
        claimed: tx.Claimed,
        plan: CyclePlan,
        change: tx.Checkpoint,
        paused: int | None,
        now: datetime,
    ) -> None:
        for incident in change.incidents:
            step = plan.steps.get(incident.step_id or "")
            self.notifier.transaction_incident(
                account_id=claimed.account_id,
                cycle_id=claimed.cycle_id,
                cycle_name=plan.name,
                transaction_id=claimed.id,
                step_id=incident.step_id,
                step_name=incident.step_name,
                step_type=step.kind.value if step else None,
                level=incident.level,
                message=incident.short_message,
                full=incident.full_message,
                when=now,
            )
        if paused is not None:
            self.notifier.cycle_paused(
                account_id=claimed.account_id,
                cycle_id=claimed.cycle_id,
                cycle_name=plan.name,
                errors=paused,
                when=now,
            )

    def _answer(self, transaction_id: str, response: tuple[int, Any] | None) -> None:
        waiter = self.responses.get(transaction_id)
        if waiter is not None and not waiter.done():
            waiter.set_result(response)
