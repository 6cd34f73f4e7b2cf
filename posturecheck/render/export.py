"""Output sinks of the batch driver: ``frames.csv``, ``summary.json``, the index and videos.

Everything here streams: :class:`SessionSink` takes one :class:`FrameResult` at a time, writes
its CSV row at once and keeps only compact per-frame numbers for the report's plots, so a
long recording never sits in memory. The ``summary.json`` schema is versioned
(:data:`SCHEMA_VERSION`) and documented in ``docs/outputs.md``.
"""

from __future__ import annotations

import csv
import datetime as _dt
import io
import json
import logging
import math
import os
import shutil
import subprocess
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from posturecheck import __version__
from posturecheck.core.catalog import BAND_RANK, METRIC_NAMES, METRICS
from posturecheck.core.config import Config
from posturecheck.core.rules import resolve_limits
from posturecheck.core.summary import SessionSummary, SummaryAccumulator
from posturecheck.core.types import FrameResult
from posturecheck.render import report
from posturecheck.render.timeline import STATUS_COLUMNS, Timeline, not_judged, status_pct

log = logging.getLogger(__name__)

SCHEMA_VERSION = "1.0"
"""Version of ``summary.json`` (major changes when a field changes meaning or disappears)."""

INDEX_COLUMNS: tuple[str, ...] = (
    "input",
    "kind",
    "status",
    "reason",
    "report",
    "duration_s",
    "frames_analyzed",
    "person_present_pct",
    "view",
    "score",
    "alerts",
    "good_pct",
    "caution_pct",
    "poor_pct",
    "not_assessable_pct",
    "away_pct",
    "top_risk_factor",
    "not_judged",
    "verdict",
)
"""Columns of ``OUT/summary.csv`` (one row per input)."""


# --------------------------------------------------------------------------- small helpers


def clean_json(obj: Any) -> Any:
    """A JSON-safe copy: non-finite floats become ``None``, numpy scalars become Python ones,
    tuples become lists, enums their value, paths strings."""
    if isinstance(obj, Mapping):
        return {str(k): clean_json(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [clean_json(v) for v in obj]
    if isinstance(obj, (bool, type(None), str)):
        return obj
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        f = float(obj)
        return f if math.isfinite(f) else None
    if isinstance(obj, Path):
        return str(obj)
    value = getattr(obj, "value", None)  # enums
    if isinstance(value, (str, int)):
        return value
    if hasattr(obj, "to_dict"):
        return clean_json(obj.to_dict())
    return str(obj)


def write_json_atomic(path: Path, obj: Any) -> None:
    """Write ``obj`` as pretty JSON via a temporary file, so readers never see half a file."""
    text = json.dumps(clean_json(obj), indent=2, allow_nan=False) + "\n"
    report.write_text_atomic(Path(path), text)  # no .tmp left behind on a full disk


def source_dict(
    path: Path,
    *,
    duration_s: float,
    fps: float | None,
    width: int,
    height: int,
    frame_count: int | None = None,
) -> dict[str, Any]:
    """The ``source`` object of ``summary.json``."""
    p = Path(path)
    try:
        st = p.stat()
        size, mtime = st.st_size, _dt.datetime.fromtimestamp(st.st_mtime, _dt.timezone.utc)
        mtime_s: str | None = mtime.isoformat(timespec="seconds")
    except OSError:
        size, mtime_s = None, None
    return {
        "path": str(p),
        "name": p.name,
        "size_bytes": size,
        "modified_utc": mtime_s,
        "duration_s": round(float(duration_s), 3),
        "fps": None if not fps else round(float(fps), 3),
        "resolution": [int(width), int(height)],
        "frame_count": frame_count,
    }


def _fmt(v: float | None, nd: int = 2) -> str:
    if v is None or not math.isfinite(v):
        return ""
    return f"{v:.{nd}f}"


# --------------------------------------------------------------------------- frames.csv


FRAME_COLUMNS_HEAD = ("t_s", "frame", "people", "person_present", "view", "status")


def frame_columns(metric_names: Sequence[str] = METRIC_NAMES) -> list[str]:
    """Columns of ``frames.csv``: time and status, then per metric the judged (smoothed) value,
    its band and the raw per-frame value, then alerts and notes."""
    cols = list(FRAME_COLUMNS_HEAD)
    for m in metric_names:
        cols += [m, f"{m}_band", f"{m}_raw"]
    cols += ["alerts", "notes"]
    return cols


class FramesCsvWriter:
    """Streams one ``frames.csv`` row per analysed frame (flushed every ~100 rows)."""

    def __init__(self, path: Path, metric_names: Sequence[str] = METRIC_NAMES) -> None:
        self.path = Path(path)
        self.metric_names = tuple(metric_names)
        self._fh = open(self.path, "w", newline="", encoding="utf-8")  # noqa: SIM115
        self._w = csv.writer(self._fh)
        self._w.writerow(frame_columns(self.metric_names))
        self.rows = 0

    def write(self, r: FrameResult) -> None:
        raw = r.metrics.values if r.metrics is not None else {}
        row: list[Any] = [
            f"{r.timestamp_ms / 1000.0:.3f}",
            r.index,
            r.people,
            int(r.pose is not None),
            r.view.value,
            r.status.value,
        ]
        for m in self.metric_names:
            row += [_fmt(r.values.get(m)), r.bands.get(m, ""), _fmt(raw.get(m))]
        row += [";".join(a.kind for a in r.alerts), " | ".join(r.notes)]
        self._w.writerow(row)
        self.rows += 1
        if self.rows % 100 == 0:
            self._fh.flush()

    def close(self) -> None:
        if not self._fh.closed:
            self._fh.close()


# --------------------------------------------------------------------------- timeline for plots


# --------------------------------------------------------------------------- session sink


class SessionSink:
    """Everything one input's frames flow into: CSV rows, the summary accumulator, the timeline.

    Args:
        out_dir: the input's output folder (exists).
        config: the configuration the input is analysed with (baseline included).
        write_csv: stream ``frames.csv``.
        keep_timeline: keep the compact timeline for the report's plots.
    """

    def __init__(
        self, out_dir: Path, config: Config, *, write_csv: bool, keep_timeline: bool
    ) -> None:
        self.out_dir = Path(out_dir)
        self.config = config
        self.csv = FramesCsvWriter(self.out_dir / "frames.csv") if write_csv else None
        self.timeline = Timeline() if keep_timeline else None
        self.acc = SummaryAccumulator(config)
        self.frames = 0
        self.person_frames = 0
        self.multi_frames = 0
        self.views: Counter[str] = Counter()
        self.notes: Counter[str] = Counter()
        self.first_ms: int | None = None
        self.last_ms: int | None = None

    def add(self, r: FrameResult) -> None:
        """Record one analysed frame (call in time order)."""
        self.frames += 1
        if self.first_ms is None:
            self.first_ms = r.timestamp_ms
        self.last_ms = r.timestamp_ms
        if r.pose is not None:
            self.person_frames += 1
            self.views[r.view.value] += 1
        if r.people > 1:
            self.multi_frames += 1
        for n in r.notes:
            if len(self.notes) < 50 or n in self.notes:
                self.notes[n] += 1
        self.acc.add(r)
        if self.csv is not None:
            self.csv.write(r)
        if self.timeline is not None:
            self.timeline.add(r)

    def close(self) -> None:
        if self.csv is not None:
            self.csv.close()

    def finish(
        self,
        *,
        source: dict[str, Any],
        settings: dict[str, Any],
        status: str,
        reason: str | None,
        notes: Iterable[str],
        baseline: dict[str, Any] | None,
        analysed_until_s: float,
        write_json: bool,
        kind: str = "video",
        image_result: FrameResult | None = None,
    ) -> dict[str, Any]:
        """Close the CSV, build the ``summary.json`` document and (optionally) write it.

        Returns:
            The document (also used by the report and the index).
        """
        self.close()
        summary = self.acc.finish()
        doc = build_summary_doc(
            summary,
            source=source,
            settings=settings,
            status=status,
            reason=reason,
            frames_analyzed=self.frames,
            analysed_until_s=analysed_until_s,
            multi_frames=self.multi_frames,
            notes=list(notes),
            baseline=baseline,
            limits=limits_dict(self.config),
            kind=kind,
            image_result=image_result,
        )
        if write_json:
            write_json_atomic(self.out_dir / "summary.json", doc)
        return doc

    def _frame_notes(self) -> list[str]:
        out = []
        for n, c in self.notes.most_common(5):
            out.append(f"{n} ({c} frame{'s' if c != 1 else ''})")
        return out


def limits_dict(config: Config) -> dict[str, Any]:
    """The limits each judged metric was held to (baseline applied), for readers and plots."""
    out: dict[str, Any] = {}
    for m, lim in resolve_limits(config).items():
        out[m] = {
            "kind": lim.kind,
            "acceptable": list(lim.acceptable),
            "conditional": list(lim.conditional) if lim.conditional else None,
            "hold": [list(p) for p in lim.hold],
            "relative_to_baseline": lim.relative,
            "views": sorted(v.value for v in lim.views),
            "source": lim.source,
        }
    return clean_json(out)


# Order of the top-level keys of summary.json (documented in docs/outputs.md).
_DOC_ORDER = (
    "schema_version",
    "generator",
    "created_utc",
    "kind",
    "status",
    "reason",
    "source",
    "settings",
    "profile",
    "view",
    "view_s",
    "frames_analyzed",
    "analysed_until_s",
    "t0_s",
    "duration_s",
    "person_present_s",
    "person_present_pct",
    "assessed_s",
    "multiple_people_frames",
    "status_s",
    "worst_band_s",
    "score",
    "score_formula",
    "metrics",
    "limits",
    "alerts",
    "breaks",
    "sitting_bouts",
    "risk_factors",
    "longest_holds",
    "baseline",
    "image",
    "notes",
    "caution",
)


def build_summary_doc(
    summary: SessionSummary,
    *,
    source: dict[str, Any],
    settings: dict[str, Any],
    status: str,
    reason: str | None,
    frames_analyzed: int,
    analysed_until_s: float,
    multi_frames: int,
    notes: Sequence[str],
    baseline: dict[str, Any] | None,
    limits: dict[str, Any] | None = None,
    kind: str = "video",
    image_result: FrameResult | None = None,
) -> dict[str, Any]:
    """Assemble the versioned ``summary.json`` document (see ``docs/outputs.md``).

    Args:
        summary: the :class:`posturecheck.core.summary.SessionSummary` of the input.
        source: from :func:`source_dict`.
        settings: the settings used (sampling, model, profile, configuration...).
        status, reason: the outcome of the input.
        frames_analyzed: analysed frames.
        analysed_until_s: time of the last analysed frame.
        multi_frames: frames with more than one person.
        notes: remarks for the reader (added before the summary's own notes).
        baseline: the personal baseline used, if any.
        limits: from :func:`limits_dict`.
        kind: ``"video"`` or ``"image"``.
        image_result: the single frame's result for images (adds ``image``: metrics + verdict).
    """
    s = clean_json(summary.to_dict() if hasattr(summary, "to_dict") else dict(summary))
    s.pop("schema_version", None)  # the summary module's own version; ours is below
    doc: dict[str, Any] = dict(s)
    doc.update(
        schema_version=SCHEMA_VERSION,
        generator=f"posturecheck {__version__}",
        created_utc=_dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        kind=kind,
        status=status,
        reason=reason,
        source=source,
        settings=clean_json(settings),
        frames_analyzed=frames_analyzed,
        analysed_until_s=round(analysed_until_s, 3),
        multiple_people_frames=multi_frames,
        baseline=clean_json(baseline),
        limits=limits or {},
        notes=list(notes) + list(s.get("notes") or []),
    )
    dur = doc.get("duration_s")
    pp = doc.get("person_present_s")
    doc["person_present_pct"] = (
        round(100.0 * pp / dur, 2) if isinstance(pp, (int, float)) and dur else None
    )
    if image_result is not None:
        doc["image"] = image_verdict(image_result)
    ordered = {k: doc[k] for k in _DOC_ORDER if k in doc}
    ordered.update({k: v for k, v in doc.items() if k not in ordered})
    return ordered


def image_verdict(r: FrameResult) -> dict[str, Any]:
    """Per-image result: metrics, bands and a verdict from the worst band.

    A single image has no duration, so the temporal rules (onset, sustain, holding time) cannot
    apply; the verdict says how the posture in the picture compares with the limits.
    """
    metrics = {
        m: {"value": v, "band": r.bands.get(m), "label": METRICS[m].label, "unit": METRICS[m].unit}
        for m, v in r.values.items()
        if v is not None and m in METRICS
    }
    if r.pose is None:
        verdict, text = "no_person", "Nobody found in the image."
    elif not r.bands:
        verdict = "not_assessable"
        text = (
            f"A person is visible ({r.view.value} view) but nothing can be judged from this view."
        )
    else:
        worst = max(r.bands.values(), key=lambda b: BAND_RANK.get(b, 0))
        if worst == "not_acceptable":
            bad = [
                METRICS[m].label
                for m, b in r.bands.items()
                if b == "not_acceptable" and m in METRICS
            ]
            verdict, text = "poor", "Outside the acceptable range: " + ", ".join(bad) + "."
        elif worst == "conditional":
            cond = [
                METRICS[m].label for m, b in r.bands.items() if b == "conditional" and m in METRICS
            ]
            verdict = "caution"
            text = "Acceptable only for a limited time: " + ", ".join(cond) + "."
        else:
            verdict, text = "good", "Every measure that can be judged from this view is acceptable."
    return {
        "verdict": verdict,
        "text": text,
        "view": r.view.value,
        "people": r.people,
        "metrics": clean_json(metrics),
    }


# --------------------------------------------------------------------------- index over inputs


def index_row(o: Any, out_dir: Path) -> dict[str, Any]:
    """One ``summary.csv`` row for an :class:`posturecheck.batch.run.Outcome`."""
    doc = o.summary or {}
    row: dict[str, Any] = dict.fromkeys(INDEX_COLUMNS, "")
    row.update(input=o.input, kind=o.kind, status=o.status, reason=o.reason or "")
    if o.out_dir is not None and (Path(o.out_dir) / "report.html").is_file():
        row["report"] = os.path.relpath(Path(o.out_dir) / "report.html", out_dir)
    if doc:
        src = doc.get("source") or {}
        row["duration_s"] = src.get("duration_s", "")
        row["frames_analyzed"] = doc.get("frames_analyzed", "")
        pp = doc.get("person_present_pct")
        if pp is None and doc.get("person_present_s") is not None and src.get("duration_s"):
            pp = 100.0 * doc["person_present_s"] / max(src["duration_s"], 1e-9)
        row["person_present_pct"] = _round(pp)
        row["view"] = doc.get("view") or ""
        score = doc.get("score")
        if isinstance(score, Mapping):
            score = score.get("value")
        row["score"] = score if isinstance(score, int) else _round(score, 0)
        row["alerts"] = len(doc.get("alerts") or [])
        st = status_pct(doc)
        if st:  # shares of the analysed time: they add up to 100 (a missing status is 0)
            for k, col in STATUS_COLUMNS:
                row[col] = _round(st.get(k, 0.0))
        row["top_risk_factor"] = top_risk_factor(doc) or ""
        row["not_judged"] = "; ".join(not_judged(doc))
        if doc.get("image"):
            row["verdict"] = doc["image"].get("verdict", "")
    return row


FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
"""A text cell starting with one of these is a formula to spreadsheet programs (CSV injection)."""


def csv_safe(v: Any) -> Any:
    """A ``summary.csv`` cell that spreadsheets show as text: numbers stay numbers, a string
    starting with ``= + - @``, tab or CR gets a leading apostrophe (OWASP's CSV-injection rule)."""
    if isinstance(v, str) and v.startswith(FORMULA_PREFIXES):
        return "'" + v
    return v


def _round(v: Any, nd: int = 1) -> Any:
    return round(float(v), nd) if isinstance(v, (int, float)) and math.isfinite(v) else ""


def top_risk_factor(doc: Mapping[str, Any]) -> str | None:
    """The risk factor that was a problem: the most alerts, then the most time out of band.

    Only a factor with at least one alert counts: out-of-band time that never became a sustained
    problem is not named as the video's "main risk factor" (it would read like a diagnosis).
    """
    rf = doc.get("risk_factors")
    if not isinstance(rf, Mapping):
        return None
    best, best_key = None, (0, 0.0)
    for name, v in rf.items():
        if not isinstance(v, Mapping) or int(v.get("alerts") or 0) < 1:
            continue
        key = (int(v.get("alerts") or 0), exposure_s(v))
        if key > best_key:
            best, best_key = name, key
    return best


def exposure_s(v: Mapping[str, Any]) -> float:
    """Seconds a risk factor's measures spent outside the acceptable band."""
    bands = v.get("band_s") or {}
    return float(
        sum(x for b, x in bands.items() if b != "acceptable" and isinstance(x, (int, float)))
    )


def write_index(out_dir: Path, outcomes: Sequence[Any], *, write_html: bool = True) -> Path:
    """Write ``OUT/summary.csv`` (always) and ``OUT/index.html``; returns the index path."""
    out_dir = Path(out_dir)
    rows = [index_row(o, out_dir) for o in outcomes]
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(INDEX_COLUMNS))
    w.writeheader()
    w.writerows({k: csv_safe(v) for k, v in r.items()} for r in rows)
    report.write_text_atomic(out_dir / "summary.csv", buf.getvalue())
    index = out_dir / "index.html"
    if write_html:
        report.write_index_html(index, rows, outcomes)
    return index if write_html else out_dir / "summary.csv"


# --------------------------------------------------------------------------- annotated video


def ffmpeg_exe() -> str | None:
    """The ffmpeg binary of the optional ``imageio-ffmpeg`` package (has libx264), if any."""
    try:
        import imageio_ffmpeg
    except ImportError:
        return shutil.which("ffmpeg")
    try:
        return imageio_ffmpeg.get_ffmpeg_exe()
    except RuntimeError:
        return shutil.which("ffmpeg")


def h264_from_raw_cmd(
    exe: str, size_wh: tuple[int, int], fps: float, *, preset: str = "veryfast", crf: int = 26
) -> list[str]:
    """ffmpeg arguments that read raw BGR frames from stdin and encode H.264 (yuv420p, no audio).

    Callers append their own output options and the output path.
    """
    w, h = size_wh
    return [
        exe, "-hide_banner", "-loglevel", "error", "-y",
        "-f", "rawvideo", "-pix_fmt", "bgr24", "-s", f"{w}x{h}", "-r", f"{fps:g}", "-i", "-",
        "-an", "-c:v", "libx264", "-preset", preset, "-crf", str(crf), "-pix_fmt", "yuv420p",
    ]  # fmt: skip


class VideoWriter:
    """Writes BGR frames as an MP4: H.264 through ffmpeg when available (plays in browsers),
    otherwise OpenCV's MPEG-4 Part 2 (``mp4v``; plays in desktop players)."""

    def __init__(self, path: Path, size_wh: tuple[int, int], fps: float) -> None:
        self.path = Path(path)
        self.size_wh = size_wh
        self.codec = "h264"
        self._proc: subprocess.Popen[bytes] | None = None
        self._cv = None
        exe = ffmpeg_exe()
        w, h = size_wh
        if exe is not None and w % 2 == 0 and h % 2 == 0:
            cmd = [
                *h264_from_raw_cmd(exe, size_wh, fps),
                "-movflags",
                "+faststart",
                str(self.path),
            ]
            try:
                self._proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stderr=subprocess.PIPE)
            except OSError as exc:
                log.warning("cannot start ffmpeg (%s); writing mp4v instead", exc)
        if self._proc is None:
            import cv2

            self.codec = "mp4v"
            self._cv = cv2.VideoWriter(str(self.path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))

    def write(self, image: np.ndarray) -> None:
        if self._proc is not None and self._proc.stdin is not None:
            try:
                self._proc.stdin.write(np.ascontiguousarray(image).tobytes())
            except BrokenPipeError:
                log.warning("ffmpeg stopped while writing %s", self.path)
                self._proc = None
        elif self._cv is not None:
            self._cv.write(image)

    def close(self) -> None:
        if self._proc is not None:
            _, err = self._proc.communicate()
            if self._proc.returncode:
                log.warning(
                    "ffmpeg failed on %s: %s", self.path, err.decode(errors="replace")[-300:]
                )
            self._proc = None
        if self._cv is not None:
            self._cv.release()
            self._cv = None
