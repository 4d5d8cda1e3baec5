"""Which way imports point: no import cycle among intercomkit's modules.

Imports inside functions count (they are how a cycle hides); ``if TYPE_CHECKING:`` imports do not (they never run).
"""

import ast
import subprocess
import sys
from pathlib import Path

import intercomkit

ROOT = Path(intercomkit.__file__).parent

# Cycles still being removed under issue 18 (the export engine and CLI refactor). Delete a pair from here when its
# cycle goes; the test then keeps it gone.
KNOWN_CYCLES: set[frozenset[str]] = set()


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                skipped.update(id(n) for n in ast.walk(child))
    return skipped


def import_graph() -> dict[str, set[str]]:
    """``module -> modules of intercomkit it imports`` (at module level or inside functions)."""
    files = {_module_name(p): p for p in ROOT.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in files.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        skipped = _type_checking_nodes(tree)
        targets: set[str] = set()
        for node in ast.walk(tree):
            if id(node) in skipped:
                continue
            if isinstance(node, ast.Import):
                targets.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(anchor + ([node.module] if node.module else []))
                # `from pkg import mod` imports the submodule; `from mod import name` imports the module.
                targets.update(
                    f"{base}.{a.name}" if f"{base}.{a.name}" in files else base for a in node.names
                )
        graph[name] = {t for t in targets if t in files and t != name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[set[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[set[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = set()
            while True:
                w = stack.pop()
                component.add(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(component)

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def _without_known(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    return {a: {b for b in targets if frozenset({a, b}) not in KNOWN_CYCLES} for a, targets in graph.items()}


def test_the_graph_sees_imports_inside_functions():
    graph = import_graph()
    assert "intercomkit._client" in graph["intercomkit._connection"]  # module level
    assert "intercomkit.export" in graph["intercomkit._client"]  # inside a cached_property
    assert "intercomkit._credentials" not in graph["intercomkit._session"]  # TYPE_CHECKING only


def test_no_import_cycles_besides_the_known_ones():
    assert cycles(_without_known(import_graph())) == []


def test_known_cycles_still_exist():
    """A known cycle that is gone must leave KNOWN_CYCLES, so it cannot come back unnoticed."""
    graph = import_graph()
    for pair in KNOWN_CYCLES:
        a, b = sorted(pair)
        assert b in graph[a] and a in graph[b], f"{a} ↔ {b} is gone: remove it from KNOWN_CYCLES"


def test_credentials_do_not_reach_the_network():
    graph = import_graph()
    assert "intercomkit._client" not in graph["intercomkit._credentials"]
    assert "intercomkit._client" not in graph["intercomkit.oauth"]


def test_import_intercomkit_stays_light():
    """Features load on first use: ``import intercomkit`` pulls in neither pandas nor the feature packages, nor Dask
    (the fleet extra: the core install has no Dask)."""
    code = (
        "import sys, intercomkit as ik\n"
        "heavy = ['pandas', 'intercomkit.webhooks', 'intercomkit.export', 'intercomkit.sandbox',\n"
        "         'intercomkit.support', 'intercomkit.fleet', 'dask', 'distributed']\n"
        "print(*[m for m in heavy if m in sys.modules])\n"
        "print(ik.webhooks.Router.__name__, 'intercomkit.webhooks' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.splitlines() == ["", "Router True"]


def _imports_of(graph: dict[str, set[str]], prefix: str) -> set[str]:
    """What the modules named ``prefix`` (the module or its package) import from outside themselves."""
    inside = [m for m in graph if m == prefix or m.startswith(prefix + ".")]
    return {t for m in inside for t in graph[m] if not (t == prefix or t.startswith(prefix + "."))}


def _under(module: str, *packages: str) -> bool:
    return any(module == p or module.startswith(p + ".") for p in packages)


def test_layers_point_down_as_the_readme_draws_them():
    """README "How it is built": the pure bottom imports nothing above it; resources and messages never reach the
    features above them; only the command line reaches into the sandbox."""
    graph = import_graph()
    ik = "intercomkit"
    assert all(
        _under(t, f"{ik}._protocol", f"{ik}.errors", f"{ik}._version")
        for t in _imports_of(graph, f"{ik}._protocol")
    )
    assert _imports_of(graph, f"{ik}._columns") == set() and _imports_of(graph, f"{ik}.errors") == set()
    assert _imports_of(graph, f"{ik}._walk") <= {f"{ik}._protocol.pages"}
    assert _imports_of(graph, f"{ik}._frames") <= {f"{ik}._columns", f"{ik}._support_rows", f"{ik}.errors"}
    features = [f"{ik}.{p}" for p in ("export", "fleet", "notebook", "webhooks", "support", "sandbox", "cli")]
    for lower in ("resources", "messages", "_pagination", "_client"):
        reached = {t for t in _imports_of(graph, f"{ik}.{lower}") if _under(t, *features)}
        # The client's accessor ``client.export`` is the one way up, loaded on first use.
        assert reached <= ({f"{ik}.export"} if lower == "_client" else set()), (lower, reached)
    for module, targets in graph.items():
        if any(_under(t, f"{ik}.sandbox") for t in targets):
            assert _under(module, f"{ik}.sandbox", f"{ik}.cli", f"{ik}.export._cli"), module
