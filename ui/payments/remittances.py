"""The Remittances tab: import or fetch 835 files, the remittance list, and the work queues.

An 835 import posts what it can match by the payer's ERA posting mode and leaves the
rest in three queues: Review (a biller approves before posting), Unapplied (no claim
found) and Held (the remittance does not balance). Enter opens the review screen of
the selected claim payment: the claim as billed beside the payer's claim payment, every
adjustment with its group, wording and the action posting will take. Ctrl+P posts.
"""

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from html import escape
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from app.changes import ChangeKind, Changes
from app.errors import UserError
from app.money import format_money
from app.progress import Progress
from app.security.permissions import Permission
from app.services import clearinghouses, eob_entry, era_import, era_queue
from app.services.era_import import RemittanceImport
from app.services.era_queue import QueueRow, RemittanceRow, ReviewDetail
from app.x12.codes_835 import PAYMENT_METHODS
from ui.admin.common import MAX_COLUMN_WIDTH, Cell, RecordTable, run_for
from ui.admin.forms import ERROR_COLOR
from ui.claims.dialog_parts import ItemOutcome, ItemQueue, error_text, report_unexpected
from ui.context import AppContext
from ui.errors import show_error
from ui.payments.common import MoneyTable, fit_columns
from ui.widgets import documents_path

log = logging.getLogger(__name__)

FILE_FILTER = "835 remittances (*.835 *.era *.x12 *.edi *.txt *.dat);;All files (*)"
QUEUE_TITLES = {"review": "Re&view", "unapplied": "&Unapplied", "held": "&Held"}
# "Claim" is ClinicDesk's claim number, which the payer returns as the patient control
# number (CLP01), and "Payer claim #" is the number the payer gave the claim (CLP07).
QUEUE_HEADERS = (
    "Payer",
    "Check/EFT",
    "Patient",
    "Claim",
    "Payer claim #",
    "Service",
    "Charge",
    "Paid",
    "Why",
)
QUEUE_MONEY = ("Charge", "Paid")
# Payer names and reasons run long, so these two share the width the others leave.
QUEUE_STRETCHED = ("Payer", "Why")
LIST_HEADERS = (
    "Imported",
    "Payer",
    "Check/EFT",
    "Method",
    "Amount",
    "Claims",
    "Posted",
    "Review",
    "Unapplied",
    "Status",
    "File",
)
# Payer and file names run long, so these two share the width the others leave.
LIST_STRETCHED = ("Payer", "File")
# The widest a list column other than those grows, room for a 16-digit EFT trace number.
# Longer text, such as a held remittance's problem, shows in full in its tooltip.
LIST_COLUMN_MAX = 150
# Short payment method (BPR04) labels for the list, whose tooltips give PAYMENT_METHODS' full
# names: "Electronic funds transfer (ACH)" alone would push the last columns out of sight.
SHORT_METHODS = {
    "ACH": "EFT (ACH)",
    "BOP": "Bank option",
    "CHK": "Check",
    "FWT": "Wire",
    "NON": "No payment",
}
# Wording comes last, where it stretches, because long CARC wording would otherwise push
# Amount and Posting will out of sight behind a scroll bar.
ADJUSTMENT_HEADERS = (
    "Line",
    "Code",
    "Paid",
    "Group",
    "Reason",
    "Amount",
    "Posting will",
    "Wording",
)
ADJUSTMENT_WORDING = ADJUSTMENT_HEADERS.index("Wording")
POST_KEYS = "Ctrl+P"
WATCHED = (ChangeKind.PAYMENTS, ChangeKind.CLAIMS, ChangeKind.LEDGER)


def import_summary(result: RemittanceImport) -> str:
    """Return one line saying what an 835 file did."""
    if result.error:
        return f"{result.file_name}: {result.error}"
    return (
        f"{result.file_name}: {result.posted} posted ({format_money(result.paid_total)}), "
        f"{result.review} to review, {result.unapplied} unapplied, {result.held} held, "
        f"{result.duplicates} duplicates."
    )


def _date(value: object) -> str:
    return f"{value:%m/%d/%Y}" if value is not None else ""


def _interest_text(interest: Decimal) -> str:
    # The paid amount includes claim interest (AMT*I), which posts to the provider account.
    if not interest:
        return ""
    return f" (of which interest {format_money(interest)}, posted to the practice)"


def _same_name(first: str, second: str) -> bool:
    # Payers send names in capitals, so a difference in case or spacing alone is no difference.
    return " ".join(first.split()).casefold() == " ".join(second.split()).casefold()


def patient_text(detail: ReviewDetail) -> str:
    """Return the review header's patient name, with the payer's spelling where it differs.

    A matched claim names our patient as lists show it, followed by the 835's spelling
    only when that differs, such as "Rivera, Ana (payer sent RIVERA, ANA M)". Without
    a match the payer's spelling is all there is, so it is labeled as the payer's.
    """
    payer_spelling = detail.patient_name
    matched_name = detail.claim_patient_name
    if matched_name is None:
        return f"{payer_spelling} (as the payer sent it)"
    if _same_name(matched_name, payer_spelling) or not payer_spelling:
        return matched_name
    return f"{matched_name} (payer sent {payer_spelling})"


def _method_cell(code: str) -> Cell:
    # The short label keeps the column narrow, and the tooltip gives the full name.
    label = PAYMENT_METHODS.get(code, code)
    return Cell(SHORT_METHODS.get(code, label), label)


def _list_cells(row: RemittanceRow) -> list[str | Cell]:
    status = f"{row.status}: {row.problem}" if row.problem else row.status
    return [
        _date(row.received_at), row.payer_name, row.trace_number,
        _method_cell(row.payment_method),
        format_money(row.payment_amount), str(row.claims), str(row.posted), str(row.review),
        str(row.unapplied), status, row.file_name or row.source,
    ]  # fmt: skip


def _queue_cells(row: QueueRow) -> list[str | Cell]:
    number = row.claim_number or row.patient_control_number
    patient: str | Cell = row.patient_name
    claim: str | Cell = number
    if row.claim_id is None:
        # Unmatched, so both are the payer's text: the name as the 835 spells it, and the
        # claim number it returned, which no claim in ClinicDesk has.
        patient = Cell(row.patient_name, f"{row.patient_name}: the name as the payer sent it")
        claim = Cell(number, f"{number}: the claim number the payer returned, which no claim has")
    return [
        row.payer_name, row.trace_number, patient, claim, row.payer_claim_number or "",
        _date(row.service_date), format_money(row.charge), format_money(row.paid), row.reason,
    ]  # fmt: skip


def queue_table(state: str, title: str) -> MoneyTable:
    """Return the table of one queue, money right-aligned and no column past the edge."""
    table = MoneyTable(QUEUE_HEADERS, f"{title.replace('&', '')} queue", QUEUE_MONEY)
    table.setObjectName(f"{state}Queue")
    header = table.horizontalHeader()
    for name in QUEUE_STRETCHED:
        header.setSectionResizeMode(QUEUE_HEADERS.index(name), QHeaderView.ResizeMode.Stretch)
    return table


class RemittanceList(MoneyTable):
    """The remittance list, sized so that every column is in sight in a 1280x720 window."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(LIST_HEADERS, "Remittances", ("Amount",), parent)
        self.setObjectName("remittanceList")
        header = self.horizontalHeader()
        for name in LIST_STRETCHED:
            header.setSectionResizeMode(LIST_HEADERS.index(name), QHeaderView.ResizeMode.Stretch)

    def set_rows(self, rows: Sequence[tuple[object, Sequence[str | Cell]]]) -> None:
        """Replace the rows (see RecordTable.set_rows) and fit the other columns tightly."""
        super().set_rows(rows)
        stretched = {LIST_HEADERS.index(name) for name in LIST_STRETCHED}
        fit_columns(self, stretched, LIST_COLUMN_MAX)


@dataclass(frozen=True, slots=True)
class Loaded:
    """The remittance list and the three queues, read together."""

    remittances: list[RemittanceRow]
    queues: dict[str, list[QueueRow]]


class ReviewDialog(QDialog):
    """A claim payment beside the claim as billed, with Post, Match to claim and Set aside."""

    def __init__(
        self, context: AppContext, detail: ReviewDetail, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("reviewDialog")
        self.setWindowTitle(f"Review payment: {detail.claim_patient_name or detail.patient_name}")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.context = context
        self.detail = detail
        self.claim_id: uuid.UUID | None = detail.claim_id
        self.result_text = ""
        self._build()
        self.resize(1200, 640)

    def _build(self) -> None:
        detail = self.detail
        header = QLabel(
            f"<b>{escape(detail.payer_name)}</b> · check/EFT {escape(detail.trace_number)} · "
            f"{_date(detail.payment_date)}<br>Patient {escape(patient_text(detail))} · member "
            f"{escape(detail.member_id)} · account {escape(detail.patient_control_number)} · "
            f"status {escape(detail.status_code)} {escape(detail.status_label)}<br>"
            f"Charge {format_money(detail.charge)} · paid {format_money(detail.paid)}"
            f"{_interest_text(detail.interest)} · patient "
            f"responsibility {format_money(detail.patient_responsibility)}"
        )
        header.setObjectName("reviewHeader")
        header.setWordWrap(True)
        self.reason = QLabel(f"Why it waits: {detail.reason}" if detail.reason else "")
        self.reason.setWordWrap(True)
        self.reason.setStyleSheet(f"color: {ERROR_COLOR};")

        billed = RecordTable(("Line", "Date", "Code", "Units", "Charge"), "Claim as billed")
        billed.setObjectName("billedLines")
        billed.set_rows(
            [
                (line.claim_line_id, [str(line.line_number), _date(line.service_date),
                 "-".join((line.procedure_code, *line.modifiers)), str(line.units),
                 format_money(line.charge)])
                for line in detail.billed_lines
            ]
        )  # fmt: skip
        # Charge is last and stretches, so it is left out of the fitting.
        fit_columns(billed, {billed.columnCount() - 1}, MAX_COLUMN_WIDTH)
        claim_title = "<b>No claim matched</b>: use Match to claim to choose one."
        if detail.claim_number:
            status = escape(detail.claim_status or "")
            claim_title = f"<b>Claim {escape(detail.claim_number)}</b> as billed ({status})"
        self.adjustments = RecordTable(ADJUSTMENT_HEADERS, "Remittance adjustments")
        self.adjustments.setObjectName("remittanceAdjustments")
        self.adjustments.set_rows(self._adjustment_rows())
        fit_columns(self.adjustments, {ADJUSTMENT_WORDING}, MAX_COLUMN_WIDTH)
        remarks = [f"{remark.code} {remark.description}".strip() for remark in detail.remarks]
        for service in detail.services:
            remarks += [f"{remark.code} {remark.description}".strip() for remark in service.remarks]
        extra = []
        if remarks:
            extra.append("Remarks: " + "; ".join(dict.fromkeys(remarks)))
        extra += [f"Does not balance: {problem}" for problem in detail.balance_problems]
        self.notes = QLabel("\n".join(extra))
        self.notes.setWordWrap(True)

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.addWidget(QLabel(claim_title))
        left_layout.addWidget(billed)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.addWidget(QLabel("<b>What the remittance says</b>"))
        right_layout.addWidget(self.adjustments)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setStretchFactor(1, 2)
        splitter.setSizes([400, 800])

        self._build_buttons()
        layout = QVBoxLayout(self)
        layout.addWidget(header)
        layout.addWidget(self.reason)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.notes)
        layout.addWidget(self.claim_number)
        layout.addWidget(self.note)
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)

    def _build_buttons(self) -> None:
        detail = self.detail
        self.claim_number = QLineEdit()
        self.claim_number.setObjectName("matchClaimNumber")
        self.claim_number.setPlaceholderText("Claim number")
        self.claim_number.setAccessibleName("Claim number to match")
        self.claim_number.setVisible(False)
        self.note = QLineEdit()
        self.note.setObjectName("setAsideNote")
        self.note.setPlaceholderText(
            "Why it is set aside, such as: not our patient, refund requested"
        )
        self.note.setAccessibleName("Set aside note")
        self.note.setVisible(False)
        self.problem = QLabel()
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet(f"color: {ERROR_COLOR};")

        self.buttons = QDialogButtonBox()
        self.post_button = self.buttons.addButton(
            "&Post (Ctrl+P)", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.match_button = self.buttons.addButton(
            "&Match to claim…", QDialogButtonBox.ButtonRole.ActionRole
        )
        self.aside_button = self.buttons.addButton(
            "&Set aside…", QDialogButtonBox.ButtonRole.ActionRole
        )
        close = self.buttons.addButton(QDialogButtonBox.StandardButton.Close)
        close.clicked.connect(self.reject)
        self.post_button.clicked.connect(self.post)
        self.match_button.clicked.connect(self.ask_claim)
        self.aside_button.clicked.connect(self.ask_note)
        self.claim_number.returnPressed.connect(self.match)
        self.note.returnPressed.connect(self.set_aside)
        # Posting changes claims, so it needs claim permission as well as payment permission.
        self.can_post = self.context.can(Permission.CLAIM_MANAGE)
        self.post_button.setEnabled(
            self.can_post and detail.claim_id is not None and not detail.remittance_held
        )
        self.post_button.setDefault(True)
        post = QAction("Post", self)
        post.setShortcut(QKeySequence(POST_KEYS))
        post.triggered.connect(self.post)
        self.addAction(post)

    def _adjustment_rows(self) -> list[tuple[object, list[str]]]:
        rows: list[tuple[object, list[str]]] = []
        for adjustment in self.detail.adjustments:
            rows.append((len(rows), self._adjustment_cells("Claim", "", "", adjustment)))
        for service in self.detail.services:
            line = str(service.matched_line_number or "?")
            code = "-".join((service.procedure_code, *service.modifiers))
            if not service.adjustments:
                rows.append(
                    (
                        len(rows),
                        [
                            line,
                            code,
                            format_money(service.paid),
                            "",
                            "",
                            "",
                            "Post the payment",
                            "",
                        ],
                    )
                )
            for adjustment in service.adjustments:
                rows.append(
                    (
                        len(rows),
                        self._adjustment_cells(line, code, format_money(service.paid), adjustment),
                    )
                )
        return rows

    @staticmethod
    def _adjustment_cells(
        line: str, code: str, paid: str, adjustment: era_queue.AdjustmentRow
    ) -> list[str]:
        group = f"{adjustment.group_code}: {adjustment.group_label}"
        wording = adjustment.description or "(wording not imported)"
        amount = format_money(adjustment.amount)
        return [
            line,
            code,
            paid,
            group,
            adjustment.reason_code,
            amount,
            adjustment.action_label,
            wording,
        ]

    # ---- actions ------------------------------------------------------------------------

    def post(self) -> None:
        """Post the claim payment on its claim (or the claim chosen with Match to claim)."""
        if not self.post_button.isEnabled():
            return
        actor, row_id, claim_id = self.context.actor, self.detail.remittance_claim_id, self.claim_id
        chosen = claim_id if claim_id != self.detail.claim_id else None

        def work(session: Session, _progress: Progress) -> object:
            return era_queue.post_reviewed(session, actor, row_id, chosen)

        self._run(work, "Posted.")

    def ask_claim(self) -> None:
        """Show the claim number box for choosing the claim of an unapplied payment."""
        self.claim_number.setVisible(True)
        self.claim_number.setFocus()

    def match(self) -> None:
        """Look up the claim number typed, then post the payment on that claim."""
        number = self.claim_number.text().strip()
        if not number:
            return
        actor = self.context.actor

        def work(session: Session, _progress: Progress) -> uuid.UUID:
            return eob_entry.find_eob_claim(session, actor, number).claim_id

        def found(claim_id: uuid.UUID) -> None:
            self.claim_id = claim_id
            self.post_button.setEnabled(self.can_post and not self.detail.remittance_held)
            self.post()

        run_for(self, self.context, work, found, self._failed)

    def ask_note(self) -> None:
        """Show the note box for setting the payment aside."""
        self.note.setVisible(True)
        self.note.setFocus()

    def set_aside(self) -> None:
        """Leave the payment unapplied with the note typed."""
        actor, row_id, note = self.context.actor, self.detail.remittance_claim_id, self.note.text()

        def work(session: Session, _progress: Progress) -> Changes:
            return era_queue.set_aside(session, actor, row_id, note)

        self._run(work, "Set aside: the payment waits in the Unapplied queue with your note.")

    def _run(self, work: object, done: str) -> None:
        self.buttons.setEnabled(False)

        def finished(_result: object) -> None:
            self.result_text = done
            self.accept()

        run_for(self, self.context, work, finished, self._failed, title="Saving")  # type: ignore[arg-type]

    def _failed(self, error: BaseException) -> None:
        self.buttons.setEnabled(True)
        if isinstance(error, UserError):
            self.problem.setText(str(error))
        else:
            show_error(self, error)


def _start_text(can_post: bool) -> str:
    if can_post:
        return "Import an 835 file from the clearinghouse, or fetch new ones."
    return "Billers import and post remittances; you can look at them here."


class RemittancesTab(QWidget):
    """Import and fetch 835 files, list remittances, and work the three queues."""

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("remittancesTab")
        self.context = context
        self.loaded = Loaded([], {state: [] for state in QUEUE_TITLES})
        self.dialog: QDialog | None = None
        self.fetch_queue: ItemQueue[uuid.UUID] | None = None
        self.fetch_lines: list[str] = []

        self.import_button = QPushButton("&Import 835…")
        self.import_button.setObjectName("import835")
        self.import_button.clicked.connect(self.choose_file)
        self.fetch_button = QPushButton("&Fetch from clearinghouse")
        self.fetch_button.clicked.connect(self.fetch)
        # Importing and posting change claims, so the front desk gets the list and queues only.
        self.can_post = context.can(Permission.CLAIM_MANAGE)
        for button in (self.import_button, self.fetch_button):
            button.setVisible(self.can_post)
        self.summary = QLabel(_start_text(self.can_post))
        self.summary.setObjectName("remittanceSummary")
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.pages = QTabWidget()
        self.list = RemittanceList()
        self.pages.addTab(self.list, "&Remittances")
        self.queues: dict[str, RecordTable] = {}
        for state, title in QUEUE_TITLES.items():
            table = queue_table(state, title)
            table.installEventFilter(self)
            table.doubleClicked.connect(lambda _index, s=state: self.open_review(s))
            self.queues[state] = table
            self.pages.addTab(table, title)
        self.empty = QLabel("No remittances yet.")
        self.empty.setObjectName("subtleText")
        post = QAction("Post the selected payment", self)
        post.setShortcut(QKeySequence(POST_KEYS))
        post.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        post.triggered.connect(self.post_current)
        self.addAction(post)

        row = QHBoxLayout()
        row.addWidget(self.import_button)
        row.addWidget(self.fetch_button)
        row.addStretch(1)
        hint = QLabel("Enter: review the selected payment · Ctrl+P: post it")
        hint.setObjectName("subtleText")
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.summary)
        layout.addWidget(self.pages, 1)
        layout.addWidget(self.empty)
        layout.addWidget(hint)
        context.ops.changed.connect(self._on_changed)
        self.refresh()

    # ---- loading ------------------------------------------------------------------------

    def _on_changed(self, changes: Changes) -> None:
        if changes.touches(*WATCHED):
            self.refresh()

    def refresh(self) -> None:
        """Reload the list and the queues in the background."""
        if not self.context.user.signed_in:
            return
        actor = self.context.actor

        def work(session: Session, _progress: Progress) -> Loaded:
            remittances = era_queue.remittance_list(session, actor)
            queues = {state: era_queue.queue(session, actor, state) for state in QUEUE_TITLES}
            return Loaded(remittances, queues)

        run_for(self, self.context, work, self._show, read_only=True)

    def _show(self, loaded: Loaded) -> None:
        self.loaded = loaded
        self.list.set_rows([(row.remittance_id, _list_cells(row)) for row in loaded.remittances])
        for state, table in self.queues.items():
            rows = loaded.queues.get(state, [])
            table.set_rows([(row.remittance_claim_id, _queue_cells(row)) for row in rows])
            index = self.pages.indexOf(table)
            self.pages.setTabText(index, f"{QUEUE_TITLES[state]} ({len(rows)})")
        self.empty.setVisible(not loaded.remittances)

    # ---- importing ----------------------------------------------------------------------

    def choose_file(self) -> None:
        """Ask for an 835 file, starting in Documents, and import it."""
        name, _filter = QFileDialog.getOpenFileName(
            self, "Import an 835 remittance", documents_path(), FILE_FILTER
        )
        if name:
            self.import_file(Path(name))

    def import_file(self, path: Path) -> None:
        """Import one 835 file with a progress window, then show what it did."""
        actor = self.context.actor
        self._set_busy(True)

        def work(session: Session, _progress: Progress) -> RemittanceImport:
            return era_import.import_835_file(session, actor, path)

        run_for(
            self, self.context, work, self._imported, self._import_failed, title="Importing the 835"
        )

    def _imported(self, result: RemittanceImport) -> None:
        self._set_busy(False)
        lines = [import_summary(result), *result.messages]
        self._show_summary("\n".join(lines), error=False)
        # Show the queue that needs the biller first: held, then review, then unapplied.
        counts = {"held": result.held, "review": result.review, "unapplied": result.unapplied}
        waiting = [state for state, count in counts.items() if count]
        if waiting:
            self.pages.setCurrentWidget(self.queues[waiting[0]])

    def _import_failed(self, error: BaseException) -> None:
        self._set_busy(False)
        report_unexpected(self, error)
        self._show_summary(error_text(error), error=True)

    def _show_summary(self, text: str, *, error: bool) -> None:
        self.summary.setText(text)
        self.summary.setStyleSheet(f"color: {ERROR_COLOR};" if error else "")

    def _set_busy(self, busy: bool) -> None:
        self.import_button.setEnabled(not busy)
        self.fetch_button.setEnabled(not busy)

    def fetch(self) -> None:
        """Download and import new 835 files from every clearinghouse with an SFTP host."""
        actor = self.context.actor

        def work(session: Session, _progress: Progress) -> list[uuid.UUID]:
            records = clearinghouses.list_clearinghouses(session, actor)
            return [record.id for record in records if record.sftp_host and record.id is not None]

        self._set_busy(True)
        run_for(self, self.context, work, self._fetch_from, self._import_failed, read_only=True)

    def _fetch_from(self, clearinghouse_ids: list[uuid.UUID]) -> None:
        if not clearinghouse_ids:
            self._set_busy(False)
            self._show_summary(
                "No clearinghouse has an SFTP host. Set one on Admin > Clearinghouses, or "
                "download the 835 files from the clearinghouse's website and use Import 835.",
                error=False,
            )
            return
        actor = self.context.actor
        self.fetch_lines = []

        def work(
            session: Session, _progress: Progress, clearinghouse_id: uuid.UUID
        ) -> list[RemittanceImport]:
            return era_import.fetch_remittances(session, actor, clearinghouse_id)

        self.fetch_queue = ItemQueue(
            self, self.context, work, self._fetched, self._fetch_done,
            title="Fetching remittances", changes=Changes.of(*WATCHED),
        )  # fmt: skip
        self.fetch_queue.start(clearinghouse_ids)

    def _fetched(self, outcome: ItemOutcome[uuid.UUID]) -> None:
        if outcome.error is not None:
            self.fetch_lines.append(error_text(outcome.error))
            return
        self.fetch_lines += [import_summary(result) for result in outcome.result]

    def _fetch_done(self, _outcomes: list[ItemOutcome[uuid.UUID]]) -> None:
        self._set_busy(False)
        self._show_summary("\n".join(self.fetch_lines) or "No new remittances.", error=False)

    # ---- the queues ---------------------------------------------------------------------

    def current_queue(self) -> str | None:
        """Return the queue whose page is shown, or None on the remittance list."""
        widget = self.pages.currentWidget()
        return next((state for state, table in self.queues.items() if table is widget), None)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        """Open the review screen when Enter is pressed in a queue."""
        if event.type() == QEvent.Type.KeyPress and watched in self.queues.values():
            key = event.key()  # type: ignore[attr-defined]
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                state = self.current_queue()
                if state is not None:
                    self.open_review(state)
                return True
        return super().eventFilter(watched, event)

    def open_review(self, state: str) -> None:
        """Open the review screen of the selected payment in queue `state`."""
        row_id = self.queues[state].selected_id()
        if row_id is None:
            return
        actor = self.context.actor

        def work(session: Session, _progress: Progress) -> ReviewDetail:
            return era_queue.review_detail(session, actor, row_id)

        run_for(self, self.context, work, self._open_dialog)

    def _open_dialog(self, detail: ReviewDetail) -> None:
        dialog = ReviewDialog(self.context, detail, self)
        dialog.accepted.connect(lambda: self._show_summary(dialog.result_text, error=False))
        self.dialog = dialog
        dialog.open()

    def post_current(self) -> None:
        """Post the selected payment of the queue shown (Ctrl+P).

        A held remittance does not balance, so Ctrl+P there opens the review screen, which
        shows the biller the problem before posting.
        """
        state = self.current_queue()
        if state is None or not self.can_post:
            return
        if state == "held":
            self.open_review(state)
            return
        row_id = self.queues[state].selected_id()
        if row_id is None:
            return
        actor = self.context.actor

        def work(session: Session, _progress: Progress) -> object:
            return era_queue.post_reviewed(session, actor, row_id)

        run_for(
            self, self.context, work,
            lambda _result: self._show_summary("Posted.", error=False),
            self._import_failed, title="Posting",
        )  # fmt: skip

    # ---- page hooks ---------------------------------------------------------------------

    def clear_data(self) -> None:
        """Remove every row from the screen (the screen locks or the user signs out)."""
        self._show(Loaded([], {state: [] for state in QUEUE_TITLES}))
        self.summary.clear()

    def handle_changes(self, changes: Changes) -> None:
        """Reload after payments, claims or the ledger change."""
        self._on_changed(changes)
