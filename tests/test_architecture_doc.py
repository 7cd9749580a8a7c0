"""docs/architecture.md shows the package layout and import layers of the source as it is."""

from __future__ import annotations

import importlib.util
import sys
import textwrap
from pathlib import Path
from types import ModuleType

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "architecture.py"


def _load_script() -> ModuleType:
    # scripts/ is not a package; the module is registered before it runs because
    # dataclasses look their module up in sys.modules.
    spec = importlib.util.spec_from_file_location("scripts_architecture", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


architecture = _load_script()


def test_the_package_layout_in_the_doc_matches_the_source() -> None:
    diff: str = architecture.stale_diff()
    assert not diff, (
        "docs/architecture.md no longer shows the package layout of src/junction; run "
        f"`{architecture.WRITE_COMMAND}` and commit the result.\n\n{diff}"
    )


def _tree(root: Path, files: dict[str, str]) -> Path:
    source = root / "junction"
    for name, text in files.items():
        path = source / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return source


def test_every_package_data_folder_and_top_level_module_gets_a_row(tmp_path: Path) -> None:
    source = _tree(
        tmp_path,
        {
            "__init__.py": '"""The root."""\n',
            "settings.py": '"""One tree of settings | read once."""\n',
            "engine/__init__.py": '"""The engine: runs ``cycles``,\nstep by step.\n\nMore."""\n',
            "engine/plans/__init__.py": "",
            "engine/runner.py": '"""Not a row: a module inside a package."""\n',
            "connectors/__init__.py": '"""Connectors."""\n',
            "connectors/builtin/tools.yaml": "Name: tools\n",
        },
    )
    rows = [(row.name, row.summary) for row in architecture.layout_rows(source)]
    assert rows == [
        ("connectors/", "Connectors."),
        ("connectors/builtin/", "data files (`.yaml`), no Python"),
        ("engine/", "The engine: runs `cycles`, step by step."),
        ("engine/plans/", "—"),
        ("settings.py", "One tree of settings \\| read once."),
    ]


def test_imports_anywhere_in_a_module_count_and_cycles_share_a_flagged_layer(
    tmp_path: Path,
) -> None:
    source = _tree(
        tmp_path,
        {
            "__init__.py": "",
            "errors.py": "",
            "lonely.py": "",
            "db/__init__.py": "from junction import errors\n",
            "engine/__init__.py": """\
                from typing import TYPE_CHECKING

                from ..db import session

                if TYPE_CHECKING:
                    from junction.cycles.models import Cycle
                """,
            "db/session.py": "",
            "cycles/__init__.py": "",
            "cycles/models.py": """\
                def later() -> None:
                    import junction.engine
                """,
        },
    )
    found = architecture.imports(source)
    nodes = architecture.units(source)
    assert architecture.import_graph(found, nodes) == {
        "cycles": frozenset({"engine"}),
        "db": frozenset({"errors"}),
        "engine": frozenset({"cycles", "db"}),
        "errors": frozenset(),
        "lonely": frozenset(),
    }
    diagram: str = architecture.import_diagram(found, nodes)
    assert diagram.splitlines()[1:4] == [
        "layer 2  ⟲[cycles engine]",
        "layer 1  db",
        "layer 0  errors  lonely",
    ]
    assert "    engine → cycles  (engine/__init__.py)" in diagram


def test_imports_that_break_the_layout_rules_are_listed(tmp_path: Path) -> None:
    source = _tree(
        tmp_path,
        {
            "__init__.py": "",
            "api/__init__.py": "",
            "api/app.py": "",
            "cli/__init__.py": "from junction.api.app import *\n",
            "connectors/__init__.py": "",
            "connectors/router.py": "",
            "connectors/runtime/__init__.py": "from junction.connectors.runtime.call import *\n",
            "connectors/runtime/call.py": "",
            "cycles/__init__.py": "",
            "cycles/router.py": """\
                from junction.connectors import router
                from junction.connectors.runtime import call
                """,
            "cycles/service.py": """\
                from junction.api import app
                from junction.connectors.runtime import Runtime
                """,
        },
    )
    assert architecture.rule_breaks(architecture.imports(source)) == [
        "`api.app` imported outside `api/` and `cli/`: `cycles/service.py` (app)",
        "a router imports another router: `cycles/router.py` (router)",
        "outside `connectors/runtime/`, imports reach past the runtime's package face: "
        "`cycles/router.py` (call)",
    ]


def test_the_block_replaces_only_what_lies_between_the_markers() -> None:
    doc = "intro\n<!-- layout:start -->\nold\n<!-- layout:end -->\noutro\n"
    assert architecture.with_block(doc, "new") == (
        "intro\n<!-- layout:start -->\nnew\n<!-- layout:end -->\noutro\n"
    )
