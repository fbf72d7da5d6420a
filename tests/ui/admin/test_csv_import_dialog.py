"""The CSV import wizard with real widgets and a real database: mapping to report."""

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QLabel, QWizard
from pytestqt.qtbot import QtBot

from app.db.database import Database
from app.security.permissions import Actor, Role
from app.services import admin_records
from app.services.admin_records import PayerInput
from tests.helpers.csv_import_data import GOOD_ROWS, patient_count, write_csv
from tests.ui.admin.conftest import add_user
from ui.admin.csv_import import CsvImportDialog, CsvImportPanel
from ui.admin.csv_import_pages import ERROR_BACKGROUND
from ui.context import AppContext

BAD_ROW = "A103,Ed,Fox,31/02/1980,F,,,,,,,,,"
# Set to a folder to keep a screenshot of the preview page (run under xvfb-run).
SCREENSHOT_DIR = os.environ.get("CLINICDESK_SCREENSHOTS")


@pytest.fixture
def aetna_context(database: Database, admin_actor: Actor, admin_context: AppContext) -> AppContext:
    """The administrator's context in a practice whose one payer is Aetna (60054)."""
    with database.transaction() as session:
        admin_records.save_payer(session, admin_actor, None, PayerInput("Aetna", "60054", "CI"))
    return admin_context


def _wizard(qtbot: QtBot, context: AppContext) -> CsvImportDialog:
    dialog = CsvImportDialog(context)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    return dialog


def _to_mapping(qtbot: QtBot, dialog: CsvImportDialog, path: Path) -> None:
    dialog.file_page.path.setText(str(path))
    dialog.file_page.source.setText("OldPM")
    # The file is read on the operation runner; the wizard moves on when it is in.
    dialog.next()
    qtbot.waitUntil(lambda: dialog.currentPage() is dialog.mapping_page, timeout=15_000)


def _to_preview(
    qtbot: QtBot, dialog: CsvImportDialog, path: Path, settle: Callable[[AppContext], None]
) -> None:
    _to_mapping(qtbot, dialog, path)
    dialog.next()
    qtbot.waitUntil(lambda: dialog.plan is not None, timeout=15_000)
    settle(dialog.context)


def test_wizard_mapping_preview_confirm_report(
    qtbot: QtBot,
    database: Database,
    aetna_context: AppContext,
    settle: Callable[[AppContext], None],
    tmp_path: Path,
) -> None:
    path = write_csv(tmp_path, GOOD_ROWS[0], BAD_ROW, *GOOD_ROWS[1:])
    dialog = _wizard(qtbot, aetna_context)
    _to_mapping(qtbot, dialog, path)

    mapping = dialog.mapping_page
    assert mapping.combos["first_name"].currentText() == "First Name"
    assert mapping.combos["mobile_phone"].currentText() == "Cell"
    assert mapping.combos["ssn"].currentText() == "(not imported)"
    assert mapping.samples["first_name"].text() == "Ana, Ed, Bo"

    dialog.next()
    qtbot.waitUntil(lambda: dialog.plan is not None, timeout=15_000)
    settle(aetna_context)
    preview = dialog.preview_page
    assert preview.counts.text().startswith("3 new, 0 updates, 1 with errors.")
    assert preview.table.rowCount() == 4
    bad = preview.table.item(1, 0)
    assert bad.background().color() == ERROR_BACKGROUND
    assert not bad.flags() & Qt.ItemFlag.ItemIsUserCheckable
    assert preview.problems.item(0, 1).text() == "DOB"
    assert "31/02/1980 is not a date" in preview.problems.item(0, 3).text()
    assert preview.selected_rows() == [2, 4, 5]
    if SCREENSHOT_DIR:
        dialog.grab().save(str(Path(SCREENSHOT_DIR) / "csv-import-preview.png"))
    # Nothing is written before the confirm page's commit button.
    assert patient_count(database) == 0

    preview.table.item(3, 0).setCheckState(Qt.CheckState.Unchecked)
    dialog.next()
    assert dialog.currentPage() is dialog.confirm_page
    commit = dialog.button(QWizard.WizardButton.CommitButton)
    assert commit.text() == "&Import 2 patients"

    commit.click()
    qtbot.waitUntil(lambda: dialog.currentPage() is dialog.report_page, timeout=15_000)
    settle(aetna_context)
    assert dialog.report_page.summary.text() == "2 created, 0 updated, 2 skipped, 0 failed."
    assert patient_count(database) == 2

    target = tmp_path / "report.csv"
    dialog.report_page.save_report(str(target))
    lines = target.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "row,result,chart_number,id_in_old_system,message"
    assert lines[1].startswith("2,created,")
    assert len(lines) == 5


def test_unreadable_file_stays_on_first_page(
    qtbot: QtBot, admin_context: AppContext, tmp_path: Path
) -> None:
    dialog = _wizard(qtbot, admin_context)
    dialog.file_page.path.setText(str(tmp_path / "missing.csv"))
    dialog.file_page.source.setText("OldPM")

    dialog.next()
    qtbot.waitUntil(lambda: not dialog.file_page.reading, timeout=15_000)

    assert dialog.currentPage() is dialog.file_page
    assert "does not exist" in dialog.file_page.error.text()


def test_file_label_has_buddy(qtbot: QtBot, admin_context: AppContext) -> None:
    dialog = _wizard(qtbot, admin_context)

    labels = [label for label in dialog.file_page.findChildren(QLabel) if "File" in label.text()]

    assert [label.text() for label in labels] == ["&File:"]
    assert labels[0].buddy() is dialog.file_page.path


def test_all_or_nothing_writes_nothing(
    qtbot: QtBot,
    database: Database,
    aetna_context: AppContext,
    settle: Callable[[AppContext], None],
    tmp_path: Path,
) -> None:
    dialog = _wizard(qtbot, aetna_context)
    _to_preview(qtbot, dialog, write_csv(tmp_path, GOOD_ROWS[0], BAD_ROW), settle)
    dialog.preview_page.all_or_nothing.setChecked(True)
    dialog.next()

    dialog.button(QWizard.WizardButton.CommitButton).click()
    qtbot.waitUntil(lambda: not dialog.confirm_page.running, timeout=15_000)
    settle(aetna_context)

    assert dialog.currentPage() is dialog.confirm_page
    assert dialog.confirm_page.summary.text().startswith("Nothing was imported.")
    assert patient_count(database) == 0
    error_dialogs = [child for child in dialog.findChildren(QDialog) if child.isVisible()]
    assert len(error_dialogs) == 1


def test_panel_needs_import_permission(
    qtbot: QtBot,
    database: Database,
    admin_actor: Actor,
    context_for: Callable[[Actor], AppContext],
) -> None:
    desk = add_user(database, admin_actor, "reception", Role.FRONT_DESK)

    panel = CsvImportPanel(context_for(desk))
    qtbot.addWidget(panel)

    assert not panel.start_button.isEnabled()
    assert "does not allow" in panel.status.text()


def test_mapping_save_and_load(qtbot: QtBot, admin_context: AppContext, tmp_path: Path) -> None:
    dialog = _wizard(qtbot, admin_context)
    _to_mapping(qtbot, dialog, write_csv(tmp_path, *GOOD_ROWS))
    page = dialog.mapping_page
    target = tmp_path / "mapping.json"
    page.save_mapping(str(target))
    page.combos["first_name"].setCurrentIndex(0)
    page.combos["last_name"].setCurrentText("City")

    page.load_mapping(str(target))

    assert page.combos["first_name"].currentText() == "First Name"
    assert page.combos["last_name"].currentText() == "Last Name"
    assert page.mapping_status.text() == f"Loaded {target}."
