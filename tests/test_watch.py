"""PersonWatch: one-person tracking with a periodic look for other people (fake landmarkers)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from posefactory import Body, make_pose

from posturecheck.adapters.watch import PersonWatch, WatchSettings, anchor
from posturecheck.core.config import load_config
from posturecheck.core.pipeline import Judge, detect
from posturecheck.core.types import Detections, Frame, Pose

W, H = 1280, 720
SUBJECT_X, OTHER_X = 350.0, 950.0


def person(x: float) -> Pose:
    return make_pose(Body(px_per_m=300.0, image_wh=(W, H), hip_px=(x, 600.0)))


Scene = Callable[[int], list[float]]
"""Frame time (ms) -> x positions of the people in view."""


class FakeLandmarker:
    """A landmarker over a scripted scene.

    ``max_people=1`` behaves like a VIDEO-mode tracker: it keeps the person nearest to the one it
    tracked (unless ``steal_at_ms`` says it loses them to someone else at that time), picks the
    first person of the scene when it tracks nobody, and forgets on reset.
    """

    def __init__(self, scene: Scene, max_people: int, steal_at_ms: int | None = None) -> None:
        self.scene = scene
        self.max_people = max_people
        self.steal_at_ms = steal_at_ms
        self.target: float | None = None
        self.calls: list[int] = []
        self.resets = 0
        self.closed = False

    def detect(self, frame: Frame) -> list[Pose]:
        assert not self.closed
        self.calls.append(frame.timestamp_ms)
        xs = self.scene(frame.timestamp_ms)
        if self.max_people >= len(xs):
            return [person(x) for x in xs]
        if self.steal_at_ms is not None and frame.timestamp_ms >= self.steal_at_ms:
            self.steal_at_ms = None
            others = [x for x in xs if x != self.target]
            self.target = others[0] if others else None
        elif self.target is None or self.target not in xs:
            self.target = xs[0] if xs else None
        return [] if self.target is None else [person(self.target)]

    def reset(self) -> None:
        self.resets += 1
        self.target = None

    def close(self) -> None:
        self.closed = True


def make_watch(
    scene: Scene, steal_at_ms: int | None = None, settings: WatchSettings | None = None
) -> tuple[PersonWatch, FakeLandmarker, FakeLandmarker, list[FakeLandmarker]]:
    tracker = FakeLandmarker(scene, 1, steal_at_ms)
    scanner = FakeLandmarker(scene, 2)
    multis: list[FakeLandmarker] = []

    def make_multi() -> FakeLandmarker:
        m = FakeLandmarker(scene, 2)
        multis.append(m)
        return m

    return PersonWatch(tracker, scanner, make_multi, settings), tracker, scanner, multis


def frames(seconds: float, fps: float = 5.0) -> list[Frame]:
    img = np.zeros((H, W, 3), np.uint8)
    n = int(round(seconds * fps))
    return [Frame(i, int(round(i * 1000.0 / fps)), img) for i in range(n)]


def xs_of(poses: list[Pose]) -> list[float]:
    return sorted(round(float(anchor(p)[0][0])) for p in poses)


def test_one_person_is_tracked_with_a_scan_every_few_seconds() -> None:
    watch, tracker, scanner, multis = make_watch(lambda t: [SUBJECT_X])
    counts = [len(watch.detect(f)) for f in frames(20.0)]
    assert counts == [1] * 100
    assert len(tracker.calls) == 100
    # The first frame, then the first frame of every 3 s slot: 0, 3, 6, ..., 18 s.
    assert scanner.calls == [k * 3000 for k in range(7)]
    assert multis == []  # never needed


def test_second_person_is_reported_from_the_next_scan_until_they_leave() -> None:
    def scene(t: int) -> list[float]:
        return [SUBJECT_X, OTHER_X] if 4000 <= t < 12000 else [SUBJECT_X]

    watch, tracker, scanner, multis = make_watch(scene)
    out = {f.timestamp_ms: watch.detect(f) for f in frames(20.0)}
    people = {t: len(p) for t, p in out.items()}
    # Noticed by the periodic scan at 6 s (not at 4 s: between scans only one is tracked) ...
    assert all(people[t] == 1 for t in people if t < 6000)
    assert all(people[t] == 2 for t in people if 6000 <= t < 12000)
    assert xs_of(out[6000]) == xs_of(out[11800]) == [SUBJECT_X, OTHER_X]
    # ... and gone the moment they leave (the two-person tracker reports what is there).
    assert all(people[t] == 1 for t in people if t >= 12000)
    assert all(xs_of(out[t]) == [SUBJECT_X] for t in out if t >= 12000)
    # Two people were tracked by the multi-person tracker, created once; after the hold time
    # with one person the cheap tracker took over again, fresh.
    assert len(multis) == 1
    assert multis[0].calls[0] == 6200 and max(multis[0].calls) == 15000 - 200
    assert max(tracker.calls) == 19800 and 15000 in tracker.calls
    assert tracker.resets == 1
    assert not watch.multi_active


def test_two_people_from_the_start_are_noted_on_the_first_frame() -> None:
    watch, *_ = make_watch(lambda t: [SUBJECT_X, OTHER_X])
    assert [len(watch.detect(f)) for f in frames(10.0)] == [2] * 50


def test_passer_by_stealing_the_tracker_does_not_steal_the_verdict() -> None:
    """The tracker jumps to a person walking past between two scans: the jump triggers a scan,
    that frame reports everybody, and the judge keeps judging the person it judged before."""

    def scene(t: int) -> list[float]:
        return [SUBJECT_X, OTHER_X] if 4000 <= t < 5000 else [SUBJECT_X]

    watch, tracker, scanner, _ = make_watch(scene, steal_at_ms=4200)
    judge = Judge(load_config())
    judged: dict[int, float] = {}
    people: dict[int, int] = {}
    for f in frames(10.0):
        poses = watch.detect(f)
        r = judge.step(Detections(f.index, f.timestamp_ms, tuple(poses)))
        assert r.pose is not None
        judged[f.timestamp_ms] = round(float(anchor(r.pose)[0][0]))
        people[f.timestamp_ms] = r.people
    assert set(judged.values()) == {SUBJECT_X}
    assert watch.stats.reasons is not None and watch.stats.reasons.get("jump") == 1
    assert 4200 in scanner.calls
    assert people[4200] == 2 and people[4800] == 2 and people[5000] == 1


def test_without_the_jump_check_the_passer_by_would_steal_the_verdict() -> None:
    """The same scene with jump detection switched off (a jump larger than the image): the
    test above can fail."""

    def scene(t: int) -> list[float]:
        return [SUBJECT_X, OTHER_X] if 4000 <= t < 5000 else [SUBJECT_X]

    watch, *_ = make_watch(scene, steal_at_ms=4200, settings=WatchSettings(jump_sizes=1e6))
    judge = Judge(load_config())
    judged = set()
    for f in frames(10.0):
        r = judge.step(Detections(f.index, f.timestamp_ms, tuple(watch.detect(f))))
        assert r.pose is not None
        judged.add(round(float(anchor(r.pose)[0][0])))
    assert judged == {SUBJECT_X, OTHER_X}


def test_lost_tracking_triggers_a_scan() -> None:
    watch, _, scanner, _ = make_watch(lambda t: [] if 1000 <= t < 1400 else [SUBJECT_X])
    for f in frames(2.0):
        watch.detect(f)
    assert scanner.calls == [0, 1000]
    assert watch.stats.reasons == {"start": 1, "lost": 1}


def test_reset_starts_every_tracker_fresh_and_scans_again() -> None:
    watch, tracker, scanner, multis = make_watch(lambda t: [SUBJECT_X, OTHER_X])
    for f in frames(1.0):
        watch.detect(f)
    assert watch.multi_active
    watch.reset()
    assert not watch.multi_active
    later = [Frame(f.index, f.timestamp_ms + 1000, f.image) for f in frames(1.0)]
    assert len(watch.detect(later[0])) == 2  # scanned again on the first frame
    assert scanner.calls == [0, 1000]
    watch.detect(later[1])
    assert multis[0].resets == 1  # the multi-person tracker was used before: reset
    watch.close()
    assert tracker.closed and scanner.closed and multis[0].closed


def test_schedule_depends_on_frame_time_only() -> None:
    def scene(t: int) -> list[float]:
        return [SUBJECT_X, OTHER_X] if 2000 <= t < 9000 else [SUBJECT_X]

    runs = []
    for _ in range(2):
        watch, *_ = make_watch(scene)
        runs.append([xs_of(watch.detect(f)) for f in frames(15.0)])
    assert runs[0] == runs[1]


def test_invalid_settings() -> None:
    with pytest.raises(ValueError):
        WatchSettings(scan_every_ms=0)


# --------------------------------------------------------------------------- the real model


def _two_person_scene(grace: np.ndarray, astronaut: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Grace Hopper and the astronaut side by side (both public domain) on a grey margin (the
    detector wants some room around two close-ups), and the same frame with Grace alone."""
    import cv2

    h = astronaut.shape[0]
    g = cv2.resize(grace, (int(round(grace.shape[1] * h / grace.shape[0])), h))
    pair = np.hstack([g, astronaut])
    pad = 128
    both = np.full((h + 2 * pad, pair.shape[1] + 2 * pad, 3), 128, np.uint8)
    both[pad : pad + h, pad : pad + pair.shape[1]] = pair
    alone = both.copy()
    alone[:, pad + g.shape[1] :] = 128
    return both, alone


@pytest.mark.slow
def test_real_model_notes_a_second_person_and_keeps_judging_the_first(
    full_model, grace_hopper_bgr, astronaut_bgr
) -> None:
    """Grace alone for 2 s, the astronaut beside her from 2 s to 7 s, Grace alone again: the
    watch reports two people from its next scan (3 s) until the astronaut leaves, like the
    two-person landmarker on every frame does, and the judged person stays Grace."""
    from posturecheck.adapters.estimator import MediaPipePoseEstimator

    both, alone = _two_person_scene(grace_hopper_bgr, astronaut_bgr)
    boundary_x = both.shape[1] / 2
    scene = [Frame(i, i * 200, both if 2000 <= i * 200 < 7000 else alone) for i in range(60)]
    people: dict[float | None, dict[int, int]] = {}
    for scan_every_s in (3.0, None):
        judge = Judge(load_config())
        counts = {}
        with MediaPipePoseEstimator(full_model, num_poses=2, scan_every_s=scan_every_s) as est:
            for f in scene:
                r = judge.step(Detections(f.index, f.timestamp_ms, tuple(est.detect(f))))
                assert r.pose is not None
                assert anchor(r.pose)[0][0] < boundary_x, (
                    f"judged the astronaut at {f.timestamp_ms}"
                )
                counts[f.timestamp_ms] = r.people
        people[scan_every_s] = counts
    watch, every_frame = people[3.0], people[None]
    assert all(n == 2 for t, n in watch.items() if 3000 <= t < 7000)
    assert all(n == 1 for t, n in watch.items() if t < 2000 or t >= 7000)
    # Where the watch says 2, so did the two-person landmarker on every frame.
    assert all(every_frame[t] == 2 for t, n in watch.items() if n == 2)


_DATA = (
    os.environ.get("POSTURECHECK_EVAL_DATA") or Path(__file__).resolve().parents[2] / "shared/data"
)
SIDE_CLIP = Path(_DATA) / "jonz21_side_video/input.mp4"


@pytest.mark.slow
@pytest.mark.skipif(not SIDE_CLIP.is_file(), reason="../shared/data (evaluation data) not present")
def test_one_pose_tracker_biases_the_hunch_so_no_driver_uses_it(full_model: Path) -> None:
    """Why the watch is off everywhere (issue 13): on the real side-view clip the one-person
    VIDEO tracker reads the hunched stretch's trunk inclination far lower than the two-person
    landmarker, which the drivers use (live's scan period is None), and re-detecting once a
    second does not fix it."""
    from posturecheck.adapters.estimator import LIVE_SCAN_EVERY_S, MediaPipePoseEstimator
    from posturecheck.adapters.sources import VideoFileSource

    assert LIVE_SCAN_EVERY_S is None
    frames = list(VideoFileSource(SIDE_CLIP, sample_fps=5.0, end_ms=7600))

    def hunch(**kw: object) -> float:
        judge = Judge(load_config())
        with MediaPipePoseEstimator(full_model, mode="video", **kw) as est:
            rs = [judge.step(detect(f, est)) for f in frames]
        vals = [r.values.get("trunk_inclination_deg") for r in rs if r.timestamp_ms >= 4500]
        return float(np.median([v for v in vals if v is not None]))

    two, tracked = hunch(num_poses=2), hunch(num_poses=1)
    assert two > 15.0  # the hunch is seen
    assert tracked < two - 10.0  # the one-person tracker loses most of it
    # Forcing a fresh person detection once a second (every 5th analysis: a black frame makes
    # the tracker lose the person, so the next frame runs the detector) does not cure it: the
    # bias comes back on the first tracked frames (benchmarks/tracker_bias.py has the table).
    from posturecheck.adapters.estimator import _Landmarker

    blank = np.zeros((64, 64, 3), np.uint8)
    judge = Judge(load_config())
    tracker = _Landmarker(full_model, num_poses=1, mode="video")
    try:
        vals = []
        for n, f in enumerate(frames):
            if n % 5 == 0:
                tracker.detect(Frame(-1, f.timestamp_ms * 2 - 1, blank))
            poses = tracker.detect(Frame(f.index, f.timestamp_ms * 2, f.image))
            r = judge.step(Detections(f.index, f.timestamp_ms, tuple(poses)))
            if f.timestamp_ms >= 4500 and r.values.get("trunk_inclination_deg") is not None:
                vals.append(r.values["trunk_inclination_deg"])
    finally:
        tracker.close()
    assert float(np.median(vals)) < two - 5.0
