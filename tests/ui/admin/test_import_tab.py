"""The Import tab's FHIR panel and the patient's FHIR export action, with real services."""

import json
from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import QHeaderView, QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from app.db.database import Database
from app.models.patients import Patient
from ui.admin.import_page import ALL_OUTCOMES, ID_COLUMN, MESSAGE_COLUMN, ImportTab
from ui.context import AppContext
from ui.patient.fhir_export_action import export_patient_fhir

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "fhir" / "synthea-roland-batch.json"

Settle = Callable[[AppContext], None]


def _tab(qtbot: QtBot, context: AppContext) -> ImportTab:
    tab = ImportTab(context)
    qtbot.addWidget(tab)
    return tab


def _run_import(tab: ImportTab, path: Path, settle: Settle) -> None:
    tab.fhir_panel.path.setText(str(path))
    tab.fhir_panel.import_button.click()
    settle(tab.context)


def test_import_fills_report_table(
    qtbot: QtBot, admin_context: AppContext, database: Database, settle: Settle
) -> None:
    tab = _tab(qtbot, admin_context)
    _run_import(tab, SAMPLE, settle)

    panel = tab.fhir_panel
    assert panel.report is not None
    assert panel.table.rowCount() == len(panel.report.rows)
    assert "Patients: 1 imported, 0 updated, 0 unchanged, 0 skipped." in panel.status.text()
    assert panel.save_button.isEnabled()
    assert panel.import_button.isEnabled()
    with database.reading() as session:
        assert len(session.scalars(select(Patient)).all()) == 1


def test_summary_counts_practitioners_and_visits(
    qtbot: QtBot, admin_context: AppContext, settle: Settle
) -> None:
    tab = _tab(qtbot, admin_context)
    _run_import(tab, SAMPLE, settle)

    status = tab.fhir_panel.status.text()
    assert "Practitioners: 1 imported, 0 updated, 0 unchanged, 0 skipped." in status
    assert "Visits: 13 imported, 0 updated, 0 unchanged, 0 skipped." in status
    assert "Files failed: 0 of 1." in status


def test_skipped_organizations_listed_last(
    qtbot: QtBot, admin_context: AppContext, tmp_path: Path, settle: Settle
) -> None:
    (tmp_path / "a-roland.json").write_bytes(SAMPLE.read_bytes())
    (tmp_path / "b-notes.json").write_text("this is not json")
    tab = _tab(qtbot, admin_context)
    _run_import(tab, tmp_path, settle)

    table = tab.fhir_panel.table
    shown = [
        (table.item(row, 1).text(), table.item(row, 3).text()) for row in range(table.rowCount())
    ]
    assert shown[0] == ("", "failed")
    assert shown[1][1] == "imported"
    assert shown[-1] == ("Organization", "skipped")
    first_skipped = next(
        index for index, (_kind, outcome) in enumerate(shown) if outcome == "skipped"
    )
    assert all(outcome == "skipped" for _kind, outcome in shown[first_skipped:])


def test_message_column_stretches(qtbot: QtBot, admin_context: AppContext, settle: Settle) -> None:
    tab = _tab(qtbot, admin_context)
    tab.resize(1200, 600)
    _run_import(tab, SAMPLE, settle)

    table = tab.fhir_panel.table
    header = table.horizontalHeader()
    assert header.sectionResizeMode(MESSAGE_COLUMN) is QHeaderView.ResizeMode.Stretch
    assert table.columnWidth(ID_COLUMN) <= table.fontMetrics().horizontalAdvance("0" * 12)
    assert table.columnWidth(ID_COLUMN) < table.columnWidth(MESSAGE_COLUMN)


def test_filter_shows_one_outcome(qtbot: QtBot, admin_context: AppContext, settle: Settle) -> None:
    tab = _tab(qtbot, admin_context)
    _run_import(tab, SAMPLE, settle)
    panel = tab.fhir_panel

    panel.outcome_filter.setCurrentText("imported")

    outcomes = {panel.table.item(row, 3).text() for row in range(panel.table.rowCount())}
    assert outcomes == {"imported"}
    panel.outcome_filter.setCurrentText(ALL_OUTCOMES)
    assert panel.report is not None
    assert panel.table.rowCount() == len(panel.report.rows)


def test_bad_file_shown_as_failed(
    qtbot: QtBot, admin_context: AppContext, tmp_path: Path, settle: Settle
) -> None:
    bad = tmp_path / "notes.json"
    bad.write_text("this is not json")
    tab = _tab(qtbot, admin_context)

    _run_import(tab, bad, settle)

    panel = tab.fhir_panel
    assert "notes.json is not valid JSON" in panel.status.text()
    panel.outcome_filter.setCurrentText("failed")
    assert panel.table.rowCount() == 1


def test_report_saved_as_csv(
    qtbot: QtBot, admin_context: AppContext, tmp_path: Path, settle: Settle
) -> None:
    tab = _tab(qtbot, admin_context)
    _run_import(tab, SAMPLE, settle)
    target = tmp_path / "report.csv"

    tab.fhir_panel.save_report(target)

    assert target.read_text().startswith("file,resource_type,resource_id,outcome,message")
    assert "Report saved" in tab.fhir_panel.status.text()


def test_importers_offered(qtbot: QtBot, admin_context: AppContext) -> None:
    tab = _tab(qtbot, admin_context)
    other = QWidget()
    qtbot.addWidget(other)

    tab.add_importer("Another importer", other)

    assert [tab.kind.itemText(index) for index in range(tab.kind.count())] == [
        "FHIR bundles",
        "CSV file of patients",
        "Another importer",
    ]


def test_export_action_writes_bundle(
    qtbot: QtBot, admin_context: AppContext, database: Database, tmp_path: Path, settle: Settle
) -> None:
    tab = _tab(qtbot, admin_context)
    _run_import(tab, SAMPLE, settle)
    with database.reading() as session:
        patient_id = session.scalars(select(Patient.id)).one()
    target = tmp_path / "referral.json"

    operation = export_patient_fhir(admin_context, patient_id, tab, target)
    settle(admin_context)

    assert operation is not None
    bundle = json.loads(target.read_text())
    assert bundle["resourceType"] == "Bundle"
    assert bundle["type"] == "collection"
    assert bundle["entry"][0]["resource"]["name"][0]["family"] == "Nienow"
