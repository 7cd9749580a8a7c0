"""docs/connectors.md lists the shipped connectors as their definitions are."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "connectors_doc.py"


def _load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("scripts_connectors_doc", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


connectors_doc = _load_script()


def test_the_catalogue_in_the_doc_matches_the_shipped_definitions() -> None:
    diff: str = connectors_doc.stale_diff()
    assert not diff, (
        "docs/connectors.md no longer lists the shipped connectors as they are; run "
        f"`{connectors_doc.WRITE_COMMAND}` and commit the result.\n\n{diff}"
    )


def test_a_block_is_put_between_the_markers_and_the_text_around_kept() -> None:
    text = f"intro\n{connectors_doc.START}\nold\n{connectors_doc.END}\noutro\n"
    new = connectors_doc.with_block(text, f"{connectors_doc.START}\nnew\n{connectors_doc.END}")
    assert new == f"intro\n{connectors_doc.START}\nnew\n{connectors_doc.END}\noutro\n"
