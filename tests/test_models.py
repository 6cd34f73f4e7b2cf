"""Tests for posturecheck.adapters.models: manifest, resolution, bundle and metadata writers.

The fast tests use tiny fake .tflite flatbuffers; the slow test really builds the `full` bundle
(pip download into the user cache on first run) and checks it against the pinned SHA-256.
"""

from __future__ import annotations

import ast
import hashlib
import io
import json
import re
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

import flatbuffers
import numpy as np
import pytest

from posturecheck.adapters import models
from posturecheck.errors import ModelError

REPO = Path(__file__).resolve().parents[1]
MANIFEST = REPO / "posturecheck" / "adapters" / "models_manifest.json"
SHA_RE = re.compile(r"^[0-9a-f]{64}$")
MEMBERS = ("pose_detector.tflite", "pose_landmarks_detector.tflite")


@pytest.fixture
def model_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(models.ENV_MODEL_DIR, str(tmp_path))
    return tmp_path


def fake_tflite(n_outputs: int, buffer_sizes: tuple[int, ...] = (3, 10, 17)) -> bytes:
    """A structurally valid (not runnable) TFLite flatbuffer with odd-sized buffers."""
    schema, _ = models._schema_modules()
    tensors = []
    for i in range(1 + n_outputs):
        t = schema.TensorT()
        t.name, t.type = f"t{i}".encode(), schema.TensorType.FLOAT32
        t.shape = np.array([1, 8, 8, 3] if i == 0 else [1, 4], dtype=np.int32)
        tensors.append(t)
    graph = schema.SubGraphT()
    graph.tensors, graph.inputs = tensors, np.array([0], dtype=np.int32)
    graph.outputs = np.arange(1, n_outputs + 1, dtype=np.int32)
    model = schema.ModelT()
    model.version, model.description, model.subgraphs = 3, b"fake", [graph]
    model.buffers = [schema.BufferT()]
    for n in buffer_sizes:
        buf = schema.BufferT()
        buf.data = np.arange(n, dtype=np.uint8)
        model.buffers.append(buf)
    builder = flatbuffers.Builder(0)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


def read_metadata(tflite: bytes) -> object:
    """The ModelMetadataT stored in a model's TFLITE_METADATA buffer (exactly one)."""
    schema, meta = models._schema_modules()
    model = schema.Model.GetRootAs(tflite, 0)
    names = [model.Metadata(i).Name() for i in range(model.MetadataLength())]
    assert names.count(b"TFLITE_METADATA") == 1
    entry = model.Metadata(names.index(b"TFLITE_METADATA"))
    data = model.Buffers(entry.Buffer()).DataAsNumpy().tobytes()
    assert meta.ModelMetadata.ModelMetadataBufferHasIdentifier(data, 0)
    return meta.ModelMetadataT.InitFromObj(meta.ModelMetadata.GetRootAs(data, 0))


def buffer_bytes(buf: object) -> bytes:
    return bytes(buf.Data(j) for j in range(buf.DataLength()))


def local_data_offsets(bundle: bytes) -> dict[str, int]:
    """Member name -> file offset of its data, read from the local headers."""
    offsets = {}
    with zipfile.ZipFile(io.BytesIO(bundle)) as zf:
        for info in zf.infolist():
            name_len, extra_len = struct.unpack_from("<HH", bundle, info.header_offset + 26)
            offsets[info.filename] = info.header_offset + 30 + name_len + extra_len
    return offsets


# --- manifest and module hygiene


def test_manifest_is_well_formed() -> None:
    manifest = json.loads(MANIFEST.read_text(encoding="utf-8"))
    assert set(manifest["variants"]) == set(models.VARIANTS)
    for variant, spec in manifest["variants"].items():
        assert spec["bundle"]["file"] == models.bundle_name(variant)
        assert SHA_RE.match(spec["bundle"]["sha256"]) and spec["bundle"]["bytes"] > 0
        assert tuple(spec["inputs"]) == MEMBERS
        for source in spec["inputs"].values():
            assert source["registry"] in ("pypi", "npm")
            assert source["package"] and source["version"] and source["member"]
            assert source["archive_glob"]
            assert SHA_RE.match(source["sha256"]) and source["bytes"] > 0
    registries = {
        variant: {source["registry"] for source in spec["inputs"].values()}
        for variant, spec in manifest["variants"].items()
    }
    assert registries == {"full": {"pypi"}, "lite": {"npm"}, "heavy": {"npm"}}
    shas = [spec["bundle"]["sha256"] for spec in manifest["variants"].values()]
    assert len(set(shas)) == len(shas)


def test_no_host_names_in_provisioning_files() -> None:
    """Sources are named by registry and package only: no URLs or host names to go stale."""
    host = re.compile(r"://|\b[a-z0-9-]+\.(?:org|com|io|net|dev)\b")
    for path in (
        MANIFEST,
        REPO / "models" / "README.md",
        REPO / "posturecheck" / "adapters" / "models.py",
    ):
        assert not host.search(path.read_text(encoding="utf-8").lower()), path


def test_models_module_imports_neither_mediapipe_nor_cv2() -> None:
    tree = ast.parse((REPO / "posturecheck" / "adapters" / "models.py").read_text(encoding="utf-8"))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.split(".")[0])
    assert not imported & {"mediapipe", "cv2"}


def test_loading_the_schema_does_not_import_mediapipe() -> None:
    code = (
        "import sys; from posturecheck.adapters import models; models._schema_modules(); "
        "assert not [m for m in sys.modules if m.split('.')[0] in ('mediapipe', 'cv2')]"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO)


# --- locations, resolve, verify


def test_models_dir_order(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(models.ENV_MODEL_DIR, str(tmp_path))
    assert models.models_dir() == tmp_path
    monkeypatch.delenv(models.ENV_MODEL_DIR)
    assert models.models_dir() == REPO / "models"  # running from the checkout
    monkeypatch.setattr(models, "_checkout_models_dir", lambda: None)
    assert models.models_dir().name == "models" and "posturecheck" in str(models.models_dir())


@pytest.mark.parametrize("spec", [None, "lite", "full", "heavy"])
def test_resolve_missing_variant_names_build_command(model_dir: Path, spec: str | None) -> None:
    variant = spec or models.DEFAULT_VARIANT
    with pytest.raises(ModelError) as err:
        models.resolve_model(spec)
    message = str(err.value)
    assert "\n" not in message
    assert f"posturecheck models build --variant {variant}" in message
    assert err.value.exit_status == 4


def test_resolve_missing_path_is_one_line(model_dir: Path) -> None:
    with pytest.raises(ModelError) as err:
        models.resolve_model(model_dir / "nope.task")
    message = str(err.value)
    assert "\n" not in message and "posturecheck models build --variant full" in message


def test_resolve_existing(model_dir: Path) -> None:
    bundle = models.write_bundle([("a.tflite", b"x")])
    (model_dir / "pose_landmarker_lite.task").write_bytes(bundle)
    (model_dir / "google.task").write_bytes(bundle)
    (model_dir / "junk.task").write_bytes(b"not a zip")
    # A named variant must match its pinned sha256 (this fake bundle does not) ...
    with pytest.raises(ModelError, match="does not match its pinned sha256.*--force"):
        models.resolve_model("lite")
    # ... while an explicit path may be any .task (e.g. Google's official download).
    assert models.resolve_model(str(model_dir / "google.task")) == model_dir / "google.task"
    with pytest.raises(ModelError, match="not a zip"):
        models.resolve_model(model_dir / "junk.task")


def test_verify_and_list(model_dir: Path) -> None:
    assert models.verify(model_dir / "pose_landmarker_full.task") is None
    (model_dir / "pose_landmarker_full.task").write_bytes(b"corrupt")
    (model_dir / "other.task").write_bytes(b"corrupt")
    assert models.verify(model_dir / "pose_landmarker_full.task") == "mismatch"
    assert models.verify(model_dir / "other.task") == "unknown"
    rows = {row.variant: row for row in models.list_models()}
    assert list(rows) == list(models.VARIANTS)
    assert rows["full"].status == "mismatch" and rows["full"].size_bytes == 7
    assert rows["lite"].status is None
    assert (rows["lite"].needs, rows["full"].needs, rows["heavy"].needs) == ("npm", "pip", "npm")


# --- bundle writer


def test_write_bundle_is_aligned_stored_and_deterministic() -> None:
    members = [("pose_detector.tflite", bytes(range(256)) * 3 + b"x"), ("b.tflite", b"y" * 1001)]
    bundle = models.write_bundle(members)
    assert bundle == models.write_bundle(members)
    assert bundle != models.write_bundle(members[::-1])
    with zipfile.ZipFile(io.BytesIO(bundle)) as zf:
        assert zf.testzip() is None
        assert [i.filename for i in zf.infolist()] == [n for n, _ in members]
        for info, (_, data) in zip(zf.infolist(), members, strict=True):
            assert info.compress_type == zipfile.ZIP_STORED
            assert info.date_time == (1980, 1, 1, 0, 0, 0)
            assert zf.read(info) == data
    for name, offset in local_data_offsets(bundle).items():
        assert offset % 64 == 0, name
        assert bundle[offset : offset + 5] == dict(members)[name][:5]


# --- metadata writer


@pytest.mark.parametrize(
    ("member", "n_outputs", "mean", "std", "stats"),
    [
        ("pose_detector.tflite", 2, 127.5, 127.5, (-1.0, 1.0)),
        ("pose_landmarks_detector.tflite", 5, 0.0, 255.0, (0.0, 1.0)),
    ],
)
def test_metadata_round_trip(
    member: str, n_outputs: int, mean: float, std: float, stats: tuple[float, float]
) -> None:
    schema, meta = models._schema_modules()
    source = fake_tflite(n_outputs)
    out = models.add_metadata(source, member)
    md = read_metadata(out)
    assert md.minParserVersion == b"1.0.0" and md.author == b"MediaPipe" and md.version == b"1"
    (graph,) = md.subgraphMetadata
    (image,) = graph.inputTensorMetadata
    assert image.name == b"image"
    assert image.content.contentProperties.colorSpace == meta.ColorSpaceType.RGB
    (unit,) = image.processUnits
    assert unit.optionsType == meta.ProcessUnitOptions.NormalizationOptions
    assert list(unit.options.mean) == [mean] and list(unit.options.std) == [std]
    assert (image.stats.min[0], image.stats.max[0]) == stats
    assert len(graph.outputTensorMetadata) == n_outputs
    # The model itself is untouched: same buffers' bytes, all 16-byte aligned in the file.
    before, after = schema.Model.GetRootAs(source, 0), schema.Model.GetRootAs(out, 0)
    for i in range(before.BuffersLength()):
        assert buffer_bytes(before.Buffers(i)) == buffer_bytes(after.Buffers(i))
    for i in range(after.BuffersLength()):
        buf = after.Buffers(i)
        if buf.DataLength():
            assert buf._tab.Vector(buf._tab.Offset(4)) % 16 == 0
    assert after.Subgraphs(0).TensorsLength() == 1 + n_outputs and after.Description() == b"fake"
    # Deterministic, and idempotent: existing TFLITE_METADATA is replaced, not duplicated.
    assert models.add_metadata(source, member) == out
    assert models.add_metadata(out, member) == out


def test_metadata_rejects_wrong_output_count_and_non_tflite() -> None:
    with pytest.raises(ModelError, match="outputs"):
        models.add_metadata(fake_tflite(3), "pose_detector.tflite")
    with pytest.raises(ModelError, match="TFL3"):
        models.add_metadata(b"\0" * 64, "pose_detector.tflite")


# --- fetching (no network)


def test_npm_missing_is_one_clear_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(models.shutil, "which", lambda name: None)
    with pytest.raises(ModelError) as err:
        models.build("lite", tmp_path / "out", cache_dir=tmp_path / "cache")
    assert str(err.value) == (
        "variant 'lite' needs npm (e.g. apt-get install npm); 'full' needs only pip"
    )


def test_bad_cached_archive_is_redownloaded_then_rejected(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    member = "mediapipe/modules/pose_detection/pose_detection.tflite"

    def bad_wheel(directory: Path) -> None:
        with zipfile.ZipFile(directory / "mediapipe-0.10.21-cp311-cp311-fake.whl", "w") as zf:
            zf.writestr(member, b"tampered")

    cache = tmp_path / "cache"
    cache.mkdir()
    bad_wheel(cache)
    calls = []
    monkeypatch.setattr(
        models,
        "_download",
        lambda variant, source, dest, log: (calls.append(variant), bad_wheel(dest)),
    )
    with pytest.raises(ModelError) as err:
        models.build("full", tmp_path / "out", cache_dir=cache)
    assert calls == ["full"]
    assert "does not match the manifest" in str(err.value)
    assert "\n" not in str(err.value)
    assert not (tmp_path / "out").exists()


# --- real build


@pytest.mark.slow
def test_build_full_matches_manifest(tmp_path: Path) -> None:
    """Real build from the pip download (cached in the user cache dir after the first run)."""
    lines: list[str] = []
    path = models.build("full", tmp_path, log=lines.append)
    expected = models.load_manifest()["variants"]["full"]["bundle"]
    assert hashlib.sha256(path.read_bytes()).hexdigest() == expected["sha256"]
    assert path.stat().st_size == expected["bytes"]
    assert models.verify(path) == "ok"
    assert [p.name for p in tmp_path.iterdir()] == ["pose_landmarker_full.task"]  # no temp left
    assert models.build("full", tmp_path, log=lines.append) == path
    assert "up to date" in lines[-1]
    with zipfile.ZipFile(path) as zf:
        assert zf.namelist() == list(MEMBERS)
        for name in MEMBERS:
            assert read_metadata(zf.read(name)).minParserVersion == b"1.0.0"
