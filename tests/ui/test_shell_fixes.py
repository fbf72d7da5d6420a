"""Main window and start-up details: patient counts, the Go menu, sign-in width, passphrases."""

import os
import stat
import uuid
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.db.database import Database
from app.errors import WrongPassphraseError
from app.services.patient_list import count_patients
from tests.conftest import PASSPHRASE
from tests.ui.conftest import DEMO_PATIENTS, settle, sign_in_as
from ui import pages
from ui.main_window import MainWindow
from ui.ops import OperationRunner
from ui.pages.patients import PatientsPage, summary_text
from ui.passphrase import PassphraseDialog, PassphraseProvider, open_with_passphrase_retries
from ui.recovery_sheet import RecoverySheet, save_recovery_sheet_pdf
from ui.signin import SignInDialog

WindowFactory = Callable[..., MainWindow]
LONG_MESSAGE = "This account is locked after too many failed sign-ins. " * 6


def test_patient_count(demo_database: Database, workstation: str) -> None:
    actor = sign_in_as(demo_database, "frontdesk", workstation)

    with demo_database.transaction() as session:
        total = count_patients(session, actor)
        none = count_patients(session, actor, "zzzz-no-such-name")

    assert total == DEMO_PATIENTS
    assert none == 0


def test_summary_shows_total() -> None:
    assert summary_text(200, 500, False) == (
        "Showing the first 200 of 500 patients — type in the search box (Ctrl+K) to narrow."
    )
    assert summary_text(3, 3, True) == "3 patients match the search."
    assert summary_text(1, 1, False).startswith("1 patient.")


def test_patients_page_total(
    qtbot: QtBot, make_window: WindowFactory, ops: OperationRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pages.patients, "LIST_LIMIT", 10)
    window = make_window("frontdesk")

    window.go_to("Patients")
    settle(qtbot, ops)

    page = window.pages["Patients"]
    assert isinstance(page, PatientsPage)
    assert page.model.rowCount() == 10
    assert f"first 10 of {DEMO_PATIENTS} patients" in page.summary.text()


def test_go_menu_locked(qtbot: QtBot, make_window: WindowFactory, ops: OperationRunner) -> None:
    window = make_window("frontdesk")

    window.lock()
    settle(qtbot, ops)

    assert not window.go_menu.isEnabled()


def test_status_bar_workstation_name(make_window: WindowFactory) -> None:
    window = make_window("frontdesk")

    assert window.workstation_label.text().endswith("· Front desk")


def test_sign_in_width_fixed(qtbot: QtBot, ops: OperationRunner, workstation: str) -> None:
    dialog = SignInDialog(ops, workstation)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    before = dialog.width()

    dialog.form.set_message(LONG_MESSAGE)
    dialog.adjustSize()

    assert dialog.width() == before
    assert dialog.form.message.wordWrap()


@pytest.fixture
def closed_database(database: Database, no_keyring: None) -> Iterator[Path]:
    """A database whose key is not in the keyring, closed so it can be opened again."""
    path = database.path
    database.close()
    yield path


def _answers(*passphrases: str) -> tuple[Callable[[str], PassphraseProvider], list[str]]:
    """Return a provider factory typing `passphrases` in turn, and the problems it was shown."""
    typed = iter(passphrases)
    problems: list[str] = []

    def make(problem: str) -> PassphraseProvider:
        problems.append(problem)
        return lambda _path: next(typed)

    return make, problems


def test_passphrase_retry_opens(closed_database: Path) -> None:
    make, problems = _answers("wrong one", "Correct Horse Battery Staple", PASSPHRASE)

    opened = open_with_passphrase_retries(closed_database, make)
    opened.close()

    assert len(problems) == 3
    assert problems[0] == ""
    assert "case-sensitive" in problems[1]
    assert "3 tries left" in problems[2]


def test_default_prompt_opens_with_dialog(qtbot: QtBot, closed_database: Path) -> None:
    # The start-up path uses the default prompt: a real dialog, answered as a user would.
    def answer() -> None:
        dialog = QApplication.activeModalWidget()
        assert isinstance(dialog, PassphraseDialog)
        dialog.passphrase.setText(PASSPHRASE)
        dialog.accept()

    QTimer.singleShot(0, answer)
    opened = open_with_passphrase_retries(closed_database)
    opened.close()

    assert opened.path == closed_database


def test_passphrase_retry_gives_up(closed_database: Path) -> None:
    make, problems = _answers(*["wrong"] * 5)

    with pytest.raises(WrongPassphraseError):
        open_with_passphrase_retries(closed_database, make, attempts=5)

    assert len(problems) == 5
    assert "1 try left" in problems[-1]


def test_passphrase_dialog_problem(qtbot: QtBot, tmp_path: Path) -> None:
    dialog = PassphraseDialog(tmp_path / "c.db", problem="The recovery passphrase is wrong.")
    qtbot.addWidget(dialog)
    dialog.show()

    assert dialog.problem.isVisible()
    assert dialog.problem.text() == "The recovery passphrase is wrong."


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX only")
def test_recovery_pdf_private(qtbot: QtBot, tmp_path: Path) -> None:
    sheet = RecoverySheet("Lakeside", tmp_path / "c.db", uuid.uuid4(), date(2025, 1, 2), "a-b-c")
    target = tmp_path / "sheet.pdf"
    target.write_bytes(b"old")
    target.chmod(0o644)

    save_recovery_sheet_pdf(target, sheet)

    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert target.read_bytes().startswith(b"%PDF")
