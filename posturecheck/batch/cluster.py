"""Ray engine for ``posturecheck analyze --cluster``: detector actors spread over a Ray cluster.

Only *detection* runs on the cluster. Each :class:`DetectorWorker` is a Ray actor that loads the
model bundle once and keeps its MediaPipe landmarker for its whole life (the ~1 s import and
model load are paid once per actor, not per task); a task is one time segment of a video (as
the local worker threads split them) or one image. The actor decodes the segment itself and
returns every sampled frame's poses. The driver (the ``analyze`` process) judges them in time
order and writes every output, exactly as a local run does, so the results are the same.

This is the only module that imports :mod:`ray`, and only when a :class:`RayDetectorPool` is
made (``--cluster``); without the flag Ray is never imported.

* **Model bundle**: the driver puts the bundle's bytes in Ray's object store once; an actor whose
  node has a file at the driver's model path checks that file's sha256 instead (no transfer),
  and a node whose bundle does not match fails the job with one line (exit code 4). Nothing is
  ever downloaded.
* **Inputs**: an actor reads the input path when its node sees the same file (shared storage:
  same path, same size); otherwise it answers "not readable here" and the driver sends the
  file's bytes through the object store (once per input), which the actor keeps in a temporary
  file while it works on that input.
* **Faults**: actors restart when their process dies (``max_restarts``) and Ray resubmits the
  task that was running (``max_task_retries``). A task returns all of its segment's detections
  at once, so a retried segment is never half-delivered: nothing is lost or judged twice.
  Application errors (an undecodable file) come back as a reason, never as a retry.
* **Progress**: actors report frames done to a small progress actor; the driver polls it.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import queue
import re
import shutil
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from posturecheck.adapters.models import sha256_file
from posturecheck.adapters.sources import read_image
from posturecheck.batch.pool import (
    DARK_MEAN_LEVEL,
    ImageDetections,
    ImageJob,
    Job,
    SegmentEnd,
    ThreadDetectorPool,
    VideoJob,
    strip_path,
)
from posturecheck.core.types import Detections, Pose
from posturecheck.errors import ConfigError, ModelError, PostureCheckError

log = logging.getLogger(__name__)

__all__ = [
    "ClusterOptions",
    "FrameDetections",
    "ImageOutput",
    "InputRef",
    "RayDetectorPool",
    "SegmentOutput",
    "connect",
    "parse_address",
]

LOCAL = "local"
"""``--cluster`` without an address: start a private Ray instance on this machine."""

DEFAULT_OBJECT_STORE_BYTES = 200_000_000
"""Object store of a local instance: detections are small (~5 KB per frame), 200 MB is plenty."""

MAX_RESTARTS = 3
"""Restarts of one actor (its process died: OOM killer, node loss, a crash in native code)."""

MAX_TASK_RETRIES = 3
"""Times Ray resubmits a task whose actor died while running it."""

PROGRESS_EVERY_S = 0.5
"""How often an actor reports its frame count to the job store (and learns of a stop)."""

STOP_GRACE_S = 5.0
"""After Ctrl-C, how long the driver waits for a running task to hand back its partial work."""

NETWORK_WARNING = (
    "--cluster: the detector processes keep network access (Ray needs it), so MediaPipe may "
    "send usage statistics to Google from them; block outbound traffic at the cluster's "
    "firewall (docs/cluster.md, the README's Privacy section)"
)

_ADDRESS_RE = re.compile(r"^(auto|ray://[^\s/]+:\d+|[A-Za-z0-9_.\-\[\]:]+:\d+)$")


# --------------------------------------------------------------------------- data on the wire


@dataclass(frozen=True)
class InputRef:
    """An input as the actors see it.

    Attributes:
        path: the path on the driver; read directly on nodes where the same file exists.
        size_bytes: the file's size, to tell "same path, same file" (shared storage) apart.
        data: ``[ObjectRef]`` of the file's bytes, sent when a node cannot read ``path``
            (wrapped in a list so Ray does not fetch it unless the actor asks).
    """

    path: str
    size_bytes: int
    data: list[Any] | None = None


@dataclass(frozen=True)
class FrameDetections:
    """One analysed frame as an actor returns it: what the driver needs, no image.

    Attributes:
        index, timestamp_ms: of the frame in its video.
        poses: every person found.
        brightness: mean grey level of a coarse subsample (explains dark, empty videos).
    """

    index: int
    timestamp_ms: int
    poses: tuple[Pose, ...]
    brightness: float


@dataclass
class SegmentOutput:
    """How one segment went on its actor.

    Attributes:
        detections: the sampled frames' poses, in time order.
        frames_read, eof, error: the decoder's statistics (as the local workers report them).
        needs_bytes: the node cannot read the input's path: resend with its bytes.
        interrupted: the job was stopped; ``detections`` holds what was done until then.
        host, pid: where it ran (logs only; never in the results).
        seconds: wall time on the actor.
    """

    detections: list[FrameDetections] = field(default_factory=list)
    frames_read: int = 0
    eof: bool = False
    error: str | None = None
    needs_bytes: bool = False
    interrupted: bool = False
    host: str = ""
    pid: int = 0
    seconds: float = 0.0


@dataclass
class ImageOutput:
    """One still image's poses (the driver reads the image itself for the report)."""

    poses: tuple[Pose, ...] = ()
    error: str | None = None
    needs_bytes: bool = False
    host: str = ""


@dataclass(frozen=True)
class ClusterOptions:
    """Where and how to run.

    Attributes:
        address: ``None`` = start a local Ray instance; ``"auto"``, ``"host:port"`` or
            ``"ray://host:port"`` = join an existing cluster.
        num_cpus: CPUs of a local instance (default: this machine's cores).
        object_store_bytes: object store of a local instance.
        actors: detector actors (one CPU each); default: every CPU of the cluster.
        ship_code: send the driver's ``posturecheck`` package to the workers (Ray
            ``py_modules``), so every node runs exactly the driver's code. The nodes still need
            the dependencies (``pip install posturecheck[cluster]``).
    """

    address: str | None = None
    num_cpus: int | None = None
    object_store_bytes: int = DEFAULT_OBJECT_STORE_BYTES
    actors: int | None = None
    ship_code: bool = True


def parse_address(text: str | None) -> str | None:
    """``--cluster`` value -> :attr:`ClusterOptions.address` (``None`` = local instance).

    Raises:
        ConfigError: not ``auto``, ``host:port`` or ``ray://host:port`` (for example a video
            path swallowed by the optional value: ``--cluster`` goes after the paths).
    """
    if text is None or text == "" or text == LOCAL:
        return None
    if not _ADDRESS_RE.match(text) or Path(text).exists():
        raise ConfigError(
            f"--cluster: expected auto, HOST:PORT or ray://HOST:PORT, got {text!r} "
            "(write --cluster after the paths, or --cluster=ADDRESS)"
        )
    return text


# --------------------------------------------------------------------------- worker side


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def _host() -> str:
    return socket.gethostname()


def _node_ip() -> str:
    """This node's Ray address (inside an actor), else the host name; never imports Ray."""
    ray = sys.modules.get("ray")
    if ray is not None and ray.is_initialized():
        with contextlib.suppress(Exception):
            return str(ray.util.get_node_ip_address())
    return _host()


def _sha256_bytes(data: bytes | memoryview) -> str:
    return hashlib.sha256(data).hexdigest()


def materialise_model(
    name: str,
    sha256: str,
    driver_path: str,
    workdir: Path,
    fetch: Callable[[], bytes],
) -> Path:
    """The model bundle on this node, checked against ``sha256``.

    A file at ``driver_path`` (shared storage, or the same installation) is used when its hash
    matches; a mismatching file fails with one line. Without such a file the bytes come from
    the object store (``fetch()``) and are written into ``workdir``.

    Raises:
        ModelError: one line naming the node, the file and both hashes.
    """
    local = Path(driver_path)
    where = _node_ip()
    if local.is_file():
        got = sha256_file(local)
        if got != sha256:
            raise ModelError(
                f"node {where}: model {local} has sha256 {got[:12]}..., expected "
                f"{sha256[:12]}... (the manifest's / the driver's); rebuild it there with "
                "`posturecheck models build --force` or remove it so the driver's copy is used"
            )
        return local
    blob = fetch()
    got = _sha256_bytes(blob)
    if got != sha256:
        raise ModelError(
            f"node {where}: model {name} received with sha256 {got[:12]}..., expected "
            f"{sha256[:12]}... (corrupted in transfer)"
        )
    target = workdir / name
    tmp = target.with_suffix(".part")
    tmp.write_bytes(blob)
    tmp.replace(target)
    return target


class DetectorWorker:
    """The body of a detector actor (a plain class: :func:`_actor_class` wraps it for Ray).

    Args:
        model_name, model_sha256, model_path: the bundle (see :func:`materialise_model`).
        num_poses: people the landmarker tracks.
        store: the name of the job's :class:`JobStore` actor (model bytes, progress reports;
            a name, not a handle: Ray restarts an actor only if its constructor's arguments
            stay in the object store, which a handle argument would need), or ``None``.
        estimator_factory: ``factory(model_path, num_poses, mode)``; tests pass a fake.
    """

    def __init__(
        self,
        model_name: str,
        model_sha256: str,
        model_path: str,
        num_poses: int,
        store: str | None,
        estimator_factory: Callable[[Path, int, str], Any] | None = None,
    ) -> None:
        self.workdir = Path(tempfile.mkdtemp(prefix="posturecheck-actor-"))
        self.progress: Any = None
        self.num_poses = num_poses
        self.factory = estimator_factory or _mediapipe_factory
        self.error: str | None = None
        self.estimators: dict[str, Any] = {}
        self.used: set[str] = set()
        self.segments = 0
        self._input_key: tuple[str, int] | None = None
        self._input_file: Path | None = None
        try:
            import ray

            if store is not None:
                self.progress = ray.get_actor(store)
            self.model = materialise_model(
                model_name,
                model_sha256,
                model_path,
                self.workdir,
                lambda: ray.get(self.progress.model.remote()),
            )
            self._estimator("video")  # load now: the first task should not pay for it
        except PostureCheckError as exc:
            self.error = str(exc)
        except Exception as exc:  # noqa: BLE001 - reported to the driver as one line
            self.error = f"node {_node_ip()}: {_one_line(exc)}"

    def info(self) -> dict[str, Any]:
        """Who and where this actor is, and whether it could load the model."""
        from importlib import metadata

        from posturecheck import __version__

        try:
            mp_version = metadata.version("mediapipe")
        except metadata.PackageNotFoundError:  # pragma: no cover - depends on the node
            mp_version = None
        return {
            "error": self.error,
            "host": _host(),
            "node_ip": _node_ip(),
            "pid": os.getpid(),
            "posturecheck": __version__,
            "mediapipe": mp_version,
        }

    def pid(self) -> int:
        return os.getpid()

    def _estimator(self, mode: str) -> Any:
        est = self.estimators.get(mode)
        if est is None:
            est = self.estimators[mode] = self.factory(self.model, self.num_poses, mode)
        elif mode == "video" and mode in self.used:
            # A fresh tracking state per segment, exactly like the local workers.
            reset = getattr(est, "reset", None)
            if reset is not None:
                reset()
        self.used.add(mode)
        return est

    def _local_path(self, ref: InputRef) -> Path | None:
        """A readable file with the input's content, or ``None`` (ask for the bytes)."""
        p = Path(ref.path)
        with contextlib.suppress(OSError):
            if p.is_file() and p.stat().st_size == ref.size_bytes and os.access(p, os.R_OK):
                return p
        if ref.data is None:
            return None
        key = (ref.path, ref.size_bytes)
        if self._input_key != key:
            import ray

            if self._input_file is not None:
                with contextlib.suppress(OSError):
                    self._input_file.unlink()
            target = self.workdir / ("input" + Path(ref.path).suffix)
            target.write_bytes(ray.get(ref.data[0]))
            self._input_key, self._input_file = key, target
        return self._input_file

    def _report(self, key: str, frames: int, ask: bool = False) -> bool:
        """Report progress; with ``ask``, also return whether the job was stopped."""
        if self.progress is None:
            return False
        try:
            ref = self.progress.report.remote(key, frames)
            if ask:
                import ray

                return bool(ray.get(ref, timeout=5))
        except Exception:  # noqa: BLE001 - progress is best effort; never fail a task for it
            return False
        return False

    def detect_segment(
        self,
        key: str,
        ref: InputRef,
        start_ms: int,
        end_ms: int | None,
        sample_fps: float,
        decode_threads: int = 1,
    ) -> SegmentOutput:
        """Decode ``[start_ms, end_ms)`` of the input and detect the poses of every sampled
        frame, with a fresh tracking state."""
        from posturecheck.adapters.sources import VideoFileSource

        t0 = time.perf_counter()
        out = SegmentOutput(host=_host(), pid=os.getpid())
        if self.error:
            out.error = self.error
            return out
        path = self._local_path(ref)
        if path is None:
            out.needs_bytes = True
            return out
        try:
            est = self._estimator("video")
            src = VideoFileSource(
                path,
                sample_fps=sample_fps,
                start_ms=start_ms,
                end_ms=end_ms,
                decode_threads=decode_threads,
            )
            last = time.perf_counter()
            try:
                for frame in src:
                    poses = tuple(est.detect(frame))
                    bright = float(frame.image[::16, ::16].mean())
                    out.detections.append(
                        FrameDetections(frame.index, frame.timestamp_ms, poses, bright)
                    )
                    now = time.perf_counter()
                    if now - last >= PROGRESS_EVERY_S:
                        last = now
                        if self._report(key, len(out.detections), ask=True):
                            out.interrupted = True  # Ctrl-C: hand back what is done
                            break
            finally:
                out.frames_read += src.frames_read
                out.eof = out.eof or src.eof
                if src.error and not out.error:
                    out.error = src.error
        except PostureCheckError as exc:
            out.error = str(exc)
        except Exception as exc:  # noqa: BLE001 - cv2.error, RuntimeError, OSError, ...
            out.error = _one_line(exc)
        if out.error and path != Path(ref.path):
            out.error = out.error.replace(str(path), ref.path)
        self._report(key, len(out.detections))
        self.segments += 1
        out.seconds = time.perf_counter() - t0
        return out

    def detect_image(self, key: str, ref: InputRef) -> ImageOutput:
        """Detect the poses in one still image (IMAGE mode landmarker, made on first use)."""
        from posturecheck.adapters.sources import read_image
        from posturecheck.core.types import Frame

        out = ImageOutput(host=_host())
        if self.error:
            out.error = self.error
            return out
        path = self._local_path(ref)
        if path is None:
            out.needs_bytes = True
            return out
        try:
            image = read_image(path)
            est = self._estimator("image")
            frame = Frame(index=0, timestamp_ms=0, image=image, source=ref.path)
            out.poses = tuple(est.detect(frame))
        except PostureCheckError as exc:
            out.error = str(exc).replace(str(path), ref.path)
        except Exception as exc:  # noqa: BLE001
            out.error = _one_line(exc)
        self._report(key, 1)
        return out

    def close(self) -> None:
        for est in self.estimators.values():
            close = getattr(est, "close", None)
            if close is not None:
                with contextlib.suppress(Exception):
                    close()
        self.estimators.clear()
        shutil.rmtree(self.workdir, ignore_errors=True)


def _mediapipe_factory(model: Path, num_poses: int, mode: str) -> Any:
    from posturecheck.adapters.estimator import MediaPipePoseEstimator

    # offline=False: the no-network guard refuses every new IPv4/IPv6 socket of the process,
    # and a Ray worker keeps opening them (to the driver, the job store, the GCS, other nodes).
    # The driver says so once (NETWORK_WARNING); docs/cluster.md says how to block egress.
    return MediaPipePoseEstimator(model, num_poses=num_poses, mode=mode, offline=False)


class JobStore:
    """The job's shared state, as one small actor on the driver's node: the model bundle's bytes
    (detector actors fetch them through the object store when their node has no copy) and the
    frames done per task key (detector actors report, the driver polls)."""

    def __init__(self) -> None:
        self.frames: dict[str, int] = {}
        self.bundle: bytes = b""
        self.stopped = False

    def set_model(self, data: bytes) -> None:
        self.bundle = data

    def model(self) -> bytes:
        return self.bundle

    def report(self, key: str, frames: int) -> bool:
        """Count a task's frames; answers whether the job was stopped."""
        self.frames[key] = max(frames, self.frames.get(key, 0))
        return self.stopped

    def stop(self) -> None:
        self.stopped = True

    def snapshot(self) -> dict[str, int]:
        return dict(self.frames)


_ACTOR_CLASSES: dict[str, Any] = {}


def _actor_class(name: str) -> Any:
    """``ray.remote`` versions of the classes above (made on first use: importing this module
    must not import Ray)."""
    cls = _ACTOR_CLASSES.get(name)
    if cls is None:
        import ray

        if name == "detector":
            cls = ray.remote(
                num_cpus=1, max_restarts=MAX_RESTARTS, max_task_retries=MAX_TASK_RETRIES
            )(DetectorWorker)
        else:
            cls = ray.remote(num_cpus=0)(JobStore)
        _ACTOR_CLASSES[name] = cls
    return cls


# --------------------------------------------------------------------------- driver side


class WorkerLost(RuntimeError):
    """A task's actor died more often than Ray may restart it and retry the task."""


def connect(opts: ClusterOptions) -> bool:
    """Start or join Ray (no-op when this process is already connected).

    Returns:
        ``True`` when this call connected (the caller shuts down with :func:`disconnect`).

    Raises:
        ConfigError: Ray is not installed (names the extra), or the cluster cannot be reached.
    """
    # Ray's usage statistics phone home by default; posturecheck never sends anything anywhere.
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    if opts.address is None:
        # A private single-node instance: bind its node address to loopback (Ray otherwise picks
        # the machine's outward-facing address even for a one-machine instance).
        os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
    try:
        import ray
    except ImportError:
        raise ConfigError("--cluster needs Ray: pip install 'posturecheck[cluster]'") from None
    if ray.is_initialized():
        return False
    # Ray runs workers at nice 15 by default; a detector must compete for the CPU like the
    # local worker threads do (on this busy 2-core machine, nice 15 made jobs 26-37 % slower).
    runtime_env: dict[str, Any] = {
        "env_vars": {"RAY_USAGE_STATS_ENABLED": "0", "RAY_worker_niceness": "0"}
    }
    if opts.ship_code:
        import posturecheck

        runtime_env["py_modules"] = [str(Path(posturecheck.__file__).resolve().parent)]
        runtime_env["excludes"] = ["__pycache__", "*.pyc"]
    kwargs: dict[str, Any] = {
        "runtime_env": runtime_env,
        "log_to_driver": log.isEnabledFor(logging.DEBUG),
        "logging_level": logging.ERROR,
    }
    try:
        if opts.address is None:
            ray.init(
                num_cpus=opts.num_cpus or os.cpu_count() or 1,
                object_store_memory=opts.object_store_bytes,
                include_dashboard=False,
                **kwargs,
            )
        else:
            ray.init(address=opts.address, **kwargs)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        raise ConfigError(
            f"--cluster {opts.address or LOCAL}: cannot start or join Ray: {_one_line(exc)}"
        ) from None
    return True


def disconnect() -> None:
    """Leave the cluster (stops a local instance this process started)."""
    import ray

    with contextlib.suppress(Exception):
        ray.shutdown()


def cluster_cpus() -> int:
    """CPUs of the connected cluster (at least 1)."""
    import ray

    return max(1, int(ray.cluster_resources().get("CPU", 1)))


class RayDetectorPool:
    """Detector actors on the connected Ray cluster, used from driver threads.

    :meth:`detect_segment` and :meth:`detect_image` block the calling thread until an idle
    actor has done the task (so any number of driver threads can use the pool; the actors run
    them in the order the threads ask). Call :meth:`start` first, :meth:`shutdown` at the end.

    Args:
        model_path: the bundle (already resolved and, for named variants, verified).
        model_sha256: the hash every node must see: the manifest's for a named variant, else
            the driver's file's.
        num_poses: people the landmarker tracks.
        actors: how many detector actors (one CPU each).
        stop: set to cancel: running tasks are cancelled, waiting calls return.
        on_frames: ``on_frames(n)``: called from :meth:`poll_progress` with frames newly done
            anywhere on the cluster.
        worker_factory: tests only: ``factory(model_path, num_poses, mode)`` run on the actors.
    """

    def __init__(
        self,
        model_path: Path,
        model_sha256: str,
        num_poses: int,
        actors: int,
        stop: threading.Event,
        on_frames: Callable[[int], None] | None = None,
        worker_factory: Callable[[Path, int, str], Any] | None = None,
    ) -> None:
        self.model_path = Path(model_path)
        self.model_sha256 = model_sha256
        self.num_poses = num_poses
        self.n_actors = max(1, actors)
        self.stop = stop
        self.on_frames = on_frames
        self.worker_factory = worker_factory
        self.actors: list[Any] = []
        self.infos: list[dict[str, Any]] = []
        self._idle: queue.Queue[Any] = queue.Queue()
        self._lock = threading.Lock()
        self._inflight: dict[str, Any] = {}  # key -> ObjectRef
        self._seen: dict[str, int] = {}  # key -> frames counted so far
        self._bytes: dict[str, Any] = {}  # driver path -> ObjectRef of its bytes
        self._progress_actor: Any = None
        self._store_name: str | None = None
        self._store_stopped = False
        self.decode_threads = 1
        self._last_poll = 0.0
        self._counter = 0

    # ---------------------------------------------------------------- lifecycle

    def start(self) -> None:
        """Ship the model, create the actors, wait until every one has loaded it.

        Raises:
            ModelError: a node's bundle does not match (one line from that node).
        """
        # The bundle travels as a task argument, not as an actor constructor argument: Ray can
        # restart an actor only if its constructor's arguments stay in the object store.
        import uuid

        import ray

        self._store_name = f"posturecheck-job-{uuid.uuid4().hex[:12]}"
        self._progress_actor = _actor_class("store").options(name=self._store_name).remote()
        ray.get(self._progress_actor.set_model.remote(self.model_path.read_bytes()))
        self.actors = [self._new_actor() for _ in range(self.n_actors)]
        # FFmpeg's own decoding threads only while cores are left over, as the local pool does.
        self.decode_threads = 1 if self.n_actors >= cluster_cpus() else 0
        self.infos = ray.get([a.info.remote() for a in self.actors])
        errors = [i["error"] for i in self.infos if i.get("error")]
        if errors:
            self.shutdown()
            raise ModelError(errors[0])
        from posturecheck import __version__

        for i in self.infos:
            if i.get("posturecheck") != __version__:
                log.warning(
                    "node %s runs posturecheck %s, the driver %s",
                    i["node_ip"],
                    i["posturecheck"],
                    __version__,
                )
        log.info(
            "%d detector actor(s) on %s",
            len(self.actors),
            ", ".join(sorted({i["node_ip"] for i in self.infos})),
        )
        for a in self.actors:
            self._idle.put(a)

    def _new_actor(self) -> Any:
        return _actor_class("detector").remote(
            self.model_path.name,
            self.model_sha256,
            str(self.model_path),
            self.num_poses,
            self._store_name,
            self.worker_factory,
        )

    def shutdown(self) -> None:
        """Cancel what is still running and end the actors (their landmarkers close)."""
        import ray

        with self._lock:
            refs = list(self._inflight.values())
        for ref in refs:
            with contextlib.suppress(Exception):
                ray.cancel(ref)
        for a in self.actors:
            with contextlib.suppress(Exception):
                ray.get(a.close.options(max_task_retries=0).remote(), timeout=5)
        for a in [*self.actors, self._progress_actor]:
            if a is not None:
                with contextlib.suppress(Exception):
                    ray.kill(a, no_restart=True)
        self.actors = []
        self._progress_actor = None

    # ---------------------------------------------------------------- tasks

    def input_ref(self, path: Path, with_bytes: bool = False) -> InputRef:
        """How the actors get ``path``: by path, or (``with_bytes``) with its bytes too."""
        import ray

        size = path.stat().st_size
        if not with_bytes:
            return InputRef(str(path), size)
        key = str(path)
        with self._lock:
            ref = self._bytes.get(key)
        if ref is None:
            ref = ray.put(path.read_bytes())
            with self._lock:
                self._bytes[key] = ref
        log.info("%s: not readable on a worker node; sending its bytes", path)
        return InputRef(str(path), size, [ref])

    def release_input(self, path: Path) -> None:
        """Drop the bytes sent for ``path`` (its last segment is done)."""
        with self._lock:
            self._bytes.pop(str(path), None)

    def _key(self, label: str) -> str:
        with self._lock:
            self._counter += 1
            return f"{self._counter}:{label}"

    def _call(self, key: str, method: str, *args: Any) -> Any:
        """Run ``method`` on an idle actor; ``None`` when stopped before it finished."""
        import ray

        while True:
            if self.stop.is_set():
                return None
            try:
                actor = self._idle.get(timeout=0.2)
            except queue.Empty:
                continue
            break
        ref = getattr(actor, method).remote(key, *args)
        with self._lock:
            self._inflight[key] = ref
        try:
            while True:
                ready, _ = ray.wait([ref], timeout=0.2)
                if ready:
                    try:
                        return ray.get(ref)
                    except ray.exceptions.RayActorError as exc:
                        # Ray restarted it and retried the task MAX_TASK_RETRIES times: give up
                        # on this task (the input is listed with the reason) and carry on with
                        # a fresh actor.
                        actor = self._replace(actor)
                        raise WorkerLost(
                            f"worker died {MAX_TASK_RETRIES + 1} times on this task "
                            f"({type(exc).__name__})"
                        ) from None
                if self.stop.is_set():
                    # Ctrl-C: the actor sees the store's flag within PROGRESS_EVERY_S and
                    # returns what it has done; cancel it only if it does not.
                    self._stop_store()
                    ready, _ = ray.wait([ref], timeout=STOP_GRACE_S)
                    if ready:
                        with contextlib.suppress(Exception):
                            return ray.get(ref)
                    with contextlib.suppress(Exception):
                        ray.cancel(ref)
                    return None
        finally:
            with self._lock:
                self._inflight.pop(key, None)
            if actor is not None:
                self._idle.put(actor)

    def _stop_store(self) -> None:
        with self._lock:
            if self._store_stopped or self._progress_actor is None:
                return
            self._store_stopped = True
        with contextlib.suppress(Exception):
            self._progress_actor.stop.remote()

    def _replace(self, dead: Any) -> Any:
        """A new actor instead of one that may not restart any more (``None`` if stopping)."""
        import ray

        with contextlib.suppress(Exception):
            ray.kill(dead, no_restart=True)
        if self.stop.is_set():
            return None
        actor = self._new_actor()
        with self._lock:
            self.actors = [a for a in self.actors if a is not dead] + [actor]
        return actor

    def detect_segment(
        self, path: Path, start_ms: int, end_ms: int | None, sample_fps: float
    ) -> SegmentOutput | None:
        """All detections of one segment (``None`` when stopped first).

        Raises:
            ray.exceptions.RayActorError: the actor died more often than it may restart.
        """
        key = self._key(f"{path.name}@{start_ms}")
        args = (start_ms, end_ms, sample_fps, self.decode_threads)
        out = self._call(key, "detect_segment", self.input_ref(path), *args)
        if out is not None and out.needs_bytes:
            ref = self.input_ref(path, with_bytes=True)
            out = self._call(key, "detect_segment", ref, *args)
        if out is not None:
            self._settle(key, len(out.detections))
        return out

    def detect_image(self, path: Path) -> ImageOutput | None:
        """The poses of one image (``None`` when stopped first)."""
        key = self._key(path.name)
        out = self._call(key, "detect_image", self.input_ref(path))
        if out is not None and out.needs_bytes:
            out = self._call(key, "detect_image", self.input_ref(path, with_bytes=True))
            self.release_input(path)
        if out is not None:
            self._settle(key, 1)
        return out

    # ---------------------------------------------------------------- progress

    def _settle(self, key: str, frames: int) -> None:
        """A task is done: count its final frames (whatever was polled of it before)."""
        with self._lock:
            before = self._seen.get(key, 0)
            self._seen[key] = max(before, frames)
        if self.on_frames is not None and frames > before:
            self.on_frames(frames - before)

    def poll_progress(self, min_interval_s: float = 0.25) -> None:
        """Ask the progress actor for the frames done so far (cheap; call from one thread)."""
        import ray

        now = time.perf_counter()
        if self._progress_actor is None or now - self._last_poll < min_interval_s:
            return
        self._last_poll = now
        try:
            snap = ray.get(self._progress_actor.snapshot.remote(), timeout=2)
        except Exception:  # noqa: BLE001 - progress is best effort
            return
        for key, frames in snap.items():
            self._settle(key, frames)


def model_sha256(path: Path) -> str:
    """The hash every node must see: the driver's bundle's (which ``resolve_model`` has already
    checked against the manifest for a named variant)."""
    return sha256_file(path)


# --------------------------------------------------------------------------- the batch driver


class ClusterSession:
    """``--cluster`` for one ``analyze`` run: connect, make the pool, disconnect.

    Use as a context manager; :attr:`actors` is known after entering (the driver plans its
    segments for that many workers, exactly as it would for that many local threads, so a local
    run with ``--workers`` equal to it gives identical results). :meth:`make_pool` is the
    driver's ``pool_factory``.

    Args:
        opts: where to run.
        model_path: the resolved bundle.
        num_poses: ``--max-people``.
    """

    def __init__(self, opts: ClusterOptions, model_path: Path, num_poses: int) -> None:
        self.opts = opts
        self.model_path = Path(model_path)
        self.num_poses = num_poses
        self.actors = 0
        self._owned = False
        self.worker_factory: Callable[[Path, int, str], Any] | None = None  # tests only

    def __enter__(self) -> ClusterSession:
        log.warning(NETWORK_WARNING)
        self._owned = connect(self.opts)
        self.actors = self.opts.actors or cluster_cpus()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._owned:
            disconnect()

    def make_pool(
        self,
        jobs: Sequence[Job],
        *,
        sample_fps: float,
        stop: threading.Event,
        on_frames: Callable[[int], None],
    ) -> RayPool:
        """A :class:`posturecheck.batch.pool.DetectorPool` on this cluster for ``jobs``."""
        tasks = sum(len(j.segments) if isinstance(j, VideoJob) else 1 for j in jobs)
        detectors = RayDetectorPool(
            self.model_path,
            model_sha256(self.model_path),
            self.num_poses,
            min(self.actors, max(1, tasks)),
            stop,
            on_frames=on_frames,
            worker_factory=self.worker_factory,
        )
        detectors.start()
        return RayPool(jobs, sample_fps=sample_fps, stop=stop, detectors=detectors)


class RayPool(ThreadDetectorPool):
    """The batch driver's :class:`~posturecheck.batch.pool.DetectorPool` on Ray actors.

    The local pool's scheduling and stitching, with each task sent to an actor: one driver
    thread per actor waits for its task (segment or image) and hands the detections back in
    order. Progress comes from the actors through :meth:`RayDetectorPool.poll_progress`.
    """

    def __init__(
        self,
        jobs: Sequence[Job],
        *,
        sample_fps: float,
        stop: threading.Event,
        detectors: RayDetectorPool,
    ) -> None:
        self.detectors = detectors  # before super().__init__: its threads start right away
        self._last_segment = {
            (j.path, len(j.segments) - 1) for j in jobs if isinstance(j, VideoJob)
        }
        self._polling = threading.Event()
        self._poller = threading.Thread(
            target=self._poll, name="posturecheck-ray-progress", daemon=True
        )
        self._poller.start()
        super().__init__(
            jobs,
            sample_fps=sample_fps,
            stop=stop,
            on_frames=lambda n: None,  # counted by the actors, see _poll
            estimator_factory=_no_local_estimator,
            workers=detectors.n_actors,
        )

    def _poll(self) -> None:
        while not self._polling.wait(0.25):
            self.detectors.poll_progress()

    def _detect_segment(
        self, job: VideoJob, k: int, emit: Callable[[Detections], None], stop: threading.Event
    ) -> SegmentEnd:
        start_ms, end_ms = job.segments[k]
        end = SegmentEnd()
        try:
            seg = self.detectors.detect_segment(job.path, start_ms, end_ms, self.sample_fps)
        except WorkerLost as exc:
            end.error = str(exc)
            return end
        if seg is None:
            end.interrupted = True
            return end
        end.interrupted = seg.interrupted
        for d in seg.detections:
            emit(Detections(d.index, d.timestamp_ms, d.poses))
            end.frames += 1
            end.brightness_sum += d.brightness
            end.dark_empty += not d.poses and d.brightness < DARK_MEAN_LEVEL
        end.eof, end.error = seg.eof, seg.error
        if (job.path, k) in self._last_segment:
            self.detectors.release_input(job.path)
        return end

    def _detect_image(self, job: ImageJob) -> ImageDetections:
        try:
            read_image(job.path)  # as locally: unreadable here = nothing to write
        except PostureCheckError as exc:
            return ImageDetections(None, error=strip_path(str(exc), job.path), readable=False)
        try:
            res = self.detectors.detect_image(job.path)
        except WorkerLost as exc:
            return ImageDetections(None, str(exc))
        if res is None:
            return ImageDetections(None, "interrupted")
        if res.error:
            return ImageDetections(None, strip_path(res.error, job.path))
        return ImageDetections(Detections(0, 0, res.poses))

    def close(self) -> None:
        try:
            super().close()  # cancels what has not started, joins the driver threads
        finally:
            self._polling.set()
            self._poller.join(timeout=2)
            self.detectors.poll_progress(min_interval_s=0.0)
            self.detectors.shutdown()


def _no_local_estimator(mode: str) -> Any:
    raise AssertionError("a RayPool never runs an estimator on the driver")
