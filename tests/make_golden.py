"""Regenerate tests/data/golden_landmarks.json (only when the model bundle changes on purpose).

.venv/bin/python tests/make_golden.py
"""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import matplotlib
import numpy as np
from skimage import data

from posturecheck.adapters import models
from posturecheck.adapters.estimator import MediaPipePoseEstimator
from posturecheck.core.types import Frame

OUT = Path(__file__).parent / "data" / "golden_landmarks.json"


def main() -> None:
    images = {
        "grace_hopper": cv2.imread(
            str(Path(matplotlib.get_data_path()) / "sample_data" / "grace_hopper.jpg")
        ),
        "astronaut": np.ascontiguousarray(data.astronaut()[:, :, ::-1]),
    }
    model = models.resolve_model("full")
    golden = {
        "model": "full",
        "model_sha256": models.sha256_file(model),
        "mode": "image",
        "images": {},
    }
    with MediaPipePoseEstimator(model, mode="image", num_poses=1) as est:
        for name, img in images.items():
            pose = est.detect(Frame(0, 0, img))[0]
            w, h = pose.image_wh
            golden["images"][name] = {
                "wh": [w, h],
                "xy_norm": np.round(pose.xy_px / (w, h), 5).tolist(),
                "visibility": np.round(pose.visibility, 4).tolist(),
            }
    OUT.write_text(json.dumps(golden, separators=(",", ":")) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
