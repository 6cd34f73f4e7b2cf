"""A generic segment scheduler: work on many threads, consumed in order on the main thread.

Modelled on supervision's ``process_video``: workers produce, bounded buffers sit between them
and the consumer, a sentinel ends every stream, the stateful consumer runs on the calling
(main) thread so it needs no locks, and the threads are joined in ``finally``. It knows nothing
about videos or poses: a *task* is any value, *work* turns it into a stream of items.

``SegmentScheduler(work, tasks, workers=N)`` runs ``work(task, emit, stop)`` for every task on
``N`` threads, at most ``ahead`` tasks beyond the one being consumed (the bound on the work in
flight). Iterating the scheduler yields one :class:`TaskStream` per task, **in task order**;
iterating a stream yields the items ``work`` emitted, as soon as they are emitted, so the
consumer works on the first task while the workers are already on the next ones. After a
stream is exhausted, :attr:`TaskStream.result` is what ``work`` returned.

* An exception in ``work`` ends its stream after the items emitted before it and is raised in
  the consumer, from the stream, in task order; the other tasks are cancelled on exit.
* Cancelling: set ``stop`` (any thread; :func:`stop_on_sigint` sets it on Ctrl-C). Tasks that
  have not started never run (their streams are empty and :attr:`TaskStream.cancelled` is
  true); running ones see ``stop`` and return early, so the consumer can still take what was
  done, in order. Leaving the ``with`` block cancels what is left and joins every thread.

How the batch driver plugs detection into this, and what another engine (a Ray cluster, issue
14) has to provide instead, is :class:`posturecheck.batch.pool.DetectorPool`: an object whose
``ordered_detections(job)`` yields one input's :class:`posturecheck.core.types.Detections` in time
order (then tells how the input ended), called for the inputs in the order they were given to
the pool, and which reports progress in analysed frames through a callback. The local
:class:`posturecheck.batch.pool.ThreadDetectorPool` is that protocol over this scheduler, one
task per video segment; a cluster pool would submit the same segments as remote tasks and hand
their results back through the same :func:`posturecheck.batch.pool.stitch`.
"""

from __future__ import annotations

import contextlib
import queue
import signal
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")
S = TypeVar("S")

Work = Callable[[T, Callable[[R], None], threading.Event], S]
"""``work(task, emit, stop) -> result``: calls ``emit(item)`` per item, should return soon
after ``stop`` is set; runs on a worker thread."""

_END = object()
"""The sentinel a worker puts after a task's last item (always, also after an exception)."""


class TaskStream(Generic[T, R, S]):
    """The items of one task, in the order they were emitted; one pass.

    Attributes:
        task: the task.
        cancelled: the task never ran (``stop`` was set before it started).
    """

    def __init__(self, task: T, poll_s: float, on_wait: Callable[[], None] | None) -> None:
        self.task = task
        self.cancelled = False
        self._items: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._poll_s = poll_s
        self._on_wait = on_wait
        self._result: S | None = None
        self._error: BaseException | None = None
        self._done = False

    def __iter__(self) -> Iterator[R]:
        while not self._done:
            try:
                item = self._items.get(timeout=self._poll_s)
            except queue.Empty:
                if self._on_wait is not None:
                    self._on_wait()
                continue
            if item is _END:
                self._done = True
                break
            yield item  # type: ignore[misc]
        if self._error is not None:
            error, self._error = self._error, None
            raise error

    @property
    def result(self) -> S | None:
        """What ``work`` returned (``None`` when cancelled); valid once the stream is exhausted."""
        if not self._done:
            raise RuntimeError("TaskStream.result read before the stream was exhausted")
        return self._result

    def drain(self) -> None:
        """Wait for the task to end, dropping its remaining items (raises its exception)."""
        for _ in self:
            pass

    def _run(self, work: Work[T, R, S], stop: threading.Event) -> None:
        try:
            if stop.is_set():
                self.cancelled = True
                return
            self._result = work(self.task, self._items.put, stop)
        except BaseException as exc:  # handed to the consumer, in order
            self._error = exc
        finally:
            self._items.put(_END)


class SegmentScheduler(Generic[T, R, S]):
    """Run ``work`` over ``tasks`` on worker threads; consume the streams in task order.

    Args:
        work: ``work(task, emit, stop) -> result`` (see :data:`Work`).
        tasks: the tasks, in the order they will be consumed.
        workers: worker threads (>= 1).
        ahead: tasks that may be queued or running beyond the one being consumed (default
            ``2 * workers``): the bound on memory and on the work thrown away on cancelling.
        stop: the cancel flag, shared with the caller (a fresh one if omitted).
        on_wait: called about every ``poll_s`` seconds while the consumer waits for items
            (e.g. to redraw a progress bar).
        poll_s: see ``on_wait``.
        thread_name: prefix of the worker threads' names.

    Use it as a context manager: leaving the block cancels the tasks left and joins the threads.
    """

    def __init__(
        self,
        work: Work[T, R, S],
        tasks: Iterable[T],
        *,
        workers: int,
        ahead: int | None = None,
        stop: threading.Event | None = None,
        on_wait: Callable[[], None] | None = None,
        poll_s: float = 0.2,
        thread_name: str = "segment",
    ) -> None:
        if workers < 1:
            raise ValueError(f"workers: expected >= 1, got {workers}")
        self.stop = stop if stop is not None else threading.Event()
        self.workers = workers
        self.ahead = max(1, 2 * workers if ahead is None else ahead)
        self._work = work
        self._tasks: Sequence[T] = list(tasks)
        self._next = 0
        self._window: deque[tuple[TaskStream[T, R, S], Future[None]]] = deque()
        self._on_wait = on_wait
        self._poll_s = poll_s
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=thread_name)
        self._started = False
        self._iterated = False

    def start(self) -> None:
        """Start the first tasks now (iterating starts them too)."""
        if not self._started:
            self._started = True
            self._submit()

    def __enter__(self) -> SegmentScheduler[T, R, S]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __iter__(self) -> Iterator[TaskStream[T, R, S]]:
        """The tasks' streams in task order (a stream left unfinished is drained first)."""
        if self._iterated:
            raise RuntimeError("a SegmentScheduler is iterated once")
        self._iterated = True
        self.start()
        while self._window:
            stream, _ = self._window.popleft()
            self._submit()
            yield stream
            stream.drain()

    def _submit(self) -> None:
        while self._next < len(self._tasks) and len(self._window) < self.ahead:
            stream: TaskStream[T, R, S] = TaskStream(
                self._tasks[self._next], self._poll_s, self._on_wait
            )
            self._window.append((stream, self._executor.submit(stream._run, self._work, self.stop)))
            self._next += 1

    def close(self) -> None:
        """Cancel the tasks that have not started, stop the running ones, join the threads."""
        self.stop.set()
        try:
            for _, fut in self._window:
                fut.cancel()
        finally:
            self._executor.shutdown(wait=True, cancel_futures=True)


@contextlib.contextmanager
def stop_on_sigint(stop: threading.Event) -> Iterator[None]:
    """While inside, the first Ctrl-C sets ``stop`` instead of raising ``KeyboardInterrupt``.

    A second Ctrl-C raises as usual (for a run that does not stop). Outside the main thread,
    where signal handlers cannot be installed, this does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGINT)
    if previous is None:  # installed outside Python: restore Python's default afterwards
        previous = signal.default_int_handler

    def handler(signum: int, frame: object) -> None:
        stop.set()
        signal.signal(signal.SIGINT, previous)

    signal.signal(signal.SIGINT, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
