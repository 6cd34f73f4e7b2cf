"""The README's promises that code can check: its config example loads, its commands are CI's."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from posturecheck.core.config import load_config

REPO = Path(__file__).resolve().parent.parent
README = (REPO / "README.md").read_text(encoding="utf-8")


def test_readme_config_example_is_valid(tmp_path: Path) -> None:
    block = re.search(r"```toml\n(.*?)```", README, re.S)
    assert block, "README has a TOML example"
    cfg_file = tmp_path / "example.toml"
    cfg_file.write_text(block.group(1), encoding="utf-8")
    example, default = load_config(cfg_file), load_config()
    # The example restates defaults: same values (a rule it touches only gains a provenance note).
    assert [replace(r, source="") for r in example.rules] == [
        replace(r, source="") for r in default.rules
    ]
    assert replace(example, rules=()) == replace(default, rules=())
    assert any("changed by the user configuration" in r.source for r in example.rules)


def test_ci_runs_the_readme_commands() -> None:
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    for cmd in ("python3 -m posturecheck.bootstrap", ".venv/bin/python -m pytest"):
        assert cmd in README and cmd in ci, cmd


def test_readme_carries_the_seed_caution() -> None:
    assert "consult a healthcare professional" in README
