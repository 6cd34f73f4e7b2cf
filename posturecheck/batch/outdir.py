"""The output folder (``--out``) as a whole: what in it is ours, and one run at a time in it.

Issue 12 item 9: ``posturecheck analyze .`` with ``--out`` inside the tree re-analysed its own
``annotated.mp4`` on the next run. :func:`without_own_outputs` drops posturecheck's outputs from
what a folder or a glob found (a file named on the command line is always analysed).

Issue 12 item 3: two runs into one ``--out`` interleaved rows of ``frames.csv``. :func:`exclusive`
(around :func:`posturecheck.batch.run.analyze_paths`) holds :func:`locked` for the whole run, so a
second run refuses with one line (exit code 2) instead of waiting an unknown time.

Issue 12 item 4: a SIGKILL during a redo left the old ``summary.json`` next to a truncated new
``frames.csv``. Each input is written into :func:`staging` (``OUT/.NAME.tmp-PID``) and
:func:`settle` swaps it in when it is done; :func:`sweep` cleans up after a killed run.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import functools
import json
import logging
import os
import re
import shutil
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

from posturecheck.adapters.paths import ensure_output_dir, reason
from posturecheck.batch.outcome import Outcome, guarded, input_failure
from posturecheck.batch.pool import ImageJob, Job
from posturecheck.batch.resume import MARKER_NAME
from posturecheck.errors import OutputError
from posturecheck.render import annotate

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]

T = TypeVar("T")

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


# --------------------------------------------------------------------------- the lock

LOCK_NAME = ".posturecheck.lock"
"""The lock file at the top of an output folder; it holds the pid of the run that has it."""


@contextlib.contextmanager
def locked(out_dir: Path, *, option: str = "--out") -> Iterator[None]:
    """Hold an exclusive lock on ``out_dir`` (issue 12 item 3): one run at a time per folder.

    The lock is ``fcntl.flock`` (``msvcrt.locking`` on Windows) on :data:`LOCK_NAME`, held by
    the open file, so the system releases it when the process ends, even on SIGKILL; the file
    itself stays. A file system without locks (some network shares) logs a warning and goes on.

    Raises:
        OutputError: another process holds the lock (exit code 2); the line names its pid.
    """
    path = Path(out_dir) / LOCK_NAME
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise OutputError(f"{option} {out_dir}: cannot write there: {reason(exc)}") from None
    try:
        if not _try_lock(fd, path):
            holder = _holder(path)
            raise OutputError(
                f"{option} {out_dir}: another posturecheck run{holder} is writing there; "
                f"wait for it to finish or choose another {option}"
            )
        with contextlib.suppress(OSError):  # the pid, for the other run's message
            os.ftruncate(fd, 0)
            os.lseek(fd, 0, os.SEEK_SET)
            os.write(fd, f"{os.getpid()}\n".encode())
        yield
    finally:
        os.close(fd)  # releases the lock


def _try_lock(fd: int, path: Path) -> bool:
    """Take the lock without waiting; ``False`` when another process has it."""
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        else:  # Windows: lock the first byte
            import msvcrt

            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
    except (BlockingIOError, PermissionError):
        return False
    except OSError as exc:
        if exc.errno in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
            return False
        log.warning("%s: cannot lock (%s); concurrent runs into it are not detected", path, exc)
    return True


def _holder(path: Path) -> str:
    """`` (pid N)`` from the lock file, or nothing when it cannot be read."""
    try:
        pid = int(path.read_text(encoding="ascii").strip() or "0")
    except (OSError, ValueError):
        return ""
    return f" (pid {pid})" if pid > 0 else ""


def exclusive(analyze: Callable[..., T]) -> Callable[..., T]:
    """Decorate ``analyze(paths, opts, ...)``: check ``opts.out_dir`` and hold its lock around it
    (a second run into the same folder refuses with one line, exit code 2); ``analyze`` gets
    ``opts`` with ``out_dir`` as a :class:`~pathlib.Path`."""

    @functools.wraps(analyze)
    def run(paths: Any, opts: Any, *args: Any, **kwargs: Any) -> T:
        out = ensure_output_dir(opts.out_dir)  # one line for a file in the way, read-only, full
        opts = dataclasses.replace(opts, out_dir=out)
        with locked(out):
            sweep(out)  # what runs that were killed left
            return analyze(paths, opts, *args, **kwargs)

    return run


# --------------------------------------------------------------------------- redo and swap

INTERRUPTED_KEPT = "interrupted by the user; the previous outputs were kept"

_STAGING = re.compile(r"^\.(?P<name>.+)\.(?P<what>tmp|old)-\d+$")


def staging(final: Path) -> Path:
    """The temporary folder an input's outputs are written into: ``OUT/.NAME.tmp-PID``."""
    return final.with_name(f".{final.name}.tmp-{os.getpid()}")


def analyse_staged(job: Job, analyse: Callable[..., Outcome | None], *args: Any) -> Outcome | None:
    """``analyse(job, *args)``: one input whose outputs go to ``job.out_dir``, its
    :func:`staging` folder; an exception is that input's failure
    (:func:`~posturecheck.batch.outcome.guarded`). Then :func:`settle` them into
    ``OUT/NAME``."""
    kind = "image" if isinstance(job, ImageJob) else "video"
    outcome = guarded(job.path, kind, functools.partial(analyse, job, *args))
    try:
        return settle(job.out_dir, job.out_dir.parent / job.name, outcome)
    except OSError as exc:  # flushing or renaming failed: that input's failure too
        _remove(job.out_dir)
        return input_failure(job.path, kind, exc)


def settle(staged: Path, final: Path, outcome: Outcome | None) -> Outcome | None:
    """Put an input's outputs in place once it is done (issue 12 item 4).

    The outputs were written into ``staged``; the previous result in ``final``, if any, is
    untouched until then. A finished input (ok, no person, or partial: a broken source analysed
    up to where it breaks) replaces it: its files are flushed to disk, ``final`` is renamed
    aside, ``staged`` renamed to ``final``, the old one removed. An input interrupted by the
    user, or that failed with nothing written, keeps the previous result. A kill between the two
    renames leaves ``.NAME.old-PID`` without ``NAME``: :func:`sweep` renames it back.

    Returns:
        ``outcome`` with ``out_dir`` pointing at ``final`` (when it has one).
    """
    if outcome is None or outcome.out_dir is None:
        _remove(staged)
        return outcome
    if outcome.status == "interrupted" and final.is_dir():
        _remove(staged)
        return dataclasses.replace(
            outcome, reason=INTERRUPTED_KEPT, out_dir=final, summary=_summary(final)
        )
    _flush(staged)
    if final.is_dir():
        old = final.with_name(f".{final.name}.old-{os.getpid()}")
        _remove(old)
        os.replace(final, old)
        try:
            os.replace(staged, final)
        except OSError:
            os.replace(old, final)
            raise
        _remove(old)
    elif final.exists():  # a file of the user's in the way: not ours to replace
        _remove(staged)
        why = f"cannot write its outputs: {final} exists and is not a folder"
        return dataclasses.replace(outcome, status="failed", reason=why, out_dir=None)
    else:
        os.replace(staged, final)
    _fsync_dir(final.parent)
    return dataclasses.replace(outcome, out_dir=final)


def sweep(out_dir: Path) -> None:
    """Clean up after runs that were killed: remove ``.NAME.tmp-*`` folders (unfinished
    outputs) and ``.NAME.old-*`` ones (previous outputs already replaced), except an
    ``.old`` whose ``NAME`` is missing (killed between the two renames), which is put back.

    Called with the lock held, so no other run is using them.
    """
    try:
        entries = sorted(Path(out_dir).iterdir())
    except OSError:
        return
    for entry in entries:
        m = _STAGING.match(entry.name)
        if m is None or not entry.is_dir():
            continue
        final = entry.with_name(m["name"])
        if m["what"] == "old" and not final.exists():
            log.info("%s: restoring the previous outputs of an interrupted redo", final)
            os.replace(entry, final)
        else:
            log.info("%s: removing what a killed run left", entry)
            _remove(entry)


def _summary(folder: Path) -> dict[str, Any] | None:
    try:
        doc = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return doc if isinstance(doc, dict) else None


def _remove(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)


def _flush(folder: Path) -> None:
    """fsync every file in ``folder``, so the rename never exposes data still in the cache."""
    for f in folder.iterdir():
        if f.is_file():
            with open(f, "rb") as fh:
                os.fsync(fh.fileno())
    _fsync_dir(folder)


def _fsync_dir(folder: Path) -> None:
    if os.name == "nt":  # folders cannot be opened for fsync on Windows
        return
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
