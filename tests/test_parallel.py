"""The generic segment scheduler with fake work: order, the bound, errors, cancelling, Ctrl-C."""

from __future__ import annotations

import random
import signal
import threading
import time

import pytest

from posturecheck.batch.parallel import SegmentScheduler, stop_on_sigint


def _names() -> set[str]:
    return {t.name for t in threading.enumerate()}


def _no_worker_threads(prefix: str) -> bool:
    return not any(n.startswith(prefix) for n in _names())


def test_streams_come_in_task_order_with_their_items_and_results() -> None:
    rng = random.Random(0)
    delays = {t: rng.uniform(0.0, 0.004) for t in range(12)}

    def work(task: int, emit, stop) -> str:
        for j in range(task % 4 + 1):
            time.sleep(delays[task])  # later tasks often finish first
            emit((task, j))
        return f"done {task}"

    seen, results = [], []
    with SegmentScheduler(work, range(12), workers=3, thread_name="t-order") as sched:
        for stream in sched:
            seen.extend(stream)
            results.append((stream.task, stream.result))
    assert seen == [(t, j) for t in range(12) for j in range(t % 4 + 1)]
    assert results == [(t, f"done {t}") for t in range(12)]
    assert _no_worker_threads("t-order")


def test_work_in_flight_is_bounded_and_runs_ahead() -> None:
    started: list[int] = []
    lock = threading.Lock()

    def work(task: int, emit, stop) -> None:
        with lock:
            started.append(task)
        emit(task)

    ahead_seen = []
    with SegmentScheduler(work, range(30), workers=2, ahead=3, thread_name="t-bound") as sched:
        for stream in sched:
            time.sleep(0.01)  # a slow consumer: the workers get as far ahead as allowed
            with lock:
                ahead_seen.append(max(started) - stream.task)
            assert list(stream) == [stream.task]
    assert 0 < max(ahead_seen) <= 3  # ahead of the consumer, never more than `ahead` ...
    assert sorted(started) == list(range(30))  # ... and every task ran once


def test_an_exception_in_a_worker_reaches_the_consumer_in_order() -> None:
    ran: list[int] = []

    def work(task: int, emit, stop) -> None:
        ran.append(task)
        emit(f"{task}a")
        if task == 2:
            raise RuntimeError("bad segment")
        emit(f"{task}b")

    got = []
    sched = SegmentScheduler(work, range(50), workers=2, thread_name="t-error")
    with pytest.raises(RuntimeError, match="bad segment"), sched:
        for stream in sched:
            for item in stream:
                got.append(item)
    assert got == ["0a", "0b", "1a", "1b", "2a"]  # everything before the error, in order
    assert max(ran) <= 2 + sched.ahead  # the rest was cancelled, not run
    assert _no_worker_threads("t-error")


def test_stop_cancels_pending_tasks_and_ends_running_ones_early() -> None:
    stop = threading.Event()
    gate = threading.Event()

    def work(task: int, emit, stop_: threading.Event) -> str:
        if task != 1:
            for j in range(3):
                emit(j)
            return "complete"
        for j in range(6):
            emit(j)
        gate.set()
        while not stop_.is_set():  # a long segment, stopped midway
            time.sleep(0.001)
        return "stopped"

    ends = []
    with SegmentScheduler(work, range(20), workers=2, stop=stop, thread_name="t-stop") as sched:
        for stream in sched:
            n = sum(1 for _ in stream)
            if stream.task == 0:
                assert gate.wait(10)
                stop.set()  # e.g. Ctrl-C while task 1 runs
            ends.append((stream.task, n, stream.result, stream.cancelled))
    assert ends[0] == (0, 3, "complete", False)
    assert ends[1] == (1, 6, "stopped", False)  # what it did is kept
    assert len(ends) == 20  # every stream still arrives, nothing hangs
    for _, n, result, cancelled in ends[2:]:
        assert (n, result) == ((0, None) if cancelled else (3, "complete"))
    assert ends[-1][3]  # never started: cancelled
    assert _no_worker_threads("t-stop")


def test_leaving_early_stops_the_workers_and_joins_them() -> None:
    def work(task: int, emit, stop: threading.Event) -> None:
        while not stop.is_set():
            emit(task)
            time.sleep(0.001)

    with SegmentScheduler(work, range(10), workers=2, thread_name="t-leave") as sched:
        for stream in sched:
            next(iter(stream))
            break  # the consumer gives up on an endless task
    assert sched.stop.is_set()
    assert _no_worker_threads("t-leave")


def test_result_is_only_there_after_the_stream() -> None:
    with SegmentScheduler(lambda t, emit, stop: 7, [0], workers=1) as sched:
        stream = next(iter(sched))
        with pytest.raises(RuntimeError):
            _ = stream.result
        stream.drain()
        assert stream.result == 7


def test_bad_worker_count() -> None:
    with pytest.raises(ValueError, match="workers"):
        SegmentScheduler(lambda t, emit, stop: None, [], workers=0)


def test_first_ctrl_c_sets_stop_second_one_raises() -> None:
    before = signal.getsignal(signal.SIGINT)
    stop = threading.Event()
    with stop_on_sigint(stop):
        signal.raise_signal(signal.SIGINT)
        assert stop.is_set()
        with pytest.raises(KeyboardInterrupt):
            signal.raise_signal(signal.SIGINT)
    assert signal.getsignal(signal.SIGINT) is before


def test_sigint_handler_is_left_alone_outside_the_main_thread() -> None:
    before = signal.getsignal(signal.SIGINT)
    seen = []

    def run() -> None:
        with stop_on_sigint(threading.Event()):
            seen.append(signal.getsignal(signal.SIGINT))

    t = threading.Thread(target=run)
    t.start()
    t.join()
    assert seen == [before]
