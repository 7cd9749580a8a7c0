"""Splits the flat modules of ``junction.connectors`` into the sub-packages ``catalog``,
``accounts`` and ``calls``, and rewrites the imports that name them.

    uv run python scripts/_move_connectors.py                  # move, split, rewrite everything
    uv run python scripts/_move_connectors.py --move-only      # only the ``git mv``s
    uv run python scripts/_move_connectors.py --rewrite-only [PATH ...]

``--rewrite-only`` touches imports only (files or folders; by default src, tests, bench,
scripts and docs/*.md), so it can be run again on another branch that still imports the old
modules. Every step is idempotent: a module already moved is not moved again, an import
already in its new form is left as it is.

What is rewritten, in ``.py`` files and in code lines of Markdown files:
- ``from junction.connectors.OLD import a, b`` → the new module (name by name where a module
  was split or a name moved to another module);
- ``from junction.connectors import OLD [as x]`` → ``from junction.connectors.PKG import MOD
  as OLD`` (the local name stays, so the code using it is unchanged);
- ``import junction.connectors.OLD as x`` → ``import NEW as x``;
- outside ``connectors/runtime/`` and its tests, ``from junction.connectors.runtime.MOD
  import a`` → ``from junction.connectors.runtime import a`` when the runtime's
  ``__all__`` exports ``a``.
Whatever cannot be rewritten safely is reported as a warning, with its file and line.
"""

from __future__ import annotations

import argparse
import ast
import re
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONNECTORS = ROOT / "src" / "junction" / "connectors"
RUNTIME_INIT = CONNECTORS / "runtime" / "__init__.py"
PREFIX = "junction.connectors"
DEFAULT_PATHS = ("src", "tests", "bench", "scripts", "docs")

# Old module (under junction.connectors) → new module.
MODULE_MAP: dict[str, str] = {
    "catalog": "catalog.service",
    "schemas": "catalog.schemas",
    "router": "catalog.router",
    "partner_properties": "catalog.partner_properties",
    "documents": "catalog.documents",
    "models": "catalog.models",  # split: see NAME_MAP
    "account_connectors": "accounts.service",
    "account_schemas": "accounts.schemas",
    "account_router": "accounts.router",
    "auth_values": "accounts.auth_values",
    "custom_fields": "accounts.custom_fields",
    "custom_field_schemas": "accounts.custom_field_schemas",
    "custom_fields_router": "accounts.custom_fields_router",
    "custom_field_describe": "accounts.custom_field_describe",
    "custom_field_discovery": "accounts.custom_field_discovery",
    "custom_field_hooks": "accounts.custom_field_hooks",
    "custom_methods": "accounts.custom_methods",
    "calls": "calls.service",
    "calls_router": "calls.router",
    "connections": "calls.connections",
    "lookups": "calls.lookups",
    "oauth": "calls.oauth",
    "oauth_scripts": "calls.oauth_scripts",
}

# Names that left the module they were in: (old or new module, name) → new module.
NAME_MAP: dict[tuple[str, str], str] = {
    **{("models", n): "catalog.models" for n in ("Connector", "ConnectorMethod")},
    **{("models", n): "catalog.models" for n in ("ConnectorField", "PartnerConnectorProperty")},
    **{
        ("models", n): "accounts.models"
        for n in ("AccountConnector", "AccountConnectorField", "AccountConnectorProperty")
    },
    ("models", "OAuthState"): "calls.models",
    # A router never imports another router: what two routers share lives beside them.
    ("account_router", "Row"): "accounts.dependencies",
    ("accounts.router", "Row"): "accounts.dependencies",
    **{
        (module, n): "calls.answers"
        for module in ("calls_router", "calls.router")
        for n in ("trigger_choices", "upstream_error")
    },
}
SPLIT = {"models"}  # modules whose every name is in NAME_MAP

# Modules created beside the moved ones (their first version is cut out of another module).
NEW_MODULES = {
    "catalog.models",
    "accounts.models",
    "accounts.dependencies",
    "calls.models",
    "calls.answers",
}
# "catalog" and "calls" are old module names and new package names at once: in
# ``from junction.connectors.calls import X``, X names a module of the new package or a
# function of the old module, never both (checked below).
NEW_MEMBERS: dict[str, set[str]] = {}
for _new in list(MODULE_MAP.values()) + sorted(NEW_MODULES):
    _package, _module = _new.split(".")
    NEW_MEMBERS.setdefault(_package, set()).add(_module)
AMBIGUOUS = set(MODULE_MAP) & set(NEW_MEMBERS)

PACKAGE_DOCS = {
    "catalog": "The catalogue: connector releases, their methods and fields, and the partner's\n"
    "values per connector.",
    "accounts": "Account connectors: connectors installed in accounts, their credentials,\n"
    "properties and custom fields.",
    "calls": "Calling account connectors: connections, OAuth 2.0 sign-in and tokens, Data on\n"
    "Demand, look-ups.",
}

CATALOG_MODELS_DOC = (
    '"""Connector releases, their methods and fields, and the partner\'s values per connector.'
)
CATALOG_MODELS_DOC += '''

The tables of account connectors (``accounts/models.py``) and of OAuth sign-ins
(``calls/models.py``) refer to these by table name only: no ORM relationship joins the
sub-packages' models, so each can be imported alone. ``junction.db.models`` imports them
all for migrations.
"""'''

MODEL_IMPORTS = """
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from junction.db.base import Base
from junction.db.types import JSONDocument, UTCDateTime
"""

# (source module, names, new module, its docstring and imports): code cut out of a module.
EXTRACTIONS: list[tuple[str, tuple[str, ...], str, str]] = [
    (
        "catalog.models",
        ("AccountConnector", "AccountConnectorField", "AccountConnectorProperty"),
        "accounts.models",
        '"""Connectors installed in accounts: their credentials, property values and custom '
        'fields."""\n' + MODEL_IMPORTS,
    ),
    (
        "catalog.models",
        ("OAuthState",),
        "calls.models",
        '"""OAuth 2.0 sign-ins in progress, the authorisation-code flows of '
        '``oauth.py``."""\n' + MODEL_IMPORTS,
    ),
    (
        "accounts.router",
        ("_row", "Row"),
        "accounts.dependencies",
        '''"""Request dependencies shared by the account connector routers (``router.py`` and
``custom_fields_router.py``), which never import one another.

Not in ``service.py``: they need the request context (``junction.api.context``), which
imports the calls sub-package, which imports this sub-package's service.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from junction.api.context import Session
from junction.auth.identity import CurrentAccount
from junction.connectors.accounts import service
from junction.connectors.accounts.models import AccountConnector
''',
    ),
    (
        "calls.router",
        ("upstream_error", "trigger_choices"),
        "calls.answers",
        '''"""HTTP answers shared by the routes that call connectors: Data on Demand
(``router.py``) and a step's look-ups (``junction.cycles.steps_router``), since a router
never imports another router.

Not in ``service.py``: the engine imports the service, and the engine never imports FastAPI.
"""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse

from junction.api.context import AppContext
from junction.connectors.calls import lookups
from junction.errors import (
    ConnectorCallError,
    UpstreamHttpError,
    UpstreamRateLimited,
    UpstreamTimeout,
)
''',
    ),
]

DB_MODELS = ROOT / "src" / "junction" / "db" / "models.py"
DB_MODELS_OLD = "from junction.connectors import models as connectors_models\n"
DB_MODELS_NEW = (
    "from junction.connectors.accounts import models as account_connectors_models\n"
    "from junction.connectors.calls import models as connector_calls_models\n"
    "from junction.connectors.catalog import models as connectors_models\n"
)
DB_MODELS_ALL_OLD = '    "connectors_models",\n'
DB_MODELS_ALL_NEW = (
    '    "account_connectors_models",\n    "connector_calls_models",\n    "connectors_models",\n'
)


def full(module: str) -> str:
    return f"{PREFIX}.{module}"


def short(dotted: str) -> str | None:
    """``junction.connectors.x.y`` → ``x.y``; None outside junction.connectors."""
    return dotted[len(PREFIX) + 1 :] if dotted.startswith(PREFIX + ".") else None


def path_of(module: str) -> Path:
    return CONNECTORS.joinpath(*module.split(".")).with_suffix(".py")


def git(*args: str) -> None:
    subprocess.run(["git", *args], cwd=ROOT, check=True)  # noqa: S603, S607 - our own git command


def ruff(*args: str, files: Iterable[Path]) -> None:
    names = [str(f) for f in files if f.suffix == ".py"]
    if names:
        command = [sys.executable, "-m", "ruff", *args, *names]
        subprocess.run(command, cwd=ROOT, check=False)  # noqa: S603 - our own command line


class Warnings:
    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, path: Path, line: int, message: str) -> None:
        self.items.append(f"{path.relative_to(ROOT)}:{line}: {message}")


# --- moving ---------------------------------------------------------------------------------


def move() -> None:
    for package, doc in PACKAGE_DOCS.items():
        init = CONNECTORS / package / "__init__.py"
        if not init.exists():
            init.parent.mkdir(exist_ok=True)
            init.write_text(f'"""{doc}"""\n')
            git("add", str(init))
    for old, new in MODULE_MAP.items():
        source, target = path_of(old), path_of(new)
        if source.exists() and not target.exists():
            git("mv", str(source), str(target))


def split() -> list[Path]:
    """Cuts the EXTRACTIONS out of their modules; answers the files it changed."""
    changed: list[Path] = []
    for source_module, names, target_module, header in EXTRACTIONS:
        source, target = path_of(source_module), path_of(target_module)
        if target.exists():
            continue
        text = source.read_text()
        blocks, rest = cut(text, names)
        used = [n for n in names if not n.startswith("_") and re.search(rf"\b{n}\b", rest)]
        if used:
            rest = add_import(rest, f"from {full(target_module)} import {', '.join(used)}")
        if source_module == "catalog.models":
            rest = re.sub(r'\A""".*?"""', lambda _: CATALOG_MODELS_DOC, rest, flags=re.S)
        source.write_text(rest)
        target.write_text(header + "\n\n" + "\n\n\n".join(blocks) + "\n")
        git("add", str(target))
        changed += [source, target]
    return changed


def all_models(text: str) -> str:
    """``db/models.py`` imports every models module, the three of connectors/ too."""
    if DB_MODELS_OLD not in text:
        return text
    return text.replace(DB_MODELS_OLD, DB_MODELS_NEW).replace(DB_MODELS_ALL_OLD, DB_MODELS_ALL_NEW)


def cut(text: str, names: tuple[str, ...]) -> tuple[list[str], str]:
    """The top-level definitions of ``names`` (with their decorators and the comment lines
    just above them), in the order given, and the text without them."""
    lines = text.splitlines(keepends=True)
    spans: dict[str, tuple[int, int]] = {}
    for node in ast.parse(text).body:
        for name in defined(node):
            if name in names:
                start = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
                while start > 1 and lines[start - 2].lstrip().startswith("#"):
                    start -= 1
                assert node.end_lineno is not None
                spans[name] = (start - 1, node.end_lineno)
    missing = set(names) - set(spans)
    if missing:
        raise SystemExit(f"not found: {', '.join(sorted(missing))}")
    blocks = ["".join(lines[a:b]).rstrip("\n") for a, b in (spans[n] for n in names)]
    for a, b in sorted(spans.values(), reverse=True):
        del lines[a:b]
    return blocks, re.sub(r"\n{4,}", "\n\n\n", "".join(lines))


def defined(node: ast.stmt) -> list[str]:
    if isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
        return [node.name]
    if isinstance(node, ast.Assign):
        return [t.id for t in node.targets if isinstance(t, ast.Name)]
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
        return [node.target.id]
    return []


def add_import(text: str, statement: str) -> str:
    """``statement`` after the last top-level import (ruff sorts it afterwards)."""
    last = max(
        n.end_lineno or n.lineno
        for n in ast.parse(text).body
        if isinstance(n, ast.Import | ast.ImportFrom)
    )
    lines = text.splitlines(keepends=True)
    lines.insert(last, statement + "\n")
    return "".join(lines)


# --- rewriting imports ----------------------------------------------------------------------


class Rewriter:
    def __init__(self, warnings: Warnings) -> None:
        self.warnings = warnings
        self.runtime_all = runtime_exports()

    def targets_of_from(
        self, module: str, aliases: list[tuple[str, str | None]], path: Path, line: int
    ) -> list[tuple[str, list[tuple[str, str | None]]]] | None:
        """The statements ``from M import names`` to write instead, or None to leave it."""
        grouped: dict[str, list[tuple[str, str | None]]] = {}
        changed = False
        for name, asname in aliases:
            target, alias = self.target_of_name(module, name, asname, path, line)
            if (target, alias) != (module, (name, asname)):
                changed = True
            grouped.setdefault(target, []).append(alias)
        return list(grouped.items()) if changed else None

    def target_of_name(
        self, module: str, name: str, asname: str | None, path: Path, line: int
    ) -> tuple[str, tuple[str, str | None]]:
        unchanged = (module, (name, asname))
        if module == PREFIX:
            if name in SPLIT:
                self.warnings.add(path, line, f"{PREFIX}.{name} was split: import its parts")
                return unchanged
            if name not in MODULE_MAP:
                return unchanged
            package, new_module = MODULE_MAP[name].split(".")
            local = asname or name
            return full(package), (new_module, None if local == new_module else local)
        old = short(module)
        if old is None:
            return unchanged
        if (old, name) in NAME_MAP:
            return full(NAME_MAP[old, name]), (name, asname)
        if old in AMBIGUOUS and name in NEW_MEMBERS[old]:
            return unchanged  # already the new form: a module of the new package
        if old in SPLIT:
            self.warnings.add(path, line, f"{module}.{name}: no new home known; left as it is")
            return unchanged
        if old in MODULE_MAP:
            return full(MODULE_MAP[old]), (name, asname)
        if old.startswith("runtime.") and self.outside_runtime(path):
            if name in self.runtime_all:
                return full("runtime"), (name, asname)
            if is_under(path, "src"):
                self.warnings.add(
                    path, line, f"{module}.{name} is not in the runtime's __all__: export it"
                )
        return unchanged

    def target_of_import(self, name: str, asname: str | None, path: Path, line: int) -> str | None:
        """For ``import junction.connectors.X [as y]``: the new module, or None."""
        old = short(name)
        if old is None:
            return None
        if old in MODULE_MAP and old not in AMBIGUOUS and old not in SPLIT:
            if asname is None:
                self.warnings.add(path, line, f"import {name}: check the uses of its full name")
            return full(MODULE_MAP[old])
        if (
            old in AMBIGUOUS
            or old in SPLIT
            or (old.startswith("runtime.") and self.outside_runtime(path) and is_under(path, "src"))
        ):
            self.warnings.add(path, line, f"import {name}: rewrite by hand")
        return None

    @staticmethod
    def outside_runtime(path: Path) -> bool:
        # The runtime imports scripting, so scripting is loaded while the runtime's face is
        # still half-built: it reaches into the runtime's modules, by exception.
        return not (
            is_under(path, "src/junction/connectors/runtime")
            or is_under(path, "tests/connectors/runtime")
            or is_under(path, "src/junction/scripting")
        )

    def statements(self, node: ast.stmt, path: Path, line: int) -> list[str] | None:
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            aliases = [(a.name, a.asname) for a in node.names]
            grouped = self.targets_of_from(node.module, aliases, path, line)
            if grouped is None:
                return None
            return [f"from {module} import {render(names)}" for module, names in grouped]
        if isinstance(node, ast.Import):
            out, changed = [], False
            for a in node.names:
                new = self.target_of_import(a.name, a.asname, path, line)
                changed |= new is not None
                out.append(render([(new or a.name, a.asname)]))
            return [f"import {', '.join(out)}"] if changed else None
        return None

    def python(self, path: Path, text: str) -> str:
        try:
            tree = ast.parse(text)
        except SyntaxError as exc:
            self.warnings.add(path, exc.lineno or 0, "not parsed; left as it is")
            return text
        lines = text.splitlines(keepends=True)
        edits: list[tuple[int, int, str]] = []
        for node in ast.walk(tree):
            if not isinstance(node, ast.Import | ast.ImportFrom):
                continue
            new = self.statements(node, path, node.lineno)
            if new is None:
                continue
            first, last = lines[node.lineno - 1], lines[(node.end_lineno or node.lineno) - 1]
            if first[: node.col_offset].strip() or last[node.end_col_offset :].strip():
                self.warnings.add(path, node.lineno, "import shares its line; rewrite by hand")
                continue
            old_text = "".join(lines[node.lineno - 1 : node.end_lineno])
            if "#" in old_text:
                self.warnings.add(path, node.lineno, "a comment inside this import was dropped")
            indent = first[: node.col_offset]
            replacement = "".join(f"{indent}{s}\n" for s in new)
            edits.append((node.lineno - 1, node.end_lineno or node.lineno, replacement))
        for start, end, replacement in sorted(edits, reverse=True):
            lines[start:end] = [replacement]
        return "".join(lines)

    def markdown(self, path: Path, text: str) -> str:
        """Import lines in Markdown (code blocks and examples); prose is left alone."""
        lines = text.splitlines(keepends=True)
        out: list[str] = []
        i = 0
        start = re.compile(rf"^(\s*)(from\s+{re.escape(PREFIX)}\S*\s+import\s|import\s+{PREFIX})")
        while i < len(lines):
            match = start.match(lines[i])
            if not match:
                out.append(lines[i])
                i += 1
                continue
            j = i + 1
            if "(" in lines[i] and ")" not in lines[i]:
                while j < len(lines) and ")" not in lines[j - 1]:
                    j += 1
            chunk = "".join(lines[i:j])
            indent = match.group(1)
            try:
                node = ast.parse(chunk.strip()).body[0]
            except (SyntaxError, IndexError):
                out.extend(lines[i:j])
                i = j
                continue
            new = self.statements(node, path, i + 1)
            out.extend(lines[i:j] if new is None else [f"{indent}{s}\n" for s in new])
            i = j
        return "".join(out)


def render(names: list[tuple[str, str | None]]) -> str:
    return ", ".join(name if asname is None else f"{name} as {asname}" for name, asname in names)


def runtime_exports() -> set[str]:
    for node in ast.parse(RUNTIME_INIT.read_text()).body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets
        ):
            return {ast.literal_eval(e) for e in getattr(node.value, "elts", [])}
    return set()


def is_under(path: Path, folder: str) -> bool:
    return path.resolve().is_relative_to(ROOT / folder)


def files_in(paths: Iterable[str]) -> list[Path]:
    found: list[Path] = []
    for p in paths:
        path = (ROOT / p).resolve()  # an absolute p stays as it is
        if path.is_dir():
            candidates = sorted(path.rglob("*.py")) + sorted(path.rglob("*.md"))
        else:
            candidates = [path]
        for f in candidates:
            parts = set(f.relative_to(ROOT).parts) if f.is_relative_to(ROOT) else set()
            if f == Path(__file__).resolve():
                continue  # its own tables of names
            if f.suffix in (".py", ".md") and f.is_file() and not parts & {".venv", ".git"}:
                found.append(f)
    return found


LEFTOVER = re.compile(
    rf"{re.escape(PREFIX)}\.("
    + "|".join(sorted(set(MODULE_MAP) - AMBIGUOUS))
    + r")\b|"
    + rf"{re.escape(PREFIX)}\.({'|'.join(sorted(AMBIGUOUS))})\b(?!\.)"
)


def rewrite(paths: Iterable[str], *, format_code: bool) -> list[Path]:
    warnings = Warnings()
    rewriter = Rewriter(warnings)
    changed: list[Path] = []
    for path in files_in(paths):
        original = path.read_text()
        if PREFIX not in original:
            continue
        text = all_models(original) if path == DB_MODELS else original
        new = rewriter.markdown(path, text) if path.suffix == ".md" else rewriter.python(path, text)
        if new != original:
            path.write_text(new)
            changed.append(path)
        for number, line in enumerate(new.splitlines(), 1):
            stripped = line.strip()
            if LEFTOVER.search(line) and not stripped.startswith(("from ", "import ")):
                warnings.add(path, number, f"old name outside an import: {stripped[:80]}")
    if format_code:
        tidy(changed)
    for item in warnings.items:
        print("warning:", item, file=sys.stderr)
    print(f"{len(changed)} file(s) rewritten", file=sys.stderr)
    return changed


def tidy(files: list[Path]) -> None:
    # Sorting merges the statements split per module back into blocks; formatting wraps
    # the long ones.
    ruff("check", "--quiet", "--fix", "--select", "I,RUF022", files=files)
    ruff("format", "--quiet", files=files)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--move-only", action="store_true", help="only the git mv steps")
    group.add_argument(
        "--rewrite-only", nargs="*", metavar="PATH", help="only rewrite imports in PATHs"
    )
    parser.add_argument("--no-format", action="store_true", help="do not run ruff afterwards")
    args = parser.parse_args()
    for package, members in NEW_MEMBERS.items():
        if package in MODULE_MAP:
            names = defined_names(path_of(package)) + defined_names(path_of(MODULE_MAP[package]))
            clash = members & set(names)
            if clash:
                raise SystemExit(f"{package}: {clash} are both modules and names")
    if args.rewrite_only is not None:
        rewrite(args.rewrite_only or DEFAULT_PATHS, format_code=not args.no_format)
        return
    move()
    if args.move_only:
        return
    cut_files = split()
    if not args.no_format:
        # The modules code was cut out of keep imports only that code used.
        ruff("check", "--quiet", "--fix", "--select", "F401,I,RUF022", files=cut_files)
    changed = rewrite(DEFAULT_PATHS, format_code=not args.no_format)
    if not args.no_format:
        ruff("format", "--quiet", files=cut_files + changed)


def defined_names(path: Path) -> list[str]:
    if not path.exists():
        return []
    return [n for node in ast.parse(path.read_text()).body for n in defined(node)]


if __name__ == "__main__":
    main()
