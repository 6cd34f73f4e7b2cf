"""Labelled front-webcam data of many people, as poses (issue 11 evidence).

Reads every usable labelled frontal set in the shared data folder (``--data``, default
``../shared/data``; read in place, never copied; see ``SOURCES_frontal.md`` there) and turns
each labelled frame into a :class:`posturecheck.types.Pose` in *pixel* coordinates, so the
package's own ``compute_metrics`` measures it exactly as it measures a live camera frame:

* image sets (``spinewise``, ``posturekeeper_fhp``, ``slouchingornot_frontal``) run through the
  real model (IMAGE mode). SpineWise P3 frames (640x480) carry the app's own status text at the
  top left, which is the app's classifier output and would leak the label: that area (top 25 %,
  left 40 %) is painted grey before the model sees the frame.
* landmark CSVs (``vuhamthieu_movenet``, ``nelsonak47_webcam``, ``kochamkotkiic_laptop``,
  ``noahli0620_webcam``, ``alanfufuu_webcam``, ``s4raaga_partial``) hold coordinates normalised
  by the image width and height separately. They become pixels with an *assumed* frame size:
  640x480 where the recording script sets it (vuhamthieu, kochamkotkiic); elsewhere the script
  keeps the camera's default size, and the face proportions decide between 4:3 and 16:9:
  the eye-to-mouth height over the eye spacing of upright frames is 1.00-1.06 in every image
  set whose size is known; nelsonak47 and noahli0620 give 1.08 and 1.12 as 4:3 (0.81/0.84 as
  16:9), s4raaga gives 1.44 as 4:3 and 1.08 as 16:9 (a Mac webcam). alanfufuu has no eyes or
  mouth; its nose and ear heights over the shoulder width match s4raaga's pattern (0.84 and
  2.3 ear heights per ear spacing as 4:3, far above every other person; 0.63 and 1.7 as 16:9),
  so 16:9 is assumed. ``ASSUMED_WH`` records the assumption per source and
  ``fit_front.py --aspect-check`` prints the check.
* ``kochamkotkiic`` mirrored every frame before MediaPipe: x is flipped back and left/right are
  swapped. Its baseline-subtracted file holds deltas, not coordinates, and is not used.
* MoveNet keypoints (vuhamthieu) map onto MediaPipe's indices; MoveNet scores are on another
  scale than MediaPipe's visibility, so a keypoint counts as visible (1.0) when its score is at
  least 0.2 (the recording app's own threshold) and hidden (0.0) otherwise.

Labels: ``good`` (upright) vs ``bad`` (every other posture class of the set: hunch, slouch,
lean, tilt, lie back, ...). SpineWise's ``moderate`` is kept as its own label and left out of
the good/bad scores. The unit of every split is the person: ``person`` is
``<source>:<id>``; single-person sets are one person each. ``session`` is one recording
(setup) of that person; calibration uses the first upright frames of a session.
"""

from __future__ import annotations

import csv
import logging
import pickle
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from evalcommon import EstimatorPool, read_bgr  # noqa: E402

from posturecheck.core.landmarks import L  # noqa: E402
from posturecheck.core.types import Pose  # noqa: E402

log = logging.getLogger(__name__)

N = 33
CACHE_DIR = HERE / "out"

# Frame size assumed for normalised landmark CSVs (width, height) and why.
ASSUMED_WH: dict[str, tuple[tuple[int, int], str]] = {
    "vuhamthieu": ((640, 480), "recording script sets 640x480"),
    "kochamkotkiic": ((640, 480), "recording script sets 640x480"),
    "nelsonak47": ((640, 480), "assumed: OpenCV default capture size"),
    "noahli0620": ((640, 480), "assumed: OpenCV default capture size"),
    "alanfufuu": ((1280, 720), "assumed: 16:9 (see the aspect check)"),
    "s4raaga": ((1280, 720), "assumed: 16:9, a Mac webcam (see the aspect check)"),
}

# Capture rate of each landmark recording (rows per second) and why. None of the CSVs holds
# timestamps, so the evaluation replays them at these rates (``front_eval.py``). Image sets are
# stills with no time between them and are not listed.
CAPTURE_FPS: dict[str, tuple[float, str]] = {
    "kochamkotkiic": (10.0, "recording script saves one row every 0.1 s"),
    "vuhamthieu": (10.0, "about 10 fps (SOURCES_frontal.md)"),
    "alanfufuu": (
        15.0,
        "every processed frame; 300-550 rows per 20-30 s hold (SOURCES_frontal.md)",
    ),
    "nelsonak47": (10.0, "assumed: every processed frame, rate not recorded (10 = lowest known)"),
    "noahli0620": (10.0, "assumed: every IMAGE-mode frame, rate not recorded (10 = lowest known)"),
    "s4raaga": (10.0, "assumed: every LIVE_STREAM result, rate not recorded (10 = lowest known)"),
}

# MoveNet's 17 keypoints in file order -> MediaPipe landmark index.
MOVENET = (
    ("nose", L.NOSE),
    ("left_eye", L.LEFT_EYE),
    ("right_eye", L.RIGHT_EYE),
    ("left_ear", L.LEFT_EAR),
    ("right_ear", L.RIGHT_EAR),
    ("left_shoulder", L.LEFT_SHOULDER),
    ("right_shoulder", L.RIGHT_SHOULDER),
    ("left_elbow", L.LEFT_ELBOW),
    ("right_elbow", L.RIGHT_ELBOW),
    ("left_wrist", L.LEFT_WRIST),
    ("right_wrist", L.RIGHT_WRIST),
    ("left_hip", L.LEFT_HIP),
    ("right_hip", L.RIGHT_HIP),
    ("left_knee", L.LEFT_KNEE),
    ("right_knee", L.RIGHT_KNEE),
    ("left_ankle", L.LEFT_ANKLE),
    ("right_ankle", L.RIGHT_ANKLE),
)
MOVENET_MIN_SCORE = 0.2

SPINEWISE_MASK = (0.40, 0.25)  # left 40 %, top 25 % of the 640x480 P3 frames


@dataclass(frozen=True)
class Sample:
    """One labelled frame.

    Attributes:
        source: data set (folder name without suffix).
        person: ``<source>:<id>`` (the unit of every split).
        session: one recording of that person (calibration is per session).
        label: ``"good"``, ``"bad"`` or ``"moderate"``.
        cls: the set's own class name.
        order: position in the recording (time order within the session).
        pose: landmarks in pixels, or ``None`` when the model found nobody.
        size_known: True when the pixel size is the real image size (images), False when
            assumed (normalised CSVs).
        name: file or file:row, for reports.
        fps: the rate this sample's recording was sampled at, when the sample itself says so
            (:func:`load_recordings`); ``None`` = the source's ``CAPTURE_FPS`` (or stills).
    """

    source: str
    person: str
    session: str
    label: str
    cls: str
    order: int
    pose: Pose | None
    size_known: bool
    name: str
    fps: float | None = None


def _pose(
    xy_norm: np.ndarray,
    vis: np.ndarray,
    wh: tuple[int, int],
    z_norm: np.ndarray | None = None,
) -> Pose:
    w, h = wh
    xy = np.asarray(xy_norm, float) * (w, h)
    z = None if z_norm is None else np.asarray(z_norm, float) * w
    return Pose(xy_px=xy, visibility=np.asarray(vis, float), image_wh=(w, h), z_px=z)


# ----------------------------------------------------------------------------------------------
# Landmark CSVs


def _mp33(row: list[str], start: int, stride: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """33 MediaPipe landmarks from ``stride`` columns each (x, y, z[, v]) at ``start``."""
    vals = np.asarray(row[start : start + N * stride], float).reshape(N, stride)
    xy, z = vals[:, :2], vals[:, 2]
    vis = vals[:, 3] if stride == 4 else np.ones(N)
    return xy, z, vis


def load_vuhamthieu(root: Path) -> Iterator[Sample]:
    path = root / "vuhamthieu_movenet" / "posture_dataset_v2.csv"
    wh = ASSUMED_WH["vuhamthieu"][0]
    with path.open(newline="") as fh:
        rd = csv.DictReader(fh)
        # P1 comes back in several blocks: a new session starts when the person id changes.
        sess_no, last = 0, None
        for k, r in enumerate(rd):
            pid = r["person_id"]
            if pid != last:
                sess_no += 1
                last = pid
            xy = np.zeros((N, 2))
            vis = np.zeros(N)
            for name, idx in MOVENET:
                xy[idx] = float(r[f"{name}_x"]), float(r[f"{name}_y"])
                vis[idx] = 1.0 if float(r[f"{name}_conf"]) >= MOVENET_MIN_SCORE else 0.0
            yield Sample(
                "vuhamthieu",
                f"vuhamthieu:P{pid}",
                f"vuhamthieu:P{pid}:block{sess_no}",
                "good" if r["label"] == "good" else "bad",
                r["label"],
                k,
                _pose(xy, vis, wh),
                False,
                f"posture_dataset_v2.csv:{k + 2}",
            )


def _load_mp33_classes(
    root: Path, source: str, folder: str, start: int, upright: str
) -> Iterator[Sample]:
    """A one-person, one-setup MediaPipe set with one CSV per class: a header row, the class
    name in column 0, the 33 landmarks as (x, y, z, visibility) from column ``start``. Rows of
    class ``upright`` are ``good``, every other class ``bad``; files in name order, rows in file
    order (nelsonak47: ``posture, distance, ...``; s4raaga: ``class, ...``)."""
    wh = ASSUMED_WH[source][0]
    for fno, path in enumerate(sorted((root / folder).glob("*.csv"))):
        with path.open(newline="") as fh:
            rd = csv.reader(fh)
            next(rd)
            for k, row in enumerate(rd):
                xy, z, vis = _mp33(row, start, 4)
                cls = row[0]
                yield Sample(
                    source,
                    f"{source}:1",
                    f"{source}:1",  # one file per class, one setup: one session
                    "good" if cls == upright else "bad",
                    cls,
                    fno * 100_000 + k,
                    _pose(xy, vis, wh, z),
                    False,
                    f"{path.name}:{k + 2}",
                )


def load_nelsonak47(root: Path) -> Iterator[Sample]:
    return _load_mp33_classes(root, "nelsonak47", "nelsonak47_webcam", 2, "straight")


KOCH_POINTS = (
    ("nose", L.NOSE, L.NOSE),
    ("left_eye", L.LEFT_EYE, L.RIGHT_EYE),  # mirrored frames: the labels swap sides
    ("right_eye", L.RIGHT_EYE, L.LEFT_EYE),
    ("left_ear", L.LEFT_EAR, L.RIGHT_EAR),
    ("right_ear", L.RIGHT_EAR, L.LEFT_EAR),
    ("left_shoulder", L.LEFT_SHOULDER, L.RIGHT_SHOULDER),
    ("right_shoulder", L.RIGHT_SHOULDER, L.LEFT_SHOULDER),
)


def load_kochamkotkiic(root: Path) -> Iterator[Sample]:
    wh = ASSUMED_WH["kochamkotkiic"][0]
    for path in sorted((root / "kochamkotkiic_laptop").glob("posture_data_raw_*.csv")):
        with path.open(newline="") as fh:
            for k, r in enumerate(csv.DictReader(fh)):
                xy = np.zeros((N, 2))
                z = np.zeros(N)
                vis = np.zeros(N)
                for name, _, real in KOCH_POINTS:
                    xy[real] = 1.0 - float(r[f"{name}_x"]), float(r[f"{name}_y"])
                    z[real] = float(r[f"{name}_z"])
                    vis[real] = 1.0
                lab = "good" if r["label"] == "0" else "bad"
                yield Sample(
                    "kochamkotkiic",
                    "kochamkotkiic:1",
                    f"kochamkotkiic:{path.stem}",
                    lab,
                    lab,
                    k,
                    _pose(xy, vis, wh, z),
                    False,
                    f"{path.name}:{k + 2}",
                )


def load_noahli0620(root: Path) -> Iterator[Sample]:
    wh = ASSUMED_WH["noahli0620"][0]
    path = root / "noahli0620_webcam" / "posture_data_noheader.csv"
    with path.open(newline="") as fh:
        for k, row in enumerate(csv.reader(fh)):
            xy, z, _ = _mp33(row, 0, 3)
            lab = "good" if row[99].strip() == "1" else "bad"  # 1 = good here
            yield Sample(
                "noahli0620",
                "noahli0620:1",
                "noahli0620:1",
                lab,
                lab,
                k,
                _pose(xy, np.ones(N), wh, z),
                False,
                f"{path.name}:{k + 1}",
            )


ALAN_COLS = (
    ("nose", L.NOSE),
    ("l_shoulder", L.LEFT_SHOULDER),
    ("r_shoulder", L.RIGHT_SHOULDER),
    ("l_ear", L.LEFT_EAR),
    ("r_ear", L.RIGHT_EAR),
)


def load_alanfufuu(root: Path) -> Iterator[Sample]:
    wh = ASSUMED_WH["alanfufuu"][0]
    for path in sorted((root / "alanfufuu_webcam").glob("posture_data_*.csv")):
        with path.open(newline="") as fh:
            rows = list(csv.reader(fh))
        if rows and rows[0][0] == "nose_x":
            rows = rows[1:]
        for k, row in enumerate(rows):
            xy = np.zeros((N, 2))
            vis = np.zeros(N)
            for j, (_, idx) in enumerate(ALAN_COLS):
                xy[idx] = float(row[2 * j]), float(row[2 * j + 1])
                vis[idx] = 1.0
            cls = row[10].strip()
            yield Sample(
                "alanfufuu",
                "alanfufuu:1",
                f"alanfufuu:{path.stem}",
                "good" if cls == "good" else "bad",
                cls,
                k,
                _pose(xy, vis, wh),
                False,
                f"{path.name}:{k + 1}",
            )


def load_s4raaga(root: Path) -> Iterator[Sample]:
    return _load_mp33_classes(root, "s4raaga", "s4raaga_partial", 1, "upright")


# ----------------------------------------------------------------------------------------------
# Images (real model)


class _PoseCache:
    """Model output per image file, kept in ``benchmarks/out`` (git-ignored) between runs."""

    def __init__(self, model: str) -> None:
        self.path = CACHE_DIR / f"front_poses_{model}.pkl"
        self.model = model
        self.data: dict[str, Pose | None] = {}
        if self.path.is_file():
            try:
                self.data = pickle.loads(self.path.read_bytes())
            except Exception:  # a stale or broken cache is simply rebuilt
                self.data = {}
        self.dirty = False
        self._pool: EstimatorPool | None = None

    def get(self, path: Path, mask: tuple[float, float] | None = None) -> Pose | None:
        key = f"{path.parent.name}/{path.name}|{path.stat().st_size}|{mask}"
        if key not in self.data:
            img = read_bgr(path)
            if img.ndim == 3 and img.shape[2] == 4:
                img = np.ascontiguousarray(img[:, :, :3])
            if mask is not None:
                h, w = img.shape[:2]
                img = img.copy()
                img[: int(round(h * mask[1])), : int(round(w * mask[0]))] = 127
            if self._pool is None:
                self._pool = EstimatorPool(self.model)
            poses = self._pool.detect_image(img)
            self.data[key] = poses[0] if poses else None
            self.dirty = True
        return self.data[key]

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
        if self.dirty:
            CACHE_DIR.mkdir(parents=True, exist_ok=True)
            self.path.write_bytes(pickle.dumps(self.data))


def load_spinewise(root: Path, cache: _PoseCache) -> Iterator[Sample]:
    base = root / "spinewise"
    with (base / "manifest.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    rows.sort(key=lambda r: (r["person_guess"], Path(r["file"]).name))
    for k, r in enumerate(rows):
        path = base / r["file"]
        mask = SPINEWISE_MASK if r["width"] == "640" else None
        yield Sample(
            "spinewise",
            f"spinewise:{r['person_guess']}",
            f"spinewise:{r['session']}",
            r["label"],
            r["label"],
            k,
            cache.get(path, mask),
            True,
            r["file"],
        )


IMAGE_FOLDERS = {
    "spinewise": "spinewise",
    "posturekeeper": "posturekeeper_fhp",
    "slouchingornot": "slouchingornot_frontal",
}


def image_of(root: Path, sample: Sample) -> np.ndarray:
    """The image an image-set ``sample`` was measured on, as the model saw it (BGR; the
    SpineWise P3 status overlay painted grey as in :func:`load_spinewise`)."""
    img = read_bgr(root / IMAGE_FOLDERS[sample.source] / sample.name)
    if img.ndim == 3 and img.shape[2] == 4:
        img = np.ascontiguousarray(img[:, :, :3])
    if sample.source == "spinewise" and img.shape[1] == 640:
        h, w = img.shape[:2]
        img = img.copy()
        img[: int(round(h * SPINEWISE_MASK[1])), : int(round(w * SPINEWISE_MASK[0]))] = 127
    return img


def _stamp(p: Path) -> str:
    m = re.search(r"(\d+)\.(\d+)\.(\d+)", p.name)
    return "".join(x.zfill(2) for x in m.groups()) if m else p.name


def load_posturekeeper(root: Path, cache: _PoseCache) -> Iterator[Sample]:
    base = root / "posturekeeper_fhp"
    files = [
        (p, "bad" if p.parent.name.startswith("bad") else "good", p.parent.name)
        for p in base.glob("*/*.png")
    ]
    files.sort(key=lambda t: _stamp(t[0]))
    for k, (p, lab, cls) in enumerate(files):
        yield Sample(
            "posturekeeper",
            "posturekeeper:1",
            "posturekeeper:1",
            lab,
            cls,
            k,
            cache.get(p),
            True,
            f"{cls}/{p.name}",
        )


def load_slouchingornot(root: Path, cache: _PoseCache) -> Iterator[Sample]:
    base = root / "slouchingornot_frontal"
    for sess in sorted(p for p in base.iterdir() if (p / "isSlouching").is_dir()):
        files = [
            (p, "bad" if lab == "isSlouching" else "good", lab)
            for lab in ("notSlouching", "isSlouching")
            for p in (sess / lab).glob("*.jpg")
        ]
        files.sort(key=lambda t: int(t[0].stem.rsplit("-", 1)[-1]))
        for k, (p, lab, cls) in enumerate(files):
            yield Sample(
                "slouchingornot",
                "slouchingornot:1",
                f"slouchingornot:{sess.name.split('__')[-1]}",
                lab,
                cls,
                k,
                cache.get(p),
                True,
                f"{sess.name}/{cls}/{p.name}",
            )


# ----------------------------------------------------------------------------------------------
# Anyone's own recordings (``front_eval.py --recordings``)

RECORDING_LABELS = {
    "upright": "good",
    "good": "good",
    "slumped": "bad",
    "bad": "bad",
    "moderate": "moderate",
}
"""Label folder names of a recordings folder and the label each stands for."""
RECORDINGS_SOURCE = "recordings"


class RecordingsError(Exception):
    """A recordings folder that does not have the documented layout (one line, no traceback)."""


SEGMENTS = "segments"
"""The group of a person's videos labelled by time: ``<person>/<video>`` with a sidecar
``<video stem>.labels.json`` (``{"segments": [{"start_s": 0, "end_s": 60, "label":
"upright"}, ...]}``, labels as :data:`RECORDING_LABELS`; unlabelled stretches are not scored)."""


def read_segments(video: Path) -> list[tuple[float, float, str]]:
    """The labelled stretches of ``video`` from its sidecar, as ``(start_s, end_s, label
    folder name)``; :class:`RecordingsError` (one line) when the sidecar is not as documented."""
    import json

    path = video.with_name(video.stem + ".labels.json")
    try:
        segs = json.loads(path.read_text())["segments"]
        out = []
        for seg in segs:
            a, b, lab = float(seg["start_s"]), float(seg["end_s"]), str(seg["label"])
            if not (0 <= a < b) or lab.lower() not in RECORDING_LABELS:
                raise ValueError(f"bad segment {seg}")
            out.append((a, b, lab))
    except OSError as exc:
        raise RecordingsError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except (ValueError, KeyError, TypeError) as exc:
        raise RecordingsError(
            f'{path}: expected {{"segments": [{{"start_s", "end_s", "label": one of '
            f"{sorted(RECORDING_LABELS)}}}, ...]}} ({exc})"
        ) from None
    return out


def recording_files(root: Path) -> dict[str, dict[str, list[Path]]]:
    """``root/<person>/<label>/<files>`` as {person: {label folder: files in name order}}.

    Label folders are :data:`RECORDING_LABELS`' names; files are videos or images (anything
    ``posturecheck analyze`` reads). Videos directly in ``<person>/`` with a ``.labels.json``
    sidecar (:func:`read_segments`) form the group :data:`SEGMENTS`. Raises
    :class:`RecordingsError` when ``root`` is not a folder or nobody has both upright and
    slumped media.
    """
    from posturecheck.adapters.sources import is_image, is_video

    if not root.is_dir():
        raise RecordingsError(f"{root}: not a folder (expected <person>/upright|slumped/<files>)")
    out: dict[str, dict[str, list[Path]]] = {}
    for person in sorted(p for p in root.iterdir() if p.is_dir()):
        labels = {}
        kinds = set()
        for d in sorted(p for p in person.iterdir() if p.is_dir()):
            if d.name.lower() not in RECORDING_LABELS:
                log.warning("recordings: %s is not one of %s, skipped", d, sorted(RECORDING_LABELS))
                continue
            files = sorted(f for f in d.iterdir() if f.is_file() and (is_video(f) or is_image(f)))
            if files:
                labels[d.name] = files
                kinds.add(RECORDING_LABELS[d.name.lower()])
        timed = sorted(
            f
            for f in person.iterdir()
            if f.is_file() and is_video(f) and f.with_name(f.stem + ".labels.json").is_file()
        )
        if timed:
            labels[SEGMENTS] = timed
            kinds |= {RECORDING_LABELS[lab.lower()] for f in timed for *_, lab in read_segments(f)}
        if {"good", "bad"} <= kinds:
            out[person.name] = labels
        else:
            log.warning("recordings: %s has no upright and slumped media, skipped", person)
    if not out:
        raise RecordingsError(
            f"{root}: no <person>/upright/ and <person>/slumped/ folders with videos or images "
            "(or videos with .labels.json sidecars)"
        )
    return out


def load_recordings(
    root: Path, model: str = "full", fps: float = 2.0, num_poses: int = 2
) -> list[Sample]:
    """Every analysed frame of a recordings folder (:func:`recording_files`), as live sees it.

    Videos are sampled at ``fps`` frames per second of their own timestamps
    (``VideoFileSource``) and run through the real model in VIDEO mode with ``num_poses``
    people, fresh tracking per file, the judged person chosen by the core's own rule
    (``select_subject``), as the live driver does. Images are stills (IMAGE mode). A person's
    files form one session (one setup: the calibration is the first upright frames), in label
    then name order; frames where the model found nobody are kept with ``pose=None``.
    Nothing is cached or copied: the recordings are read in place.
    """
    from posturecheck.adapters.sources import VideoFileSource, is_video, read_image
    from posturecheck.core.subject import select_subject

    def poses(pool: EstimatorPool, f: Path) -> Iterator[tuple[Pose | None, int | None]]:
        """(judged pose, frame time in ms; ``None`` for a still) of every analysed frame."""
        if not is_video(f):
            yield select_subject(pool.detect_image(read_image(f), num_poses), None)[0], None
            return
        est = pool.fresh_video(num_poses)
        prev = None
        try:
            for frame in VideoFileSource(f, sample_fps=fps):
                pose, _ = select_subject(est.detect(frame), prev)
                prev = pose if pose is not None else prev
                yield pose, frame.timestamp_ms
        finally:
            est.close()

    def label_at(segs: list[tuple[float, float, str]], t_ms: int | None) -> str | None:
        t = (t_ms or 0) / 1000.0
        return next((lab for a, b, lab in segs if a <= t < b), None)

    people = recording_files(root)
    out: list[Sample] = []
    with EstimatorPool(model) as pool:
        for person, labels in people.items():
            order = 0
            for folder, files in labels.items():
                for f in files:
                    segs = read_segments(f) if folder == SEGMENTS else None
                    for pose, t_ms in poses(pool, f):
                        cls = folder if segs is None else label_at(segs, t_ms)
                        if cls is None:  # between labelled stretches: tracked, not scored
                            continue
                        at = "" if t_ms is None else f"@{t_ms}ms"
                        out.append(
                            Sample(
                                RECORDINGS_SOURCE,
                                person,
                                person,
                                RECORDING_LABELS[cls.lower()],
                                cls,
                                order,
                                pose,
                                True,
                                f"{person}/{'' if segs else folder + '/'}{f.name}{at}",
                                None if t_ms is None else fps,
                            )
                        )
                        order += 1
                    if is_video(f):
                        print(f"recordings: {f}: analysed at {fps:g}/s", file=sys.stderr)
    return out


CSV_LOADERS = {
    "vuhamthieu": load_vuhamthieu,
    "nelsonak47": load_nelsonak47,
    "kochamkotkiic": load_kochamkotkiic,
    "noahli0620": load_noahli0620,
    "alanfufuu": load_alanfufuu,
    "s4raaga": load_s4raaga,
}
IMAGE_LOADERS = {
    "spinewise": load_spinewise,
    "posturekeeper": load_posturekeeper,
    "slouchingornot": load_slouchingornot,
}
FOLDERS = {
    "vuhamthieu": "vuhamthieu_movenet",
    "nelsonak47": "nelsonak47_webcam",
    "kochamkotkiic": "kochamkotkiic_laptop",
    "noahli0620": "noahli0620_webcam",
    "alanfufuu": "alanfufuu_webcam",
    "s4raaga": "s4raaga_partial",
    "spinewise": "spinewise",
    "posturekeeper": "posturekeeper_fhp",
    "slouchingornot": "slouchingornot_frontal",
}
SOURCES = tuple(FOLDERS)


def load_all(root: Path, model: str = "full", sources: Iterable[str] = SOURCES) -> list[Sample]:
    """Every labelled frame of the chosen sources that exist under ``root``."""
    out: list[Sample] = []
    cache = _PoseCache(model)
    try:
        for src in sources:
            if not (root / FOLDERS[src]).is_dir():
                log.warning("front data: %s not found, skipped", root / FOLDERS[src])
                continue
            if src in CSV_LOADERS:
                out.extend(CSV_LOADERS[src](root))
            else:
                out.extend(IMAGE_LOADERS[src](root, cache))
    finally:
        cache.close()
    return out
