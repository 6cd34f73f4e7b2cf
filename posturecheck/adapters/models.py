"""Offline, reproducible provisioning of MediaPipe PoseLandmarker ``.task`` bundles.

A Tasks ``.task`` bundle is an uncompressed zip of ``pose_detector.tflite`` and
``pose_landmarks_detector.tflite``. Google's pose networks (Apache-2.0) are published in two package
registries we can reach by package name: the ``mediapipe==0.10.21`` wheel (detector + full landmark
model) and the npm package ``@mediapipe/pose`` (detector + lite/full/heavy landmark models). This
module fetches those archives with ``pip``/``npm``, checks every input against the pinned SHA-256 in
``posturecheck/adapters/models_manifest.json``,
writes the input-normalisation metadata the Tasks API
requires, zips the two networks deterministically and checks the result against the pinned
bundle SHA-256.

Only the standard library, numpy, flatbuffers and platformdirs are used; mediapipe is never imported
(its generated flatbuffer schema modules are loaded by file path). Library code never prints: pass a
``log`` callback to see progress.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import json
import os
import shutil
import struct
import subprocess
import sys
import tarfile
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from types import ModuleType
from typing import Any

from posturecheck.errors import ModelError

__all__ = [
    "DEFAULT_VARIANT",
    "VARIANTS",
    "ModelStatus",
    "add_metadata",
    "build",
    "bundle_bytes",
    "fetch_inputs",
    "list_models",
    "load_manifest",
    "models_dir",
    "resolve_model",
    "verify",
    "write_bundle",
]

VARIANTS: tuple[str, ...] = ("lite", "full", "heavy")
DEFAULT_VARIANT = "full"
ENV_MODEL_DIR = "POSTURECHECK_MODEL_DIR"
BUILD_COMMAND = "posturecheck models build --variant {variant}"

_PACKAGE_ROOT = Path(__file__).resolve().parent.parent
_ZIP_ALIGN_BYTES = 64  # zip member data offsets (like Android's zipalign; LiteRT maps them)
_BUFFER_ALIGN_BYTES = 16  # tflite schema: Buffer.data is (force_align: 16)
_DOWNLOAD_TIMEOUT_S = 1800
Log = Callable[[str], None]


def _no_log(_: str) -> None:
    return None


# --- locations / manifest


def _checkout_models_dir() -> Path | None:
    """The source checkout's ``models/`` (beside pyproject.toml), or None when installed."""
    root = _PACKAGE_ROOT.parent
    candidate = root / "models"
    return candidate if candidate.is_dir() and (root / "pyproject.toml").is_file() else None


def models_dir() -> Path:
    """Directory where built bundles live (it may not exist yet).

    Order: ``$POSTURECHECK_MODEL_DIR``; else the checkout's ``models/`` (next to the package,
    holding ``manifest.json``) when running from a source checkout or editable install; else
    ``platformdirs.user_data_dir("posturecheck")/models``.

    Returns:
        The directory path.
    """
    env = os.environ.get(ENV_MODEL_DIR)
    if env:
        return Path(env).expanduser()
    checkout = _checkout_models_dir()
    if checkout is not None:
        return checkout
    import platformdirs

    return Path(platformdirs.user_data_dir("posturecheck")) / "models"


def cache_dir() -> Path:
    """The download cache of the registry archives (it may not exist yet).

    Returns:
        ``platformdirs.user_cache_dir("posturecheck")/downloads``.
    """
    import platformdirs

    return Path(platformdirs.user_cache_dir("posturecheck")) / "downloads"


_default_cache_dir = cache_dir


def clear_cache(directory: Path | None = None, *, dry_run: bool = False) -> list[tuple[Path, int]]:
    """Delete the download cache's files (built bundles are elsewhere and stay).

    Args:
        directory: the cache (default :func:`cache_dir`).
        dry_run: only list what would go.

    Returns:
        ``(path, bytes)`` of every file deleted (or that would be).
    """
    root = Path(directory) if directory is not None else cache_dir()
    if not root.is_dir():
        return []
    files = sorted(p for p in root.rglob("*") if p.is_file() or p.is_symlink())
    removed = [(p, p.lstat().st_size) for p in files]
    if not dry_run:
        shutil.rmtree(root)
    return removed


PIP_FIX = (
    "this Python has no pip (uv tool environments have none): reinstall with "
    "`uv tool install --with pip posturecheck`, or run `python -m ensurepip`, "
    "or put pip on PATH"
)


def pip_command() -> tuple[list[str], dict[str, str]]:
    """How to run ``pip download`` here: the command prefix and extra environment.

    In order: this interpreter's pip; else pip run straight from the wheel that ``ensurepip``
    bundles (nothing is installed: pip runs from the wheel on ``PYTHONPATH``); else a ``pip`` on
    ``PATH`` (only downloads, with fixed target tags, so any pip does).

    Raises:
        ModelError: no pip anywhere; the message says how to get one.
    """
    if importlib.util.find_spec("pip") is not None:
        return [sys.executable, "-m", "pip"], {}
    wheel = _bundled_pip_wheel()
    if wheel is not None:
        return [sys.executable, "-m", "pip"], {"PYTHONPATH": str(wheel)}
    for name in ("pip3", "pip"):
        exe = shutil.which(name)
        if exe:
            return [exe], {}
    raise ModelError(PIP_FIX)


def _bundled_pip_wheel() -> Path | None:
    spec = importlib.util.find_spec("ensurepip")
    if spec is None or spec.origin is None:
        return None
    wheels = sorted((Path(spec.origin).parent / "_bundled").glob("pip-*.whl"))
    return wheels[-1] if wheels else None


def manifest_path() -> Path:
    """Path of the pinned manifest: ``the manifest`` (package data).

    It ships inside the package so an installed (non-editable) posturecheck can build and verify
    bundles too.

    Returns:
        The path (existence is checked by :func:`load_manifest`).
    """
    return Path(__file__).resolve().with_name("models_manifest.json")


@lru_cache(maxsize=4)
def _read_manifest(path: Path) -> dict[str, Any]:
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        missing = [v for v in VARIANTS if v not in manifest["variants"]]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ModelError(f"cannot read model manifest {path}: {exc}") from exc
    if missing:
        raise ModelError(f"model manifest {path} lacks variant(s) {', '.join(missing)}")
    return manifest


def load_manifest() -> dict[str, Any]:
    """Load the pinned sources and bundle checksums.

    Returns:
        The parsed manifest (see models/README.md for its fields).

    Raises:
        ModelError: the manifest is missing or malformed.
    """
    return _read_manifest(manifest_path())


def _variant_spec(variant: str) -> dict[str, Any]:
    if variant not in VARIANTS:
        raise ModelError(f"unknown model variant {variant!r}; choose one of {', '.join(VARIANTS)}")
    return load_manifest()["variants"][variant]


def bundle_name(variant: str) -> str:
    """File name of a variant's bundle, e.g. ``pose_landmarker_full.task``."""
    return f"pose_landmarker_{variant}.task"


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


# --- resolve / verify / list


def resolve_model(spec: str | os.PathLike[str] | None) -> Path:
    """Find the ``.task`` bundle to load; never downloads or builds anything.

    Args:
        spec: None for the default variant, a variant name (``lite``/``full``/``heavy``) for
            ``models_dir()/pose_landmarker_{variant}.task``, or a path to any ``.task`` bundle
            (for example Google's official download).

    Returns:
        The existing bundle path.

    Raises:
        ModelError: the bundle is missing (the one-line message names the build command) or the
            path is not a ``.task`` (zip) file.
    """
    if spec is None or (isinstance(spec, str) and spec in VARIANTS):
        variant = DEFAULT_VARIANT if spec is None else str(spec)
        path = models_dir() / bundle_name(variant)
        if not path.is_file():
            raise ModelError(
                f"model '{variant}' is not built yet (looked for {path}); build it with "
                f"`{BUILD_COMMAND.format(variant=variant)}`"
            )
        if verify(path) != "ok":  # ~20 ms for full: cheap insurance against a corrupt file
            raise ModelError(
                f"model '{variant}' at {path} does not match its pinned sha256; rebuild it with "
                f"`{BUILD_COMMAND.format(variant=variant)} --force`"
            )
        return path
    path = Path(spec).expanduser()
    if not path.is_file():
        raise ModelError(
            f"model file not found: {path} (give {', '.join(VARIANTS)} or the path of a .task "
            f"bundle; build one with `{BUILD_COMMAND.format(variant=DEFAULT_VARIANT)}`)"
        )
    if not zipfile.is_zipfile(path):
        raise ModelError(f"not a MediaPipe .task bundle (not a zip file): {path}")
    return path


def verify(path: str | os.PathLike[str]) -> str | None:
    """Check a bundle's SHA-256 against the manifest.

    A file named like a variant's bundle (``pose_landmarker_full.task``) is compared with that
    variant's pinned checksum; any other file is "ok" if it equals one of the pinned bundles.

    Args:
        path: The bundle file.

    Returns:
        "ok", "mismatch" (named like a variant but different bytes), "unknown" (not one of ours,
        e.g. Google's official download), or None if the file does not exist.
    """
    path = Path(path)
    if not path.is_file():
        return None
    digest = sha256_file(path)
    variants = load_manifest()["variants"]
    for variant in VARIANTS:
        if path.name == bundle_name(variant):
            return "ok" if digest == variants[variant]["bundle"]["sha256"] else "mismatch"
    return "ok" if any(digest == v["bundle"]["sha256"] for v in variants.values()) else "unknown"


@dataclass(frozen=True)
class ModelStatus:
    """One row of ``posturecheck models list``."""

    variant: str
    path: Path
    status: str | None  # "ok" / "mismatch" / None (not built)
    size_bytes: int | None
    expected_sha256: str
    needs: str  # which package client the build needs: "pip" or "npm"


def list_models() -> list[ModelStatus]:
    """Status of every variant's bundle in :func:`models_dir`.

    Returns:
        One :class:`ModelStatus` per variant, in :data:`VARIANTS` order.
    """
    rows = []
    for variant in VARIANTS:
        spec = _variant_spec(variant)
        path = models_dir() / bundle_name(variant)
        rows.append(
            ModelStatus(
                variant=variant,
                path=path,
                status=verify(path),
                size_bytes=path.stat().st_size if path.is_file() else None,
                expected_sha256=spec["bundle"]["sha256"],
                needs="npm"
                if any(s["registry"] == "npm" for s in spec["inputs"].values())
                else "pip",
            )
        )
    return rows


# --- TFLite metadata writer

# Mirrors the metadata of Google's official pose_landmarker_*.task (names, incl. Google's "Face").
_FEATURE = ("raw boxes/keypoints", "Undecoded face bboxes location and keypoints")
_METADATA: dict[str, dict[str, Any]] = {
    "pose_detector.tflite": {
        "name": "Full Range Face Detection",
        "description": "Detects human face with frontal camera",
        "input": "Input image to be detected",
        "mean": 127.5,  # network input in [-1, 1]
        "std": 127.5,
        "outputs": [_FEATURE, ("scores", "Scores of the detected bboxes.")],
    },
    "pose_landmarks_detector.tflite": {
        "name": "Pose Landmark",
        "description": "Detects human pose landmarks with frontal camera.",
        "input": "Input image to be landmarked",
        "mean": 0.0,  # network input in [0, 1]
        "std": 255.0,
        "outputs": [
            ("landmarks", "Pose landmarks"),
            ("presence", "Presence of pose."),
            ("segmentation_mask", "Segmentation mask for pose."),
            ("heat_map", "Heat map for pose."),
            ("world_landmarks", "World landmarks for pose."),
        ],
    },
}


@lru_cache(maxsize=1)
def _schema_modules() -> tuple[ModuleType, ModuleType]:
    """Load mediapipe's generated tflite/metadata flatbuffer modules by path, not as mediapipe."""
    spec = importlib.util.find_spec("mediapipe")  # top-level: reads the spec, runs no __init__
    roots = list(spec.submodule_search_locations or []) if spec else []
    if not roots:
        try:
            roots = [str(importlib.metadata.distribution("mediapipe").locate_file("mediapipe"))]
        except importlib.metadata.PackageNotFoundError:
            raise ModelError("building bundles needs the mediapipe package installed") from None
    loaded = []
    for stem in ("schema_py_generated", "metadata_schema_py_generated"):
        file = Path(roots[0]) / "tasks" / "metadata" / f"{stem}.py"
        mod_spec = importlib.util.spec_from_file_location(f"_posturecheck_tflite_{stem}", file)
        if mod_spec is None or mod_spec.loader is None or not file.is_file():
            raise ModelError(f"mediapipe's flatbuffer schema module is missing: {file}")
        module = importlib.util.module_from_spec(mod_spec)
        mod_spec.loader.exec_module(module)
        loaded.append(module)
    return loaded[0], loaded[1]


@dataclass(frozen=True)
class _AlignedBuffer:
    """Stands in for a ``BufferT`` in ``ModelT.Pack``, honouring the schema's force_align: 16."""

    schema: ModuleType
    buf: Any  # schema.BufferT

    def Pack(self, builder: Any) -> int:  # noqa: N802 (the generated object API's name)
        data = None
        if self.buf.data is not None and len(self.buf.data):
            payload = bytes(self.buf.data)
            builder.StartVector(1, len(payload), _BUFFER_ALIGN_BYTES)
            builder.head -= len(payload)  # bulk copy, as flatbuffers' CreateNumpyVector does
            builder.Bytes[builder.head : builder.head + len(payload)] = payload
            data = builder.EndVector()
        self.schema.BufferStart(builder)
        if data is not None:
            self.schema.BufferAddData(builder, data)
        self.schema.BufferAddOffset(builder, self.buf.offset)
        self.schema.BufferAddSize(builder, self.buf.size)
        return self.schema.BufferEnd(builder)


def _model_metadata(meta: ModuleType, role: dict[str, Any], n_outputs: int) -> bytes:
    import flatbuffers

    if n_outputs != len(role["outputs"]):
        raise ModelError(
            f"{role['name']}: model has {n_outputs} outputs, expected {len(role['outputs'])}"
        )
    norm = meta.NormalizationOptionsT()
    norm.mean, norm.std = [role["mean"]], [role["std"]]
    unit = meta.ProcessUnitT()
    unit.optionsType, unit.options = meta.ProcessUnitOptions.NormalizationOptions, norm
    stats = meta.StatsT()  # the float range the network sees for pixel values 0..255
    stats.min, stats.max = [(0 - role["mean"]) / role["std"]], [(255 - role["mean"]) / role["std"]]
    image = meta.ImagePropertiesT()
    image.colorSpace = meta.ColorSpaceType.RGB

    def tensor(name: str, description: str, props: Any, props_type: int) -> Any:
        t = meta.TensorMetadataT()
        t.name, t.description, t.stats = name, description, meta.StatsT()
        t.content = meta.ContentT()
        t.content.contentPropertiesType, t.content.contentProperties = props_type, props
        return t

    image_in = tensor("image", role["input"], image, meta.ContentProperties.ImageProperties)
    image_in.processUnits, image_in.stats = [unit], stats
    graph = meta.SubGraphMetadataT()
    graph.inputTensorMetadata = [image_in]
    feature = meta.ContentProperties.FeatureProperties
    graph.outputTensorMetadata = [
        tensor(n, d, meta.FeaturePropertiesT(), feature) for n, d in role["outputs"]
    ]
    model = meta.ModelMetadataT()
    model.name, model.description, model.version = role["name"], role["description"], "1"
    model.subgraphMetadata, model.author, model.minParserVersion = [graph], "MediaPipe", "1.0.0"
    builder = flatbuffers.Builder(0)
    builder.Finish(model.Pack(builder), file_identifier=b"M001")
    return bytes(builder.Output())


def add_metadata(model_bytes: bytes, member: str) -> bytes:
    """Return the tflite model with Tasks metadata (input normalisation etc.) for its bundle role.

    Any existing ``TFLITE_METADATA`` is replaced; every buffer is re-packed 16-byte aligned.

    Args:
        model_bytes: A ``.tflite`` flatbuffer.
        member: Its bundle name, ``pose_detector.tflite`` or ``pose_landmarks_detector.tflite``.

    Returns:
        The new ``.tflite`` bytes (deterministic for given input).
    """
    import flatbuffers
    import numpy as np

    schema, meta = _schema_modules()
    if not schema.Model.ModelBufferHasIdentifier(model_bytes, 0):
        raise ModelError(f"{member}: not a TFLite model (no TFL3 identifier)")
    model = schema.ModelT.InitFromObj(schema.Model.GetRootAs(model_bytes, 0))
    metadata_bytes = _model_metadata(meta, _METADATA[member], len(model.subgraphs[0].outputs))
    data = np.frombuffer(metadata_bytes, dtype=np.uint8)
    entry = next((m for m in model.metadata or [] if m.name == b"TFLITE_METADATA"), None)
    if entry is None:
        buffer, entry = schema.BufferT(), schema.MetadataT()
        entry.name, entry.buffer = "TFLITE_METADATA", len(model.buffers)
        model.buffers.append(buffer)
        model.metadata = [*(model.metadata or []), entry]
    model.buffers[entry.buffer].data = data
    model.buffers = [_AlignedBuffer(schema, buf) for buf in model.buffers]
    builder = flatbuffers.Builder(len(model_bytes) + len(metadata_bytes) + (1 << 16))
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


# --- deterministic zip


def write_bundle(members: Sequence[tuple[str, bytes]]) -> bytes:
    """Zip members the way the Tasks API wants them, byte-for-byte reproducibly.

    Stored (no compression), in the given order, fixed timestamp (1980-01-01 00:00), Unix mode 0644,
    and each member's data padded to a 64-byte offset with a zipalign-style extra field (0xD935).
    Written by hand rather than with :mod:`zipfile` so the bytes cannot change between Pythons.

    Args:
        members: ``(name, data)`` pairs.

    Returns:
        The zip file bytes.
    """
    dos_time, dos_date = 0, (0 << 9) | (1 << 5) | 1
    out, central = bytearray(), bytearray()
    for name, data in members:
        name_b, crc = name.encode("ascii"), zlib.crc32(data)
        offset = len(out)
        pad = -(offset + 30 + len(name_b) + 6) % _ZIP_ALIGN_BYTES
        extra = struct.pack("<HHH", 0xD935, 2 + pad, _ZIP_ALIGN_BYTES) + bytes(pad)
        common = struct.pack("<HHHHIII", 0, 0, dos_time, dos_date, crc, len(data), len(data))
        out += struct.pack("<IH", 0x04034B50, 20) + common
        out += struct.pack("<HH", len(name_b), len(extra)) + name_b + extra + data
        central += struct.pack("<IHH", 0x02014B50, (3 << 8) | 20, 20) + common
        central += struct.pack("<HHHHHII", len(name_b), 0, 0, 0, 0, 0o100644 << 16, offset) + name_b
    if len(out) + len(central) >= 1 << 32:
        raise ModelError("bundle too large for a zip without zip64")
    eocd = struct.pack(
        "<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(central), len(out), 0
    )
    return bytes(out + central + eocd)


# --- fetching inputs


def _run(
    cmd: list[str], cwd: Path, what: str, log: Log, extra_env: dict[str, str] | None = None
) -> None:
    log(f"$ {' '.join(cmd)}")
    env = {
        **os.environ,
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "npm_config_update_notifier": "false",
        **(extra_env or {}),
    }
    try:
        proc = subprocess.run(
            cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=_DOWNLOAD_TIMEOUT_S
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ModelError(f"{what} failed: {exc}") from exc
    if proc.returncode != 0:
        lines = [ln.strip() for ln in (proc.stderr + proc.stdout).splitlines() if ln.strip()]
        errors = [ln for ln in lines if "error" in ln.lower()] or lines or ["no output"]
        raise ModelError(f"{what} failed (exit {proc.returncode}): {errors[-1]}")


def _download(variant: str, source: dict[str, Any], dest: Path, log: Log) -> None:
    """Fetch one source archive into ``dest`` (a directory) with the registry's own client."""
    package, version = source["package"], source["version"]
    if source["registry"] == "pypi":
        # The tflite files are platform independent; fixed tags make the download deterministic
        # whatever Python runs us.
        pip, extra_env = pip_command()
        cmd = [*pip, "download", "--no-deps", "--only-binary=:all:",
               "--python-version", "3.11", "--implementation", "cp", "--abi", "cp311",
               "--platform", "manylinux_2_28_x86_64", "--dest", str(dest),
               f"{package}=={version}"]  # fmt: skip
        _run(cmd, dest, f"pip download {package}=={version}", log, extra_env)
    elif source["registry"] == "npm":
        npm = shutil.which("npm")
        if npm is None:
            raise ModelError(
                f"variant '{variant}' needs npm (e.g. apt-get install npm); "
                f"'{DEFAULT_VARIANT}' needs only pip"
            )
        cmd = [npm, "pack", "--ignore-scripts", "--silent", f"{package}@{version}"]
        _run(cmd, dest, f"npm pack {package}@{version}", log)
    else:
        raise ModelError(f"manifest names an unknown registry {source['registry']!r}")


def _find_archive(directory: Path, source: dict[str, Any]) -> Path | None:
    matches = sorted(directory.glob(source["archive_glob"])) if directory.is_dir() else []
    return matches[0] if matches else None


def _read_member(archive: Path, member: str) -> bytes:
    try:
        if archive.name.endswith(".whl"):
            with zipfile.ZipFile(archive) as zf:
                return zf.read(member)
        with tarfile.open(archive, "r:gz") as tf:
            fh = tf.extractfile(member)
            if fh is None:
                raise KeyError(member)
            return fh.read()
    except (OSError, KeyError, zipfile.BadZipFile, tarfile.TarError, EOFError, zlib.error) as exc:
        raise ModelError(f"cannot read {member} from {archive.name}: {exc}") from exc


def _check_input(data: bytes, source: dict[str, Any]) -> str | None:
    """None when the bytes match the pin, else a short description of the difference."""
    digest = hashlib.sha256(data).hexdigest()
    if len(data) != source["bytes"] or digest != source["sha256"]:
        pinned = f"{source['bytes']} B sha256 {source['sha256'][:12]}..."
        return f"got {len(data)} B sha256 {digest[:12]}..., pinned {pinned}"
    return None


def fetch_inputs(
    variant: str, *, cache_dir: Path | None = None, log: Log = _no_log
) -> dict[str, bytes]:
    """Get a variant's two networks as published (no metadata), verified against the manifest.

    Args:
        variant: One of :data:`VARIANTS`.
        cache_dir: Download cache (default: see :func:`build`).
        log: Progress callback.

    Returns:
        Bundle member name (``pose_detector.tflite``, ``pose_landmarks_detector.tflite``) -> bytes.

    Raises:
        ModelError: a client is missing or fails, or an input does not match its pin.
    """
    spec = _variant_spec(variant)
    cache_dir = Path(cache_dir) if cache_dir else _default_cache_dir()
    inputs: dict[str, bytes] = {}
    for member, source in spec["inputs"].items():
        label = f"{source['package']} {source['version']}:{source['member']}"
        archive = _find_archive(cache_dir, source)
        if archive is not None:
            data = _read_member(archive, source["member"])
            if _check_input(data, source) is None:
                log(f"using cached {archive.name} for {member}")
                inputs[member] = data
                continue
            log(f"cached {archive.name} fails verification; downloading again")
        cache_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix=".download-", dir=cache_dir) as tmp:
            _download(variant, source, Path(tmp), log)
            fetched = _find_archive(Path(tmp), source)
            if fetched is None:
                raise ModelError(f"{label}: download produced no {source['archive_glob']}")
            data = _read_member(fetched, source["member"])
            problem = _check_input(data, source)
            if problem:
                raise ModelError(f"{label} does not match the manifest ({problem})")
            os.replace(fetched, cache_dir / fetched.name)
        log(f"downloaded and verified {label}")
        inputs[member] = data
    return inputs


# --- build


def bundle_bytes(variant: str, *, cache_dir: Path | None = None, log: Log = _no_log) -> bytes:
    """Build a variant's bundle in memory from verified inputs, without checking the output pin.

    Use :func:`build` to get a verified file; this is for tests and for re-pinning the manifest.

    Args:
        variant: One of :data:`VARIANTS`.
        cache_dir: Download cache (default: see :func:`build`).
        log: Progress callback.

    Returns:
        The ``.task`` bytes.
    """
    inputs = fetch_inputs(variant, cache_dir=cache_dir, log=log)
    log(f"writing metadata and zipping {bundle_name(variant)}")
    return write_bundle([(name, add_metadata(inputs[name], name)) for name in _METADATA])


def build(
    variant: str,
    dest_dir: Path | None = None,
    *,
    cache_dir: Path | None = None,
    force: bool = False,
    log: Log = _no_log,
) -> Path:
    """Build (or confirm) ``pose_landmarker_{variant}.task`` from pinned registry packages.

    ``full`` needs only pip (the ``mediapipe==0.10.21`` wheel); ``lite`` and ``heavy`` need npm
    (``@mediapipe/pose``). Every input and the output are checked against the manifest.

    Args:
        variant: One of :data:`VARIANTS`.
        dest_dir: Output directory (default :func:`models_dir`).
        cache_dir: Download cache, default
            ``platformdirs.user_cache_dir("posturecheck")/downloads``; a cached archive is reused
            only if its members still verify.
        force: Rebuild even if a verified bundle is already there.
        log: Progress callback (one line per step).

    Returns:
        Path of the verified bundle.

    Raises:
        ModelError: a client (pip/npm) is missing or fails, an input or the output does not match
            its pinned SHA-256, or the file cannot be written.
    """
    spec = _variant_spec(variant)
    dest = (Path(dest_dir) if dest_dir else models_dir()) / bundle_name(variant)
    expected = spec["bundle"]["sha256"]
    if not force and dest.is_file() and sha256_file(dest) == expected:
        log(f"{dest} is up to date (sha256 {expected[:12]}...)")
        return dest
    data = bundle_bytes(variant, cache_dir=cache_dir, log=log)
    digest = hashlib.sha256(data).hexdigest()
    if digest != expected or len(data) != spec["bundle"]["bytes"]:
        raise ModelError(
            f"built {dest.name} has sha256 {digest} ({len(data)} B) but the manifest pins "
            f"{expected} ({spec['bundle']['bytes']} B); please report this"
        )
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".tmp", dir=dest.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(tmp, 0o644)
            os.replace(tmp, dest)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise ModelError(f"cannot write {dest}: {exc}") from exc
    log(f"wrote {dest} ({len(data)} B, sha256 {digest})")
    return dest


# --- python -m posturecheck.adapters.models


def _main(argv: Sequence[str] | None = None) -> int:
    """Tiny maintainer CLI; ``posturecheck models ...`` is the user-facing one."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m posturecheck.adapters.models")
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="build bundles into the models directory")
    b.add_argument("--variant", default=DEFAULT_VARIANT, choices=[*VARIANTS, "all"])
    b.add_argument("--dest", type=Path, default=None)
    b.add_argument("--cache-dir", type=Path, default=None)
    b.add_argument("--force", action="store_true")
    sub.add_parser("list", help="show built bundles and their checksum status")
    d = sub.add_parser("digest", help="build in memory and print sha256/bytes (to re-pin)")
    d.add_argument("--variant", default="all", choices=[*VARIANTS, "all"])
    d.add_argument("--cache-dir", type=Path, default=None)
    args = parser.parse_args(argv)
    say = lambda s: print(s, file=sys.stderr)  # noqa: E731
    try:
        if args.command == "list":
            for row in list_models():
                print(f"{row.variant:6} {row.status or 'missing':8} {row.path}")
            return 0
        variants = VARIANTS if args.variant == "all" else (args.variant,)
        for variant in variants:
            if args.command == "build":
                print(
                    build(variant, args.dest, cache_dir=args.cache_dir, force=args.force, log=say)
                )
            else:
                data = bundle_bytes(variant, cache_dir=args.cache_dir, log=say)
                print(
                    json.dumps(
                        {variant: {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}}
                    )
                )
    except ModelError as exc:
        print(f"posturecheck: error: {exc}", file=sys.stderr)
        return int(exc.exit_status)
    return 0


if __name__ == "__main__":
    sys.exit(_main())
