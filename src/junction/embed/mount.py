"""Mounting the pages (the customers' and the console's) and their assets on the application."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from junction.console.mount import mount_console
from junction.embed import connector_auth_pages, marketplace_pages, pages
from junction.embed.browser import STATIC_DIR, STATIC_PATH


def mount_pages(app: FastAPI) -> None:
    app.include_router(pages.router)
    app.include_router(marketplace_pages.router)
    app.include_router(connector_auth_pages.router)
    mount_console(app)
    app.mount(STATIC_PATH, StaticFiles(directory=STATIC_DIR), name="embed-static")
