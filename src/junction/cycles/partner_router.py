"""Partner-level cycle routes: upgrading every installation of a template at once."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from junction.api.context import Context, Session
from junction.api.ids import GuidId
from junction.cycles import upgrade

router = APIRouter(tags=["Templates"])


@router.post(
    "/templates/{template_id}/upgrade-installed",
    summary="Upgrade every installed cycle of a template (Junction extension)",
    description="Each cycle of the template, in every account, that runs an older release is "
    "upgraded to the newest Live one, as PUT /v1.0/cycles/{id}/upgrade does. Answers one "
    "report per cycle: `CycleId`, `AccountId`, `FromVersion`, `ToVersion`, `NotCarriedOver`, "
    "`Deactivated`, or `Error` for a cycle that could not be upgraded (it is left as it was).",
)
async def upgrade_installed(template_id: GuidId, session: Session, context: Context) -> Any:
    return await upgrade.upgrade_installed(
        session=session, keyring=context.keyring, template_id=template_id, now=context.clock()
    )
