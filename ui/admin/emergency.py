"""The Emergency access tab: grants waiting for review, and the review with a note."""

import logging
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from app.changes import ChangeKind, Changes
from app.progress import Progress
from app.security import emergency
from app.security.emergency import EmergencyAccessSummary
from app.security.permissions import Permission
from ui.admin.common import RecordTable, Work, format_instant, load_zone, run_for
from ui.admin.forms import RecordDialog
from ui.context import AppContext

log = logging.getLogger(__name__)

HEADERS = (
    "User", "Permission", "Patient id", "Reason", "Granted", "Expires", "Reviewed", "Note",
)  # fmt: skip


@dataclass(frozen=True)
class GrantListing:
    """Emergency grants and the zone their times are shown in."""

    grants: list[EmergencyAccessSummary]
    zone: ZoneInfo | None


def permission_label(value: str) -> str:
    """Return a permission as words, such as "Patient view ssn" for "patient.view_ssn"."""
    try:
        value = Permission(value).value
    except ValueError:
        log.warning("an emergency grant names an unknown permission")
    return value.replace(".", " ").replace("_", " ").capitalize()


class ReviewDialog(RecordDialog):
    """Marks one emergency grant reviewed, with what the reviewer checked."""

    def __init__(
        self, context: AppContext, grant: EmergencyAccessSummary, parent: QWidget | None = None
    ) -> None:
        super().__init__(context, "Mark emergency access reviewed", parent)
        self.grant = grant
        summary = QLabel(
            f"{grant.username} used {permission_label(grant.permission)}.\nReason given: "
            f"{grant.reason}"
        )
        summary.setWordWrap(True)
        self.layout().insertWidget(0, summary)
        self.note = QPlainTextEdit()
        self.note.setTabChangesFocus(True)
        self.note.setPlaceholderText(
            "What you checked, such as: care need confirmed with Dr. Lopez"
        )
        self.note.setMaximumHeight(90)
        self.form.add_field("note", "Review &note", self.note)
        self.finish_building()

    def build_work(self) -> Work:
        actor, grant_id, note = self.context.actor, self.grant.id, self.note.toPlainText()
        return lambda session, _p: emergency.review_grant(session, actor, grant_id, note)


class EmergencyTab(QWidget):
    """Lists emergency access grants so an administrator can review each one."""

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.listing = GrantListing([], None)
        explain = QLabel(
            "Staff can give themselves access beyond their role when a patient's care cannot "
            "wait. Check each grant below and mark it reviewed."
        )
        explain.setWordWrap(True)
        self.show_reviewed = QCheckBox("Show &reviewed grants too")
        self.show_reviewed.toggled.connect(self.refresh)
        self.review_button = QPushButton("&Mark reviewed…")
        self.review_button.clicked.connect(self.review_selected)
        self.table = RecordTable(HEADERS, "Emergency access grants")
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.table.doubleClicked.connect(self.review_selected)
        self.count_label = QLabel()
        row = QHBoxLayout()
        row.addWidget(self.review_button)
        row.addStretch(1)
        row.addWidget(self.show_reviewed)
        layout = QVBoxLayout(self)
        layout.addWidget(explain)
        layout.addLayout(row)
        layout.addWidget(self.table)
        layout.addWidget(self.count_label)
        self._update_buttons()
        context.ops.changed.connect(self._on_changed)
        self.refresh()

    def _on_changed(self, changes: Changes) -> None:
        # Granting and reviewing are reported as audit changes.
        if changes.touches(ChangeKind.AUDIT):
            self.refresh()

    def refresh(self) -> None:
        """Reload the grants."""
        actor, only_unreviewed = self.context.actor, not self.show_reviewed.isChecked()

        def work(session: Session, _progress: Progress) -> GrantListing:
            grants = emergency.list_grants(session, actor, only_unreviewed=only_unreviewed)
            return GrantListing(grants, load_zone(session))

        run_for(self, self.context, work, self._show)

    def _show(self, listing: GrantListing) -> None:
        self.listing = listing
        self.table.set_rows(
            [(grant.id, self._cells(grant, listing.zone)) for grant in listing.grants]
        )
        waiting = sum(1 for grant in listing.grants if grant.reviewed_at is None)
        noun = "grant waits" if waiting == 1 else "grants wait"
        self.count_label.setText(f"{waiting} {noun} for review.")
        self._update_buttons()

    @staticmethod
    def _cells(grant: EmergencyAccessSummary, zone: ZoneInfo | None) -> list[str]:
        return [
            grant.username,
            permission_label(grant.permission),
            str(grant.patient_id) if grant.patient_id else "Any patient",
            grant.reason,
            format_instant(grant.granted_at, zone),
            format_instant(grant.expires_at, zone),
            format_instant(grant.reviewed_at, zone) or "Not yet",
            grant.review_note or "",
        ]

    def selected_grant(self) -> EmergencyAccessSummary | None:
        """Return the selected grant, or None."""
        grant_id = self.table.selected_id()
        return next((grant for grant in self.listing.grants if grant.id == grant_id), None)

    def _update_buttons(self) -> None:
        grant = self.selected_grant()
        self.review_button.setEnabled(grant is not None and grant.reviewed_at is None)

    def review_selected(self) -> None:
        """Open the review dialog for the selected grant."""
        grant = self.selected_grant()
        if grant is not None and grant.reviewed_at is None:
            ReviewDialog(self.context, grant, self).open()
