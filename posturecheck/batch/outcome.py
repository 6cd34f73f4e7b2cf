"""What a batch run gives back: one :class:`Outcome` per input, and the :class:`BatchResult`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from posturecheck.errors import ExitStatus


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

    @property
    def exit_status(self) -> ExitStatus:
        """OK; PARTIAL when some inputs failed (a video cut short counts as failed, with its
        partial results kept); SOURCE when nothing could be analysed (no inputs, or every input
        unreadable or without a person); INTERRUPTED after Ctrl-C."""
        if self.interrupted:
            return ExitStatus.INTERRUPTED
        if not any(o.status in ("ok", "skipped", "partial") for o in self.outcomes):
            return ExitStatus.SOURCE
        if any(o.failed for o in self.outcomes):
            return ExitStatus.PARTIAL
        return ExitStatus.OK
