"""How close the audit's viewing-distance estimate comes on nelsonak47_webcam (distance in cm).

Usage: python benchmarks/audit_distance.py /work/shared/data/nelsonak47_webcam

The set's ``distance`` column is the author's own estimate from iris spacing (not a tape
measure), so this compares two camera-model estimates of one person at one desk. Only the
horizontal normalised coordinates are used (x / image width), which is what the pinhole formula
needs; the image aspect is unknown.
"""

from __future__ import annotations

import csv
import statistics
import sys
from pathlib import Path

from posturecheck.core.audit import (
    HFOV_RANGE_DEG,
    IPD_M,
    IPD_SD_M,
    SHOULDER_M,
    SHOULDER_SD_M,
    distance_from_width,
)


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as fh:
        return list(csv.DictReader(fh))


def _pearson(a: list[float], b: list[float]) -> float:
    ma, mb = statistics.fmean(a), statistics.fmean(b)
    num = sum((x - ma) * (y - mb) for x, y in zip(a, b, strict=True))
    den = (sum((x - ma) ** 2 for x in a) * sum((y - mb) ** 2 for y in b)) ** 0.5
    return num / den


def compare(folder: Path) -> dict:
    """Our two cues against the set's ``distance`` column.

    Returns:
        ``{"classes": {name: {"frames", "theirs_cm", "eyes_cm", "shoulders_cm"}} (medians),
        "eyes": {...}, "shoulders": {...}}`` with, per cue, ``ratio`` (median ours/theirs),
        ``mae_cm``, ``r`` (Pearson), ``inside`` (share of frames whose value lies in our stated
        range) and ``frames``.
    """
    theirs: list[float] = []
    inside = {"eyes": 0, "shoulders": 0}
    eyes: list[float] = []
    shoulders: list[float] = []
    classes: dict[str, dict[str, float]] = {}
    for f in sorted(folder.glob("coords_webcam_*.csv")):
        t, e, s = [], [], []
        for r in _rows(f):
            # 1-based columns: 3/6 = left/right eye, 12/13 = left/right shoulder.
            we = abs(float(r["x3"]) - float(r["x6"]))
            ws = abs(float(r["x12"]) - float(r["x13"]))
            if we <= 0 or ws <= 0:
                continue
            t.append(float(r["distance"]))
            for label, w, size, sd in (
                ("eyes", we, IPD_M, IPD_SD_M),
                ("shoulders", ws, SHOULDER_M, SHOULDER_SD_M),
            ):
                lo = 100 * distance_from_width(w, size - 2 * sd, max(HFOV_RANGE_DEG))
                hi = 100 * distance_from_width(w, size + 2 * sd, min(HFOV_RANGE_DEG))
                inside[label] += lo <= t[-1] <= hi
            e.append(100 * distance_from_width(we, IPD_M))
            s.append(100 * distance_from_width(ws, SHOULDER_M))
        name = f.stem.replace("coords_webcam_", "").removesuffix("_2")
        med = statistics.median
        classes[name] = {
            "frames": len(t),
            "theirs_cm": med(t),
            "eyes_cm": med(e),
            "shoulders_cm": med(s),
        }
        theirs += t
        eyes += e
        shoulders += s
    out: dict = {"classes": classes}
    for label, ours in (("eyes", eyes), ("shoulders", shoulders)):
        out[label] = {
            "ratio": statistics.median(o / t for o, t in zip(ours, theirs, strict=True)),
            "mae_cm": statistics.fmean(abs(o - t) for o, t in zip(ours, theirs, strict=True)),
            "r": _pearson(ours, theirs),
            "inside": inside[label] / len(theirs),
            "frames": len(theirs),
        }
    return out


def main(argv: list[str]) -> int:
    folder = Path(argv[1]) if len(argv) > 1 else Path("/work/shared/data/nelsonak47_webcam")
    res = compare(folder)
    print("| class | frames | their cm (median) | ours, eyes | ours, shoulders |")
    print("|---|---|---|---|---|")
    for name, c in res["classes"].items():
        print(
            f"| {name} | {c['frames']} | {c['theirs_cm']:.1f} | {c['eyes_cm']:.1f} | "
            f"{c['shoulders_cm']:.1f} |"
        )
    for label in ("eyes", "shoulders"):
        m = res[label]
        print(
            f"{label}: median ours/theirs {m['ratio']:.3f}, mean |diff| {m['mae_cm']:.1f} cm, "
            f"r {m['r']:.3f}, theirs inside our range in {m['inside']:.1%} of {m['frames']} frames"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
