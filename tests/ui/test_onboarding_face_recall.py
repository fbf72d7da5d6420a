"""The onboarding tab, face sheet tab, recall page and checklist editor with real widgets."""

from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGroupBox, QLabel
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from app.db.database import Database
from app.models.onboarding import PatientOnboarding
from app.models.statements import BillingAccount
from app.security.permissions import Actor
from app.services import onboarding
from tests.helpers.chart_rows import Staff, add_coverage, add_patient, add_payer, set_up_practice
from tests.helpers.statement_history_data import add_family, add_sent_statements
from tests.ui.admin.conftest import make_context
from ui.admin.onboarding_steps import OnboardingStepsTab
from ui.context import AppContext
from ui.pages.recall import RecallPage, end_of_next_month
from ui.patient.face_sheet_tab import FaceSheetTab
from ui.patient.onboarding_tab import OnboardingTab


@pytest.fixture
def staff(database: Database) -> Staff:
    return set_up_practice(database)


@pytest.fixture
def context_of(qtbot: QtBot, database: Database) -> Callable[[Actor], AppContext]:
    made: list[AppContext] = []

    def build(actor: Actor) -> AppContext:
        context = make_context(database, actor)
        made.append(context)
        return context

    yield build  # type: ignore[misc]
    for context in made:
        context.ops.wait_for_all()
        qtbot.waitUntil(lambda context=context: not context.ops.busy, timeout=15_000)


def _settle(qtbot: QtBot, context: AppContext) -> None:
    context.ops.wait_for_all()
    qtbot.waitUntil(lambda: not context.ops.busy, timeout=15_000)


def _patient(database: Database, **values: object) -> object:
    with database.transaction() as session:
        patient = add_patient(session, **values)
        add_coverage(session, patient, add_payer(session), 1)
        return patient.id


def test_space_ticks_manual_step(
    qtbot: QtBot, database: Database, staff: Staff, context_of: Callable[[Actor], AppContext]
) -> None:
    patient_id = _patient(database)
    context = context_of(staff.front_desk)
    tab = OnboardingTab(context, patient_id)  # type: ignore[arg-type]
    qtbot.addWidget(tab)
    tab.show()
    _settle(qtbot, context)
    box = tab.boxes["consent_to_treat"]
    assert not tab.boxes["photo_id_captured"].isEnabled()
    assert tab.summary.text() == "1 of 6 steps done"

    box.setFocus()
    qtbot.keyClick(box, Qt.Key.Key_Space)
    _settle(qtbot, context)
    _settle(qtbot, context)
    with database.transaction() as session:
        row = session.scalars(select(PatientOnboarding)).one()
    assert row.step_code == "consent_to_treat"
    assert row.completed_by == staff.front_desk.user_id
    qtbot.waitUntil(lambda: tab.summary.text() == "2 of 6 steps done", timeout=5_000)


def test_face_sheet_tab_shows_and_prints(
    qtbot: QtBot,
    database: Database,
    staff: Staff,
    context_of: Callable[[Actor], AppContext],
    tmp_path: Path,
) -> None:
    patient_id = _patient(database)
    context = context_of(staff.front_desk)
    tab = FaceSheetTab(context, patient_id)  # type: ignore[arg-type]
    qtbot.addWidget(tab)
    tab.resize(1000, 700)
    tab.show()
    _settle(qtbot, context)
    assert tab.sheet is not None
    assert tab.sheet.name == "Ortega, Maria"

    target = tmp_path / "face.pdf"
    tab.print_face_sheet_to(target)
    _settle(qtbot, context)
    assert target.exists()
    assert tab.status.text() == "Saved face.pdf"
    packet = tmp_path / "packet.pdf"
    tab.print_intake_packet_to(packet)
    _settle(qtbot, context)
    assert packet.exists()


def test_recall_page_lists_and_opens(
    qtbot: QtBot, database: Database, staff: Staff, context_of: Callable[[Actor], AppContext]
) -> None:
    patient_id = _patient(database, recall_due_on=date(2020, 1, 1))
    context = context_of(staff.front_desk)
    page = RecallPage(context)
    qtbot.addWidget(page)
    page.show()
    page.refresh()
    _settle(qtbot, context)
    assert page.table.rowCount() == 1
    assert page.table.column_texts(2) == ["Ortega, Maria"]

    page.table.selectRow(0)
    with qtbot.waitSignal(page.open_patient_requested) as blocker:
        qtbot.keyClick(page.table, Qt.Key.Key_Return)
    assert blocker.args == [patient_id]


def test_recall_default_through_date() -> None:
    assert end_of_next_month(date(2026, 1, 15)) == date(2026, 2, 28)
    assert end_of_next_month(date(2026, 12, 3)) == date(2027, 1, 31)


def test_recall_export_writes_csv(
    qtbot: QtBot,
    database: Database,
    staff: Staff,
    context_of: Callable[[Actor], AppContext],
    tmp_path: Path,
) -> None:
    _patient(database, recall_due_on=date(2020, 1, 1))
    context = context_of(staff.front_desk)
    page = RecallPage(context)
    qtbot.addWidget(page)
    target = tmp_path / "recall.csv"
    page.export_to(target)
    _settle(qtbot, context)
    assert target.read_text(encoding="utf-8").count("\n") == 2
    assert page.summary.text() == "Exported 1 patient to recall.csv."


def test_step_editor_reorders_and_saves(
    qtbot: QtBot, database: Database, staff: Staff, context_of: Callable[[Actor], AppContext]
) -> None:
    context = context_of(staff.admin)
    tab = OnboardingStepsTab(context)
    qtbot.addWidget(tab)
    _settle(qtbot, context)
    assert tab.list.count() == 6
    assert tab.list.item(0).text() == "Demographics complete for billing (automatic)"

    tab.list.setCurrentRow(5)
    tab.move(-1)
    tab.list.setCurrentRow(0)
    tab.remove_step()
    tab.append("Flu shot offered")
    tab.save()
    _settle(qtbot, context)
    _settle(qtbot, context)
    with database.transaction() as session:
        codes = [step.code for step in onboarding.list_steps(session, staff.admin)]
    assert codes == [
        "insurance_card_captured",
        "photo_id_captured",
        "privacy_notice_acknowledged",
        "consent_to_treat",
        "financial_policy_signed",
        "flu_shot_offered",
    ]
    assert tab.status.text() == "Checklist saved."


def test_face_sheet_tab_lists_statements(
    qtbot: QtBot, database: Database, staff: Staff, context_of: Callable[[Actor], AppContext]
) -> None:
    guarantor_id, patient_id = add_family(database)
    add_sent_statements(database, staff, guarantor_id)
    context = context_of(staff.front_desk)
    tab = FaceSheetTab(context, patient_id)
    qtbot.addWidget(tab)
    tab.resize(1000, 700)
    tab.show()
    _settle(qtbot, context)
    box = next(box for box in tab.findChildren(QGroupBox) if box.title() == "Statements")
    texts = [label.text() for label in box.findChildren(QLabel)]

    assert "AK7Q-000007" in texts
    assert "Luis Ortega" in texts
    assert "None open" in texts
    assert "Not placed" in texts
    assert "03/01/2026" in texts
    assert "Payment plan reminder \u2014 $50.00, Email, Queued" in texts
    assert "10/01/2025" not in texts


def test_face_sheet_tab_without_account(
    qtbot: QtBot, database: Database, staff: Staff, context_of: Callable[[Actor], AppContext]
) -> None:
    patient_id = _patient(database)
    context = context_of(staff.front_desk)
    tab = FaceSheetTab(context, patient_id)  # type: ignore[arg-type]
    qtbot.addWidget(tab)
    tab.show()
    _settle(qtbot, context)
    box = next(box for box in tab.findChildren(QGroupBox) if box.title() == "Statements")

    assert [label.text() for label in box.findChildren(QLabel)] == [
        "Account",
        "No billing account yet",
    ]


def test_face_sheet_tab_shows_hold(
    qtbot: QtBot, database: Database, staff: Staff, context_of: Callable[[Actor], AppContext]
) -> None:
    guarantor_id, patient_id = add_family(database)
    account_id = add_sent_statements(database, staff, guarantor_id)
    with database.transaction() as session:
        account = session.get(BillingAccount, account_id)
        assert account is not None
        account.hold_reason = "bankruptcy"
        account.hold_until = date(2099, 7, 31)
    context = context_of(staff.front_desk)
    tab = FaceSheetTab(context, patient_id)
    qtbot.addWidget(tab)
    tab.show()
    _settle(qtbot, context)
    box = next(box for box in tab.findChildren(QGroupBox) if box.title() == "Statements")
    texts = [label.text() for label in box.findChildren(QLabel)]

    assert texts[texts.index("Hold") + 1] == "Bankruptcy through 07/31/2099"
