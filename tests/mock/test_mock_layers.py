"""The mock's modules stay small, depend on each other one way, and need nothing of the kit but its data.

The mock is a server other projects run; it must not pull in the runner, the checks or the
reports, and a cycle between its own modules (the HTTP app and its control endpoints once
imported each other) makes every one of them harder to read and to test alone.
"""

from __future__ import annotations

import ast
from pathlib import Path

import conformance.mock

MOCK_DIR = Path(conformance.mock.__file__).parent
PACKAGE = "conformance.mock"
#: What the mock may import of the rest of the kit.
KIT_ALLOWED = ("conformance.profile", "conformance.contract", "conformance.basic_auth")
MAX_LINES = 500


def _imports(path: Path) -> set[str]:
    """Every module an import statement of the file names (function-level imports included)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
            # "from conformance.mock import access" names the module conformance.mock.access
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _graph() -> dict[str, set[str]]:
    modules = {path.stem for path in MOCK_DIR.glob("*.py") if path.stem != "__init__"}
    graph = {}
    for name in modules:
        found = _imports(MOCK_DIR / f"{name}.py")
        graph[name] = {m.split(".")[2] for m in found if m.startswith(PACKAGE + ".") and m.split(".")[2] in modules}
    return graph


def test_no_import_cycles_inside_the_mock():
    graph = _graph()
    state: dict[str, str] = {}
    cycles: list[list[str]] = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = "open"
        for dep in sorted(graph[node]):
            if state.get(dep) == "open":
                cycles.append(path[path.index(dep) :] + [dep] if dep in path else [node, dep])
            elif dep not in state:
                visit(dep, path + [dep])
        state[node] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert not cycles, f"import cycles in {PACKAGE}: {cycles}"


def test_the_mock_imports_only_the_kits_data_modules():
    foreign = {}
    for path in MOCK_DIR.glob("*.py"):
        kit = {m for m in _imports(path) if m.startswith("conformance.")}  # "from conformance import x": conformance.x
        bad = {m for m in kit if not m.startswith(PACKAGE) and not m.startswith(KIT_ALLOWED)}
        if bad:
            foreign[path.name] = sorted(bad)
    assert not foreign, f"the mock imports parts of the kit it must not: {foreign}"


def test_no_module_of_the_mock_is_over_500_lines():
    long = {path.name: n for path in MOCK_DIR.glob("*.py") if (n := len(path.read_text().splitlines())) > MAX_LINES}
    assert not long, f"split these modules (at most {MAX_LINES} lines each): {long}"
