"""The tabs every saved patient's record window shows after the registration form."""

import uuid

from PySide6.QtWidgets import QWidget

from ui.context import AppContext
from ui.patient.account_panel import AccountPanel
from ui.patient.face_sheet_tab import FaceSheetTab
from ui.patient.ledger_tab import LedgerTab
from ui.patient.onboarding_tab import OnboardingTab
from ui.patient.record import register_record_tab, registered_tab_titles
from ui.patient.referrals_tab import ReferralsTab

# Titles carry Alt+letter keys that the registration form's section keys do not use.
FACE_SHEET = "&Face sheet"
ONBOARDING = "&Onboarding"
REFERRALS = "Referrals and a&uthorizations"
LEDGER = "&Ledger"
BILLING_ACCOUNT = "Billing accoun&t"


def _face_sheet(context: AppContext, patient_id: uuid.UUID) -> QWidget:
    return FaceSheetTab(context, patient_id)


def _onboarding(context: AppContext, patient_id: uuid.UUID) -> QWidget:
    return OnboardingTab(context, patient_id)


def _referrals(context: AppContext, patient_id: uuid.UUID) -> QWidget:
    return ReferralsTab(context, patient_id)


def _ledger(context: AppContext, patient_id: uuid.UUID) -> QWidget:
    return LedgerTab(context, patient_id)


def _billing_account(context: AppContext, patient_id: uuid.UUID) -> QWidget:
    return AccountPanel(context, patient_id)


def install_record_tabs() -> None:
    """Register the standard record tabs once; later calls change nothing."""
    if FACE_SHEET in registered_tab_titles():
        return
    register_record_tab(FACE_SHEET, _face_sheet)
    register_record_tab(ONBOARDING, _onboarding)
    register_record_tab(REFERRALS, _referrals)
    register_record_tab(LEDGER, _ledger)
    register_record_tab(BILLING_ACCOUNT, _billing_account)
