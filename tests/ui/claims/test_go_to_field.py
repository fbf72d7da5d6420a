"""Go to field: where each finding field leads, and the screens it opens in the main window."""

import uuid
from collections.abc import Callable

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot

from app.models.patients import Patient
from app.security.permissions import Actor, Permission
from tests.helpers.claim_data import ClaimPractice
from tests.ui.claims.conftest import ContextFor, drain, settle, show_page
from ui.charges import windows
from ui.claims.detail_values import FindingView
from ui.claims.go_to_field import (
    ClaimRefs,
    FieldNavigator,
    Screen,
    admin_tab_permission,
    destination_for,
    who_can,
)
from ui.claims.page import ClaimsPage
from ui.main_window import MainWindow
from ui.patient.record import PatientRecordWindow, open_records

REFS = ClaimRefs(uuid.uuid4(), uuid.uuid4(), uuid.uuid4())
RECORD = uuid.uuid4()

# (field, screen, Admin tab, focus, record id expected)
DESTINATIONS = (
    ("practice.billing_npi", Screen.ADMIN, "Practice", "billing_npi", RECORD),
    ("practice.address", Screen.ADMIN, "Practice", "address_line1", RECORD),
    ("provider.npi", Screen.ADMIN, "Providers", "", RECORD),
    ("payer.payer_code", Screen.ADMIN, "Payers", "", RECORD),
    ("location.address", Screen.ADMIN, "Locations", "", RECORD),
    ("clearinghouse.settings", Screen.ADMIN, "Clearinghouses", "", RECORD),
    ("code_sets.icd10", Screen.ADMIN, "Code sets", "", RECORD),
    ("patient.date_of_birth", Screen.PATIENT, "", "personal", REFS.patient_id),
    ("patient.name", Screen.PATIENT, "", "name", REFS.patient_id),
    ("patient.address", Screen.PATIENT, "", "contact", REFS.patient_id),
    ("coverage.member_id", Screen.PATIENT, "", "insurance", REFS.patient_id),
    ("encounter.diagnoses", Screen.ENCOUNTER, "", "", RECORD),
    ("claim.frequency", Screen.CLAIM, "", "", REFS.claim_id),
)


@pytest.mark.parametrize(("field", "screen", "tab", "focus", "record_id"), DESTINATIONS)
def test_destination_for_field(
    field: str, screen: Screen, tab: str, focus: str, record_id: uuid.UUID
) -> None:
    destination = destination_for(field, RECORD, REFS)

    assert destination.screen == screen
    assert destination.tab == tab
    assert destination.focus == focus
    assert destination.record_id == record_id


def test_encounter_field_without_record_uses_claims() -> None:
    destination = destination_for("encounter.lines", None, REFS)

    assert destination.record_id == REFS.encounter_id


def test_encounter_field_without_any_id_stays() -> None:
    refs = ClaimRefs(REFS.claim_id, REFS.patient_id)

    destination = destination_for("encounter.lines", None, refs)

    assert destination.screen == Screen.CLAIM


def test_who_can_names_roles() -> None:
    assert who_can(Permission.PRACTICE_SETUP) == "an administrator"
    assert who_can(Permission.CLAIM_MANAGE) == "a biller, manager or administrator"


def test_admin_tab_permission_unknown_tab() -> None:
    assert admin_tab_permission("Practice") == Permission.PRACTICE_SETUP
    assert admin_tab_permission("No such tab") is None


WindowAndPage = tuple[MainWindow, ClaimsPage]


@pytest.fixture
def window_and_page(
    qtbot: QtBot, claim_practice: ClaimPractice, context_for: ContextFor
) -> Callable[[Actor], WindowAndPage]:
    """Return a factory: a main window and a Claims page whose Go to field opens in it."""

    def build(actor: Actor) -> WindowAndPage:
        context = context_for(actor)
        window = MainWindow(context)
        window.setProperty("quitOnClose", False)
        qtbot.addWidget(window)
        window.show()
        qtbot.waitExposed(window)
        drain(qtbot, context)
        page = show_page(
            qtbot, context, ClaimsPage(context, FieldNavigator(context, lambda: window))
        )
        page.filters.set_status(None)
        page.actions.build.trigger()
        settle(qtbot, page)
        page.open_current()
        settle(qtbot, page)
        return window, page

    return build


def finding(page: ClaimsPage, field: str, record_id: uuid.UUID | None) -> FindingView:
    view = page.current_detail()
    assert view is not None
    return FindingView(
        "error", "Something to fix.", "Payers reject it.", field, None,
        destination_for(field, record_id, view.refs),
    )  # fmt: skip


def message_boxes() -> list[QMessageBox]:
    return [
        widget
        for widget in QApplication.topLevelWidgets()
        if isinstance(widget, QMessageBox) and widget.isVisible()
    ]


def listed(page: ClaimsPage, field: str) -> int:
    """Return the row of the finding about `field` in the findings list."""
    fields = [shown.field for shown in page.detail.findings.findings]
    assert field in fields, fields
    return fields.index(field)


def click_go_to_field(qtbot: QtBot, page: ClaimsPage, field: str) -> None:
    row = page.detail.findings.rows[listed(page, field)]
    qtbot.mouseClick(row.button, Qt.MouseButton.LeftButton)
    drain(qtbot, page.context)


def test_findings_listed_errors_first(
    window_and_page: Callable[[Actor], WindowAndPage], claim_practice: ClaimPractice
) -> None:
    # The claim practice's patient has no address, nobody checked the coverage, and
    # Aetna has no clearinghouse.
    _window, page = window_and_page(claim_practice.biller)
    view = page.current_detail()
    assert view is not None

    fields = [shown.field for shown in view.findings]
    assert sorted(fields) == ["coverage.dates", "patient.address", "payer.clearinghouse"]
    assert view.findings[0].severity == "error"
    assert view.findings[0].field == "patient.address"
    assert page.detail.findings.count() == 3
    assert page.detail.tabs.tabText(0) == "F&indings (3)"
    first = page.detail.findings.rows[0]
    assert first.button.text() == "Go to field"
    assert first.why.text() == view.findings[0].why_text
    assert page.detail.findings.item(0).toolTip() == view.findings[0].why_text


def test_go_to_payer_selects_record(
    qtbot: QtBot, window_and_page: Callable[[Actor], WindowAndPage], claim_practice: ClaimPractice
) -> None:
    window, page = window_and_page(claim_practice.charge.admin)

    click_go_to_field(qtbot, page, "payer.clearinghouse")

    assert window.current_page_name() == "Admin"
    admin = window.admin_page
    assert admin is not None
    tabs = admin.tabs  # type: ignore[attr-defined]
    assert tabs.tabText(tabs.currentIndex()) == "Payers"
    payers = tabs.currentWidget()
    qtbot.waitUntil(lambda: payers.table.selected_id() == claim_practice.aetna_id, timeout=5_000)
    # The payer's edit dialog opens on top of the list.
    qtbot.waitUntil(lambda: QApplication.activeModalWidget() is not None, timeout=3_000)
    dialog = QApplication.activeModalWidget()
    assert dialog is not None
    dialog.close()
    assert "Scrub again" in page.detail.notice.text()


def test_go_to_practice_focuses_input(
    qtbot: QtBot, window_and_page: Callable[[Actor], WindowAndPage], claim_practice: ClaimPractice
) -> None:
    window, page = window_and_page(claim_practice.charge.admin)

    page.go_to_field(finding(page, "practice.billing_npi", None))
    drain(qtbot, page.context)

    assert window.current_page_name() == "Admin"
    admin = window.admin_page
    assert admin is not None
    tabs = admin.tabs  # type: ignore[attr-defined]
    assert tabs.tabText(tabs.currentIndex()) == "Practice"
    npi = tabs.currentWidget().inputs["billing_npi"]
    assert window.focusWidget() is npi


def test_biller_told_who_fixes_payer(
    qtbot: QtBot, window_and_page: Callable[[Actor], WindowAndPage], claim_practice: ClaimPractice
) -> None:
    window, page = window_and_page(claim_practice.biller)
    page_before = window.current_page_name()

    click_go_to_field(qtbot, page, "payer.clearinghouse")

    assert window.current_page_name() == page_before
    assert "administrator" in page.detail.notice.text()
    assert "Admin ▸ Payers" in page.detail.notice.text()
    assert any("administrator" in box.text() for box in message_boxes())


def test_go_to_patient_address_opens_record(
    qtbot: QtBot, window_and_page: Callable[[Actor], WindowAndPage], claim_practice: ClaimPractice
) -> None:
    _window, page = window_and_page(claim_practice.biller)

    click_go_to_field(qtbot, page, "patient.address")

    records = [
        record for record in open_records() if record.patient_id == claim_practice.patient_id
    ]
    assert len(records) == 1
    record = records[0]
    assert isinstance(record, PatientRecordWindow)
    qtbot.waitUntil(lambda: record.form.current.id == claim_practice.patient_id, timeout=5_000)
    first_contact_input = record.form.contact.focus_chain()[0]
    qtbot.waitUntil(lambda: record.focusWidget() is first_contact_input, timeout=3_000)


def test_go_to_coverage_opens_patient_record(
    qtbot: QtBot, window_and_page: Callable[[Actor], WindowAndPage], claim_practice: ClaimPractice
) -> None:
    _window, page = window_and_page(claim_practice.biller)

    page.go_to_field(finding(page, "coverage.member_id", claim_practice.aetna_coverage_id))
    drain(qtbot, page.context)

    records = [
        record for record in open_records() if record.patient_id == claim_practice.patient_id
    ]
    assert len(records) == 1
    record = records[0]
    assert isinstance(record, PatientRecordWindow)
    qtbot.waitUntil(lambda: record.form.current.id == claim_practice.patient_id, timeout=5_000)
    qtbot.waitUntil(record.form.coverages.list.hasFocus, timeout=3_000)


def test_go_to_encounter_opens_editor(
    qtbot: QtBot, window_and_page: Callable[[Actor], WindowAndPage], claim_practice: ClaimPractice
) -> None:
    _window, page = window_and_page(claim_practice.biller)

    page.go_to_field(finding(page, "encounter.diagnoses", claim_practice.encounter_id))
    drain(qtbot, page.context)

    editors = windows.open_editors()
    assert [editor.encounter_id for editor in editors] == [claim_practice.encounter_id]


def set_patient_address(claim_practice: ClaimPractice) -> None:
    with claim_practice.database.transaction() as session:
        patient = session.get(Patient, claim_practice.patient_id)
        assert patient is not None
        patient.address_line1 = "12 Elm Street"
        patient.city = "Evanston"
        patient.state = "IL"
        patient.zip_code = "60201"


def test_scrub_again_clears_fixed_finding(
    qtbot: QtBot, window_and_page: Callable[[Actor], WindowAndPage], claim_practice: ClaimPractice
) -> None:
    _window, page = window_and_page(claim_practice.biller)
    listed(page, "patient.address")
    assert page.model.rows[0].status == "hold"

    set_patient_address(claim_practice)
    qtbot.mouseClick(page.detail.scrub_button, Qt.MouseButton.LeftButton)
    settle(qtbot, page)

    after = page.current_detail()
    assert after is not None
    assert "patient.address" not in [shown.field for shown in after.findings]
    assert page.status.text() == "Scrubbed again: the claim is ready to send."
    assert page.model.rows[0].status == "ready"


def test_scrub_key_clears_go_to_notice(
    qtbot: QtBot, window_and_page: Callable[[Actor], WindowAndPage], claim_practice: ClaimPractice
) -> None:
    _window, page = window_and_page(claim_practice.biller)
    page.go_to_field(finding(page, "encounter.diagnoses", claim_practice.encounter_id))
    drain(qtbot, page.context)
    assert "Scrub again" in page.detail.notice.text()

    page.actions.scrub.trigger()
    settle(qtbot, page)

    assert page.detail.notice.text() == ""
    assert page.detail.notice.isHidden()


def test_enter_on_finding_goes_to_field(
    qtbot: QtBot, window_and_page: Callable[[Actor], WindowAndPage], claim_practice: ClaimPractice
) -> None:
    _window, page = window_and_page(claim_practice.biller)
    findings = page.detail.findings
    findings.setCurrentRow(listed(page, "patient.address"))

    qtbot.keyClick(findings, Qt.Key.Key_Return)
    drain(qtbot, page.context)

    opened = [record.patient_id for record in open_records()]
    assert opened == [claim_practice.patient_id]
