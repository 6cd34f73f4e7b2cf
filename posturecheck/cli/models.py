"""``posturecheck models build|list``: the offline pose model bundles."""

from __future__ import annotations

import argparse
import sys

from posturecheck.adapters import models
from posturecheck.errors import ExitStatus


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The ``build`` and ``list`` actions of ``posturecheck models``."""
    msub = p.add_subparsers(dest="models_command", metavar="ACTION", required=True)
    pb = msub.add_parser(
        "build", help="build pose_landmarker_<variant>.task from registry packages"
    )
    pb.add_argument("--variant", default="full", choices=["lite", "full", "heavy", "all"])
    pb.add_argument("--dest", default=None, help="output folder (default: see `models list`)")
    pb.add_argument("--force", action="store_true", help="rebuild even if a verified bundle exists")
    pb.set_defaults(func=run_build)
    pl = msub.add_parser("list", help="show where bundles live and whether they verify")
    pl.set_defaults(func=run_list)


def run_build(args: argparse.Namespace) -> int:
    """Build the requested bundles (offline, pinned checksums); print where each one is."""
    variants = list(models.VARIANTS) if args.variant == "all" else [args.variant]
    for v in variants:
        path = models.build(v, args.dest, force=args.force, log=lambda s: print(s, file=sys.stderr))
        print(f"{v}: {path}")
    return int(ExitStatus.OK)


def run_list(args: argparse.Namespace) -> int:
    """Show the models folder and each bundle's status."""
    print(f"models directory: {models.models_dir()}")
    for row in models.list_models():
        print(
            f"  {row.variant:6} {row.status or 'missing':8} {row.path}  (build needs {row.needs})"
        )
    return int(ExitStatus.OK)
