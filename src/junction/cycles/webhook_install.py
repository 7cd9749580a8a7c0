"""Webhooks installed at the third-party API.

A Webhook method may name a hidden CreateWebhookMethod and DeleteWebhookMethod of its
connector. When a cycle whose trigger uses such a method is activated, the create method
registers the step's webhook URL (the ``Cyclr_Webhook_Url`` mergefield) and the id the API
answers (the response field whose SystemField is ``Cyclr_Webhook_Id``) is kept on the step;
deactivating calls the delete method with that id (``Cyclr_Webhook_Id``, as a mergefield
and as a parameter value).

The functions here either read what to call (with a session), make calls (without one: no
database transaction stays open while a third party answers), or record what the calls
did (with a session; they flush). ``activation_flow`` puts them in order.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace

from pydantic import BaseModel
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from junction.connectors.calls.connections import Connection
from junction.connectors.calls.gateway import ConnectorGateway
from junction.connectors.catalog import service as catalog
from junction.connectors.runtime import CallInput, Redactor, Runtime
from junction.connectors.spec.models import MethodSpec
from junction.cycles import webhook_urls
from junction.cycles.models import CycleStep
from junction.cycles.structure import Structure
from junction.engine.inputs import MappingError, Scope, resolve
from junction.errors import BadRequest, Conflict, JunctionError, UpstreamHttpError
from junction.templates.spec.models import MappingKind

log = logging.getLogger("junction.cycles")

WEBHOOK_URL = "Cyclr_Webhook_Url"
WEBHOOK_ID = "Cyclr_Webhook_Id"
# A delete answered with these found nothing to delete: the webhook is gone either way.
GONE_STATUSES = frozenset({404, 410})
ID_MAX_LENGTH = 255  # cycle_steps.external_webhook_id


@dataclass(frozen=True)
class Target:
    """A step whose webhook is, or is to be, installed at its connector's API."""

    step_id: str
    step_name: str
    connector_name: str
    account_connector_id: int | None
    webhook_identifier: str
    webhook_url: str
    # The id stored on the step when it was read (an installed webhook, or one whose
    # delete failed earlier).
    stored_id: str | None
    # The step is its cycle's trigger and its method has a CreateWebhookMethod.
    installs: bool
    create: MethodSpec | None
    delete: MethodSpec | None
    connection: Connection | None
    # The trigger step's own parameter values (a list or board chosen at set-up), by
    # name: webhooks often belong to such an object, so the create and delete methods get
    # them as parameters of the same name.
    parameters: dict[str, str] = field(default_factory=dict)
    # Why no call can be made; ``lasting``: nothing but a change of the connector or the
    # step can fix it (as opposed to, say, an account connector to authenticate again).
    problem: str | None = None
    lasting: bool = False

    @property
    def label(self) -> str:
        return f"Step '{self.step_name}'"


@dataclass(frozen=True)
class Created:
    target: Target
    webhook_id: str


class WebhookWarning(BaseModel):
    """An installed webhook that could not be deleted at the API."""

    StepId: str
    StepName: str
    WebhookId: str
    Message: str


class InstallFailed(BadRequest):
    """Activation refused: a webhook could not be installed at the API."""

    def __init__(self, target: Target, reason: str, upstream_status: int | None = None) -> None:
        super().__init__(
            f"{target.label}: its webhook could not be installed at the {target.connector_name} "
            f"API: {reason}"
        )
        self.target = target
        self.upstream_status = upstream_status

    def body(self) -> dict[str, object]:
        body: dict[str, object] = {
            "Message": self.message,
            "StepId": self.target.step_id,
            "StepName": self.target.step_name,
        }
        if self.upstream_status is not None:
            body["UpstreamStatus"] = self.upstream_status
        return body


# -- what to call ---------------------------------------------------------------------------


async def targets(
    *,
    session: AsyncSession,
    gateway: ConnectorGateway,
    structure: Structure,
    base_url: str,
) -> list[Target]:
    """The steps that install their webhook at the API, and those holding an installed
    webhook's id; with each its account connector opened for calls where it can be."""
    triggers = {step.id for step in webhook_urls.webhook_steps(structure)}
    found: list[Target] = []
    for cycle_step in structure.steps:
        method = structure.method_of(cycle_step)
        installs = (
            cycle_step.id in triggers and method is not None and bool(method.CreateWebhookMethod)
        )
        if not installs and cycle_step.external_webhook_id is None:
            continue
        found.append(
            await _target(
                session=session,
                gateway=gateway,
                structure=structure,
                cycle_step=cycle_step,
                method=method,
                installs=installs,
                base_url=base_url,
            )
        )
    return found


async def _target(
    *,
    session: AsyncSession,
    gateway: ConnectorGateway,
    structure: Structure,
    cycle_step: CycleStep,
    method: MethodSpec | None,
    installs: bool,
    base_url: str,
) -> Target:
    used = structure.connectors.get(cycle_step.account_connector_id or -1)
    identifier = cycle_step.webhook_identifier or ""
    base = Target(
        parameters=_step_parameters(structure, cycle_step),
        step_id=cycle_step.id,
        step_name=str(cycle_step.document.get("Name") or cycle_step.step_key),
        connector_name=used[1].name if used else "connector's",
        account_connector_id=cycle_step.account_connector_id,
        webhook_identifier=identifier,
        webhook_url=webhook_urls.url_of(base_url, identifier),
        stored_id=cycle_step.external_webhook_id,
        installs=installs,
        create=None,
        delete=None,
        connection=None,
    )
    if used is None:
        return _with_problem(base, "the step has no account connector any more", lasting=True)
    if method is None:
        return _with_problem(
            base, f"{used[1].name} {used[1].version} has no such method any more", lasting=True
        )
    definition = catalog.definition_of(used[1])
    create = catalog.method_by_uid(definition, method.CreateWebhookMethod or "")
    delete = catalog.method_by_uid(definition, method.DeleteWebhookMethod or "")
    if create is None or delete is None:
        return _with_problem(
            base,
            f"method '{method.Name}' of {used[1].name} {used[1].version} names no "
            "CreateWebhookMethod and DeleteWebhookMethod",
            lasting=True,
        )
    try:
        connection = await gateway.open(session=session, row=used[0])
    except JunctionError as exc:
        return _with_problem(replace(base, create=create, delete=delete), exc.message)
    return replace(base, create=create, delete=delete, connection=connection)


def _step_parameters(structure: Structure, cycle_step: CycleStep) -> dict[str, str]:
    """The values set on the step itself: a trigger has no earlier step to map from, and an
    inline script is left to the step's own run."""
    scope = Scope(
        values={},
        variables={
            str(v.get("SystemName")): str(v.get("Value") or "")
            for v in structure.cycle.variables
            if isinstance(v, dict)
        },
    )
    values: dict[str, str] = {}
    for mapping in structure.step_spec(cycle_step).Parameters:
        if mapping.MappingType in (MappingKind.STEP_DATA, MappingKind.SCRIPT):
            continue
        try:
            value = resolve(mapping, scope)
        except MappingError:
            continue  # a variable the cycle lacks: the call says what it misses
        if value is not None:
            values[mapping.Name] = str(value)
    return values


def _with_problem(target: Target, problem: str, *, lasting: bool = False) -> Target:
    return replace(target, problem=problem, lasting=lasting)


# -- the calls ------------------------------------------------------------------------------


async def create(*, runtime: Runtime, target: Target) -> Created:
    """Register the step's webhook URL at the API; InstallFailed when that does not work."""
    if target.connection is None or target.create is None:
        raise InstallFailed(target, target.problem or "it cannot be called")
    context = target.connection.context
    try:
        result = await runtime.call(
            target.connection.definition,
            target.create,
            context,
            CallInput(parameters=target.parameters, mergefields={WEBHOOK_URL: target.webhook_url}),
        )
    except JunctionError as exc:
        # Messages may quote a URL or the API's words; none may carry a credential out.
        reason = Redactor(secrets=context.sensitive_values).text(exc.message)
        status = exc.upstream_status if isinstance(exc, UpstreamHttpError) else None
        raise InstallFailed(target, reason, status) from exc
    value = result.records[0].get(WEBHOOK_ID) if result.records else None
    if isinstance(value, bool) or not isinstance(value, str | int) or str(value) == "":
        raise InstallFailed(
            target,
            f"the API answered HTTP {result.status} without a webhook id (method "
            f"'{target.create.Name}' needs a response field with SystemField {WEBHOOK_ID}, "
            "and the answer a value there)",
        )
    if len(str(value)) > ID_MAX_LENGTH:
        raise InstallFailed(
            target, f"the webhook id the API answered is over {ID_MAX_LENGTH} characters"
        )
    return Created(target, str(value))


async def delete(*, runtime: Runtime, target: Target, webhook_id: str) -> str | None:
    """Remove an installed webhook at the API: None when it is gone (or was already), else
    why it could not be removed."""
    if target.connection is None or target.delete is None:
        return target.problem or "it cannot be called"
    context = target.connection.context
    request = CallInput(
        # Cyclr's docs declare the id as a hidden MergeField parameter; a definition may
        # also just use the mergefield. Both get it.
        parameters={**target.parameters, WEBHOOK_ID: webhook_id},
        mergefields={WEBHOOK_ID: webhook_id, WEBHOOK_URL: target.webhook_url},
    )
    try:
        await runtime.call(target.connection.definition, target.delete, context, request)
    except UpstreamHttpError as exc:
        if exc.upstream_status in GONE_STATUSES:
            return None
        return Redactor(secrets=context.sensitive_values).text(exc.message)
    except JunctionError as exc:
        return Redactor(secrets=context.sensitive_values).text(exc.message)
    return None


async def delete_created(*, runtime: Runtime, created: list[Created]) -> None:
    """Best effort: webhooks installed by an activation that did not happen after all."""
    for item in created:
        problem = await delete(runtime=runtime, target=item.target, webhook_id=item.webhook_id)
        if problem is not None:
            log.warning(
                "%s: the webhook %r installed at the %s API could not be deleted again "
                "(remove it there): %s",
                item.target.label,
                item.webhook_id,
                item.target.connector_name,
                problem,
            )


async def delete_installed(*, runtime: Runtime, found: list[Target]) -> list[WebhookWarning]:
    """Delete every stored webhook of ``found``; the warnings of those that stay."""
    warnings: list[WebhookWarning] = []
    for target in found:
        if target.stored_id is None:
            continue
        problem = await delete(runtime=runtime, target=target, webhook_id=target.stored_id)
        if problem is None:
            continue
        if target.lasting:
            message = (
                f"{target.label}: the webhook {target.stored_id!r} at the "
                f"{target.connector_name} API cannot be deleted by Junction ({problem}); it "
                "is forgotten here, remove it at the API"
            )
        else:
            message = (
                f"{target.label}: the webhook {target.stored_id!r} could not be deleted at "
                f"the {target.connector_name} API ({problem}); Junction tries again at the "
                "next activation or deactivation"
            )
        log.warning("%s", message)
        warnings.append(
            WebhookWarning(
                StepId=target.step_id,
                StepName=target.step_name,
                WebhookId=target.stored_id,
                Message=message,
            )
        )
    return warnings


# -- recording what the calls did -------------------------------------------------------------


async def forget(*, session: AsyncSession, step_id: str, webhook_id: str) -> None:
    """Clear the step's id if it is still this one (a concurrent activation may have
    stored a newer webhook's id meanwhile, which stays)."""
    await session.execute(
        update(CycleStep)
        .where(CycleStep.id == step_id, CycleStep.external_webhook_id == webhook_id)
        .values(external_webhook_id=None)
        .execution_options(synchronize_session=False)
    )


def record(structure: Structure, created: list[Created], *, deleted: list[Target]) -> list[Created]:
    """Store the new ids on the (locked, freshly read) cycle's steps and clear those of the
    ``deleted`` webhooks; answer the new webhooks not needed after all, because a
    concurrent activation installed its own meanwhile."""
    by_id = {s.id: s for s in structure.steps}
    for target in deleted:
        cycle_step = by_id.get(target.step_id)
        if cycle_step is not None and cycle_step.external_webhook_id == target.stored_id:
            cycle_step.external_webhook_id = None
    extra: list[Created] = []
    for item in created:
        target = item.target
        cycle_step = by_id.get(target.step_id)
        if (
            cycle_step is None
            or cycle_step.account_connector_id != target.account_connector_id
            or cycle_step.webhook_identifier != target.webhook_identifier
        ):
            raise Conflict(
                f"Cycle '{structure.cycle.name}' changed while its webhooks were being "
                "installed; activate it again"
            )
        stored = cycle_step.external_webhook_id
        if stored is None or stored == target.stored_id:
            cycle_step.external_webhook_id = item.webhook_id
        else:
            extra.append(item)
    return extra
