"""Keep the module boundaries of ARCHITECTURE.md honest by parsing imports."""

from __future__ import annotations

import ast
from pathlib import Path

PKG = Path(__file__).resolve().parent.parent / "posturecheck"

# Pure core: no OpenCV, no MediaPipe, no plotting, no clock-reading side effects.
PURE = {
    "types",
    "landmarks",
    "geometry",
    "config",
    "metrics",
    "rules",
    "summary",
    "advice",
    "pipeline",
    "baseline",
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _modules() -> dict[str, set[str]]:
    return {p.stem: _imports(p) for p in PKG.rglob("*.py")}


def _layer(p: Path) -> str:
    rel = p.relative_to(PKG)
    return rel.parts[0] if len(rel.parts) > 1 else rel.stem


def test_mediapipe_is_imported_in_exactly_one_module() -> None:
    users = sorted(
        m for m, imps in _modules().items() if any(i.split(".")[0] == "mediapipe" for i in imps)
    )
    assert users == ["estimator"]


def test_pure_core_imports_no_io_libraries() -> None:
    for mod, imps in _modules().items():
        if mod in PURE:
            roots = {i.split(".")[0] for i in imps}
            assert not roots & {"cv2", "mediapipe", "matplotlib", "sqlite3", "time"}, (mod, roots)


def test_library_modules_do_not_print_or_exit() -> None:
    drivers = {"cli", "__main__", "bootstrap", "batch", "live"}
    for p in PKG.rglob("*.py"):
        if _layer(p) in drivers:
            continue
        tree = ast.parse(p.read_text(encoding="utf-8"))
        # A module's own command-line entry (``def main`` / ``if __name__ == "__main__":``)
        # may print.
        body = [
            n
            for n in tree.body
            if not (isinstance(n, ast.FunctionDef) and n.name in ("main", "_main"))
            and not (isinstance(n, ast.If) and "__name__" in ast.unparse(n.test))
        ]
        for node in (sub for top in body for sub in ast.walk(top)):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                assert node.func.id not in {"print", "exit"}, (
                    f"{p.name}:{node.lineno} calls {node.func.id}()"
                )
            if (
                isinstance(node, ast.Attribute)
                and node.attr == "exit"
                and isinstance(node.value, ast.Name)
            ):
                assert node.value.id != "sys", f"{p.name}:{node.lineno} calls sys.exit()"
