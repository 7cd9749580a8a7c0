"""The demo's stand-in for a partner's product: a page at ``/demo/`` that frames LAUNCH and
ORBIT for the ``demo`` account, as a SaaS product would show them to its customers.

A real product gets the links from its own server, which calls ``POST
/v1.0/accounts/{id}/launch`` with the partner's API token. The demo has no such server, so
``/demo/embed-url`` issues them directly for the demo account: anyone who can reach a demo
server can use its demo account, which is what a demo is for.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter
from fastapi.responses import HTMLResponse
from sqlalchemy import select

from junction.clock import Clock
from junction.db.engine import Database
from junction.embed import signin
from junction.embed.links import SIGN_IN_PATH
from junction.embed.models import Marketplace
from junction.embed.schemas import LaunchIn, launch_options
from junction.settings import Settings

ACCOUNT = "demo"

PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Demo CRM: integrations</title>
<style>
  body { margin: 0; font: 15px/1.5 system-ui, sans-serif; color: #1f2933; background: #eef1f6; }
  header { background: #123c69; color: #fff; padding: .75rem 1.25rem; display: flex;
           align-items: center; justify-content: space-between; flex-wrap: wrap; gap: .5rem; }
  header strong { font-size: 1.1rem; }
  main { max-width: 70rem; margin: 0 auto; padding: 1rem; }
  .tabs { display: flex; gap: .5rem; margin-bottom: .75rem; }
  .tabs button { font: inherit; padding: .5rem 1rem; border-radius: 8px; border: 1px solid #123c69;
                 background: #fff; color: #123c69; cursor: pointer; font-weight: 600; }
  .tabs button[aria-pressed="true"] { background: #123c69; color: #fff; }
  iframe { width: 100%; height: 44rem; border: 1px solid #c6cfdb; border-radius: 10px;
           background: #fff; }
  #result { white-space: pre-wrap; background: #fff; border-radius: 8px; padding: .75rem;
            border: 1px solid #c6cfdb; }
</style>
</head>
<body>
<header>
  <strong>Demo CRM</strong><span>Settings &rsaquo; Integrations (a partner's product)</span>
</header>
<main>
  <p>This page stands in for a SaaS product that embeds Junction. The frame below is
  Junction's LAUNCH (add an integration), Marketplace (packages to install) or ORBIT (the
  installed ones) for the <code>demo</code> account.</p>
  <div class="tabs" role="group" aria-label="Integration pages">
    <button type="button" data-page="launch" aria-pressed="true">Add an integration</button>
    <button type="button" data-page="marketplace" aria-pressed="false">Marketplace</button>
    <button type="button" data-page="orbit" aria-pressed="false">My integrations</button>
  </div>
  <iframe id="junction" title="Integrations"></iframe>
  <h2>What the last page handed back</h2>
  <p id="result">Nothing yet: finish a LAUNCH or Marketplace set-up to see its result here.</p>
</main>
<script>
  const frame = document.getElementById("junction");
  async function show(page) {
    document.querySelectorAll("[data-page]").forEach((b) =>
      b.setAttribute("aria-pressed", String(b.dataset.page === page)));
    const answer = await fetch("/demo/embed-url?page=" + page, {method: "POST"});
    frame.src = (await answer.json()).Url;
  }
  document.querySelectorAll("[data-page]").forEach((b) =>
    b.addEventListener("click", () => show(b.dataset.page)));
  window.addEventListener("message", (event) => {
    if (event.origin !== window.location.origin || typeof event.data !== "string") return;
    document.getElementById("result").textContent =
      JSON.stringify(JSON.parse(event.data), null, 2);
  });
  show("launch");
</script>
</body>
</html>
"""


def product_router(settings: Settings, database: Database, clock: Clock) -> APIRouter:
    router = APIRouter(prefix="/demo", include_in_schema=False)

    @router.get("/")
    async def product() -> HTMLResponse:
        return HTMLResponse(PAGE)

    # POST: a link is spent by its first use, so nothing should fetch it ahead (a GET may
    # be prefetched).
    @router.post("/embed-url")
    async def embed_url(
        page: Literal["launch", "marketplace", "orbit"] = "launch",
    ) -> dict[str, str]:
        async with database.transaction() as session:
            options: dict[str, Any] = {"page": page}
            if page == "launch":
                options = launch_options(LaunchIn(AutoInstall=False, DisplayDescriptions=True))
            elif page == "marketplace":
                options["marketplace_id"] = await session.scalar(
                    select(Marketplace.id).order_by(Marketplace.id).limit(1)
                )
            token, _ = await signin.issue(
                session=session,
                account_id=ACCOUNT,
                user=None,
                options=options,
                now=clock(),
                lifetime=settings.sign_in_token_lifetime,
            )
        base = settings.public_base_url.rstrip("/")
        return {"Url": f"{base}{SIGN_IN_PATH}?token={token}&returnUrl=%2F{page}"}

    return router
