"""The home page at ``/``: what is running here, and a few counts. No assets, no scripts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from html import escape

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import func, select

from junction import __version__
from junction.accounts.models import Account
from junction.cycles.models import Cycle
from junction.engine.models import Transaction
from junction.engine.transactions import Status
from junction.services import Services

STATUSES = tuple(status.value for status in Status)


@dataclass(frozen=True)
class Overview:
    accounts: int
    cycles: int
    active_cycles: int
    transactions: dict[str, int]  # last 24 hours, by status


async def overview(context: Services) -> Overview:
    since = context.clock() - timedelta(hours=24)
    async with context.database.transaction(read_only=True) as session:
        accounts = await session.scalar(select(func.count()).select_from(Account)) or 0
        by_status: dict[str, int] = {
            status: count
            for status, count in await session.execute(
                select(Cycle.status, func.count()).group_by(Cycle.status)
            )
        }
        recent: dict[str, int] = {
            status: count
            for status, count in await session.execute(
                select(Transaction.status, func.count())
                .where(Transaction.created_at >= since)
                .group_by(Transaction.status)
            )
        }
    return Overview(
        accounts=accounts,
        cycles=sum(by_status.values()),
        active_cycles=by_status.get("Active", 0),
        transactions={status: recent.get(status, 0) for status in STATUSES},
    )


PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Junction</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body {{ font: 15px/1.5 system-ui, sans-serif; max-width: 46rem; margin: 2rem auto;
       padding: 0 1rem; color: #222; }}
table {{ border-collapse: collapse; margin: .5rem 0 1.5rem; }}
th, td {{ text-align: left; padding: .2rem 1.2rem .2rem 0; border-bottom: 1px solid #ddd; }}
code {{ background: #f3f3f3; padding: 0 .2rem; }}
</style></head><body>
<h1>Junction {version}</h1>
<p>A self-hosted embedded integration platform with a Cyclr-compatible API.
See the <a href="/docs">interactive API docs</a> (<a href="/openapi.json">OpenAPI</a>).</p>
<h2>Running</h2>
<table>
<tr><th>Version</th><td>{version}</td></tr>
<tr><th>Database</th><td>{database}</td></tr>
<tr><th>Dispatcher</th><td>{dispatcher}</td></tr>
<tr><th>Engine</th><td>{engine}</td></tr>
<tr><th>Public address</th><td><code>{public}</code></td></tr>
{demo}
</table>
<h2>Counts</h2>
<table>
<tr><th>Accounts</th><td id="accounts">{accounts}</td></tr>
<tr><th>Cycles (active / total)</th><td id="cycles">{active_cycles} / {cycles}</td></tr>
</table>
<h2>Transactions in the last 24 hours</h2>
<table>
{transactions}
</table>
</body></html>
"""


def render(context: Services, data: Overview) -> str:
    settings = context.settings
    database = settings.resolved_database_url.split("://")[0].split("+")[0]
    demo = ""
    if settings.demo:
        demo = (
            '<tr><th>Demo</th><td>on: apps at <a href="/demo/crm">/demo/crm</a> and '
            '<a href="/demo/mailer">/demo/mailer</a>, account <code>demo</code></td></tr>'
        )
    rows = "\n".join(
        f'<tr><th>{escape(status)}</th><td id="tx-{escape(status.lower())}">{count}</td></tr>'
        for status, count in data.transactions.items()
    )
    return PAGE.format(
        version=escape(__version__),
        database=escape(database),
        dispatcher="procrastinate (junction worker processes run transactions)"
        if settings.dispatcher == "procrastinate"
        else "local (in this process)",
        engine="on" if settings.engine_enabled else "off (API and webhook intake only)",
        public=escape(settings.public_base_url),
        demo=demo,
        accounts=data.accounts,
        cycles=data.cycles,
        active_cycles=data.active_cycles,
        transactions=rows,
    )


def mount_home(app: FastAPI) -> None:
    @app.get("/", include_in_schema=False)
    async def home(request: Request) -> HTMLResponse:
        context: Services = request.app.state.services
        return HTMLResponse(render(context, await overview(context)))
