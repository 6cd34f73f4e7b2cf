"""What a batch run gives back: one :class:`Outcome` per input, and the :class:`BatchResult`."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from posturecheck.adapters.paths import reason as os_reason
from posturecheck.errors import ConfigError, ExitStatus, ModelError, PostureCheckError
from posturecheck.render import export

log = logging.getLogger(__name__)


@dataclass
class Outcome:
    """What happened to one input.

    Attributes:
        input: the path (or command-line spec when nothing was found for it).
        kind: ``"video"``, ``"image"`` or ``"input"`` (a spec that matched nothing usable).
        status: ``"ok"``, ``"skipped"`` (outputs were current), ``"partial"`` (failed midway,
            partial results kept), ``"failed"`` (nothing analysed), ``"no_person"`` (analysed,
            nobody found) or ``"interrupted"``.
        reason: one line explaining any status other than ok/skipped.
        out_dir: the input's output folder (``None`` when nothing was written).
        summary: the ``summary.json`` document (also for skipped inputs), when there is one.
        wall_s: seconds spent on this input in this run.
    """

    input: str
    kind: str
    status: str
    reason: str | None = None
    out_dir: Path | None = None
    summary: dict[str, Any] | None = None
    wall_s: float = 0.0

    @property
    def failed(self) -> bool:
        return self.status not in ("ok", "skipped")


@dataclass
class BatchResult:
    """All outcomes of one batch run, in input order."""

    outcomes: list[Outcome]
    interrupted: bool = False
    wall_s: float = 0.0
    video_s: float = 0.0
    frames_analyzed: int = 0
    index_path: Path | None = None
    index_problem: str | None = None  # why summary.csv / index.html could not be written

    @property
    def exit_status(self) -> ExitStatus:
        """OK; PARTIAL when some inputs failed (a video cut short counts as failed, with its
        partial results kept); SOURCE when nothing could be analysed (no inputs, or every input
        unreadable or without a person); INTERRUPTED after Ctrl-C."""
        if self.interrupted:
            return ExitStatus.INTERRUPTED
        if not any(o.status in ("ok", "skipped", "partial") for o in self.outcomes):
            return ExitStatus.SOURCE
        if self.index_problem or any(o.failed for o in self.outcomes):
            return ExitStatus.PARTIAL
        return ExitStatus.OK


RUN_WIDE = (ConfigError, ModelError)
"""Errors that are the run's, not one input's (a model that does not load fails every input):
they still end the run with their own exit code."""


def input_failure(path: Path, kind: str, exc: Exception) -> Outcome:
    """The outcome of an input whose analysis or outputs raised ``exc`` (issue 12 item 6).

    A full disk or another OS error while writing says so in one line; an unexpected exception
    (a bug) names its type, and its traceback is logged at debug level (``-vv``). The batch goes
    on with the next input and still writes the index.
    """
    if isinstance(exc, OSError):
        why = f"could not write its outputs: {os_reason(exc)}"
    elif isinstance(exc, PostureCheckError):
        why = str(exc)
    else:
        why = f"internal error ({type(exc).__name__}: {exc}); please report it"
    log.info("%s: %s", path, why)  # the CLI lists it with the other failures
    log.debug("%s failed", path, exc_info=exc)
    return Outcome(str(path), kind, "failed", why)


def guarded(path: Path, kind: str, analyse: Callable[[], Outcome | None]) -> Outcome | None:
    """``analyse()``, with any exception but a run-wide one turned into that input's failure."""
    try:
        return analyse()
    except RUN_WIDE:
        raise
    except Exception as exc:  # that input's failure; the batch goes on (issue 12 item 6)
        return input_failure(path, kind, exc)


def write_index(result: BatchResult, out_dir: Path) -> None:
    """Write ``summary.csv`` and ``index.html`` into ``result``; a full disk or another OS error
    sets ``result.index_problem`` (one line, exit code 6) instead of raising."""
    try:
        result.index_path = export.write_index(Path(out_dir), result.outcomes, write_html=True)
    except OSError as exc:
        result.index_problem = f"could not write the index in {out_dir}: {os_reason(exc)}"
        log.info("%s", result.index_problem)  # the CLI prints it
