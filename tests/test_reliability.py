"""Issue 12 through the real command line: each hostile case -> one line and its documented code.

Every row runs ``posturecheck.cli.main.main(argv)`` in-process and checks the exit code, that
stderr is exactly one line (no traceback, never "internal error") and the words it must contain.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from test_history_faults import _filled_db, corrupt_pages

from posturecheck.cli.main import main


@dataclass(frozen=True)
class Case:
    name: str
    make: Callable[[Path], list[str]]  # builds the hostile files in tmp_path, returns argv
    code: int
    words: tuple[str, ...]


def _history_corrupt(tmp: Path) -> list[str]:
    db = corrupt_pages(_filled_db(tmp / "history.sqlite3"))
    return ["history", "--db", str(db)]


def _history_garbage(tmp: Path) -> list[str]:
    db = tmp / "history.sqlite3"
    db.write_bytes(b"\x00garbage" * 1000)
    return ["history", "--db", str(db)]


CASES = [
    Case("history on a corrupt page", _history_corrupt, 5, ("corrupt", "mv ", ".corrupt")),
    Case("history on a garbage file", _history_garbage, 5, ("corrupt", "mv ")),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_exit_codes_through_the_cli(
    case: Case, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POSTURECHECK_HOME", str(tmp_path / "home"))
    argv = case.make(tmp_path)
    capsys.readouterr()
    code = main(argv)
    err = capsys.readouterr().err.strip()
    assert code == case.code, err
    assert "internal error" not in err and "Traceback" not in err
    assert len(err.splitlines()) == 1, err
    for w in case.words:
        assert w in err, err
