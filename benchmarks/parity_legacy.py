"""Parity of our built PoseLandmarker bundles with independent references.

(a) our ``full`` bundle (Tasks API, IMAGE mode) vs the legacy ``mp.solutions.pose`` graph of
    ``mediapipe==0.10.21`` (``static_image_mode=True, model_complexity=1``: same two networks, the
    detector runs on every image just as in IMAGE mode). The legacy side runs in a throwaway venv
    (created on first use; mediapipe 0.10.21 needs ``numpy<2``) as a subprocess writing JSON.
(a') control: Google's official lite bundle vs the legacy graph at model_complexity=0, to show the
    size of the Tasks-vs-legacy pipeline difference on its own.
(b) our ``lite`` bundle vs Google's official ``pose_landmarker_lite.task``, taken from the
    ``postured==1.4.1`` wheel (``pip download --no-deps`` into a temp dir; never vendored).
    Expected: bit-identical landmarks.
(c) determinism: every variant built twice in memory gives the same bytes, equal to the manifest.

Images: scikit-image ``astronaut``, matplotlib's ``grace_hopper.jpg``, and (if present) the images
in ``DATA/jiayii03_photos`` and ``DATA/mmpose_seated_kp`` (read in place, never copied). Both sides
get the same decoded RGB pixels (passed as .npy). Distances are Euclidean |(dx, dy)| in normalised
image coordinates, over the 33 landmarks.

Usage (from the repository root, after ``posturecheck models build --variant all``)::

    .venv/bin/python benchmarks/parity_legacy.py [--data ../shared/data] \
        [--legacy-venv /tmp/legacy-venv]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from posturecheck.adapters import models  # noqa: E402

OFFICIAL_LITE_SHA256 = "59929e1d1ee95287735ddd833b19cf4ac46d29bc7afddbbf6753c459690d574a"
OFFICIAL_LITE_MEMBER = "postured/resources/pose_landmarker_lite.task"
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp"}

LEGACY_RUNNER = r"""
import json, sys
import numpy as np
import mediapipe as mp
out = {}
for complexity in (1, 0):  # 1 = full landmark network, 0 = lite
    out[complexity] = {}
    with mp.solutions.pose.Pose(static_image_mode=True, model_complexity=complexity,
                                enable_segmentation=False, min_detection_confidence=0.5) as pose:
        for path in sys.argv[2:]:
            res = pose.process(np.load(path))
            lms = res.pose_landmarks.landmark if res.pose_landmarks else None
            out[complexity][path] = [[p.x, p.y] for p in lms] if lms else None
json.dump({"mediapipe": mp.__version__, "landmarks": out}, open(sys.argv[1], "w"))
"""


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def ensure_legacy_venv(venv: Path) -> Path:
    """A venv with mediapipe 0.10.21 (the last with ``mp.solutions``, Python <= 3.12)."""
    python = venv / "bin" / "python"
    probe = [str(python), "-c", "import mediapipe as m; assert m.__version__ == '0.10.21'"]
    if python.exists() and subprocess.run(probe, capture_output=True).returncode == 0:
        return python
    log(f"creating {venv} with mediapipe==0.10.21 (one-off, ~1 min)")
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    subprocess.run([*pip, "mediapipe==0.10.21", "numpy<2"], check=True)
    return python


def provide_legacy_lite_network(venv: Path, cache_dir: Path | None) -> None:
    """Put the lite landmark network where the legacy graph wants it.

    The 0.10.21 wheel ships only the full network and downloads the lite one on first use, which
    cannot work offline; we place the verified npm ``pose_landmark_lite.tflite`` (the network of our
    lite bundle, before metadata) there instead.
    """
    (target_dir,) = venv.glob("lib/python*/site-packages/mediapipe/modules/pose_landmark")
    target = target_dir / "pose_landmark_lite.tflite"
    network = models.fetch_inputs("lite", cache_dir=cache_dir, log=log)
    target.write_bytes(network["pose_landmarks_detector.tflite"])


def load_images(data: Path) -> dict[str, np.ndarray]:
    """Name -> RGB uint8 image."""
    import cv2
    import matplotlib
    from skimage import data as skdata

    images = {"astronaut": skdata.astronaut()}
    hopper = Path(matplotlib.get_data_path()) / "sample_data" / "grace_hopper.jpg"
    images["grace_hopper"] = cv2.cvtColor(cv2.imread(str(hopper)), cv2.COLOR_BGR2RGB)
    for folder in ("jiayii03_photos", "mmpose_seated_kp"):
        directory = data / folder
        if not directory.is_dir():
            log(f"skipping {directory} (not found)")
            continue
        for path in sorted(directory.iterdir()):
            if path.suffix.lower() in IMAGE_SUFFIXES:
                bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
                if bgr is None:
                    log(f"skipping unreadable {path}")
                    continue
                images[f"{folder}/{path.name}"] = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    return images


def tasks_landmarks(bundle: Path, images: dict[str, np.ndarray]) -> dict[str, np.ndarray | None]:
    """Run a .task bundle in IMAGE mode; name -> (33, 2) normalised xy or None."""
    import mediapipe as mp
    from mediapipe.tasks.python import BaseOptions, vision

    options = vision.PoseLandmarkerOptions(
        base_options=BaseOptions(model_asset_path=str(bundle)),
        running_mode=vision.RunningMode.IMAGE,
    )
    out: dict[str, np.ndarray | None] = {}
    with vision.PoseLandmarker.create_from_options(options) as landmarker:
        for name, rgb in images.items():
            image = mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(rgb))
            result = landmarker.detect(image)
            poses = result.pose_landmarks
            out[name] = np.array([[p.x, p.y] for p in poses[0]]) if poses else None
    return out


def legacy_landmarks(
    python: Path, images: dict[str, np.ndarray], tmp: Path
) -> tuple[str, dict, dict]:
    """Run the legacy graph; returns (version, complexity-1 landmarks, complexity-0 landmarks)."""
    paths = {}
    for i, (name, rgb) in enumerate(images.items()):
        paths[name] = tmp / f"img{i:03d}.npy"
        np.save(paths[name], rgb)
    runner, result = tmp / "legacy_runner.py", tmp / "legacy.json"
    runner.write_text(LEGACY_RUNNER)
    cmd = [str(python), str(runner), str(result), *map(str, paths.values())]
    subprocess.run(cmd, check=True, stderr=subprocess.DEVNULL)
    raw = json.loads(result.read_text())

    def by_name(complexity: str) -> dict:
        found = raw["landmarks"][complexity]
        return {n: (np.array(found[str(p)]) if found[str(p)] else None) for n, p in paths.items()}

    return raw["mediapipe"], by_name("1"), by_name("0")


def official_lite(tmp: Path) -> Path:
    cmd = [sys.executable, "-m", "pip", "download", "-q", "--no-deps",
           "--disable-pip-version-check", "--dest", str(tmp), "postured==1.4.1"]  # fmt: skip
    subprocess.run(cmd, check=True)
    (wheel,) = tmp.glob("postured-1.4.1-*.whl")
    target = tmp / "official_pose_landmarker_lite.task"
    with zipfile.ZipFile(wheel) as zf:
        target.write_bytes(zf.read(OFFICIAL_LITE_MEMBER))
    digest = hashlib.sha256(target.read_bytes()).hexdigest()
    if digest != OFFICIAL_LITE_SHA256:
        raise SystemExit(f"official lite bundle sha256 {digest} != {OFFICIAL_LITE_SHA256}")
    return target


def compare(title: str, ours: dict, ref: dict) -> dict:
    """Print a per-image table and return the overall figures."""
    print(f"\n### {title}\n")
    print("| image | mean abs(dx,dy) | max abs(dx,dy) |")
    print("|---|---:|---:|")
    all_d, all_axis, only_one = [], [], []
    for name in ours:
        a, b = ours[name], ref[name]
        if a is None or b is None:
            status = "both: no pose" if a is None and b is None else "no pose on ONE side"
            print(f"| {name} | {status} | |")
            if (a is None) != (b is None):
                only_one.append(name)
            continue
        d = np.linalg.norm(a - b, axis=1)
        all_d.append(d)
        all_axis.append(np.abs(a - b).ravel())
        print(f"| {name} | {d.mean():.5f} | {d.max():.5f} |")
    flat = np.concatenate(all_d) if all_d else np.zeros(1)
    per_image_mean = np.array([d.mean() for d in all_d]) if all_d else np.zeros(1)
    summary = {
        "images_compared": len(all_d),
        "pose_on_one_side_only": only_one,
        "mean": float(flat.mean()),
        "mean_per_axis": float(np.concatenate(all_axis).mean()) if all_axis else 0.0,
        "median_of_image_means": float(np.median(per_image_mean)),
        "max": float(flat.max()),
    }
    print(
        f"| **overall ({len(all_d)} images, {flat.size} landmarks)** | **{summary['mean']:.5f}** "
        f"| **{summary['max']:.5f}** |"
    )
    print(f"\nOverall mean of per-axis abs(dx), abs(dy): {summary['mean_per_axis']:.5f}")
    if only_one:
        print(f"\nPose found on one side only: {', '.join(only_one)}")
    return summary


def determinism(cache_dir: Path | None) -> None:
    print("\n### Determinism (each variant built twice in memory)\n")
    print("| variant | build 1 sha256 | build 2 identical | equals manifest |")
    print("|---|---|---|---|")
    manifest = models.load_manifest()["variants"]
    for variant in models.VARIANTS:
        one = hashlib.sha256(models.bundle_bytes(variant, cache_dir=cache_dir)).hexdigest()
        two = hashlib.sha256(models.bundle_bytes(variant, cache_dir=cache_dir)).hexdigest()
        same = manifest[variant]["bundle"]["sha256"] == one
        print(f"| {variant} | `{one}` | {one == two} | {same} |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--legacy-venv", type=Path, default=Path("/tmp/legacy-venv"))
    parser.add_argument(
        "--models-dir", type=Path, default=None, help="default: models.models_dir()"
    )
    parser.add_argument(
        "--cache-dir", type=Path, default=None, help="download cache (see models.build)"
    )
    parser.add_argument("--skip-determinism", action="store_true")
    args = parser.parse_args()
    model_dir = args.models_dir or models.models_dir()
    full = models.resolve_model(str(model_dir / models.bundle_name("full")))
    lite = models.resolve_model(str(model_dir / models.bundle_name("lite")))
    for bundle in (full, lite):
        log(f"{bundle.name}: {models.verify(bundle)}")

    images = load_images(args.data)
    log(f"{len(images)} images")
    legacy_python = ensure_legacy_venv(args.legacy_venv)
    provide_legacy_lite_network(args.legacy_venv, args.cache_dir)
    with tempfile.TemporaryDirectory(prefix="parity-") as tmp_name:
        tmp = Path(tmp_name)
        legacy_version, legacy, legacy_lite = legacy_landmarks(legacy_python, images, tmp)
        reference_lite = official_lite(tmp)
        ours_full = tasks_landmarks(full, images)
        ours_lite = tasks_landmarks(lite, images)
        official = tasks_landmarks(reference_lite, images)

    import mediapipe as mp

    print(f"Tasks API: mediapipe {mp.__version__}; legacy: mediapipe {legacy_version}; ", end="")
    print(f"{len(images)} images")
    results = {
        "full_vs_legacy": compare(
            f"(a) our full bundle (Tasks IMAGE mode) vs legacy mp.solutions.pose {legacy_version} "
            "(static_image_mode=True, model_complexity=1)",
            ours_full,
            legacy,
        ),
        "control_official_lite_vs_legacy": compare(
            "(a') control: Google's official lite bundle vs legacy mp.solutions.pose "
            f"{legacy_version} (model_complexity=0): the Tasks-vs-legacy pipeline difference, "
            "with no bundle of ours",
            official,
            legacy_lite,
        ),
        "lite_vs_official": compare(
            "(b) our lite bundle vs Google's official pose_landmarker_lite.task "
            "(both Tasks IMAGE mode)",
            ours_lite,
            official,
        ),
    }
    identical = all(
        (ours_lite[n] is None and official[n] is None)
        or (
            ours_lite[n] is not None
            and official[n] is not None
            and np.array_equal(ours_lite[n], official[n])
        )
        for n in images
    )
    print(f"\nlite vs official bit-identical on all images: {identical}")
    if not args.skip_determinism:
        determinism(args.cache_dir)
    print("\n```json\n" + json.dumps(results, indent=2) + "\n```")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("GLOG_minloglevel", "2")
    sys.exit(main())
