"""The package table and import layers of docs/architecture.md, generated from src/junction.

The layout changes often (packages split, modules added), so the doc's "Package layout"
block is produced from the source tree rather than kept by hand:

    uv run python scripts/architecture.py            print the block
    uv run python scripts/architecture.py --write    put it into docs/architecture.md
    uv run python scripts/architecture.py --check    exit 1, with a diff, if the doc is stale

The block sits between ``<!-- layout:start -->`` and ``<!-- layout:end -->``; the text
around the markers is written by hand. Only the standard library is used (``ast`` reads the
imports), so the check costs no dependency and runs in well under a second.
"""

from __future__ import annotations

import argparse
import ast
import difflib
import sys
import textwrap
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "src" / "junction"
DOC = ROOT / "docs" / "architecture.md"
PACKAGE = "junction"
START = "<!-- layout:start -->"
END = "<!-- layout:end -->"
WRITE_COMMAND = "uv run python scripts/architecture.py --write"
WIDTH = 92  # as the rest of the doc, so that the text block reads without scrolling

# The import rules the layout follows (the prose around the block states them).
APP_MODULE = "junction.api.app"
APP_IMPORTERS = frozenset({"api", "cli"})  # the app's own package, and `junction serve`
RUNTIME = "junction.connectors.runtime"

Graph = Mapping[str, frozenset[str]]


@dataclass(frozen=True)
class Row:
    """One line of the package table."""

    name: str  # relative to junction: ``connectors/runtime/``, ``services.py``
    summary: str


@dataclass(frozen=True)
class Import:
    """One module of junction importing another (both dotted, ``junction.`` included)."""

    source: str
    target: str
    source_path: str  # relative to src/junction, for the reader: ``db/models.py``

    @property
    def source_unit(self) -> str:
        return self.source.split(".")[1]

    @property
    def target_unit(self) -> str:
        return self.target.split(".")[1]

    @property
    def units(self) -> tuple[str, str]:
        return self.source_unit, self.target_unit


# -- the package table ---------------------------------------------------------------------


def summary(path: Path) -> str:
    """The docstring's first paragraph on one line, in Markdown.

    The first paragraph rather than the first line: a summary that wraps would otherwise be
    cut mid-sentence.
    """
    docstring = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"), str(path)))
    if not docstring:
        return "—"
    text = " ".join(docstring.split("\n\n", 1)[0].split())
    # Docstrings are reStructuredText; the doc is Markdown, and ``|`` would end the cell.
    return text.replace("``", "`").replace("|", "\\|")


def _files(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts]


def _rows_under(folder: Path, prefix: str) -> Iterator[Row]:
    for child in sorted(folder.iterdir()):
        if not child.is_dir() or child.name == "__pycache__":
            continue
        name = f"{prefix}{child.name}/"
        files = _files(child)
        if (child / "__init__.py").is_file():
            yield Row(name, summary(child / "__init__.py"))
            yield from _rows_under(child, name)
        elif files and not any(p.suffix == ".py" for p in files):
            # Shipped with the package (connector definitions and the like): whoever looks
            # for them should find them in the table too.
            kinds = ", ".join(f"`{s}`" for s in sorted({p.suffix for p in files if p.suffix}))
            yield Row(name, f"data files ({kinds}), no Python" if kinds else "data files")


def layout_rows(source: Path = SOURCE) -> list[Row]:
    """Every package and sub-package (and data folder), then every top-level module."""
    modules = [
        Row(path.name, summary(path))
        for path in sorted(source.glob("*.py"))
        if path.name != "__init__.py"
    ]
    return [*_rows_under(source, ""), *modules]


def package_table(rows: Sequence[Row]) -> str:
    lines = ["| package or module | what it holds |", "|---|---|"]
    lines += [f"| `{row.name}` | {row.summary} |" for row in rows]
    return "\n".join(lines)


# -- imports -------------------------------------------------------------------------------


def _module_names(source: Path) -> dict[str, Path]:
    names = {}
    for path in sorted(source.rglob("*.py")):
        if "__pycache__" in path.parts:
            continue
        parts = [PACKAGE, *path.relative_to(source).with_suffix("").parts]
        names[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return names


def _targets(
    node: ast.Import | ast.ImportFrom, module: str, path: Path, known: set[str]
) -> set[str]:
    """The modules an import statement loads, relative imports resolved.

    ``from junction.connectors import router`` loads ``junction.connectors.router``; a name
    that is not a module (``from junction.errors import NotFound``) leaves its module.
    """
    if isinstance(node, ast.Import):
        return {alias.name for alias in node.names}
    base = node.module or ""
    if node.level:
        package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
        package = package[: len(package) - (node.level - 1)]
        base = ".".join([*package, *([node.module] if node.module else [])])
    return {
        f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base for alias in node.names
    }


def _statements(body: Sequence[ast.AST]) -> Iterator[ast.AST]:
    """Every statement, nested ones included (in functions, classes, ``if``, ``try``...).

    Imports are statements, so expressions are not entered: that keeps the walk to a
    fraction of ``ast.walk``'s and the check fast enough to run with the tests.
    """
    for node in body:
        yield node
        for name in ("body", "orelse", "finalbody", "handlers", "cases"):
            children = getattr(node, name, None)
            if isinstance(children, list):
                yield from _statements(children)


def imports(source: Path = SOURCE) -> list[Import]:
    """Every import of one junction module by another.

    Every import statement counts, wherever it stands: at module level, under
    ``if TYPE_CHECKING:`` and inside functions. A deferred import is a real dependency,
    usually put off to break an import-time cycle, and the diagram should show that cycle
    rather than hide it; a type-only import is a dependency of the signatures, which cannot
    be read or checked without the other package. Imports by computed name
    (``importlib.import_module``) are not seen.
    """
    names = _module_names(source)
    known = set(names)
    found = set()
    for module, path in names.items():
        if module == PACKAGE:
            continue  # junction/__init__.py holds only the version
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in _statements(tree.body):
            if isinstance(node, ast.Import | ast.ImportFrom):
                for target in _targets(node, module, path, known):
                    if target.startswith(f"{PACKAGE}.") and target != module:
                        found.add(Import(module, target, path.relative_to(source).as_posix()))
    return sorted(found, key=lambda i: (i.source, i.target))


def units(source: Path = SOURCE) -> list[str]:
    """The top-level packages and modules of junction: the nodes of the import graph."""
    return sorted({module.split(".")[1] for module in _module_names(source) if "." in module})


def import_graph(found: Sequence[Import], nodes: Iterable[str]) -> dict[str, frozenset[str]]:
    """Which top-level units of junction (packages and modules) each unit imports."""
    graph: dict[str, set[str]] = {unit: set() for unit in nodes}
    for item in found:
        if item.source_unit != item.target_unit:
            graph[item.source_unit].add(item.target_unit)
    return {unit: frozenset(targets) for unit, targets in sorted(graph.items())}


def strongly_connected(graph: Graph) -> list[frozenset[str]]:
    """Tarjan's algorithm: units that import each other, directly or not, end up together.

    Groups come out in dependency order: a group after every group it imports.
    """
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[frozenset[str]] = []

    def visit(unit: str) -> None:
        index[unit] = low[unit] = len(index)
        stack.append(unit)
        for target in sorted(graph[unit]):
            if target not in index:
                visit(target)
                low[unit] = min(low[unit], low[target])
            elif target in stack:
                low[unit] = min(low[unit], index[target])
        if low[unit] == index[unit]:
            cut = stack.index(unit)
            groups.append(frozenset(stack[cut:]))
            del stack[cut:]

    for unit in sorted(graph):
        if unit not in index:
            visit(unit)
    return groups


def layers(graph: Graph) -> list[list[frozenset[str]]]:
    """Groups of units by height: layer 0 imports nothing of junction, and each layer imports
    only from layers below it (units in a cycle form one group)."""
    groups = strongly_connected(graph)
    group_of = {unit: group for group in groups for unit in group}
    height: dict[frozenset[str], int] = {}
    for group in groups:
        below = {group_of[t] for unit in group for t in graph[unit]} - {group}
        height[group] = 1 + max((height[g] for g in below), default=-1)
    result: list[list[frozenset[str]]] = [[] for _ in range(1 + max(height.values(), default=-1))]
    for group, level in height.items():
        result[level].append(group)
    return [sorted(level, key=sorted) for level in result]


def cycle_order(group: frozenset[str], graph: Graph) -> list[str]:
    """The units of a cycle, bottom first, in an order with few imports pointing upward.

    The greedy heuristic of Eades, Lin and Smyth for a small feedback arc set: units that
    import nothing left go to the bottom, units nothing left imports go to the top, and
    otherwise the unit that imports the most and is imported the least goes to the top.
    Ties go by name, so the order only changes when the imports do.
    """
    left = set(group)
    bottom: list[str] = []
    top: list[str] = []
    while left:
        sinks = sorted(u for u in left if not graph[u] & left)
        sources = sorted(u for u in left if not any(u in graph[v] for v in left))
        if sinks:
            bottom += sinks
            left -= set(sinks)
        elif sources:
            top = sources + top
            left -= set(sources)
        else:
            unit = max(
                sorted(left),
                key=lambda u: len(graph[u] & left) - sum(u in graph[v] for v in left),
            )
            top = [unit, *top]
            left.remove(unit)
    return bottom + top


def _joined(names: Iterable[str]) -> str:
    return ", ".join(names)


def _wrapped(head: str, tail: str, indent: int) -> list[str]:
    """``head`` then ``tail``, wrapped to the doc's width, continuation lines indented."""
    return textwrap.wrap(
        head + tail,
        width=WIDTH,
        subsequent_indent=" " * indent,
        break_long_words=False,
        break_on_hyphens=False,
    )


def import_diagram(found: Sequence[Import], nodes: Iterable[str]) -> str:
    """The layers top first, who imports whom, and what closes each cycle, as a text block."""
    graph = import_graph(found, nodes)
    stacked = layers(graph)
    lines = []
    cycles = []
    for number in reversed(range(len(stacked))):
        names = []
        for group in stacked[number]:
            if len(group) > 1:
                names.append("⟲[" + " ".join(sorted(group)) + "]")
                cycles.append((number, group))
            else:
                names += sorted(group)
        head = f"layer {number:>{len(str(len(stacked) - 1))}}  "
        lines += _wrapped(head, "  ".join(names), len(head) + 2)
    lines.append("")
    width = max(len(unit) for unit in graph)
    for unit, targets in graph.items():
        if targets:
            lines += _wrapped(f"{unit:<{width}} → ", _joined(sorted(targets)), width + 3)
    for number, group in cycles:
        order = cycle_order(group, graph)
        position = {unit: i for i, unit in enumerate(order)}
        lines.append("")
        lines += _wrapped(f"⟲ in layer {number}, bottom first: ", _joined(order), 4)
        lines.append(
            "  closed by the imports pointing up that order (modules making them in brackets):"
        )
        for unit in order:
            upward: dict[tuple[str, ...], list[str]] = defaultdict(list)
            for target in sorted(graph[unit]):
                if position.get(target, -1) > position[unit]:
                    made_by = {i.source_path for i in found if i.units == (unit, target)}
                    upward[tuple(sorted(made_by))].append(target)
            for made_by_all, up in upward.items():
                head = f"    {unit} → {_joined(up)}  "
                lines += _wrapped(head, f"({_joined(made_by_all)})", 8)
    return "```text\n" + "\n".join(lines) + "\n```"


def rule_breaks(found: Sequence[Import]) -> list[str]:
    """Imports that break the layout's rules, one Markdown list item per rule broken."""

    def is_router(module: str) -> bool:
        last = module.rsplit(".", 1)[-1]
        return last == "router" or last.endswith("_router")

    def inside_runtime(module: str) -> bool:
        return module == RUNTIME or module.startswith(f"{RUNTIME}.")

    rules: dict[str, Callable[[Import], bool]] = {
        "`api.app` imported outside `api/` and `cli/`": lambda i: (
            i.target == APP_MODULE and i.source_unit not in APP_IMPORTERS
        ),
        "a router imports another router": lambda i: is_router(i.source) and is_router(i.target),
        "outside `connectors/runtime/`, imports reach past the runtime's package face": lambda i: (
            inside_runtime(i.target) and i.target != RUNTIME and not inside_runtime(i.source)
        ),
    }
    items = []
    for rule, breaks in rules.items():
        targets: dict[str, list[str]] = defaultdict(list)
        for item in found:
            if breaks(item):
                targets[item.source_path].append(item.target.rsplit(".", 1)[-1])
        if targets:
            where = _joined(f"`{path}` ({_joined(names)})" for path, names in targets.items())
            items.append(f"{rule}: {where}")
    return items


def generate(source: Path = SOURCE) -> str:
    """The whole block that goes between the markers."""
    found = imports(source)
    parts = [
        f"<!-- Generated by scripts/architecture.py; run `{WRITE_COMMAND}`. -->",
        "",
        package_table(layout_rows(source)),
        "",
        "Import layers, top first: a package imports only from the layers below it, except",
        "inside a cycle (`⟲`), whose members import each other. Then what each package",
        "imports, and which imports close each cycle. An import counts wherever it stands: at",
        "module level, under `if TYPE_CHECKING:` or inside a function.",
        "",
        import_diagram(found, units(source)),
    ]
    breaks = rule_breaks(found)
    if breaks:
        parts += ["", "Imports that break those rules today:", ""]
        for line in breaks:
            parts += _wrapped("- ", line, 2)
    return "\n".join(parts)


# -- the doc -------------------------------------------------------------------------------


def with_block(doc: str, block: str) -> str:
    """The doc with the text between the markers replaced by ``block``."""
    start, end = doc.find(START), doc.find(END)
    if start < 0 or end < start:
        raise ValueError(f"the doc has no {START} ... {END} pair")
    return doc[: start + len(START)] + "\n" + block + "\n" + doc[end:]


def stale_diff(doc_path: Path = DOC, source: Path = SOURCE) -> str:
    """A unified diff from the doc as it is to the doc as generated; empty when up to date."""
    current = doc_path.read_text(encoding="utf-8")
    wanted = with_block(current, generate(source))
    name = doc_path.relative_to(ROOT) if doc_path.is_relative_to(ROOT) else doc_path
    return "".join(
        difflib.unified_diff(
            current.splitlines(keepends=True),
            wanted.splitlines(keepends=True),
            fromfile=f"{name} (as it is)",
            tofile=f"{name} (generated)",
        )
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="The Package layout block of the architecture doc."
    )
    action = parser.add_mutually_exclusive_group()
    action.add_argument("--write", action="store_true", help="update docs/architecture.md")
    action.add_argument("--check", action="store_true", help="fail if the doc is out of date")
    args = parser.parse_args(argv)
    if args.check:
        diff = stale_diff()
        if diff:
            sys.stdout.write(diff)
            print(f"\ndocs/architecture.md is out of date; run `{WRITE_COMMAND}`.")
            return 1
        return 0
    if args.write:
        DOC.write_text(with_block(DOC.read_text(encoding="utf-8"), generate()), encoding="utf-8")
        return 0
    print(generate())
    return 0


if __name__ == "__main__":
    sys.exit(main())
