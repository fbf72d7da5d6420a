"""`clinicdesk --self-test` from source: every step passes, and failures are reported."""

import io
from pathlib import Path

import keyring
import pytest
from pytestqt.qtbot import QtBot

from app.self_test import (
    SERVICE_STEPS,
    SelfTestError,
    SelfTestRun,
    SelfTestStep,
    all_passed,
    register_patient,
    run_self_test,
)
from ui import launcher
from ui.self_test_window import STEPS


def _passing(_run: SelfTestRun) -> str:
    return "fine"


def _failing(_run: SelfTestRun) -> str:
    raise SelfTestError("the widget count is 0, expected 3")


def _crashing(_run: SelfTestRun) -> str:
    raise ValueError("unexpected value 42")


def test_self_test_flag_passes(qtbot: QtBot, capsys: pytest.CaptureFixture[str]) -> None:
    keyring_before = keyring.get_keyring()

    code = launcher.main([launcher.SELF_TEST_FLAG])

    output = capsys.readouterr().out
    assert code == 0, output
    for step in STEPS:
        assert f"ok   {step.title} (" in output
    assert f"self-test passed: {len(STEPS)} of {len(STEPS)} steps" in output
    assert keyring.get_keyring() is keyring_before


def test_self_test_lists_window_last() -> None:
    assert STEPS[: len(SERVICE_STEPS)] == SERVICE_STEPS
    assert STEPS[-1].title == "open and close the main window offscreen"


def test_failed_step_skips_rest(tmp_path: Path) -> None:
    steps = (
        SelfTestStep("first", _passing),
        SelfTestStep("second", _failing),
        SelfTestStep("third", _passing),
    )
    out = io.StringIO()

    results = run_self_test(steps, out, folder=tmp_path)

    output = out.getvalue()
    assert [result.passed for result in results] == [True, False]
    assert "FAIL second (" in output
    assert "the widget count is 0, expected 3" in output
    assert "skip third: not run after the failure above" in output
    assert "self-test FAILED: 1 of 3 steps passed" in output
    assert not all_passed(results, steps)


def test_unexpected_error_shows_traceback(tmp_path: Path) -> None:
    out = io.StringIO()

    results = run_self_test((SelfTestStep("crash", _crashing),), out, folder=tmp_path)

    assert results[0].detail == "ValueError: unexpected value 42"
    assert "Traceback (most recent call last)" in out.getvalue()


def test_step_needs_earlier_step(tmp_path: Path) -> None:
    out = io.StringIO()

    results = run_self_test((SelfTestStep("register", register_patient),), out, folder=tmp_path)

    assert not results[0].passed
    assert results[0].detail == "frontdesk is not signed in; the sign-in step did not run"


def test_work_folder_removed(tmp_path: Path) -> None:
    run_self_test((SelfTestStep("first", _passing),), None, folder=tmp_path)

    assert list(tmp_path.iterdir()) == []


def test_self_test_rejects_other_arguments(capsys: pytest.CaptureFixture[str]) -> None:
    code = launcher.main([launcher.SELF_TEST_FLAG, "--db", "clinic.db"])

    assert code == launcher.EXIT_USAGE
    assert "--self-test takes only -v/--verbose, not --db clinic.db" in capsys.readouterr().err
