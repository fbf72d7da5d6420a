"""The search benchmark, run on the generator's small preset."""

from pathlib import Path

import pytest

from bench import bench_search, generate
from tests.conftest import PASSPHRASE


def test_bench_prints_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CLINICDESK_PASSPHRASE", PASSPHRASE)
    path = tmp_path / "bench.db"
    assert generate.main(["--db", str(path), "--small", "--today", "2026-03-11"]) == 0
    capsys.readouterr()

    # The exit code reports whether this machine met the time budget, so it is not checked.
    bench_search.main(["--db", str(path), "--patients", "3"])
    lines = capsys.readouterr().out.splitlines()

    assert lines[0].startswith("| query typed | keystrokes | p50 ms")
    kinds = [line.split("|")[1].strip() for line in lines[2:10]]
    assert kinds == [*bench_search.QUERY_KINDS, "**all**"]
    assert any(line.startswith("Budget p50") for line in lines)


def test_keystrokes_skip_blank() -> None:
    assert bench_search.keystrokes("Al B") == ["A", "Al", "Al ", "Al B"]


def test_fts_match_quotes_words() -> None:
    assert bench_search.fts_match('smith, "jo') == '"smith"* """jo"*'
