"""A digest of everything the core says about a long synthetic session, to prove a refactor
changed nothing.

Judges 3,000 frames per threshold profile (12,000 in all) of synthetic poses of known geometry
(``tests/posefactory.py``): random views, angles, spacings from 0.1 to 20 s (timer pauses), nobody
in view and a second person now and then. Prints the alerts per profile and one SHA-256 over the
status, view, smoothed values, bands, alert texts, timers and notes of every frame. Run it on two
checkouts (the argument; default: this one) and compare the last line::

    .venv/bin/python benchmarks/judge_digest.py /path/to/other/checkout
    .venv/bin/python benchmarks/judge_digest.py
"""

from __future__ import annotations

import hashlib
import random
import sys
from pathlib import Path

ROOT = Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from posefactory import Body, make_pose  # noqa: E402

from posturecheck.core.config import load_config  # noqa: E402
from posturecheck.core.pipeline import judge  # noqa: E402
from posturecheck.core.types import Detections  # noqa: E402


def main() -> None:
    rng = random.Random(7)
    digest = hashlib.sha256()
    for prof in ("iso11226", "rula", "osha", "learnopencv"):
        cfg = load_config(
            profile=prof,
            temporal__sustain_s=20,
            temporal__cooldown_s=30,
            temporal__repeat_s=60,
            breaks__interval_s=300,
            breaks__min_break_s=20,
            static__max_s=60,
        )
        t, dets = 0, []
        for i in range(3000):
            t += rng.choice([100, 200, 500, 1000, 2000, 20000 if rng.random() < 0.01 else 500])
            if rng.random() < 0.08:
                poses: tuple = ()
            else:
                b = Body(
                    yaw_deg=rng.choice([0, 0, 90, -90, 45]),
                    trunk_deg=rng.uniform(-10, 50),
                    neck_deg=rng.uniform(0, 70),
                    head_roll_deg=rng.uniform(-15, 15),
                )
                poses = (make_pose(b),)
                if rng.random() < 0.05:
                    poses += (make_pose(Body(px_per_m=300)),)
            dets.append(Detections(i, t, poses))
        n_alerts = 0
        for r in judge(dets, cfg):
            n_alerts += len(r.alerts)
            values = sorted((k, None if v is None else round(v, 9)) for k, v in r.values.items())
            timers = sorted((k, round(v, 9)) for k, v in r.timers.items())
            alerts = [(a.kind, a.message, a.severity) for a in r.alerts]
            row = (r.status, r.view, values, sorted(r.bands.items()), alerts, timers, r.notes)
            digest.update(repr(row).encode())
        print(f"{prof}: {len(dets)} frames, {n_alerts} alerts")
    print(f"judged by {Path(judge.__code__.co_filename).parent.parent.parent}")
    print(digest.hexdigest())


if __name__ == "__main__":
    main()
