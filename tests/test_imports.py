"""The package's import graph has no cycles, counting imports inside functions too (issue 12)."""

import ast
from pathlib import Path

import gankit

ROOT = Path(gankit.__file__).parent


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path, modules: set[str]) -> set[str]:
    """gankit modules that ``path`` imports anywhere in its body (a package's own submodules
    imported by its __init__ excepted: that is how registries fill)."""
    me, found = module_name(path), set()
    for node in ast.walk(ast.parse(path.read_text())):
        names = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        found |= {n for n in names if n in modules and n != me and not n.startswith(me + ".")}
    return found


def test_no_import_cycles():
    files = {module_name(p): p for p in ROOT.rglob("*.py")}
    graph = {m: imports(p, set(files)) for m, p in files.items()}
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(m, path):
        state[m] = 1
        for n in sorted(graph[m]):
            assert state.get(n) != 1, "import cycle: " + " -> ".join([*path, m, n])
            if n not in state:
                visit(n, [*path, m])
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m, [])


def test_config_is_the_ground_floor():
    """The config package reads nothing above it: option checks, errors and the registry's
    did-you-mean only (so a typo is reported before torch or any layer is imported)."""
    modules = {module_name(p) for p in ROOT.rglob("*.py")}
    allowed = {"gankit.checks", "gankit.errors", "gankit.registry"}
    for path in (ROOT / "config").glob("*.py"):
        outside = {m for m in imports(path, modules) if not m.startswith("gankit.config")}
        assert outside <= allowed, (path.name, outside - allowed)
