"""The layers of ``docs/architecture.md``, checked on every module's imports.

Every ``import`` / ``from ... import`` statement of every module under ``localizer/``,
``baselines/``, ``harness/`` and ``reports/`` counts, wherever it is (module level, inside a
function, under ``if TYPE_CHECKING``), parsed with :mod:`ast`; nothing is imported.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("localizer", "baselines", "harness", "reports")

#: Package -> the other packages its modules may import (their own package always).
#: localizer <- baselines <- harness; reports imports none of them.
ALLOWED: dict[str, frozenset[str]] = {
    "localizer": frozenset(),
    "reports": frozenset(),
    "baselines": frozenset({"localizer"}),
    "harness": frozenset({"localizer", "baselines"}),
}
#: The top: modules that wire the layers together and may import any package. Nothing but
#: another wiring module may import them.
WIRING = frozenset({"harness.cli", "harness.reporting", "harness.commands",
                    *(f"harness.commands.{m}" for m in ("cases", "common", "mutants", "reference",
                                                          "results", "run"))})
#: Documented, temporary exceptions ``(importer, imported) -> reason``. Each one needs an edit in
#: a file another change owns; remove the entry with that edit (a stale entry fails the tests).
EXCEPTIONS: dict[tuple[str, str], str] = {
}
#: Longest module, in lines ("data excepted": :data:`DATA_MODULES` are exempt).
MAX_LINES = 400
#: Modules that are data rather than code (none today).
DATA_MODULES: frozenset[str] = frozenset()


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join(parts)] = path
    return found


MODULES = _modules()


def _resolve(name: str) -> str | None:
    """The project module ``name`` refers to (the longest existing prefix), if any."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _imported(module: str, path: Path) -> Iterator[tuple[str, int]]:
    """``(imported project module, line)`` for every import statement of ``module``."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([node.module] if node.module else [])])
            # ``from pkg import sub`` imports the submodule ``pkg.sub`` when there is one.
            names = [f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base
                     for a in node.names]
        else:
            continue
        for name in names:
            target = _resolve(name)
            if target is not None and target != module:
                yield target, node.lineno


EDGES: dict[str, dict[str, int]] = {
    m: dict(sorted(_imported(m, p))) for m, p in MODULES.items()
}


def _package(module: str) -> str:
    return module.split(".")[0]


def _violation(importer: str, imported: str) -> str | None:
    if importer in WIRING:
        return None
    if imported in WIRING:
        return f"imports the wiring module {imported} (only wiring may)"
    source, target = _package(importer), _package(imported)
    if source == target or target in ALLOWED[source]:
        return None
    return f"points up or across a layer: {source} may import only {sorted(ALLOWED[source])}"


def test_every_module_is_found() -> None:
    """The scan sees the packages (a wrong root would make every other test pass vacuously)."""
    assert {"localizer.probe", "baselines.base", "harness.cli", "reports.render"} <= set(MODULES)
    assert EDGES["harness.cli"], "harness.cli imports nothing? the parser is broken"


def test_no_import_points_up_a_layer() -> None:
    """localizer <- baselines <- harness, reports alone, harness.cli/reporting on top."""
    bad = []
    for importer, targets in EDGES.items():
        for imported, line in targets.items():
            if (importer, imported) in EXCEPTIONS:
                continue
            why = _violation(importer, imported)
            if why:
                bad.append(f"{MODULES[importer].relative_to(ROOT)}:{line}: "
                           f"{importer} -> {imported}: {why}")
    assert not bad, "imports against docs/architecture.md:\n" + "\n".join(bad)


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """One cycle (as a path a -> ... -> a) per strongly connected component (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[set[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.add(w)
                if w == v:
                    break
            if len(component) > 1:
                components.append(component)

    for v in sorted(edges):
        if v not in index:
            visit(v)
    cycles = []
    for component in components:
        start = min(component)
        paths = {start: [start]}
        queue = [start]
        while queue:  # breadth-first, inside the component, back to the start
            v = queue.pop(0)
            for w in sorted(edges[v] & component):
                if w == start:
                    cycles.append([*paths[v], start])
                    queue = []
                    break
                if w not in paths:
                    paths[w] = [*paths[v], w]
                    queue.append(w)
    return cycles


def test_no_import_cycles() -> None:
    """No two modules import each other, directly or through others."""
    edges = {m: {t for t in targets if (m, t) not in EXCEPTIONS} for m, targets in EDGES.items()}
    cycles = _cycles(edges)
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_cycle_finder_reports_the_cycle() -> None:
    """The cycle check itself: a -> b -> c -> a is found and named; a DAG has none."""
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c", "a"]]
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": set()}) == []


@pytest.mark.parametrize("edge", sorted(EXCEPTIONS))
def test_exceptions_are_still_needed(edge: tuple[str, str]) -> None:
    """Each documented exception still matches an import (else delete it)."""
    importer, imported = edge
    assert imported in EDGES.get(importer, {}), (
        f"{importer} no longer imports {imported}: remove the exception ({EXCEPTIONS[edge]})"
    )


def test_modules_are_at_most_400_lines() -> None:
    """Every module has at most 400 lines (data modules excepted)."""
    long = {
        str(path.relative_to(ROOT)): n
        for module, path in MODULES.items()
        if module not in DATA_MODULES
        and (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert not long, f"modules over {MAX_LINES} lines: {long}"


def test_every_module_has_a_role_in_the_architecture_doc() -> None:
    """docs/architecture.md names every module (``path/to/module.py``)."""
    doc = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    missing = [str(p.relative_to(ROOT)) for p in MODULES.values()
               if f"`{p.relative_to(ROOT).as_posix()}`" not in doc]
    assert not missing, f"docs/architecture.md has no line for: {missing}"
