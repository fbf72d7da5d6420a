"""The Ledger tab of a patient's record: every posted row with a running balance.

The scope is the patient or the guarantor's whole family. Balances by bucket (the patient
and each payer) head the tab. A row that a later reversal cancels is struck through,
and the reversal itself is gray, so the pair reads as cancelled.
"""

import logging
import uuid
from datetime import date, timedelta

from PySide6.QtCore import QDate, Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QLabel,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from app.changes import ChangeKind, Changes
from app.money import format_money
from app.progress import Progress
from app.services.ledger import ENTRY_TYPES, REVERSAL
from app.services.ledger_view import LedgerQuery, LedgerRow, LedgerView, ledger_view
from ui.admin.common import ID_ROLE, RecordTable, run_for
from ui.context import AppContext
from ui.patient.fields import format_date
from ui.widgets import find_data

log = logging.getLogger(__name__)

HEADERS = (
    "Posted", "Service date", "Patient", "Type", "Code", "Memo", "Bucket", "Amount", "Balance",
)  # fmt: skip
PATIENT_COLUMN = 2
AMOUNT_COLUMNS = (7, 8)
MUTED_COLOR = "#5f6368"
RIGHT_ALIGNED = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
# The range the date filter offers when first switched on: the last 90 days.
DEFAULT_RANGE_DAYS = 90


def row_cells(row: LedgerRow) -> list[str]:
    """Return the table cells of one ledger row."""
    return [
        format_date(row.posted_on),
        format_date(row.service_date),
        row.patient_name,
        row.entry_type.capitalize(),
        row.code,
        row.memo,
        row.bucket_label,
        format_money(row.amount),
        format_money(row.running_balance),
    ]


def totals_text(view: LedgerView) -> str:
    """Return the heading line: the balance, then each bucket's balance."""
    buckets = " · ".join(
        f"{label} {format_money(amount)}" for label, amount in sorted(view.totals.items())
    )
    scope = f"Family of {view.patient_count}" if view.patient_count > 1 else "Balance"
    return f"{scope}: {format_money(view.balance)}" + (f"  ({buckets})" if buckets else "")


def _to_qdate(value: date) -> QDate:
    return QDate(value.year, value.month, value.day)


def _from_qdate(value: QDate) -> date:
    return date(value.year(), value.month(), value.day())


class LedgerTab(QWidget):
    """Lists the ledger of a patient or their family, with filters and totals by bucket."""

    def __init__(
        self, context: AppContext, patient_id: uuid.UUID, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.context = context
        self.patient_id = patient_id
        self.view: LedgerView | None = None
        self._request = 0

        self.patient_scope = QRadioButton("&Patient")
        self.family_scope = QRadioButton("&Guarantor (whole family)")
        self.patient_scope.setChecked(True)
        scope = QButtonGroup(self)
        scope.addButton(self.patient_scope)
        scope.addButton(self.family_scope)
        self.family_scope.toggled.connect(self.refresh)

        self.use_dates = QCheckBox("&Dates")
        self.date_from = self._date_edit("From", -DEFAULT_RANGE_DAYS)
        self.date_to = self._date_edit("Through", 0)
        for edit in (self.date_from, self.date_to):
            edit.setEnabled(False)
        self.use_dates.toggled.connect(self._dates_toggled)

        self.entry_type = QComboBox()
        self.entry_type.setAccessibleName("Type")
        self.entry_type.addItem("All types", None)
        for name in ENTRY_TYPES:
            self.entry_type.addItem(name.capitalize(), name)
        self.entry_type.currentIndexChanged.connect(self.refresh)
        self.bucket = QComboBox()
        self.bucket.setAccessibleName("Bucket")
        self.bucket.addItem("All buckets", None)
        self.bucket.currentIndexChanged.connect(self.refresh)

        self.totals = QLabel()
        self.totals.setObjectName("sectionHeading")
        self.totals.setAccessibleName("Balances")
        self.table = RecordTable(HEADERS, "Ledger rows")
        self._layout()
        context.ops.changed.connect(self._on_changed)
        self.refresh()

    def _date_edit(self, name: str, offset_days: int) -> QDateEdit:
        edit = QDateEdit(_to_qdate(date.today() + timedelta(days=offset_days)))  # noqa: DTZ011 (the workstation's date is close enough for a default filter)
        edit.setCalendarPopup(True)
        edit.setDisplayFormat("MM/dd/yyyy")
        edit.setAccessibleName(name)
        edit.dateChanged.connect(self.refresh)
        return edit

    def _layout(self) -> None:
        filters = QHBoxLayout()
        for widget in (self.patient_scope, self.family_scope):
            filters.addWidget(widget)
        filters.addSpacing(16)
        filters.addWidget(self.use_dates)
        filters.addWidget(self.date_from)
        filters.addWidget(QLabel("to"))
        filters.addWidget(self.date_to)
        for text, combo in (("T&ype", self.entry_type), ("&Bucket", self.bucket)):
            label = QLabel(text)
            label.setBuddy(combo)
            filters.addWidget(label)
            filters.addWidget(combo)
        filters.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.totals)
        layout.addLayout(filters)
        layout.addWidget(self.table, 1)
        self.setTabOrder(self.patient_scope, self.family_scope)
        self.setTabOrder(self.family_scope, self.use_dates)
        self.setTabOrder(self.use_dates, self.date_from)
        self.setTabOrder(self.date_from, self.date_to)
        self.setTabOrder(self.date_to, self.entry_type)
        self.setTabOrder(self.entry_type, self.bucket)
        self.setTabOrder(self.bucket, self.table)

    def _dates_toggled(self, checked: bool) -> None:
        self.date_from.setEnabled(checked)
        self.date_to.setEnabled(checked)
        self.refresh()

    def query(self) -> LedgerQuery:
        """Return the query the scope and filters describe."""
        types = self.entry_type.currentData()
        dated = self.use_dates.isChecked()
        return LedgerQuery(
            patient_id=self.patient_id,
            family=self.family_scope.isChecked(),
            date_from=_from_qdate(self.date_from.date()) if dated else None,
            date_to=_from_qdate(self.date_to.date()) if dated else None,
            entry_types=frozenset({types}) if types else frozenset(),
            bucket=self.bucket.currentData(),
        )

    def refresh(self) -> None:
        """Reload the rows in the background; an older result arriving late is dropped."""
        if not self.context.user.signed_in:
            return
        self._request += 1
        request, actor, query = self._request, self.context.actor, self.query()

        def work(session: Session, _progress: Progress) -> LedgerView:
            return ledger_view(session, actor, query)

        run_for(self, self.context, work, lambda view: self._show(request, view))

    def _show(self, request: int, view: LedgerView) -> None:
        if request != self._request:
            return
        self.view = view
        self.totals.setText(totals_text(view))
        self._fill_buckets(view)
        self.table.set_rows([(row.entry_id, row_cells(row)) for row in view.rows])
        self.table.setColumnHidden(PATIENT_COLUMN, view.patient_count <= 1)
        self._paint(view.rows)
        log.debug("ledger tab shows %d rows", len(view.rows))

    def _fill_buckets(self, view: LedgerView) -> None:
        chosen = self.bucket.currentData()
        self.bucket.blockSignals(True)
        self.bucket.clear()
        self.bucket.addItem("All buckets", None)
        for key, label in view.buckets.items():
            self.bucket.addItem(label, key)
        self.bucket.setCurrentIndex(max(0, find_data(self.bucket, chosen)))
        self.bucket.blockSignals(False)

    def _paint(self, rows: list[LedgerRow]) -> None:
        by_id = {row.entry_id: row for row in rows}
        for index in range(self.table.rowCount()):
            first = self.table.item(index, 0)
            row = by_id.get(first.data(ID_ROLE)) if first is not None else None
            if row is None:
                continue
            for column in range(self.table.columnCount()):
                item = self.table.item(index, column)
                if item is None:
                    continue
                if column in AMOUNT_COLUMNS:
                    item.setTextAlignment(RIGHT_ALIGNED)
                if row.reversed or row.entry_type == REVERSAL:
                    item.setForeground(QBrush(QColor(MUTED_COLOR)))
                if row.reversed:
                    font = item.font()
                    font.setStrikeOut(True)
                    item.setFont(font)
                    item.setToolTip(f"{item.text()} (reversed)")

    def _on_changed(self, changes: Changes) -> None:
        if changes.touches(
            ChangeKind.LEDGER, ChangeKind.ENCOUNTERS, ChangeKind.PAYERS, ChangeKind.PATIENTS
        ):
            self.refresh()
