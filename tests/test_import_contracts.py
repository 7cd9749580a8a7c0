"""The import contracts in pyproject.toml cover what they mean to: module wildcards match
whole names only, so routers named ``*_router`` are listed one by one there."""

from __future__ import annotations

import tomllib
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "junction"


def _contract(contract_id: str) -> dict[str, object]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    return next(c for c in config["contracts"] if c["id"] == contract_id)


def test_every_router_module_is_in_the_router_contract() -> None:
    routers = {
        ".".join(("junction", *path.relative_to(PACKAGE).with_suffix("").parts))
        for path in PACKAGE.rglob("*.py")
        if path.stem == "router" or path.stem.endswith("_router")
    }
    contract = _contract("router-to-router-never")
    graph = grimp.build_graph("junction")
    for key in ("source_modules", "forbidden_modules"):
        expressions = contract[key]
        assert isinstance(expressions, list)
        covered = set().union(*(graph.find_matching_modules(e) for e in expressions))
        assert routers <= covered, f"{key} misses {sorted(routers - covered)}"
