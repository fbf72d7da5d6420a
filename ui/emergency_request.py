"""Requesting emergency access after a permission error: the reason, the grant, the notice."""

import logging
import uuid

from PySide6.QtWidgets import QDialogButtonBox, QLabel, QMessageBox, QPlainTextEdit, QWidget

from app.security import emergency
from app.security.emergency import MIN_REASON_LENGTH, EmergencyAccessSummary
from app.security.permissions import Permission
from ui.admin.common import Work
from ui.admin.forms import RecordDialog
from ui.context import AppContext

log = logging.getLogger(__name__)

REASON_HINT = "For example: patient at the front desk, provider needs the insurance details now."


# What each permission that emergency access can grant lets the user do, in plain words.
PERMISSION_WORDS = {
    Permission.PATIENT_VIEW: "access to open patient records",
    Permission.PATIENT_EDIT: "access to change patient records",
    Permission.PATIENT_VIEW_SSN: "access to see full Social Security numbers",
    Permission.SCHEDULE_VIEW: "access to see the schedule",
    Permission.SCHEDULE_EDIT: "access to change the schedule",
}


def permission_words(permission: Permission) -> str:
    """Return what `permission` allows in plain words, such as "access to see the schedule"."""
    return PERMISSION_WORDS.get(permission, permission.value.replace(".", " ").replace("_", " "))


def grant_notice(grant: EmergencyAccessSummary) -> str:
    """Return the message shown after a grant: it is recorded, reviewed and ends soon."""
    minutes = round((grant.expires_at - grant.granted_at).total_seconds() / 60)
    until = grant.expires_at.astimezone().strftime("%I:%M %p").lstrip("0")
    return (
        f"You have emergency {permission_words(Permission(grant.permission))} for "
        f"{minutes} minutes, until {until}. It is recorded in the audit log, and an "
        "administrator reviews it with your reason. Now try again what you were doing."
    )


class EmergencyRequestDialog(RecordDialog):
    """Asks why emergency access is needed and grants it through the operation runner."""

    def __init__(
        self,
        context: AppContext,
        permission: Permission,
        patient_id: uuid.UUID | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(context, "Request emergency access", parent)
        self.setObjectName("emergencyRequestDialog")
        self.permission = permission
        self.patient_id = patient_id
        scope = "this patient" if patient_id is not None else "every patient"
        explain = QLabel(
            f"Use this only when a patient's care cannot wait for an administrator. You get "
            f"{permission_words(permission)} for {scope} for a limited time. ClinicDesk records "
            "the access and your reason, and an administrator reviews every emergency access."
        )
        explain.setWordWrap(True)
        self.layout().insertWidget(0, explain)  # type: ignore[union-attr]
        self.reason = QPlainTextEdit()
        self.reason.setPlaceholderText(REASON_HINT)
        self.reason.setTabChangesFocus(True)
        self.reason.setFixedHeight(90)
        self.form.add_field(
            "reason", "&Reason", self.reason, f"At least {MIN_REASON_LENGTH} characters"
        )
        save = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        save.setText("Request &access")
        save.setAccessibleName("Request access")
        self.finish_building()
        self.reason.setFocus()

    def build_work(self) -> Work:
        actor, permission, patient_id = self.context.actor, self.permission, self.patient_id
        reason = self.reason.toPlainText()
        return lambda session, _progress: emergency.grant_emergency_access(
            session, actor, permission, reason, patient_id
        )


def request_emergency_access(
    context: AppContext,
    permission: Permission,
    patient_id: uuid.UUID | None,
    parent: QWidget | None = None,
) -> EmergencyRequestDialog:
    """Open the request dialog; after a grant, tell the user how long it lasts."""
    dialog = EmergencyRequestDialog(context, permission, patient_id, parent)

    def granted() -> None:
        grant = dialog.result_value
        if not isinstance(grant, EmergencyAccessSummary):
            return
        log.info("emergency access %s granted from the error dialog", grant.id)
        notice = QMessageBox(
            QMessageBox.Icon.Information,
            "Emergency access granted",
            grant_notice(grant),
            QMessageBox.StandardButton.Ok,
            parent,
        )
        notice.setObjectName("emergencyGrantedBox")
        notice.open()

    dialog.accepted.connect(granted)
    dialog.open()
    return dialog
