"""Resuming: a done marker per finished input, and skipping inputs whose outputs are current.

A finished input's folder gets :data:`MARKER_NAME` with the source's size and modification
time, a fingerprint of the settings that change results, and the size and SHA-256 of every
output as written. An input is skipped when all of these still match (see ``docs/outputs.md``,
"Resuming"), so an output truncated or changed since (issue 12 item 3: rows of two runs
interleaved in ``frames.csv``) is redone. The marker is removed before an input is
(re)analysed, so a run cut short is redone next time.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from pathlib import Path
from typing import Any

from posturecheck.batch.options import BatchOptions, output_files, settings_dict
from posturecheck.core.config import Config
from posturecheck.render import export

MARKER_NAME = ".posturecheck-done.json"


def settings_fingerprint(opts: BatchOptions, config: Config) -> str:
    """Hash of everything that changes the analysis (not the output formats, not workers)."""
    d = settings_dict(opts, config)
    d["schema_version"] = export.SCHEMA_VERSION
    blob = json.dumps(d, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:16]


def _file_identity(path: Path) -> dict[str, Any]:
    st = path.stat()
    return {"size_bytes": st.st_size, "mtime_ns": st.st_mtime_ns}


def _digest(path: Path) -> dict[str, Any]:
    """Size and SHA-256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
    return {"size_bytes": path.stat().st_size, "sha256": h.hexdigest()}


def write_marker(
    out_dir: Path, src: Path, fingerprint: str, opts: BatchOptions, doc: dict[str, Any]
) -> None:
    """Mark ``out_dir`` as the finished outputs of ``src`` (``doc``: its summary), with the size
    and SHA-256 of each output as it is now (all of them are written and closed)."""
    names = output_files(opts, doc.get("kind", "video"))
    marker = {
        "source": {"path": str(src.resolve()), **_file_identity(src)},
        "fingerprint": fingerprint,
        "outputs": names,
        "files": {n: _digest(out_dir / n) for n in names if (out_dir / n).is_file()},
        "summary": doc,
    }
    export.write_json_atomic(out_dir / MARKER_NAME, marker)


def remove_marker(out_dir: Path) -> None:
    """Forget that ``out_dir`` was finished (before it is written again)."""
    with contextlib.suppress(FileNotFoundError):
        (out_dir / MARKER_NAME).unlink()


def stored_summary(
    out_dir: Path, src: Path, fingerprint: str, opts: BatchOptions, kind: str
) -> dict[str, Any] | None:
    """The stored summary if ``out_dir`` holds finished outputs of ``src`` with these settings.

    ``None`` (analyse again) when the marker is missing or unreadable, the source changed
    (size or modification time), the settings differ, or an expected output is gone or not the
    bytes that were written (size first, then SHA-256; a marker without sizes and hashes, from
    before they were recorded, counts as not current).
    """
    try:
        marker = json.loads((out_dir / MARKER_NAME).read_text(encoding="utf-8"))
        ident = _file_identity(src)
    except (OSError, ValueError):
        return None
    s = marker.get("source", {})
    if (s.get("size_bytes"), s.get("mtime_ns")) != (ident["size_bytes"], ident["mtime_ns"]):
        return None
    if marker.get("fingerprint") != fingerprint:
        return None
    files = marker.get("files")
    if not isinstance(files, dict) or not all(
        _unchanged(out_dir / n, files.get(n)) for n in output_files(opts, kind)
    ):
        return None
    summary = marker.get("summary")
    return summary if isinstance(summary, dict) else None


def _unchanged(path: Path, recorded: Any) -> bool:
    """Whether ``path`` still holds the bytes the marker recorded."""
    if not isinstance(recorded, dict):
        return False
    try:
        if path.stat().st_size != recorded.get("size_bytes"):
            return False  # cheap: a truncated file is caught without reading it
        return _digest(path) == recorded
    except OSError:
        return False
