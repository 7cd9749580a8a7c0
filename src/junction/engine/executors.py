"""Running one step: method calls through the connector runtime, and the tools.

Executors never touch a transaction's state: they return an ``Outcome`` and the runner
decides, through the state machine, where the transaction goes.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from junction.connectors.calls.connections import Connection, NotAuthenticated
from junction.connectors.runtime import (
    CallInput,
    Exchange,
    Redactor,
    Runtime,
    as_utc,
    map_records,
    parse_iso,
)
from junction.connectors.spec.validate import BUILTIN_PREFIX
from junction.engine import outcomes
from junction.engine.conditions import decide
from junction.engine.inputs import (
    MappingError,
    Scope,
    collection_size,
    item,
    resolve,
    run_scripts,
)
from junction.engine.outcomes import Failure, Outcome, detail, exchange_dict
from junction.engine.plans import StepPlan
from junction.engine.transactions import seen_key
from junction.errors import (
    CallInputError,
    ConnectorCallError,
    JunctionError,
    ScriptStopped,
    ScriptWarning,
    UpstreamRateLimited,
)
from junction.scripting.events import ScriptEnvironment
from junction.scripting.host import StorageFunction
from junction.scripting.sandbox import Limits
from junction.templates.spec.models import Mapping, StepKind

ConnectionGetter = Callable[[int], Awaitable[Connection]]
# (operation, account connector id, inputs) -> records: a Builtin connector's method.
UtilityRunner = Callable[[str, int, dict[str, Any]], Awaitable[list[dict[str, Any]]]]
SeenFilter = Callable[[str, list[str]], Awaitable[set[str]]]


@dataclass
class StepContext:
    runtime: Runtime
    connection: ConnectionGetter
    already_seen: SeenFilter  # (step id, item ids) -> the ids handed on before
    scope: Scope
    payload: Any  # the webhook body, for a webhook trigger
    now: datetime
    log_requests: bool
    run_utility: UtilityRunner
    script_limits: Limits = field(default_factory=Limits)
    # What scripts see of the run (cycle_id, cyclr_account_id, cycle_variables...), and
    # their storage functions for an account connector.
    script_values: dict[str, Any] = field(default_factory=dict)
    storage: Callable[[int], StorageFunction] | None = None


def _mappings_of(step: StepPlan) -> list[Mapping | None]:
    spec = step.spec
    found: list[Mapping | None] = [*spec.Parameters, *spec.FieldMappings, spec.WaitUntil]
    for condition in spec.Conditions:
        found += [condition.Left, condition.Right]
    return found


async def execute(step: StepPlan, ctx: StepContext) -> Outcome:
    kind = step.kind
    await run_scripts(_mappings_of(step), ctx.scope, ctx.script_limits)
    try:
        if kind is StepKind.METHOD:
            if step.is_trigger and step.is_webhook:
                return await _webhook_trigger(step, ctx)
            return await _method(step, ctx)
        if kind is StepKind.DECISION:
            return Outcome(branch=decide(step.spec.Conditions, step.spec.Combine, ctx.scope))
        if kind is StepKind.DELAY:
            return Outcome(wait_until=ctx.now + timedelta(seconds=step.spec.DelaySeconds or 0))
        if kind is StepKind.WAIT_UNTIL:
            return _wait_until(step, ctx)
        if kind is StepKind.STOP:
            return Outcome(end=True, message=f"Ended by the Stop step '{step.name}'")
        if kind is StepKind.WEBHOOK_RESPONSE:
            return _webhook_response(step, ctx)
        return Outcome()  # annotations are not on any path
    except MappingError as exc:
        text = str(exc)
        short = outcomes.SOURCE_EMPTY if text.startswith(outcomes.SOURCE_EMPTY) else text
        return Outcome(status="Error", failure=Failure(short, text), message=text)


def _inputs(step: StepPlan, scope: Scope) -> tuple[dict[str, Any], dict[str, Any]]:
    parameters = {}
    for mapping in step.spec.Parameters:
        value = resolve(mapping, scope)
        if value is not None:
            parameters[mapping.Name] = value
    fields = {}
    for mapping in step.spec.FieldMappings:
        value = resolve(mapping, scope)
        if value is not None:
            fields[mapping.Name] = value
    return parameters, fields


def _text_parameters(parameters: dict[str, Any]) -> dict[str, str]:
    return {k: "" if v is None else str(v) for k, v in parameters.items()}


async def _method(step: StepPlan, ctx: StepContext) -> Outcome:
    assert step.method is not None
    assert step.definition is not None
    if step.account_connector_id is None:
        text = f"Step '{step.name}' has no account connector"
        return Outcome(status="Error", failure=Failure(outcomes.FAILED_TO_AUTHENTICATE, text))
    if step.definition.Builtin:
        return await _utility(step, ctx, step.account_connector_id)
    try:
        connection = await ctx.connection(step.account_connector_id)
    except NotAuthenticated as exc:
        return Outcome(
            status="Error",
            failure=Failure(outcomes.FAILED_TO_AUTHENTICATE, exc.message),
            message=exc.message,
        )
    parameters, fields = _inputs(step, ctx.scope)
    run_started = ctx.now if step.is_trigger else None
    last_run = ctx.scope.last_successful_run
    calls_made = 0
    exchanges: list[Exchange] = []
    records: list[dict[str, Any]] = []
    branches: list[bool] = []
    stopped: list[str] = []
    warned: list[str] = []
    redactor = Redactor(secrets=connection.context.sensitive_values)
    script = _script_environment(step, ctx)
    definition, method, runtime = step.definition, step.method, ctx.runtime
    try:
        size = collection_size(parameters | fields)
        calls = (
            [item(parameters | fields, i) for i in range(size)] if size else [parameters | fields]
        )
        for made, values in enumerate(calls, start=1):
            calls_made = made
            call_input = CallInput(
                parameters=_text_parameters({k: v for k, v in values.items() if k in parameters}),
                fields={k: v for k, v in values.items() if k in fields},
                last_successful_run_date=last_run,
                script=script,
            )
            try:
                if step.pages:
                    concludes = runtime.concludes(definition, method, call_input)
                    bodies: list[Any] = []
                    async for page in runtime.pages(
                        definition, method, connection.context, call_input
                    ):
                        exchanges.append(page.exchange)
                        if concludes:
                            bodies.append(page.body)
                        else:
                            records.extend(page.records)
                    if concludes:
                        _, found, branch = await runtime.conclude(
                            definition, method, call_input, bodies
                        )
                        records.extend(found)
                        if branch is not None:
                            branches.append(branch)
                else:
                    result = await runtime.call(definition, method, connection.context, call_input)
                    exchanges.extend(result.exchanges)
                    records.extend(result.records or ([{}] if not method.ResponseFields else []))
                    if result.branch is not None:
                        branches.append(result.branch)
            except ScriptStopped as exc:
                stopped.append(exc.message)  # that call is skipped; the others go on
            except ScriptWarning as exc:
                # after_error made this call's failure a warning: the others go on.
                exchanges.extend(exc.exchanges)
                warned.append(redactor.text(exc.message))
    except JunctionError as exc:
        if isinstance(exc, ConnectorCallError):
            exchanges.extend(exc.exchanges)
        text = redactor.text(exc.message)
        if isinstance(exc, UpstreamRateLimited):
            failure = Failure(outcomes.RATE_LIMITED, text, retry_after=exc.retry_after)
        elif isinstance(exc, CallInputError):
            failure = Failure(outcomes.FAILED_TO_BUILD, text)
        elif isinstance(exc, ConnectorCallError):
            failure = Failure(
                outcomes.FAILED_TO_CALL, detail(text, exchanges, bodies=ctx.log_requests)
            )
        else:
            failure = Failure(outcomes.FAILED_TO_CALL, text)
        return Outcome(
            status="Warning" if failure.retry_after is not None else "Error",
            failure=failure,
            exchanges=_logged(exchanges, ctx),
            message=text,
            calls=calls_made,
        )
    next_run = script.next_last_successful_run_date
    if run_started is not None and next_run:
        # An after_action_paging handler chose where the next run starts from.
        chosen = parse_iso(next_run)
        if chosen is None:
            text = f"next_last_successful_run_date '{next_run[:64]}' is not an ISO 8601 date"
            return Outcome(status="Error", failure=Failure(outcomes.NOT_A_DATE, text), message=text)
        run_started = chosen
    outcome = Outcome(
        records=records,
        exchanges=_logged(exchanges, ctx),
        run_started=run_started,
        calls=calls_made,
        message="; ".join(dict.fromkeys(stopped)) or None,
    )
    if warned:
        outcome.status = "Warning"
        outcome.message = "; ".join(warned)
        outcome.warning = Failure(
            outcomes.FAILED_TO_CALL, detail(warned[0], exchanges, bodies=ctx.log_requests)
        )
    if method.Conditional:
        # A call whose error was made a warning did not pass the condition.
        outcome.branch = bool(branches) and all(branches) and not warned
    if step.is_trigger and step.id_field:
        await _drop_seen(step, ctx, outcome)
    return outcome


def _script_environment(step: StepPlan, ctx: StepContext) -> ScriptEnvironment:
    """What the step's scripts share across the events of this run of the step."""
    return ScriptEnvironment(
        step_script=step.spec.Script,
        values=ctx.script_values | {"cycle_step_id": step.id},
        storage=(
            ctx.storage(step.account_connector_id)
            if ctx.storage and step.account_connector_id is not None
            else None
        ),
    )


async def _drop_seen(step: StepPlan, ctx: StepContext, outcome: Outcome) -> None:
    """Items a Get trigger handed on before are not handed on again. Every id of the run,
    new or not, is remembered as seen now."""
    assert step.id_field is not None
    assert outcome.records is not None
    keyed = [
        (None if r.get(step.id_field) is None else seen_key(r[step.id_field]), r)
        for r in outcome.records
    ]
    keys = list(dict.fromkeys(k for k, _ in keyed if k is not None))
    seen = await ctx.already_seen(step.id, keys)
    fresh: list[dict[str, Any]] = []
    for key, record in keyed:
        if key is None or key not in seen:
            fresh.append(record)
            if key is not None:
                seen.add(key)  # the same id twice in one run goes once
    outcome.records = fresh
    outcome.seen_ids = keys


async def _utility(step: StepPlan, ctx: StepContext, account_connector_id: int) -> Outcome:
    """A Builtin connector's method: an operation run in-process, item by item when its
    inputs map a collection."""
    assert step.method is not None
    name = step.method.Endpoint.removeprefix(BUILTIN_PREFIX)
    parameters, fields = _inputs(step, ctx.scope)
    whole_names = {
        f.SystemField or f.ConnectorField for f in step.method.RequestFields if f.WholeList
    }
    # WholeList inputs take a collection as one list (a single value is a list of one); the
    # others are called item by item.
    whole = {
        k: v if isinstance(v, list) else [v]
        for k, v in (parameters | fields).items()
        if k in whole_names
    }
    values = {k: v for k, v in (parameters | fields).items() if k not in whole_names}
    size = collection_size(values)
    calls = [item(values, i) | whole for i in range(size)] if size else [values | whole]
    records: list[dict[str, Any]] = []
    for made, inputs in enumerate(calls, start=1):
        try:
            records.extend(await ctx.run_utility(name, account_connector_id, inputs))
        except JunctionError as exc:
            return Outcome(
                status="Error",
                failure=Failure(outcomes.FAILED_TO_CALL, exc.message),
                message=exc.message,
                calls=made,
            )
    outcome = Outcome(records=records, calls=len(calls))
    if step.method.Conditional:
        # True when every call answered a true Result (the True exit: go on).
        outcome.branch = bool(records) and all(bool(r.get("Result")) for r in records)
    return outcome


def _logged(exchanges: list[Exchange], ctx: StepContext) -> list[dict[str, Any]]:
    if not ctx.log_requests:
        # Without request logging, step data keeps what happened but not the bodies.
        return [
            exchange_dict(e) | {"RequestBody": None, "ResponseBody": None, "RequestHeaders": {}}
            for e in exchanges
        ]
    return [exchange_dict(e) for e in exchanges]


async def _webhook_trigger(step: StepPlan, ctx: StepContext) -> Outcome:
    assert step.method is not None
    body = ctx.payload
    if step.definition is not None:
        # after_webhook may replace the call's body (fetching the full object, say) or
        # answer false to let the call go no further.
        call_input = CallInput(script=_script_environment(step, ctx))
        try:
            proceed, values = await ctx.runtime.fire_event(
                "after_webhook",
                step.definition,
                step.method,
                call_input,
                {"method_response": body},
                ("method_response",),
            )
        except JunctionError as exc:
            return Outcome(
                status="Error",
                failure=Failure(outcomes.WEBHOOK_FAILED, exc.message),
                message=exc.message,
            )
        if not proceed:
            return Outcome(records=[], message="The after_webhook handler answered false")
        body = values["method_response"]
    if step.method.ResponseFields:
        records = map_records(step.method, body)
    elif isinstance(body, list):
        records = [r if isinstance(r, dict) else {"Value": r} for r in body]
    else:
        records = [body if isinstance(body, dict) else {"Body": body}]
    return Outcome(records=records)


def _wait_until(step: StepPlan, ctx: StepContext) -> Outcome:
    if step.spec.WaitUntil is None:
        return Outcome(status="Error", failure=Failure(outcomes.WAIT_UNTIL_MISSING, step.name))
    value = resolve(step.spec.WaitUntil, ctx.scope)
    if isinstance(value, list):
        value = next((v for v in value if v not in (None, "")), None)
    when = as_utc(value) if isinstance(value, datetime) else parse_iso(str(value or ""))
    if when is None:
        text = f"'{value}' is not a date and time (ISO 8601)"
        return Outcome(status="Error", failure=Failure(outcomes.NOT_A_DATE, text), message=text)
    return Outcome(wait_until=when, output={"WaitUntil": when.isoformat()})


def _set_path(body: dict[str, Any], path: str, value: Any) -> None:
    parts = path.split(".")
    for part in parts[:-1]:
        inner = body.get(part)
        if not isinstance(inner, dict):
            inner = body[part] = {}
        body = inner
    body[parts[-1]] = value


def _webhook_response(step: StepPlan, ctx: StepContext) -> Outcome:
    body: dict[str, Any] = {}
    for mapping in step.spec.FieldMappings:
        _set_path(body, mapping.Name, resolve(mapping, ctx.scope))
    status = step.spec.ResponseStatus or 200
    return Outcome(output=body, response=(status, body))
