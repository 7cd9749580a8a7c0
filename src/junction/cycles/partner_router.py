"""Partner-level cycle routes: upgrading every installation of a template at once."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from junction.api.context import Context, Session
from junction.cycles import upgrade
from junction.errors import JunctionError
from junction.templates import service as templates

router = APIRouter(tags=["Templates"])


@router.post(
    "/templates/{template_id}/upgrade-installed",
    summary="Upgrade every installed cycle of a template (Junction extension)",
    description="Each cycle of the template, in every account, that runs an older release is "
    "upgraded to the newest Live one, as PUT /v1.0/cycles/{id}/upgrade does. Answers one "
    "report per cycle: `CycleId`, `AccountId`, `FromVersion`, `ToVersion`, `NotCarriedOver`, "
    "`Deactivated`, or `Error` for a cycle that could not be upgraded (it is left as it was).",
)
async def upgrade_installed(template_id: str, session: Session, context: Context) -> Any:
    await templates.get_template(session=session, template_id=template_id)
    reports: list[dict[str, Any]] = []
    for cycle in await upgrade.upgradeable(session=session, template_id=template_id):
        report: dict[str, Any] = {"CycleId": cycle.id, "AccountId": cycle.account_id}
        try:
            # One cycle that cannot be upgraded (say, a connector it would need is not
            # installable) is reported and left as it was; the others still move.
            async with session.begin_nested():
                done = await upgrade.upgrade(
                    session=session, keyring=context.keyring, cycle=cycle, now=context.clock()
                )
            reports.append(report | done.body())
        except JunctionError as exc:
            reports.append(report | {"Error": exc.message})
    return reports
