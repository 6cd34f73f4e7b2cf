"""Keep the layers of docs/architecture.md honest by parsing every import of the package.

Imports inside functions and under ``if TYPE_CHECKING:`` count like any other: a lazy import
still ties two modules together. Layers, lowest first (imports only go downward)::

    core (+ errors and the package root)  <-  adapters  <-  render  <-  batch | live  <-  cli

A rule that only another branch's pending work still breaks can be listed in :data:`PENDING` with
the offender; the rule holds for everything else (empty since the live split landed).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PKG = ROOT / "posturecheck"

RANK = {"": 0, "core": 0, "adapters": 1, "render": 2, "batch": 3, "live": 3, "cli": 4}
"""Layer of each folder ("" = the package root: errors, __init__)."""
TOP = {"posturecheck.bootstrap", "posturecheck.__main__"}
"""Entry points above every layer (one-command setup, ``python -m posturecheck``)."""
ENTRY_POINTS = TOP | {"posturecheck.cli.main"}  # + the console script
DRIVERS = {"batch", "live", "cli"}
IO_LIBRARIES = {"cv2", "mediapipe", "matplotlib", "sqlite3", "time", "av"}

# Single owners: who may touch a third-party facility. Names are matched as attributes or
# imported names (cv2.VideoCapture, from cv2 import VideoCapture) and as imported modules.
OWNER_OF_ATTRIBUTE = {
    "VideoCapture": "posturecheck.adapters.sources",
    "imshow": "posturecheck.adapters.window",
    "pollKey": "posturecheck.adapters.window",
    "waitKey": "posturecheck.adapters.window",
}
OWNER_OF_MODULE = {
    "mediapipe": "posturecheck.adapters.estimator",
    "matplotlib": "posturecheck.render.report_plots",
}

# Offences of code that other engineers are rewriting in parallel (issue 10): rule -> offenders.
PENDING: dict[str, set[str]] = {}  # the live split (calibrate<->live, HighGUI, VideoCapture) landed


@dataclass(frozen=True)
class Module:
    name: str  # dotted, e.g. posturecheck.core.rules
    path: Path
    tree: ast.Module

    @property
    def folder(self) -> str:
        parts = self.name.split(".")
        return parts[1] if len(parts) > 1 and (PKG / parts[1]).is_dir() else ""


@cache
def modules() -> dict[str, Module]:
    out = {}
    for p in sorted(PKG.rglob("*.py")):
        parts = list(p.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        name = ".".join(parts)
        out[name] = Module(name, p, ast.parse(p.read_text(encoding="utf-8")))
    return out


def _raw_imports(m: Module) -> Iterator[tuple[str, list[str]]]:
    """``(module, imported names)`` of every import statement, anywhere in the file."""
    pkg = m.name if m.path.name == "__init__.py" else m.name.rsplit(".", 1)[0]
    for node in ast.walk(m.tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                yield a.name, []
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = pkg.split(".")[: len(pkg.split(".")) - node.level + 1]
                base = ".".join(up + ([base] if base else []))
            yield base, [a.name for a in node.names]


@cache
def internal_imports(name: str) -> frozenset[str]:
    """The package modules ``name`` imports (``from pkg import mod`` counts as ``pkg.mod``)."""
    mods = modules()
    out: set[str] = set()
    for base, names in _raw_imports(mods[name]):
        if not base.startswith("posturecheck"):
            continue
        subs = [f"{base}.{n}" for n in names if f"{base}.{n}" in mods]
        out.update(subs)
        if base in mods and (len(subs) < len(names) or not names):
            out.add(base)  # an attribute of the module itself (or a plain import)
    out.discard(name)
    return frozenset(out)


def _external_roots(m: Module) -> set[str]:
    return {b.split(".")[0] for b, _ in _raw_imports(m) if b and not b.startswith("posturecheck")}


def _report(rule: str, found: set[str]) -> None:
    unexpected = found - PENDING.get(rule, set())
    assert not unexpected, f"{rule}: " + "; ".join(sorted(unexpected))


# --------------------------------------------------------------------------- the rules


def cycles() -> set[str]:
    """Strongly connected groups of the import graph, as 'a <-> b <-> ...'."""
    graph = {n: internal_imports(n) for n in modules()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: set[str] = set()

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                found.add(" <-> ".join(sorted(group)))

    for v in graph:
        if v not in index:
            visit(v)
    return found


def downward_violations() -> set[str]:
    """Imports that go up or sideways (batch <-> live) between layers."""
    mods = modules()
    bad = set()
    for name, m in mods.items():
        if name in TOP:
            continue
        for dep in internal_imports(name):
            d = mods[dep]
            upward = dep in TOP or RANK[d.folder] > RANK[m.folder]
            sideways = {d.folder, m.folder} == {"batch", "live"}
            if upward or sideways:
                bad.add(f"{name} -> {dep}")
    return bad


def owner_violations() -> set[str]:
    bad = set()
    for name, m in modules().items():
        for node in ast.walk(m.tree):
            attr = None
            if isinstance(node, ast.Attribute):
                attr = node.attr
            elif isinstance(node, ast.alias):
                attr = node.name.split(".")[-1]
            owner = OWNER_OF_ATTRIBUTE.get(attr or "")
            if owner is not None and name != owner:
                bad.add(f"{name} uses {attr}")
        for root in _external_roots(m):
            owner = OWNER_OF_MODULE.get(root)
            if owner is not None and name != owner:
                bad.add(f"{name} imports {root}")
    return bad


def test_no_import_cycles() -> None:
    _report("cycles", cycles())


def test_imports_only_go_downward() -> None:
    _report("downward", downward_violations())


def test_core_imports_only_core_and_errors() -> None:
    mods = modules()
    bad = {
        f"{n} -> {d}"
        for n, m in mods.items()
        if m.folder == "core"
        for d in internal_imports(n)
        if mods[d].folder != "core" and d != "posturecheck.errors"
    }
    assert not bad, bad


def test_pure_core_imports_no_io_libraries() -> None:
    bad = {
        f"{n} imports {r}"
        for n, m in modules().items()
        if m.folder == "core"
        for r in _external_roots(m) & IO_LIBRARIES
    }
    assert not bad, bad


def test_adapters_and_render_never_import_drivers() -> None:
    mods = modules()
    bad = {
        f"{n} -> {d}"
        for n, m in mods.items()
        if m.folder in ("adapters", "render")
        for d in internal_imports(n)
        if mods[d].folder in DRIVERS
    }
    assert not bad, bad


def test_live_and_batch_never_import_each_other() -> None:
    mods = modules()
    bad = {
        f"{n} -> {d}"
        for n, m in mods.items()
        if m.folder in ("live", "batch")
        for d in internal_imports(n)
        if mods[d].folder in ("live", "batch") and mods[d].folder != m.folder
    }
    assert not bad, bad


def test_single_owners() -> None:
    _report("owners", owner_violations())


def test_every_module_is_imported_by_another() -> None:
    imported = {d for n in modules() for d in internal_imports(n)}
    orphans = {
        n
        for n, m in modules().items()
        if n not in imported and n not in ENTRY_POINTS and m.path.name != "__init__.py"
    }
    assert not orphans, orphans


# --------------------------------------------------------------------------- the checker itself


def test_the_checker_sees_lazy_and_type_checking_imports(tmp_path: Path) -> None:
    src = (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from posturecheck.core import rules\n"
        "def f():\n    import posturecheck.live.session\n"
        "    from posturecheck.core.fmt import clock\n"
    )
    m = Module("posturecheck.core.probe", tmp_path / "probe.py", ast.parse(src))
    found = {b for b, _ in _raw_imports(m)}
    assert {"posturecheck.core", "posturecheck.live.session", "posturecheck.core.fmt"} <= found


# --------------------------------------------------------------------------- library code


def test_library_modules_do_not_print_or_exit() -> None:
    for name, m in modules().items():
        if m.folder in DRIVERS or name in TOP:
            continue
        # A module's own command-line entry (``def main`` / ``if __name__ == "__main__":``)
        # may print.
        body = [
            n
            for n in m.tree.body
            if not (isinstance(n, ast.FunctionDef) and n.name in ("main", "_main"))
            and not (isinstance(n, ast.If) and "__name__" in ast.unparse(n.test))
        ]
        for node in (sub for top in body for sub in ast.walk(top)):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                assert node.func.id not in {"print", "exit"}, (
                    f"{m.path.name}:{node.lineno} calls {node.func.id}()"
                )
            if (
                isinstance(node, ast.Attribute)
                and node.attr == "exit"
                and isinstance(node.value, ast.Name)
            ):
                assert node.value.id != "sys", f"{m.path.name}:{node.lineno} calls sys.exit()"


def test_every_module_has_its_line_in_the_architecture_doc() -> None:
    doc = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    missing = {
        str(m.path.relative_to(PKG))
        for m in modules().values()
        if m.path.name != "__init__.py" and f"`{m.path.relative_to(PKG)}`" not in doc
    }
    assert not missing, f"docs/architecture.md has no line for {sorted(missing)}"
