"""Hostile input names in the batch index (issue 12, item 10): links URL-encoded, summary.csv
cells neutralised against spreadsheet formula injection."""

from __future__ import annotations

import csv
import re
import urllib.parse
from pathlib import Path
from types import SimpleNamespace

import pytest

from posturecheck.render import export
from posturecheck.render.report import href


def _outcome(tmp: Path, folder: str, name: str) -> SimpleNamespace:
    d = tmp / folder
    d.mkdir()
    (d / "report.html").write_text("<html></html>")
    return SimpleNamespace(
        input=name, kind="video", status="ok", reason=None, out_dir=d, summary=None
    )


HOSTILE = ["a#1", "100%", "q?x=1", "sp ace", "naïve", "it's"]


def test_index_links_are_url_encoded_and_resolve(tmp_path: Path) -> None:
    outcomes = [_outcome(tmp_path, n, f"{n}.mp4") for n in HOSTILE]
    export.write_index(tmp_path, outcomes)
    page = (tmp_path / "index.html").read_text(encoding="utf-8")
    links = re.findall(r"<a href='([^']*)/report\.html'>", page)
    assert len(links) == len(HOSTILE)
    for folder, link in zip(HOSTILE, links, strict=True):
        raw = link.replace("&#x27;", "'").replace("&amp;", "&")
        assert urllib.parse.unquote(raw) == folder
        assert not set(raw) & set("#? '")  # nothing a browser would cut the URL at
        assert re.fullmatch(r"([A-Za-z0-9_.~-]|%[0-9A-F]{2})+", raw), raw  # every % is an escape
        # What a browser does with the href: percent-decode, then open that file.
        assert (tmp_path / urllib.parse.unquote(raw) / "report.html").is_file()
    assert "a%231/report.html" in page and "100%25/report.html" in page


def test_href_keeps_folders_and_encodes_each_part() -> None:
    assert href(Path("a#b") / "report.html") == "a%23b/report.html"
    assert href("x%y/z.html") == "x%25y/z.html"


@pytest.mark.parametrize("name", ["=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"])
def test_summary_csv_cells_cannot_be_formulas(tmp_path: Path, name: str) -> None:
    o = SimpleNamespace(
        input=name, kind="video", status="failed", reason=name, out_dir=None, summary=None
    )
    export.write_index(tmp_path, [o], write_html=False)
    with open(tmp_path / "summary.csv", newline="", encoding="utf-8") as fh:
        (row,) = list(csv.DictReader(fh))
    assert row["input"] == "'" + name and row["reason"] == "'" + name


def test_csv_safe_leaves_numbers_and_plain_text() -> None:
    assert export.csv_safe(-5.0) == -5.0 and export.csv_safe(3) == 3
    assert export.csv_safe("clip.mp4") == "clip.mp4" and export.csv_safe("") == ""
