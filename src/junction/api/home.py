"""The home page at ``/``: what this is and where to go next. No assets, no scripts.

It is public, so it shows nothing an anonymous visitor could use to size up or target the
installation: no version, no database kind, no counts, no settings. What runs, and how
much, is for signed-in callers (the API) and operators (health and readiness checks).
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Junction</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body {{ font: 15px/1.5 system-ui, sans-serif; max-width: 46rem; margin: 2rem auto;
       padding: 0 1rem; color: #222; }}
code {{ background: #f3f3f3; padding: 0 .2rem; }}
</style></head><body>
<h1>Junction</h1>
<p>A self-hosted embedded integration platform with a Cyclr-compatible API.</p>
<ul>
<li><a href="/docs">Interactive API docs</a> and the <a href="/openapi.json">OpenAPI document</a>:
get a token from <code>POST /oauth/token</code> with your client ID and secret.</li>
<li>Health: <a href="/healthz">/healthz</a> (the process answers) and
<a href="/readyz">/readyz</a> (ready to serve).</li>
{demo}</ul>
</body></html>
"""

DEMO = (
    '<li>Demo apps: <a href="/demo/crm">/demo/crm</a> and '
    '<a href="/demo/mailer">/demo/mailer</a>; <a href="/demo/">/demo/</a> is a stand-in for '
    "a partner's product, showing the customer pages (LAUNCH and ORBIT) in a frame.</li>\n"
)


def render(*, demo: bool) -> str:
    return PAGE.format(demo=DEMO if demo else "")


def mount_home(app: FastAPI) -> None:
    @app.get("/", include_in_schema=False)
    async def home(request: Request) -> HTMLResponse:
        return HTMLResponse(render(demo=request.app.state.demo is not None))
