"""The Referrals tab of a patient's record: referrals and prior authorizations.

What each one still allows leads every row, in bold, and turns amber when two or fewer
visits or units are left and red when it has expired or is used up, so the desk sees
it before booking the next visit.
"""

import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QGroupBox,
    QHBoxLayout,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from app.changes import ChangeKind, Changes
from app.progress import Progress
from app.security.permissions import Actor, Permission
from app.services import admin_records, authorizations, outside_providers, referrals
from app.services.authorizations import AuthorizationStatus, AuthorizationView
from app.services.referrals import ReferralStatus, ReferralView
from app.services.today import practice_today
from ui.admin.common import ID_ROLE, RecordTable, run_for
from ui.admin.forms import ERROR_COLOR, WARNING_COLOR, RecordDialog, ask
from ui.context import AppContext
from ui.patient.fields import format_date
from ui.patient.referral_dialogs import AuthorizationDialog, Choices, ReferralDialog

log = logging.getLogger(__name__)

LOW_REMAINING = 2
MUTED_COLOR = "#5f6368"
STATUS_LABELS = {
    "active": "Active",
    "expired": "Expired",
    "used_up": "Used up",
    "not_started": "Not started",
}
REFERRAL_HEADERS = (
    "Visits left", "Status", "Referring provider", "Referral number", "Referred on", "Expires",
    "Coverage", "Reason",
)  # fmt: skip
AUTHORIZATION_HEADERS = (
    "Left", "Status", "Payer", "Authorization number", "Covered dates", "Services", "Notes",
)  # fmt: skip


@dataclass(frozen=True)
class TabData:
    """Everything the tab shows, loaded in one background call."""

    choices: Choices
    referrals: list[ReferralView]
    authorizations: list[AuthorizationView]


def load_tab(session: Session, actor: Actor, patient_id: uuid.UUID, archived: bool) -> TabData:
    """Load the patient's referrals and authorizations and what the dialogs offer."""
    today = practice_today(session)
    choices = Choices(
        today=today,
        providers=outside_providers.list_outside_providers(session, actor),
        coverages=referrals.coverage_choices(session, actor, patient_id),
        payers=admin_records.list_payers(session, actor),
    )
    return TabData(
        choices,
        referrals.list_referrals(session, actor, patient_id, today, include_archived=archived),
        authorizations.list_authorizations(
            session, actor, patient_id, today, include_archived=archived
        ),
    )


def alert_color(status: str, remaining: int | None) -> str:
    """Return the color of a row's count: red when unusable, amber when nearly used up."""
    if status in (ReferralStatus.EXPIRED, ReferralStatus.USED_UP):
        return ERROR_COLOR
    if status == AuthorizationStatus.NOT_STARTED:
        return MUTED_COLOR
    if remaining is not None and remaining <= LOW_REMAINING:
        return WARNING_COLOR
    return ""


def referral_cells(view: ReferralView) -> list[str]:
    """Return the table cells of one referral."""
    if view.visits_allowed is None:
        left = "No limit"
    else:
        left = f"{view.remaining_visits} of {view.visits_allowed}"
    return [
        left,
        STATUS_LABELS[view.status],
        view.provider_name,
        view.referral_number,
        format_date(view.referred_on),
        format_date(view.expires_on) or "No end date",
        view.coverage_label,
        view.reason,
    ]


def authorization_cells(view: AuthorizationView) -> list[str]:
    """Return the table cells of one authorization."""
    return [
        f"{view.remaining} of {view.authorized} {view.unit_kind}",
        STATUS_LABELS[view.status],
        view.payer_name,
        view.authorization_number,
        f"{format_date(view.starts_on)} to {format_date(view.ends_on)}",
        ", ".join(view.codes) if view.codes else "All services",
        view.notes,
    ]


class RecordSection(QGroupBox):
    """A titled table of one kind of record with Add, Edit and Archive buttons."""

    def __init__(self, title: str, noun: str, headers: Sequence[str], can_edit: bool) -> None:
        super().__init__(title)
        self.noun = noun
        self.records: list[Any] = []
        self.table = RecordTable(headers, title)
        self.add_button = QPushButton(f"Add {noun}…")
        self.edit_button = QPushButton("Edit…")
        self.archive_button = QPushButton("Archive")
        for button, name in (
            (self.add_button, f"Add {noun}"),
            (self.edit_button, f"Edit {noun}"),
            (self.archive_button, f"Archive {noun}"),
        ):
            button.setAccessibleName(name)
            button.setVisible(can_edit)
        self.table.itemSelectionChanged.connect(self.update_buttons)
        row = QHBoxLayout()
        for button in (self.add_button, self.edit_button, self.archive_button):
            row.addWidget(button)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.table)
        self.update_buttons()

    def show_records(self, records: list[Any], cells: Callable[[Any], list[str]]) -> None:
        """Fill the table, then color each row's count by how much is left."""
        self.records = records
        rows = []
        for record in records:
            row_cells = cells(record)
            if record.archived:
                row_cells[0] += " (archived)"
            rows.append((record.id, row_cells))
        self.table.set_rows(rows)
        self._paint()
        # Bold text is wider than the plain text the columns were sized for.
        self.table.resizeColumnToContents(0)
        self.update_buttons()

    def _paint(self) -> None:
        by_id = {record.id: record for record in self.records}
        for row in range(self.table.rowCount()):
            count_item, status_item = self.table.item(row, 0), self.table.item(row, 1)
            if count_item is None or status_item is None:
                continue
            font = count_item.font()
            font.setBold(True)
            count_item.setFont(font)

            record = by_id[count_item.data(ID_ROLE)]
            remaining = getattr(record, "remaining_visits", getattr(record, "remaining", None))
            color = alert_color(record.status, remaining)
            if color:
                for item in (count_item, status_item):
                    item.setForeground(QBrush(QColor(color)))

    def selected(self) -> Any | None:
        """Return the selected record, or None."""
        record_id = self.table.selected_id()
        return next((record for record in self.records if record.id == record_id), None)

    def update_buttons(self) -> None:
        """Enable Edit and Archive only for a selected record that is not archived."""
        record = self.selected()
        active = record is not None and not record.archived
        self.edit_button.setEnabled(active)
        self.archive_button.setEnabled(active)


class ReferralsTab(QWidget):
    """Lists a patient's referrals and prior authorizations with what each still allows."""

    def __init__(
        self, context: AppContext, patient_id: uuid.UUID, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.context = context
        self.patient_id = patient_id
        self.data: TabData | None = None
        can_edit = context.can(Permission.PATIENT_EDIT)
        self.show_archived = QCheckBox("Show &archived")
        self.show_archived.toggled.connect(self.refresh)
        self.referrals = RecordSection("Referrals", "referral", REFERRAL_HEADERS, can_edit)
        self.authorizations = RecordSection(
            "Prior authorizations", "authorization", AUTHORIZATION_HEADERS, can_edit
        )
        self._connect(self.referrals, self._referral_dialog, referrals.archive_referral)
        self._connect(
            self.authorizations, self._authorization_dialog, authorizations.archive_authorization
        )
        top = QHBoxLayout()
        top.addStretch(1)
        top.addWidget(self.show_archived)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.referrals, 1)
        layout.addWidget(self.authorizations, 1)
        context.ops.changed.connect(self._on_changed)
        self.refresh()

    def _connect(
        self,
        section: RecordSection,
        make_dialog: Callable[[Any], RecordDialog],
        archive: Callable[[Session, Actor, uuid.UUID], Any],
    ) -> None:
        def edit() -> None:
            record = section.selected()
            if record is not None and not record.archived and self.data is not None:
                make_dialog(record).open()

        section.add_button.clicked.connect(lambda: self._add(make_dialog))
        section.edit_button.clicked.connect(edit)
        section.table.doubleClicked.connect(edit)
        section.archive_button.clicked.connect(lambda: self._archive(section, archive))

    def _add(self, make_dialog: Callable[[Any], RecordDialog]) -> None:
        if self.data is not None:
            make_dialog(None).open()

    def _referral_dialog(self, record: ReferralView | None) -> RecordDialog:
        assert self.data is not None
        return ReferralDialog(self.context, self.patient_id, self.data.choices, record, self)

    def _authorization_dialog(self, record: AuthorizationView | None) -> RecordDialog:
        assert self.data is not None
        return AuthorizationDialog(self.context, self.patient_id, self.data.choices, record, self)

    def _archive(
        self, section: RecordSection, archive: Callable[[Session, Actor, uuid.UUID], Any]
    ) -> None:
        record = section.selected()
        if record is None or record.archived:
            return
        actor, record_id = self.context.actor, record.id
        question = (
            f"Archive this {section.noun}? It disappears from the record and from coverage "
            "checks; visits already counted keep it."
        )

        def confirmed() -> None:
            run_for(self, self.context, lambda session, _p: archive(session, actor, record_id))

        ask(self, f"Archive {section.noun}", question, "Archive", confirmed)

    def _on_changed(self, changes: Changes) -> None:
        if changes.touches(ChangeKind.REFERRALS, ChangeKind.COVERAGES, ChangeKind.PAYERS):
            self.refresh()

    def refresh(self) -> None:
        """Reload both lists in the background."""
        actor, patient_id = self.context.actor, self.patient_id
        archived = self.show_archived.isChecked()

        def work(session: Session, _progress: Progress) -> TabData:
            return load_tab(session, actor, patient_id, archived)

        run_for(self, self.context, work, self._show)

    def _show(self, data: TabData) -> None:
        self.data = data
        self.referrals.show_records(data.referrals, referral_cells)
        self.authorizations.show_records(data.authorizations, authorization_cells)
        log.debug(
            "referrals tab shows %d referrals and %d authorizations",
            len(data.referrals),
            len(data.authorizations),
        )
