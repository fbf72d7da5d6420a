"""The wizard's recovery paths: demo password checks, Back after a failure, the last page."""

import re
from datetime import date
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QComboBox, QLabel, QWidget, QWizard, QWizardPage
from pytestqt.qtbot import QtBot

from app.db.database import Database
from app.services.users import get_user_by_username
from tests.helpers.practice_data import ADMIN_PASSWORD
from ui.wizard import ADMIN, CREATE, PASSPHRASE, SHEET, SetupWizard

FULL_NAME = "Dana Whitfield"
MNEMONIC = re.compile(r"&([^&])")


def _demo_wizard(qtbot: QtBot, path: Path) -> SetupWizard:
    wizard = SetupWizard(path, demo_patients=3, today=date(2025, 3, 12))
    qtbot.addWidget(wizard)
    wizard.show()
    qtbot.waitExposed(wizard)
    wizard.activateWindow()
    wizard.welcome.demo_choice.setChecked(True)
    wizard.next()
    return wizard


def _fill_admin(wizard: SetupWizard, password: str) -> None:
    for key, value in (
        ("admin.display_name", FULL_NAME),
        ("admin.password", password),
        ("admin.password_repeat", password),
    ):
        wizard.admin.fields[key].setText(value)  # type: ignore[attr-defined]


def _create(qtbot: QtBot, wizard: SetupWizard) -> None:
    wizard.next()  # administrator page to passphrase page
    wizard.next()  # the passphrase page commits and starts the creation
    qtbot.waitUntil(lambda: wizard.currentId() == SHEET, timeout=60_000)


def _close(wizard: SetupWizard) -> None:
    if wizard.database is not None:
        wizard.database.close()


def test_demo_password_names_user(qtbot: QtBot, tmp_path: Path) -> None:
    wizard = _demo_wizard(qtbot, tmp_path / "demo.db")
    _fill_admin(wizard, "Manager-pass-2024!")

    wizard.next()

    assert wizard.currentId() == ADMIN
    assert wizard.admin.fields["admin.password"].property("invalid") is True
    assert "manager" in wizard.admin.messages["admin.password"].text()


def test_admin_page_focus(qtbot: QtBot, tmp_path: Path) -> None:
    wizard = _demo_wizard(qtbot, tmp_path / "demo.db")
    username = wizard.admin.fields["admin.username"]

    qtbot.waitUntil(username.hasFocus, timeout=2_000)

    assert username.hasFocus()


def test_failure_allows_back(qtbot: QtBot, tmp_path: Path) -> None:
    path = tmp_path / "demo.db"
    path.write_bytes(b"in the way")
    wizard = _demo_wizard(qtbot, path)
    _fill_admin(wizard, ADMIN_PASSWORD)
    wizard.next()
    wizard.next()
    qtbot.waitUntil(wizard.create_page.retry.isVisible, timeout=60_000)
    back = wizard.button(QWizard.WizardButton.BackButton)
    assert back.isEnabled()

    back.click()
    assert wizard.currentId() == PASSPHRASE
    assert wizard.button(QWizard.WizardButton.BackButton).isEnabled()
    wizard.back()
    assert wizard.currentId() == ADMIN

    path.unlink()
    _create(qtbot, wizard)
    assert wizard.database is not None
    _close(wizard)


def test_creation_back_disabled_after(qtbot: QtBot, tmp_path: Path) -> None:
    wizard = _demo_wizard(qtbot, tmp_path / "demo.db")
    _fill_admin(wizard, ADMIN_PASSWORD)

    _create(qtbot, wizard)

    assert wizard.passphrase_page.isCommitPage()
    assert not wizard.button(QWizard.WizardButton.BackButton).isVisible()
    _close(wizard)


def test_demo_keeps_full_name(qtbot: QtBot, tmp_path: Path) -> None:
    wizard = _demo_wizard(qtbot, tmp_path / "demo.db")
    _fill_admin(wizard, ADMIN_PASSWORD)
    _create(qtbot, wizard)
    database = wizard.database
    assert isinstance(database, Database)

    with database.transaction() as session:
        admin = get_user_by_username(session, "admin")
        name = admin.display_name if admin is not None else ""

    assert name == FULL_NAME
    for username in ("frontdesk", "biller", "manager", "provider"):
        assert username in wizard.sheet.demo_users.text()
    assert wizard.sheet.demo_users.isVisible()
    _close(wizard)


def test_sheet_escape_needs_promise(qtbot: QtBot, tmp_path: Path) -> None:
    wizard = _demo_wizard(qtbot, tmp_path / "demo.db")
    _fill_admin(wizard, ADMIN_PASSWORD)
    _create(qtbot, wizard)

    qtbot.keyClick(wizard, Qt.Key.Key_Escape)

    assert wizard.isVisible()
    assert wizard.sheet.reminder.isVisible()
    wizard.sheet.stored.setChecked(True)
    qtbot.keyClick(wizard, Qt.Key.Key_Escape)
    assert not wizard.isVisible()
    _close(wizard)


def test_field_problem_clears(qtbot: QtBot, tmp_path: Path) -> None:
    wizard = _demo_wizard(qtbot, tmp_path / "demo.db")
    _fill_admin(wizard, "short")
    wizard.next()
    password = wizard.admin.fields["admin.password"]
    assert password.property("invalid") is True

    qtbot.keyClicks(password, "x")

    assert password.property("invalid") is False
    assert not wizard.admin.messages["admin.password"].isVisible()


def test_state_suggests_zone(qtbot: QtBot, tmp_path: Path) -> None:
    wizard = SetupWizard(tmp_path / "new.db")
    qtbot.addWidget(wizard)
    state = wizard.practice.fields["practice.state"]
    zones = wizard.practice.fields["practice.time_zone"]
    assert isinstance(state, QComboBox) and isinstance(zones, QComboBox)

    state.setCurrentIndex(state.findData("OR"))
    assert zones.currentData() == "America/Los_Angeles"
    assert zones.currentText() == "America/Los_Angeles"
    assert state.currentText() == "OR — Oregon"

    zones.setCurrentIndex(zones.findData("America/Denver"))
    zones.activated.emit(zones.currentIndex())
    state.setCurrentIndex(state.findData("NY"))
    assert zones.currentData() == "America/Denver"


def _mnemonics(page: QWizardPage, reserved: str) -> list[str]:
    letters = list(reserved)
    widgets: list[QWidget] = [*page.findChildren(QAbstractButton), *page.findChildren(QLabel)]
    for widget in widgets:
        if isinstance(widget, QLabel) and widget.buddy() is None:
            continue
        letters += [letter.casefold() for letter in MNEMONIC.findall(widget.text())]
    return letters


def test_mnemonics_unique(qtbot: QtBot, tmp_path: Path) -> None:
    wizard = SetupWizard(tmp_path / "new.db")
    qtbot.addWidget(wizard)

    for page_id in wizard.pageIds():
        # Back and Next use B and N; the last page shows only Finish (F).
        reserved = "f" if page_id == SHEET else "bn"
        if page_id == PASSPHRASE:
            reserved = "bc"  # its commit button is "Create database"
        if page_id == CREATE:
            continue
        letters = _mnemonics(wizard.page(page_id), reserved)
        duplicates = sorted({letter for letter in letters if letters.count(letter) > 1})
        assert duplicates == [], f"page {page_id} repeats {duplicates}"
