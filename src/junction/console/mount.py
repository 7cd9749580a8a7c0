"""Finds the console's page modules and mounts their routers, and builds the navigation
from the modules that name a place in it."""

from __future__ import annotations

import importlib
import pkgutil

from fastapi import FastAPI

from junction.console import pages
from junction.console.web import NavItem


def mount_console(app: FastAPI) -> None:
    navigation: list[NavItem] = []
    for found in sorted(pkgutil.iter_modules(pages.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{pages.__name__}.{found.name}")
        app.include_router(module.router)
        item = getattr(module, "NAV", None)
        if isinstance(item, NavItem):
            navigation.append(item)
    app.state.console_navigation = sorted(navigation, key=lambda item: item.order)
