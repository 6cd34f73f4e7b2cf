"""Output locations: create and check them up front, one line for every way that can fail.

The drivers call :func:`ensure_output_dir` before any work (``analyze --out``) and
:func:`write_text_file` for single-file outputs (``history --html``), so an existing file in the
way, a permission problem, a read-only filesystem or a full disk is a one-line
:class:`~posturecheck.errors.OutputError` (exit code 2, a bad option value), never a traceback.
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from pathlib import Path

from posturecheck.errors import OutputError

_REASONS = {
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.EROFS: "read-only filesystem",
    errno.ENOSPC: "no space left on the disk",
    errno.EDQUOT: "disk quota exceeded",
    errno.ENOTDIR: "a part of the path is a file, not a folder",
    errno.EEXIST: "exists and is not a folder",
    errno.EISDIR: "is a folder",
    errno.ENAMETOOLONG: "name too long",
}


def reason(exc: OSError) -> str:
    """A short, user-facing reason for an OS error (``errno`` first, then its text)."""
    return _REASONS.get(exc.errno or 0) or (exc.strerror or str(exc) or type(exc).__name__)


def _probe_write(folder: Path) -> None:
    """Create, write, fsync and remove a small file: proves the folder takes new data now."""
    fd, tmp = tempfile.mkstemp(prefix=".posturecheck-write-test-", dir=folder)
    try:
        os.write(fd, b"\0" * 4096)
        os.fsync(fd)
    finally:
        os.close(fd)
        with contextlib.suppress(OSError):
            os.unlink(tmp)


def ensure_output_dir(path: str | os.PathLike[str], *, option: str = "--out") -> Path:
    """Create the output folder (with its parents) and check that it can be written.

    Raises:
        OutputError: the path is an existing file, or a parent is; permission denied; read-only
            filesystem; disk full. The message names the option and the path.
    """
    p = Path(path)
    if p.exists() and not p.is_dir():
        raise OutputError(f"{option} {p}: exists and is not a folder (choose another {option})")
    try:
        p.mkdir(parents=True, exist_ok=True)
        _probe_write(p)
    except FileExistsError:  # a parent is a file
        raise OutputError(f"{option} {p}: {_REASONS[errno.ENOTDIR]}") from None
    except OSError as exc:
        raise OutputError(f"{option} {p}: cannot write there: {reason(exc)}") from None
    return p


def write_text_file(path: str | os.PathLike[str], text: str, *, option: str) -> Path:
    """Write ``text`` to ``path`` atomically (a temporary file renamed over it).

    Raises:
        OutputError: the path is a folder, its folder cannot be created or written, the disk is
            full; no partial or temporary file is left behind.
    """
    p = Path(path)
    if p.is_dir():
        raise OutputError(f"{option} {p}: is a folder (give a file name, e.g. {p / 'report.html'})")
    tmp = p.with_name(p.name + ".tmp")
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, p)
    except FileExistsError:
        raise OutputError(f"{option} {p}: {_REASONS[errno.ENOTDIR]}") from None
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise OutputError(f"{option} {p}: cannot write: {reason(exc)}") from None
    return p
