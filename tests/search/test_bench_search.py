"""The search benchmark, run on the generator's small preset."""

from pathlib import Path

import pytest

from app.db.migrate import SCHEMA_HEAD
from bench import bench_search, bench_search_upgrade, generate
from tests.conftest import PASSPHRASE


@pytest.fixture
def small_db(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Path:
    """A database from the generator's small preset; the passphrase stays in the env."""
    monkeypatch.setenv("CLINICDESK_PASSPHRASE", PASSPHRASE)
    path = tmp_path / "bench.db"
    assert generate.main(["--db", str(path), "--small", "--today", "2026-03-11"]) == 0
    capsys.readouterr()
    return path


def test_bench_prints_table(small_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = small_db

    # The exit code reports whether this machine met the time budget, so it is not checked.
    bench_search.main(["--db", str(path), "--patients", "3"])
    lines = capsys.readouterr().out.splitlines()

    assert lines[0].startswith("| query typed | keystrokes | p50 ms")
    kinds = [line.split("|")[1].strip() for line in lines[2 : 3 + len(bench_search.QUERY_KINDS)]]
    assert kinds == [*bench_search.QUERY_KINDS, "**all**"]
    assert any(line.startswith("Budget p50") for line in lines)


def test_keystrokes_skip_blank() -> None:
    assert bench_search.keystrokes("Al B") == ["A", "Al", "Al ", "Al B"]


def test_fts_match_quotes_words() -> None:
    assert bench_search.fts_match('smith, "jo') == '"smith"* """jo"*'


def test_national_phone_form() -> None:
    assert bench_search.national("+13125550142") == "(312) 555-0142"
    assert bench_search.national("+44207") == "+44207"


def test_upgrade_bench_reports(small_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = small_db
    before = path.read_bytes()

    assert bench_search_upgrade.main(["--db", str(path)]) == 0

    output = capsys.readouterr().out
    assert output.startswith(f"Upgrade from 0003 to {SCHEMA_HEAD}: ")
    assert path.read_bytes() == before  # the benchmark upgrades a copy
