"""The output folder (``--out``) as a whole: what in it is ours.

Issue 12 item 9: ``posturecheck analyze .`` with ``--out`` inside the tree re-analysed its own
``annotated.mp4`` on the next run. :func:`without_own_outputs` drops posturecheck's outputs from
what a folder or a glob found (a file named on the command line is always analysed).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

from posturecheck.batch.resume import MARKER_NAME
from posturecheck.render import annotate

log = logging.getLogger(__name__)

ANNOTATED = (annotate.VIDEO_NAME, annotate.IMAGE_NAME)  # the only media posturecheck writes
REPORT_FILES = ("summary.json", "report.html", "frames.csv")


def is_own_output(file: Path, out_dir: Path) -> bool:
    """Whether ``file`` is media posturecheck wrote: an ``annotated.mp4``/``annotated.jpg`` in an
    input's output folder (one directly under ``out_dir``, or one holding a report, a summary,
    frames or a done marker: the outputs of any earlier run, wherever its ``--out`` was).

    Only those two names are checked because they are the only media posturecheck writes; a
    user's own video is never skipped, even with ``--out .``.
    """
    f = Path(file)
    if f.name not in ANNOTATED:
        return False
    folder = f.parent
    if os.path.realpath(folder.parent) == os.path.realpath(out_dir):
        return True
    return any((folder / n).is_file() for n in (*REPORT_FILES, MARKER_NAME))


def without_own_outputs(
    files: Sequence[Path], specs: Iterable[str | os.PathLike[str]], out_dir: Path
) -> list[Path]:
    """``files`` without posturecheck's own outputs, except those named on the command line."""
    named = {Path(s).resolve() for s in specs if Path(s).is_file()}
    kept = [f for f in files if f.resolve() in named or not is_own_output(f, out_dir)]
    if len(kept) < len(files):
        log.info("skipped %d file(s) that posturecheck wrote", len(files) - len(kept))
    return kept
