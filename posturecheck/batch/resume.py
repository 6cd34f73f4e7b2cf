"""Resuming: a done marker per finished input, and skipping inputs whose outputs are current.

A finished input's folder gets :data:`MARKER_NAME` with the source's size and modification
time, a fingerprint of the settings that change results and the list of outputs written. An
input is skipped when all of these still match (see ``docs/outputs.md``, "Resuming"). The marker
is removed before an input is (re)analysed, so a run cut short is redone next time.
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


def write_marker(
    out_dir: Path, src: Path, fingerprint: str, opts: BatchOptions, doc: dict[str, Any]
) -> None:
    """Mark ``out_dir`` as the finished outputs of ``src`` (``doc``: its summary)."""
    marker = {
        "source": {"path": str(src.resolve()), **_file_identity(src)},
        "fingerprint": fingerprint,
        "outputs": output_files(opts, doc.get("kind", "video")),
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
    (size or modification time), the settings differ, or an expected output is gone.
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
    if not all((out_dir / n).is_file() for n in output_files(opts, kind)):
        return None
    summary = marker.get("summary")
    return summary if isinstance(summary, dict) else None
