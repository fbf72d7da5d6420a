"""The Referrals tab and its dialogs against a real database."""

from datetime import date

import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from app.db.database import Database
from app.services import authorizations, referrals
from app.services.authorizations import AuthorizationForm
from app.services.referrals import ReferralForm
from tests.helpers.referral_data import ReferralPractice
from tests.ui.referrals.conftest import settle
from ui.admin.forms import ERROR_COLOR, WARNING_COLOR
from ui.context import AppContext
from ui.patient.referral_dialogs import AuthorizationDialog, ReferralDialog
from ui.patient.referrals_tab import ReferralsTab

LONG_AGO = date(2000, 1, 1)
FAR_AHEAD = date(2099, 12, 31)


def closed(dialog: QWidget) -> bool:
    """Return True once a dialog that deletes itself on close is gone or hidden."""
    return not shiboken6.isValid(dialog) or not dialog.isVisible()


def open_tab(qtbot: QtBot, context: AppContext, practice: ReferralPractice) -> ReferralsTab:
    tab = ReferralsTab(context, practice.patient_id)
    qtbot.addWidget(tab)
    tab.show()
    settle(qtbot, context)
    return tab


def add_referral_dialog(qtbot: QtBot, context: AppContext, tab: ReferralsTab) -> ReferralDialog:
    tab.referrals.add_button.click()
    dialog = tab.findChild(ReferralDialog)
    assert dialog is not None
    qtbot.waitExposed(dialog)
    return dialog


def add_authorization_dialog(tab: ReferralsTab) -> AuthorizationDialog:
    tab.authorizations.add_button.click()
    dialog = tab.findChild(AuthorizationDialog)
    assert dialog is not None
    return dialog


def save_referral(database: Database, practice: ReferralPractice, **values: object) -> None:
    form = ReferralForm(
        patient_id=practice.patient_id,
        outside_provider_id=practice.provider_id,
        referred_on=LONG_AGO,
        expires_on=FAR_AHEAD,
        visits_allowed=10,
    )
    for name, value in values.items():
        setattr(form, name, value)
    with database.transaction() as session:
        assert referrals.save_referral(session, practice.admin, form).saved


def test_referral_problems_beside_fields(
    qtbot: QtBot, context: AppContext, practice: ReferralPractice
) -> None:
    tab = open_tab(qtbot, context, practice)
    dialog = add_referral_dialog(qtbot, context, tab)
    dialog.provider.setCurrentIndex(0)
    dialog.referred_on.setText("03/10/2026")
    qtbot.keyClicks(dialog.expires_on, "03/01/2026")
    qtbot.keyClicks(dialog.visits_allowed, "0")
    qtbot.keyClicks(dialog.referral_number, "R*42")

    dialog.accept()
    settle(qtbot, context)

    assert "Referring provider is missing" in dialog.form.problem_text("outside_provider_id")
    assert "before the referral date" in dialog.form.problem_text("expires_on")
    assert "below 1" in dialog.form.problem_text("visits_allowed")
    assert "separators" in dialog.form.problem_text("referral_number")
    assert dialog.form.problem_text("reason") == ""
    assert dialog.isVisible()
    assert dialog.referral_number.text() == "R*42"
    assert dialog.expires_on.text() == "03/01/2026"
    assert tab.referrals.table.rowCount() == 0


def test_referral_unreadable_text_kept(
    qtbot: QtBot, context: AppContext, practice: ReferralPractice
) -> None:
    tab = open_tab(qtbot, context, practice)
    dialog = add_referral_dialog(qtbot, context, tab)
    dialog.expires_on.setText("13/45/2026")
    dialog.visits_allowed.setText("ten")

    dialog.accept()

    assert "13/45/2026 is not a valid date" in dialog.form.problem_text("expires_on")
    assert "ten is not a whole number" in dialog.form.problem_text("visits_allowed")
    assert dialog.expires_on.text() == "13/45/2026"
    assert dialog.visits_allowed.text() == "ten"


def test_referral_enter_saves(
    qtbot: QtBot, context: AppContext, practice: ReferralPractice
) -> None:
    tab = open_tab(qtbot, context, practice)
    dialog = add_referral_dialog(qtbot, context, tab)
    dialog.provider.setCurrentIndex(1)
    qtbot.keyClicks(dialog.visits_allowed, "6")
    qtbot.keyClicks(dialog.reason, "Knee pain")

    qtbot.keyClick(dialog.reason, Qt.Key.Key_Return)
    settle(qtbot, context)

    assert closed(dialog)
    assert tab.referrals.table.column_texts(0) == ["6 of 6"]
    assert tab.referrals.table.column_texts(2) == ["Grace Hopper, MD"]
    assert tab.referrals.table.column_texts(6) == ["Primary: Aetna"]


def test_referral_escape_cancels(
    qtbot: QtBot, context: AppContext, practice: ReferralPractice
) -> None:
    tab = open_tab(qtbot, context, practice)
    dialog = add_referral_dialog(qtbot, context, tab)

    qtbot.keyClick(dialog, Qt.Key.Key_Escape)

    assert closed(dialog)


def test_referral_tab_order_follows_form(
    qtbot: QtBot, context: AppContext, practice: ReferralPractice
) -> None:
    tab = open_tab(qtbot, context, practice)
    dialog = add_referral_dialog(qtbot, context, tab)
    expected: list[QWidget] = [
        dialog.provider,
        dialog.coverage,
        dialog.referral_number,
        dialog.referred_on,
        dialog.expires_on,
        dialog.visits_allowed,
        dialog.visits_used,
        dialog.reason,
    ]

    order: list[QWidget] = []
    widget = dialog.provider.nextInFocusChain()
    while widget is not dialog.provider and len(order) < 50:
        if widget in expected:
            order.append(widget)
        widget = widget.nextInFocusChain()

    assert order == expected[1:]


def test_counts_colored_by_what_is_left(
    qtbot: QtBot, context: AppContext, database: Database, practice: ReferralPractice
) -> None:
    save_referral(database, practice, referral_number="PLENTY")
    save_referral(database, practice, referral_number="LOW", visits_used=8)
    save_referral(database, practice, referral_number="OLD", expires_on=date(2001, 1, 1))
    tab = open_tab(qtbot, context, practice)
    table = tab.referrals.table

    colors = {}
    for row in range(table.rowCount()):
        count_item = table.item(row, 0)
        number_item = table.item(row, 3)
        assert count_item is not None and number_item is not None
        assert count_item.font().bold()
        colors[number_item.text()] = count_item.foreground().color().name()

    assert colors["LOW"] == WARNING_COLOR
    assert colors["OLD"] == ERROR_COLOR
    assert colors["PLENTY"] not in (WARNING_COLOR, ERROR_COLOR)
    assert table.column_texts(1).count("Expired") == 1


def test_authorization_codes_checked(
    qtbot: QtBot, context: AppContext, practice: ReferralPractice
) -> None:
    tab = open_tab(qtbot, context, practice)
    dialog = add_authorization_dialog(tab)
    dialog.coverage.setCurrentIndex(1)
    qtbot.keyClicks(dialog.authorization_number, "A12345")
    dialog.starts_on.setText("01/01/2000")
    dialog.ends_on.setText("12/31/2099")
    qtbot.keyClicks(dialog.authorized, "12")
    qtbot.keyClicks(dialog.codes, "97110, therapeutic exercise")

    dialog.accept()
    settle(qtbot, context)

    assert "not CPT or HCPCS codes" in dialog.form.problem_text("codes")
    assert dialog.codes.text() == "97110, therapeutic exercise"

    dialog.codes.setText("97110 97140,g0283")
    qtbot.keyClick(dialog.codes, Qt.Key.Key_Return)
    settle(qtbot, context)

    assert closed(dialog)
    assert tab.authorizations.table.column_texts(0) == ["12 of 12 visits"]
    assert tab.authorizations.table.column_texts(2) == ["Aetna"]
    assert tab.authorizations.table.column_texts(5) == ["97110, 97140, G0283"]


def test_coverage_sets_payer(qtbot: QtBot, context: AppContext, practice: ReferralPractice) -> None:
    tab = open_tab(qtbot, context, practice)
    dialog = add_authorization_dialog(tab)
    assert dialog.coverage.currentText() == "Primary: Aetna"
    assert dialog.payer.currentText() == "Aetna"
    assert not dialog.payer.isEnabled()

    dialog.coverage.setCurrentIndex(0)

    assert dialog.payer.isEnabled()


def test_duplicate_number_from_service(
    qtbot: QtBot, context: AppContext, database: Database, practice: ReferralPractice
) -> None:
    form = AuthorizationForm(
        patient_id=practice.patient_id,
        payer_id=practice.aetna_id,
        authorization_number="A777",
        starts_on=LONG_AGO,
        ends_on=FAR_AHEAD,
        authorized=5,
        covers_all_services=True,
    )
    with database.transaction() as session:
        assert authorizations.save_authorization(session, practice.admin, form).saved
    tab = open_tab(qtbot, context, practice)
    dialog = add_authorization_dialog(tab)
    dialog.coverage.setCurrentIndex(0)
    dialog.payer.setCurrentIndex(dialog.payer.findText("Aetna"))
    qtbot.keyClicks(dialog.authorization_number, "A777")
    dialog.starts_on.setText("01/01/2000")
    dialog.ends_on.setText("12/31/2000")
    qtbot.keyClicks(dialog.authorized, "3")
    dialog.all_services.setChecked(True)

    dialog.accept()
    settle(qtbot, context)

    assert "already on this patient's record" in dialog.form.problem_text("authorization_number")
    assert dialog.isVisible()
    assert tab.authorizations.table.rowCount() == 1
    assert tab.authorizations.table.column_texts(5) == ["All services"]
