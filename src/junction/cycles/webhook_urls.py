"""Webhook URLs: every cycle step gets an unguessable identifier when it is created; a step
that is its cycle's webhook trigger is reached at ``{public base}/api/webhook/{identifier}``."""

from __future__ import annotations

import secrets

from junction.cycles.models import CycleStep
from junction.cycles.structure import Structure

WEBHOOK_PATH = "/api/webhook/"


def new_identifier() -> str:
    return secrets.token_urlsafe(24)


def url_of(base_url: str, identifier: str) -> str:
    return f"{base_url}{WEBHOOK_PATH}{identifier}"


def ensure_identifier(cycle_step: CycleStep) -> None:
    if cycle_step.webhook_identifier is None:
        cycle_step.webhook_identifier = new_identifier()


def webhook_steps(structure: Structure) -> list[CycleStep]:
    """The step that receives the cycle's webhook calls (none for a scheduled cycle)."""
    trigger = structure.trigger()
    if trigger is None or not structure.is_webhook_triggered():
        return []
    return [trigger]


def webhooks_out(structure: Structure, base_url: str) -> list[dict[str, str]]:
    return [
        {
            "StepId": step.id,
            "StepName": str(step.document.get("Name", "")),
            "Url": url_of(base_url, step.webhook_identifier),
        }
        for step in webhook_steps(structure)
        if step.webhook_identifier is not None
    ]
