"""``analyze --cluster``: a real two-node Ray cluster on loopback, the real model, real videos.

The cluster is started once per session with ``ray start --head`` (node 127.0.0.2) plus a
second ``ray start --address`` worker node (127.0.0.3), one CPU each, so the two detector
actors run in two raylets as on two machines. (Loopback addresses other than 127.0.0.1 because
Ray replaces 127.0.0.1 by the machine's outward address; these never leave the machine.) Each
is started with ``--block`` in its own process session and stopped by killing that session, so
the tests never touch Ray processes they did not start.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

from posturecheck.batch import cluster
from posturecheck.cli import main as cli
from posturecheck.errors import ExitStatus, ModelError

REPO = Path(__file__).resolve().parent.parent
# shared/ sits beside the checkout (CI) or beside the worktrees' folder (development).
SIDE_VIDEO = (
    next(
        (
            p
            for p in (REPO.parent / "shared", REPO.parent.parent / "shared")
            if (p / "data" / "jonz21_side_video" / "input.mp4").is_file()
        ),
        REPO.parent / "shared",
    )
    / "data"
    / "jonz21_side_video"
    / "input.mp4"
)
HEAD_IP, WORKER_IP = "127.0.0.2", "127.0.0.3"
STORE = "100000000"  # object store per node: 100 MB


# --------------------------------------------------------------------------- no Ray needed


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (None, None),
        ("local", None),
        ("auto", "auto"),
        ("10.0.0.5:6379", "10.0.0.5:6379"),
        ("ray://head.example:10001", "ray://head.example:10001"),
    ],
)
def test_parse_address(text: str | None, expected: str | None) -> None:
    assert cluster.parse_address(text) == expected


def test_parse_address_rejects_a_swallowed_path(tmp_path: Path) -> None:
    video = tmp_path / "clip.mp4"
    video.write_bytes(b"x")
    for bad in (str(video), "clip.mp4", "http://x:1"):
        with pytest.raises(Exception, match="--cluster: expected auto") as exc:
            cluster.parse_address(bad)
        assert "\n" not in str(exc.value)


def test_cli_refuses_a_path_as_the_address(capsys) -> None:
    video = REPO / "samples" / "desk_front_tilt.mp4"
    assert cli.main(["analyze", "x.mp4", "--cluster", str(video)]) == ExitStatus.USAGE
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--cluster" in err[0] and "after the paths" in err[0]


def test_node_model_that_does_not_match_fails_with_one_line(tmp_path: Path) -> None:
    good = b"the real bundle"
    sha = cluster._sha256_bytes(good)
    stale = tmp_path / "pose_landmarker_full.task"
    stale.write_bytes(b"an older bundle")
    with pytest.raises(ModelError) as exc:
        cluster.materialise_model(stale.name, sha, str(stale), tmp_path, lambda: good)
    msg = str(exc.value)
    assert "\n" not in msg and "does not match" not in msg  # says what, not a generic phrase
    assert str(stale) in msg and sha[:12] in msg and "models build" in msg
    # No copy on the node: the shipped bytes are checked and written to the actor's folder.
    work = tmp_path / "actor"
    work.mkdir()
    got = cluster.materialise_model("m.task", sha, str(tmp_path / "absent"), work, lambda: good)
    assert got.read_bytes() == good
    with pytest.raises(ModelError, match="corrupted in transfer"):
        cluster.materialise_model("m.task", sha, str(tmp_path / "absent"), work, lambda: b"bad")


def test_without_the_flag_ray_is_never_imported(tmp_path: Path) -> None:
    """A real ``analyze`` (the model on a still image) in a fresh interpreter."""
    code = (
        "import sys\n"
        "from posturecheck.cli import main\n"
        f"rc = main.main(['analyze', {str(REPO / 'samples' / 'still_front_tilted.jpg')!r}, "
        f"'--out', {str(tmp_path)!r}, '-q'])\n"
        "assert rc == 0, rc\n"
        "assert not [m for m in sys.modules if m == 'ray' or m.startswith('ray.')]\n"
        "assert 'posturecheck.batch.cluster' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO, timeout=300)


# --------------------------------------------------------------------------- a real cluster


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HEAD_IP, 0))
        return int(s.getsockname()[1])


class LocalCluster:
    """Two ``ray start --block`` processes (head + worker node), each in its own session."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = _free_port()
        self.address = f"{HEAD_IP}:{self.port}"
        self.env = {
            **os.environ,
            "RAY_USAGE_STATS_ENABLED": "0",
            # Token authentication, with a token only these processes and the tests know.
            "RAY_AUTH_MODE": "token",
            "RAY_AUTH_TOKEN": secrets.token_hex(32),
        }
        self.procs: list[subprocess.Popen[bytes]] = []
        self.ray = str(Path(sys.executable).with_name("ray"))

    def _start(self, args: list[str], log_name: str) -> None:
        log = open(self.root / log_name, "wb")  # noqa: SIM115 - lives as long as the process
        self.procs.append(
            subprocess.Popen(
                [self.ray, "start", "--block", "--disable-usage-stats", *args],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )

    def start(self) -> None:
        common = ["--num-cpus", "1", "--object-store-memory", STORE]
        self._start(
            [
                "--head",
                "--node-ip-address",
                HEAD_IP,
                "--port",
                str(self.port),
                "--include-dashboard",
                "false",
                "--temp-dir",
                str(self.root / "t"),
                *common,
            ],
            "head.log",
        )
        self._wait_port()
        self._start(
            ["--address", self.address, "--node-ip-address", WORKER_IP, *common], "worker.log"
        )

    def _wait_port(self, timeout_s: float = 180.0) -> None:
        """Until the head says it runs (its port opens earlier than it accepts clients)."""
        t_end = time.monotonic() + timeout_s
        while time.monotonic() < t_end:
            if self.procs[0].poll() is not None:
                raise RuntimeError(self.log("head.log"))
            if "Ray runtime started" in self.log("head.log"):
                return
            time.sleep(0.5)
        raise TimeoutError(f"Ray head did not start on {self.address}")

    def wait_cpus(self, n: int, timeout_s: float = 180.0) -> None:
        import ray

        t_end = time.monotonic() + timeout_s
        while ray.cluster_resources().get("CPU", 0) < n:
            if time.monotonic() > t_end:
                raise TimeoutError(self.log("worker.log"))
            time.sleep(0.5)

    def log(self, name: str) -> str:
        with contextlib.suppress(OSError):
            return (self.root / name).read_text(errors="replace")[-3000:]
        return ""

    def detector_pids(self, busy: bool = False) -> list[int]:
        """PIDs of this cluster's detector actors (optionally: only those running a task)."""
        sessions = {p.pid for p in self.procs}
        out = []
        for d in Path("/proc").iterdir():
            if not d.name.isdigit():
                continue
            try:
                title = (d / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                if os.getsid(int(d.name)) not in sessions:
                    continue
            except OSError:
                continue
            if title.startswith("ray::DetectorWorker") and (not busy or "detect_segment" in title):
                out.append(int(d.name))
        return out

    def stop(self) -> None:
        for p in reversed(self.procs):
            if p.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(p.pid, signal.SIGTERM)
        for p in reversed(self.procs):
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(p.pid, signal.SIGKILL)
                p.wait(timeout=10)
        # Whatever is left in the sessions (workers that outlive their raylet): end it too.
        for p in self.procs:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(p.pid, signal.SIGKILL)


@pytest.fixture(scope="module")
def ray_cluster():
    from posturecheck.adapters import netguard

    if netguard.status() is not None:  # Ray's sockets would be refused (conftest orders this)
        pytest.fail("the pytest process already runs under the no-network guard", pytrace=False)
    root = Path(tempfile.mkdtemp(prefix="pcray-", dir="/tmp"))  # short: Ray's socket paths
    c = LocalCluster(root)
    saved = {
        k: os.environ.get(k) for k in ("RAY_USAGE_STATS_ENABLED", "RAY_AUTH_MODE", "RAY_AUTH_TOKEN")
    }
    try:
        c.start()
        os.environ.update({k: c.env[k] for k in saved})
        assert cluster.connect(cluster.ClusterOptions(address=c.address))
        c.wait_cpus(2)
        yield c
    finally:
        with contextlib.suppress(Exception):
            cluster.disconnect()
        c.stop()
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        import shutil

        shutil.rmtree(root, ignore_errors=True)


def _analyze(paths: list[Path], out: Path, *extra: str) -> int:
    """``posturecheck analyze`` in-process (the driver of a cluster run loads no model)."""
    return cli.main(["analyze", *map(str, paths), "--out", str(out), "-q", *extra])


def _analyze_locally(paths: list[Path], out: Path, *extra: str) -> int:
    """The local reference run, in a child process: an in-process model would put the
    no-network guard on this process (and the Ray processes it starts)."""
    cmd = [sys.executable, "-m", "posturecheck", "analyze", *map(str, paths), "--out", str(out)]
    return subprocess.run([*cmd, "-q", *extra], cwd=REPO, timeout=900).returncode


def _same_outputs(a: Path, b: Path, names: list[str]) -> None:
    """Identical frames.csv and summary.json (apart from the time of writing), same index."""
    for name in names:
        assert (a / name / "frames.csv").read_bytes() == (b / name / "frames.csv").read_bytes()
        ja = json.loads((a / name / "summary.json").read_text(encoding="utf-8"))
        jb = json.loads((b / name / "summary.json").read_text(encoding="utf-8"))
        ja.pop("created_utc"), jb.pop("created_utc")
        assert ja == jb, name
    assert (a / "summary.csv").read_bytes() == (b / "summary.csv").read_bytes()


SAMPLE_NAMES = ["desk_front_tilt", "desk_front_lean_in", "still_front_tilted"]
SAMPLE_ARGS = ("--fps", "1", "--workers", "2")


@pytest.fixture(scope="module")
def local_samples(tmp_path_factory) -> Path:
    """The reference: a local run on samples/ with 2 worker threads."""
    out = tmp_path_factory.mktemp("local")
    assert _analyze_locally([REPO / "samples"], out, *SAMPLE_ARGS) == ExitStatus.OK
    return out


@pytest.mark.slow
@pytest.mark.unguarded  # Ray needs sockets: before any in-process model (conftest)
def test_cluster_run_equals_local_run_and_resumes(ray_cluster, local_samples, tmp_path) -> None:
    out = tmp_path / "cluster"
    rc = _analyze([REPO / "samples"], out, *SAMPLE_ARGS, f"--cluster={ray_cluster.address}")
    assert rc == ExitStatus.OK
    _same_outputs(local_samples, out, SAMPLE_NAMES)
    assert (out / "index.html").is_file()
    for name in SAMPLE_NAMES:
        assert (out / name / "report.html").is_file()
        assert (out / name / ".posturecheck-done.json").is_file()
    # Rerunning the cluster job skips every finished input (and writes nothing new).
    before = {p: p.stat().st_mtime_ns for p in out.rglob("frames.csv")}
    rc = _analyze([REPO / "samples"], out, *SAMPLE_ARGS, f"--cluster={ray_cluster.address}")
    assert rc == ExitStatus.OK
    with open(out / "summary.csv", newline="", encoding="utf-8") as fh:
        assert {r["status"] for r in csv.DictReader(fh)} == {"skipped"}
    assert before == {p: p.stat().st_mtime_ns for p in out.rglob("frames.csv")}


@pytest.mark.slow
@pytest.mark.unguarded  # Ray needs sockets: before any in-process model (conftest)
@pytest.mark.skipif(not SIDE_VIDEO.is_file(), reason="../shared/data (evaluation data) not present")
def test_real_clip_equals_local_run(ray_cluster, tmp_path) -> None:
    """Real footage (read by path, never copied), at a fixed 5 analysed frames per second (the
    cluster always samples at a fixed rate; local analysis is adaptive by default)."""
    local, remote = tmp_path / "local", tmp_path / "cluster"
    args = ("--workers", "2", "--fps", "5")
    assert _analyze_locally([SIDE_VIDEO], local, *args) == ExitStatus.OK
    rc = _analyze([SIDE_VIDEO], remote, *args, f"--cluster={ray_cluster.address}")
    assert rc == ExitStatus.OK
    _same_outputs(local, remote, ["input"])


@pytest.mark.slow
@pytest.mark.unguarded  # Ray needs sockets: before any in-process model (conftest)
def test_killed_worker_loses_nothing(ray_cluster, local_samples, tmp_path) -> None:
    """SIGKILL a detector actor's process while it runs a segment: Ray restarts the actor and
    retries the task; the job completes with the same outputs as the local run."""
    killed: list[int] = []
    done = threading.Event()

    def killer() -> None:
        while not done.is_set() and not killed:
            busy = ray_cluster.detector_pids(busy=True)
            if busy:
                time.sleep(1.0)  # well inside the segment
                os.kill(busy[0], signal.SIGKILL)
                killed.append(busy[0])
            time.sleep(0.05)

    t = threading.Thread(target=killer, daemon=True)
    t.start()
    try:
        out = tmp_path / "cluster"
        rc = _analyze([REPO / "samples"], out, *SAMPLE_ARGS, f"--cluster={ray_cluster.address}")
    finally:
        done.set()
        t.join(timeout=10)
    assert killed, "no detector was seen running a segment"
    assert rc == ExitStatus.OK
    _same_outputs(local_samples, out, SAMPLE_NAMES)
    assert killed[0] not in ray_cluster.detector_pids()


def _session_run(ray_cluster, tmp_path: Path, paths, *, stop=None, stream=None):
    from posturecheck.adapters import models
    from posturecheck.batch import run as batch
    from posturecheck.core.config import load_config

    model = models.resolve_model("full")
    opts = batch.BatchOptions(
        out_dir=tmp_path, sample_fps=1.0, workers=2, formats=frozenset({"json", "csv"})
    )
    with cluster.ClusterSession(
        cluster.ClusterOptions(address=ray_cluster.address), model, 2
    ) as session:
        return batch.analyze_paths(
            paths,
            opts,
            load_config(None),
            batch.default_estimator_factory(model),
            progress_enabled=stream is not None,
            progress_stream=stream,
            stop=stop,
            pool_factory=session.make_pool,
        )


@pytest.mark.slow
@pytest.mark.unguarded  # Ray needs sockets: before any in-process model (conftest)
def test_progress_counts_every_frame_once_across_nodes(ray_cluster, tmp_path) -> None:
    stream = io.StringIO()
    res = _session_run(
        ray_cluster, tmp_path, [REPO / "samples" / "desk_front_lean_in.mp4"], stream=stream
    )
    assert res.exit_status == ExitStatus.OK
    last = stream.getvalue().split("\r")[-1]
    done, total = last.split(" frames")[0].split()[-1].split("/")
    assert int(done) == res.frames_analyzed == res.outcomes[0].summary["frames_analyzed"]
    assert int(total) >= int(done)


@pytest.mark.slow
@pytest.mark.unguarded  # Ray needs sockets: before any in-process model (conftest)
def test_stop_cancels_outstanding_tasks_and_keeps_what_finished(ray_cluster, tmp_path) -> None:
    """What Ctrl-C does (the driver sets ``stop``): outstanding tasks are cancelled, the video
    in progress is written with what was analysed, the rest is listed as not analysed."""
    stop = threading.Event()
    stream = io.StringIO()

    def trip() -> None:  # Ctrl-C as soon as the progress bar shows frames done
        while not stop.is_set():
            m = re.findall(r"(\d+)/\d+ frames", stream.getvalue())
            if m and int(m[-1]) > 0:
                stop.set()
            time.sleep(0.05)

    t = threading.Thread(target=trip, daemon=True)
    t.start()
    videos = [REPO / "samples" / "desk_front_tilt.mp4", REPO / "samples" / "desk_front_lean_in.mp4"]
    res = _session_run(ray_cluster, tmp_path, videos, stop=stop, stream=stream)
    stop.set()
    t.join(timeout=5)
    assert res.interrupted and res.exit_status == ExitStatus.INTERRUPTED
    statuses = [o.status for o in res.outcomes]
    assert statuses[0] == "interrupted" and statuses[1] == "interrupted"
    # The running segment handed back what it had done: the first video is written with it.
    first = res.outcomes[0]
    assert first.summary is not None and first.summary["frames_analyzed"] > 0
    assert (first.out_dir / "frames.csv").is_file()
    assert res.outcomes[1].out_dir is None  # never started: listed as not analysed
    assert (tmp_path / "index.html").is_file()
    t_end = time.monotonic() + 30
    while ray_cluster.detector_pids() and time.monotonic() < t_end:
        time.sleep(0.2)
    assert not ray_cluster.detector_pids()  # every task cancelled, every actor ended


@pytest.mark.slow
@pytest.mark.unguarded  # Ray needs sockets: before any in-process model (conftest)
def test_model_mismatch_on_a_node_is_one_line(ray_cluster, tmp_path) -> None:
    from posturecheck.adapters import models

    model = models.resolve_model("full")
    pool = cluster.RayDetectorPool(model, "0" * 64, 2, 1, threading.Event())
    with pytest.raises(ModelError) as exc:
        pool.start()
    assert "\n" not in str(exc.value) and "node 127.0.0." in str(exc.value)
    assert "000000000000" in str(exc.value)


@pytest.mark.slow
@pytest.mark.unguarded  # Ray needs sockets: before any in-process model (conftest)
def test_input_bytes_are_sent_when_a_node_cannot_read_the_path(ray_cluster, tmp_path) -> None:
    """The actor's side of shared storage: a path it cannot see asks for the bytes; with them it
    detects exactly what reading the path gives."""
    import ray

    from posturecheck.adapters import models

    clip = REPO / "samples" / "desk_front_lean_in.mp4"
    model = models.resolve_model("full")
    w = cluster.DetectorWorker(
        model.name, cluster.model_sha256(model), str(model), 1, None, _CountingFake
    )
    assert w.error is None
    size = clip.stat().st_size
    elsewhere = "/nonexistent/on/this/node/desk_front_lean_in.mp4"
    assert w.detect_segment("k", cluster.InputRef(elsewhere, size), 0, 3000, 2.0).needs_bytes
    ref = cluster.InputRef(elsewhere, size, [ray.put(clip.read_bytes())])
    by_bytes = w.detect_segment("k", ref, 0, 3000, 2.0)
    by_path = w.detect_segment("k", cluster.InputRef(str(clip), size), 0, 3000, 2.0)
    assert not by_bytes.error and len(by_bytes.detections) == 6
    assert [(d.timestamp_ms, d.brightness) for d in by_bytes.detections] == [
        (d.timestamp_ms, d.brightness) for d in by_path.detections
    ]
    w.close()


class _CountingFake:
    def __init__(self, model: Path, num_poses: int, mode: str) -> None:
        self.mode = mode

    def detect(self, frame) -> list:
        return []

    def reset(self) -> None:
        pass


def test_ray_is_imported_in_exactly_one_module() -> None:
    import ast

    users = set()
    for p in (REPO / "posturecheck").rglob("*.py"):
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            if any(n == "ray" or n.startswith("ray.") for n in names):
                users.add(p.relative_to(REPO).as_posix())
    assert users == {"posturecheck/batch/cluster.py"}
