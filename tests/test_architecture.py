"""The dependency rules of the code, checked on the source with the standard library's `ast`.

- evals -> app -> rag: rag/ imports nothing from app/ or evals/, and app/ nothing from evals/.
- No two modules depend on each other, directly or around a longer loop. Every import counts: at module level,
  inside functions (a deferred import still ties the two modules together) and under TYPE_CHECKING.
- The LLM judge and the ensemble are joined by the composition root, not by importing each other.

An import of a name from a package (`from app.grading import scorecard`) points at the submodule when one has that
name, else at the package's __init__. A package's __init__ importing its own submodules is how packages re-export
names, not a loop, so edges from an __init__ into its own package are left out; everything else counts.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("app", "rag", "evals")
LAYER = {"rag": 0, "app": 1, "evals": 2}  # a package may import only packages at or below its own layer


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for pkg in PACKAGES for p in sorted((ROOT / pkg).rglob("*.py"))}


def _resolve(name: str, modules: dict[str, Path]) -> str | None:
    """The longest prefix of a dotted name that is one of our modules."""
    parts = name.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in modules:
            return candidate
        parts.pop()
    return None


def _imports(module: str, path: Path, modules: dict[str, Path]) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    is_package = path.name == "__init__.py"
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                base = base[:len(base) - node.level + (1 if is_package else 0)]
                prefix = ".".join(base + ([node.module] if node.module else []))
            else:
                prefix = node.module or ""
            names = [f"{prefix}.{a.name}" for a in node.names]
        else:
            continue
        for name in names:
            target = _resolve(name, modules)
            if target is None or target == module:
                continue
            if is_package and target.startswith(module + "."):
                continue  # a package re-exporting its own submodules
            out.add(target)
    return out


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {m: _imports(m, p, modules) for m, p in modules.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0

    def visit(v: str) -> None:
        nonlocal counter
        index[v] = low[v] = counter
        counter += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_graph_sees_every_package_and_its_imports() -> None:
    graph = _graph()
    assert {m.split(".")[0] for m in graph} == set(PACKAGES)
    assert "rag.retrieval" in graph["rag.answerer"]  # a module-level import
    assert "app.compose" in graph["app.runtime"]


def test_packages_import_only_downwards() -> None:
    wrong = sorted(f"{m} imports {t}" for m, targets in _graph().items() for t in targets
                   if LAYER[t.split(".")[0]] > LAYER[m.split(".")[0]])
    assert wrong == [], "rag/ must not import app/ or evals/, nor app/ import evals/:\n" + "\n".join(wrong)


def test_no_two_modules_import_each_other() -> None:
    cycles = _cycles(_graph())
    assert cycles == [], "import cycles:\n" + "\n".join(" <-> ".join(c) for c in cycles)


def test_the_judge_and_the_ensemble_are_independent() -> None:
    graph = _graph()
    assert "app.grading.llm_judge" not in graph["app.grading.ensemble"]
    assert "app.grading.ensemble" not in graph["app.grading.llm_judge"]


def test_the_cycle_finder_finds_a_loop() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []
