"""The one place that mounts routers. Under /v1.0 a bearer token is required by default."""

from __future__ import annotations

from fastapi import Depends, FastAPI

from junction.accounts import router as accounts
from junction.api.text_guard import refuse_unstorable_text
from junction.audit import router as audit
from junction.auth import router as auth
from junction.auth.identity import authenticate, require_account, require_partner
from junction.connectors.accounts import custom_fields_router as custom_fields
from junction.connectors.accounts import router as account_connectors
from junction.connectors.calls import router as calls_router
from junction.connectors.catalog import custom_router as custom_connectors
from junction.connectors.catalog import router as connectors
from junction.cycles import partner_router as partner_cycles
from junction.cycles import router as cycles
from junction.cycles import steps_router as cycle_steps
from junction.embed import appearance_router as appearance
from junction.embed import marketplace_router as marketplaces
from junction.embed import router as embed
from junction.migration import router as migration
from junction.ops import router as ops
from junction.reports import router as reports
from junction.templates import authoring_router as template_authoring
from junction.templates import router as templates
from junction.webhooks import router as webhooks

API_PREFIX = "/v1.0"


def mount_routes(app: FastAPI) -> None:
    # Every route but the webhooks' (whose bodies are payloads, with rules of their own)
    # refuses text that the database cannot store.
    text_guard = [Depends(refuse_unstorable_text)]
    # Unauthenticated by necessity: this is where tokens come from.
    app.include_router(auth.token_router, dependencies=text_guard)
    app.include_router(calls_router.callback_router, dependencies=text_guard)
    # Public: the webhook's unguessable identifier is its secret.
    app.include_router(webhooks.router)
    # Probes and Prometheus hold no API token (/metrics has a setting of its own).
    app.include_router(ops.router)

    # Each router is included in the application itself, with the dependencies of its
    # level, rather than through nested /v1.0, partner and account routers: FastAPI matches
    # a request against every level of nesting again, which was a fifth of a simple
    # request's time.
    v1 = [Depends(authenticate), *text_guard]
    partner = [*v1, Depends(require_partner)]
    for router in (
        accounts.router,
        accounts.users_router,
        audit.router,
        auth.tokens_router,
        connectors.router,
        templates.router,
        template_authoring.router,
        partner_cycles.router,
        embed.router,
        marketplaces.router,
        appearance.router,
        migration.router,
    ):
        app.include_router(router, prefix=API_PREFIX, dependencies=partner)

    account = [*v1, Depends(require_account)]
    for router in (
        accounts.current_router,
        # Before account connectors: "custom" is not an account connector Id.
        custom_connectors.router,
        account_connectors.router,
        custom_fields.router,
        calls_router.router,
        # Before cycles: /cycles/transactions and /cycles/incidents/... are not cycle Ids.
        reports.router,
        cycles.router,
        cycle_steps.router,
    ):
        app.include_router(router, prefix=API_PREFIX, dependencies=account)
