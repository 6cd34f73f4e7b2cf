"""One-command setup for a fresh checkout (stdlib only, runs with any Python >= 3.10).

    python3 -m posturecheck.bootstrap            # venv + install + build model + analyse samples/
    python3 -m posturecheck.bootstrap --no-run   # everything but the sample analysis

Steps: create ``.venv`` (if missing), ``pip install -e ".[test]"`` into it, build the default
pose model offline (``posturecheck models build --variant full``; also ``lite``, live mode's
default, when npm is available), then run the main job:
``posturecheck analyze samples/ --out out/samples``. Re-running is cheap: each step is skipped
or verified when already done.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _venv_python(venv_dir: Path) -> Path:
    scripts = "Scripts" if os.name == "nt" else "bin"
    exe = "python.exe" if os.name == "nt" else "python"
    return venv_dir / scripts / exe


def _run(cmd: list[str | os.PathLike[str]]) -> None:
    print("+ " + " ".join(str(c) for c in cmd), flush=True)
    rc = subprocess.call([str(c) for c in cmd], cwd=ROOT)
    if rc != 0:
        print(
            f"bootstrap: step failed with exit code {rc}: {' '.join(str(c) for c in cmd)}",
            file=sys.stderr,
        )
        raise SystemExit(rc)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python3 -m posturecheck.bootstrap", description=__doc__.split("\n")[0]
    )
    ap.add_argument("--venv", default=str(ROOT / ".venv"), help="virtual environment folder")
    ap.add_argument("--no-run", action="store_true", help="set up only; do not analyse samples/")
    ap.add_argument("--out", default="out/samples", help="output folder of the sample analysis")
    args = ap.parse_args(argv)

    if sys.version_info < (3, 10):  # noqa: UP036 (runs on whatever python3 the user has)
        print("bootstrap: posturecheck needs Python >= 3.10", file=sys.stderr)
        return 2
    venv_dir = Path(args.venv)
    py = _venv_python(venv_dir)
    if not py.exists():
        print(f"+ creating virtual environment {venv_dir}", flush=True)
        venv.EnvBuilder(with_pip=True, clear=False).create(venv_dir)
    _run([py, "-m", "pip", "install", "--quiet", "-e", ".[test]"])
    _run([py, "-m", "posturecheck", "models", "build", "--variant", "full"])
    # Live mode's default (lighter on the CPU); it needs npm. Without npm, live uses full.
    if shutil.which("npm"):
        _run([py, "-m", "posturecheck", "models", "build", "--variant", "lite"])
    else:
        print(
            "bootstrap: npm not found: skipping the lite model (live mode will use full)",
            flush=True,
        )
    if not args.no_run:
        _run([py, "-m", "posturecheck", "analyze", "samples", "--out", args.out])
        print(f"\nDone. Open {Path(args.out) / 'index.html'} in a browser.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
