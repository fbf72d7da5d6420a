"""The first-run wizard: validation on each page, and creating a demo database."""

from datetime import date
from pathlib import Path

from PySide6.QtWidgets import QComboBox, QLabel, QLineEdit, QWizard
from pytestqt.qtbot import QtBot

from app.db.database import Database
from app.services.practice import PracticeInfo
from tests.helpers.practice_data import ADMIN_PASSWORD, LOCATION, PRACTICE, PROVIDERS
from ui import wizard as wizard_module
from ui.passphrase import generate_passphrase, load_wordlist
from ui.recovery_sheet import RecoverySheet, save_recovery_sheet_pdf
from ui.wizard import ADMIN, SetupWizard
from ui.wizard import LOCATION as LOCATION_ID
from ui.wizard import PRACTICE as PRACTICE_ID
from ui.wizard_pages import FieldPage


def _wizard(qtbot: QtBot, path: Path) -> SetupWizard:
    wizard = SetupWizard(path, demo_patients=5, today=date(2025, 3, 12))
    qtbot.addWidget(wizard)
    wizard.show()
    return wizard


def _fill(page: FieldPage, values: dict[str, str]) -> None:
    for key, value in values.items():
        widget = page.fields[key]
        if isinstance(widget, QComboBox):
            widget.setCurrentIndex(widget.findData(value))
        else:
            assert isinstance(widget, QLineEdit)
            widget.setText(value)


def _practice_values(info: PracticeInfo) -> dict[str, str]:
    return {f"practice.{name}": getattr(info, name) for name in PracticeInfo.__dataclass_fields__}


def test_wizard_blocks_bad_practice(qtbot: QtBot, tmp_path: Path) -> None:
    wizard = _wizard(qtbot, tmp_path / "new.db")
    wizard.next()
    assert wizard.currentId() == PRACTICE_ID
    values = _practice_values(PRACTICE) | {
        "practice.billing_npi": "1234567890",
        "practice.zip_code": "60201",
    }
    _fill(wizard.practice, values)

    wizard.next()

    assert wizard.currentId() == PRACTICE_ID
    for key in ("practice.billing_npi", "practice.zip_code"):
        assert wizard.practice.fields[key].property("invalid") is True
        message = wizard.practice.messages[key]
        assert isinstance(message, QLabel)
        assert message.text() != ""
    assert wizard.practice.fields["practice.legal_name"].property("invalid") is False


def test_wizard_valid_practice_advances(qtbot: QtBot, tmp_path: Path) -> None:
    wizard = _wizard(qtbot, tmp_path / "new.db")
    wizard.next()
    _fill(wizard.practice, _practice_values(PRACTICE))

    wizard.next()

    assert wizard.currentId() == LOCATION_ID


def test_wizard_provider_problems(qtbot: QtBot, tmp_path: Path) -> None:
    wizard = _wizard(qtbot, tmp_path / "new.db")
    wizard.next()
    _fill(wizard.practice, _practice_values(PRACTICE))
    wizard.next()
    wizard.location.copy_billing_address()
    _fill(wizard.location, {"locations[0].name": LOCATION.name, "locations[0].rooms": "A, B"})
    wizard.next()
    wizard.providers.set_row(0, PROVIDERS[0])
    row = wizard.providers.add_row()
    wizard.providers.set_row(row, PROVIDERS[0])

    wizard.next()

    assert wizard.currentId() == wizard_module.PROVIDERS
    assert (row, 3) in wizard.providers.invalid_cells()
    assert "Provider 2" in wizard.providers.page_message.text()


def test_wizard_demo_creates_database(qtbot: QtBot, tmp_path: Path) -> None:
    path = tmp_path / "demo" / "clinicdesk.db"
    wizard = _wizard(qtbot, path)
    wizard.welcome.demo_choice.setChecked(True)
    wizard.next()
    assert wizard.currentId() == ADMIN
    _fill(wizard.admin, {"admin.display_name": "Demo Admin", "admin.password": ADMIN_PASSWORD})
    _fill(wizard.admin, {"admin.password_repeat": ADMIN_PASSWORD})
    wizard.next()

    wizard.next()  # the passphrase page commits and starts the creation
    qtbot.waitUntil(lambda: wizard.currentId() == wizard_module.SHEET, timeout=60_000)
    finish = wizard.button(QWizard.WizardButton.FinishButton)
    assert not finish.isEnabled()
    wizard.sheet.stored.setChecked(True)
    assert finish.isEnabled()
    finish.click()

    assert wizard.result() == QWizard.DialogCode.Accepted
    assert isinstance(wizard.database, Database)
    assert path.exists()
    assert wizard.sheet.passphrase.text() == wizard.passphrase_page.passphrase()
    wizard.database.close()


def test_wizard_admin_passwords_differ(qtbot: QtBot, tmp_path: Path) -> None:
    wizard = _wizard(qtbot, tmp_path / "new.db")
    wizard.welcome.demo_choice.setChecked(True)
    wizard.next()
    _fill(wizard.admin, {"admin.display_name": "Demo Admin", "admin.password": ADMIN_PASSWORD})
    _fill(wizard.admin, {"admin.password_repeat": ADMIN_PASSWORD + "x"})

    wizard.next()

    assert wizard.currentId() == ADMIN
    assert wizard.admin.fields["admin.password_repeat"].property("invalid") is True


def test_passphrase_words() -> None:
    words = load_wordlist()
    phrase = generate_passphrase()

    assert len(words) >= 2000
    assert len(phrase.split("-")) == 6
    assert all(word in words for word in phrase.split("-"))
    assert generate_passphrase() != generate_passphrase()


def test_recovery_sheet_pdf(qtbot: QtBot, tmp_path: Path) -> None:
    sheet = RecoverySheet(
        "Lakeside", tmp_path / "c.db", __import__("uuid").uuid4(), date(2025, 1, 2), "a-b-c"
    )
    target = tmp_path / "sheet.pdf"

    save_recovery_sheet_pdf(target, sheet)

    assert target.read_bytes().startswith(b"%PDF")
