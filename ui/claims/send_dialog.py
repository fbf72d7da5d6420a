"""The send dialog: put ready claims into 837P files, then save or upload the files.

"Create files" writes one file per clearinghouse. "Save to outbox" and "Upload now" then
send the files selected in the file table, each in its own transaction, so one failed
upload never stops or undoes the others. Sending a file a second time needs the user's
confirmation, because a payer may reject the claims in it as duplicates.
"""

import logging
import uuid
from pathlib import Path
from typing import Any

from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from app.changes import ChangeKind, Changes
from app.errors import UserError
from app.money import format_money
from app.progress import Progress
from app.services import claim_batches
from ui.admin.common import ID_ROLE, Cell, RecordTable, format_instant, run_for
from ui.admin.forms import ask
from ui.claims.dialog_parts import (
    ItemOutcome,
    ItemQueue,
    ItemWork,
    counted,
    error_text,
    report_unexpected,
    status_label,
)
from ui.claims.send_data import BatchRow, SendOverview, load_batches, load_overview
from ui.context import AppContext

log = logging.getLogger(__name__)

GROUP_HEADERS = ("Clearinghouse", "Ready claims", "Total")
CHOSEN_HEADERS = ("Claim", "Payer", "Date of service", "Amount", "Status")
BATCH_HEADERS = ("File", "Clearinghouse", "Claims", "Total", "Status", "Result")
RESULT_COLUMN = 5
DIALOG_SIZE = (860, 640)
BATCH_STATUS_LABELS = {
    "created": "Not sent",
    "exported": "Saved to outbox",
    "uploaded": "Uploaded",
    "accepted": "Accepted",
    "rejected": "Rejected",
}


class SendClaimsDialog(QDialog):
    """Creates claim files from ready claims and sends them to their clearinghouses.

    `claim_ids` limits the files to those claims (the ones that are ready); None sends
    every ready claim.
    """

    def __init__(
        self,
        context: AppContext,
        claim_ids: list[uuid.UUID] | None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.context = context
        self.claim_ids = claim_ids
        self.overview: SendOverview | None = None
        self.batches: list[BatchRow] = []
        self.new_batch_ids: list[uuid.UUID] = []
        self.results: dict[uuid.UUID, Cell] = {}
        self.setWindowTitle("Send claims")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.resize(*DIALOG_SIZE)
        self.sender_queue: ItemQueue[BatchRow] | None = None
        self._build()
        self.refresh()

    # ---- layout -------------------------------------------------------------------------

    def _build(self) -> None:
        self.summary = QLabel("Loading ready claims…")
        self.summary.setWordWrap(True)
        self.groups = RecordTable(GROUP_HEADERS, "Ready claims per clearinghouse")
        self.groups.setMaximumHeight(140)
        self.chosen = RecordTable(CHOSEN_HEADERS, "Chosen claims")
        self.chosen.setMaximumHeight(160)
        self.chosen_caption = QLabel("<b>Chosen claims</b> (only ready ones go into files)")
        self.problems = status_label("Claims left out")
        self.problems.setStyleSheet("color: #8a5a00;")
        self.create_button = self._button("&Create files", self.create_files)
        self.batch_table = RecordTable(BATCH_HEADERS, "Claim files")
        self.batch_table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.batch_table.itemSelectionChanged.connect(self._update_buttons)
        self.show_earlier = QCheckBox("Show files from the last 30 &days")
        self.show_earlier.toggled.connect(self._show_batches)
        self.outbox_button = self._button("&Save to outbox", self.save_to_outbox)
        self.upload_button = self._button("&Upload now", self.upload_now)
        self.status = status_label("Send status")
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        self._lay_out(close)
        self._update_buttons()

    def _lay_out(self, close: QDialogButtonBox) -> None:
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.groups)
        layout.addWidget(self.chosen_caption)
        layout.addWidget(self.chosen)
        create_row = QHBoxLayout()
        create_row.addWidget(self.create_button)
        create_row.addWidget(self.problems, 1)
        layout.addLayout(create_row)
        files_row = QHBoxLayout()
        files_row.addWidget(QLabel("<b>Claim files</b>"))
        files_row.addStretch(1)
        files_row.addWidget(self.show_earlier)
        layout.addLayout(files_row)
        layout.addWidget(self.batch_table, 1)
        send_row = QHBoxLayout()
        send_row.addWidget(self.outbox_button)
        send_row.addWidget(self.upload_button)
        send_row.addStretch(1)
        layout.addLayout(send_row)
        layout.addWidget(self.status)
        layout.addWidget(close)
        chosen_visible = self.claim_ids is not None
        self.chosen_caption.setVisible(chosen_visible)
        self.chosen.setVisible(chosen_visible)

    @staticmethod
    def _button(text: str, slot: Any) -> QPushButton:
        button = QPushButton(text)
        button.setAccessibleName(text.replace("&", ""))
        button.clicked.connect(slot)
        return button

    # ---- loading ------------------------------------------------------------------------

    def refresh(self) -> None:
        """Reload the ready claims, the chosen claims and the recent files."""
        actor, claim_ids = self.context.actor, self.claim_ids

        def work(session: Session, _progress: Progress) -> SendOverview:
            return load_overview(session, actor, claim_ids)

        run_for(self, self.context, work, self._show_overview, read_only=True)

    def _show_overview(self, overview: SendOverview) -> None:
        self.overview = overview
        self.batches = overview.recent_batches
        group_rows = [
            (group.clearinghouse_id, [
                group.name, str(group.claim_count), format_money(group.total),
            ])
            for group in overview.groups
        ]  # fmt: skip
        self.groups.set_rows(group_rows)
        self.chosen.set_rows([
            (claim.claim_id, [
                claim.claim_number, claim.payer_name, claim.service_date.strftime("%m/%d/%Y"),
                format_money(claim.amount), claim.status_label,
            ])
            for claim in overview.chosen
        ])  # fmt: skip
        self.summary.setText(self._summary_text(overview))
        self._show_batches()

    def _summary_text(self, overview: SendOverview) -> str:
        sendable = [group for group in overview.groups if group.clearinghouse_id is not None]
        count = sum(group.claim_count for group in sendable)
        stuck = sum(group.claim_count for group in overview.groups) - count
        if self.claim_ids is not None:
            # The chosen claims table shows the status of the others.
            text = f"{counted(len(overview.chosen), 'claim')} chosen, {count} ready to send."
        elif count:
            places = counted(len(sendable), "clearinghouse")
            text = f"Ready to send: {counted(count, 'claim')} to {places}."
        else:
            text = "No claims can be sent yet."
        if stuck:
            text += (
                f" {counted(stuck, 'ready claim')} cannot be sent because their payer has no "
                "clearinghouse. Choose one for the payer on Admin > Payers."
            )
        elif not overview.groups and self.claim_ids is None:
            text += " Scrub claims on the Claims page to make them ready."
        return text

    def _show_batches(self) -> None:
        new = set(self.new_batch_ids)
        shown = [
            batch for batch in self.batches
            if batch.batch_id in new or self.show_earlier.isChecked()
        ]  # fmt: skip
        self.batch_table.set_rows([(batch.batch_id, self._batch_cells(batch)) for batch in shown])
        self._update_buttons()

    def _batch_cells(self, batch: BatchRow) -> list[str | Cell]:
        status = BATCH_STATUS_LABELS.get(batch.status, batch.status)
        if batch.sent_at is not None:
            zone = self.overview.zone if self.overview is not None else None
            status += f" {format_instant(batch.sent_at, zone)}"
        result = self.results.get(batch.batch_id, Cell("", ""))
        return [
            Cell(batch.batch_number, batch.file_name),
            batch.clearinghouse_name,
            str(batch.claim_count),
            format_money(batch.total),
            Cell(status, batch.sent_to or status),
            result,
        ]

    def selected_batches(self) -> list[BatchRow]:
        """Return the batches selected in the file table, in table order."""
        rows = sorted({index.row() for index in self.batch_table.selectedIndexes()})
        by_id = {batch.batch_id: batch for batch in self.batches}
        chosen = []
        for row in rows:
            item = self.batch_table.item(row, 0)
            batch = by_id.get(item.data(ID_ROLE)) if item is not None else None
            if batch is not None:
                chosen.append(batch)
        return chosen

    def _update_buttons(self) -> None:
        busy = self.sender_queue is not None and self.sender_queue.running
        chosen = bool(self.batch_table.selectedIndexes())
        ready = self.overview is not None and any(
            group.clearinghouse_id is not None for group in self.overview.groups
        )
        self.create_button.setEnabled(ready and not busy)
        self.outbox_button.setEnabled(chosen and not busy)
        self.upload_button.setEnabled(chosen and not busy)

    # ---- creating files -----------------------------------------------------------------

    def create_files(self) -> None:
        """Write one 837P file per clearinghouse from the ready claims."""
        actor, claim_ids = self.context.actor, self.claim_ids
        self.create_button.setEnabled(False)

        def work(session: Session, _progress: Progress) -> Any:
            return claim_batches.create_batches(session, actor, claim_ids)

        run_for(
            self, self.context, work, self._created, self._create_failed,
            title="Creating claim files…",
        )  # fmt: skip

    def _created(self, result: Any) -> None:
        self.new_batch_ids = list(result.batch_ids) + self.new_batch_ids
        problems = list(getattr(result, "problems", []))
        self.problems.setText("\n".join(problem.message for problem in problems))
        count = len(result.batch_ids)
        self.status.setText(
            f"Created {counted(count, 'claim file')}. Choose Save to outbox or Upload now."
            if count
            else "No claim files were created."
        )
        log.info("send dialog created %d batches, %d left out", count, len(problems))
        self._reload_after_change()

    def _create_failed(self, error: BaseException) -> None:
        report_unexpected(self, error)
        self.status.setText(error_text(error))
        self._update_buttons()

    def _reload_after_change(self) -> None:
        actor, claim_ids = self.context.actor, self.claim_ids
        new_ids = list(self.new_batch_ids)

        def work(session: Session, _progress: Progress) -> tuple[SendOverview, list[BatchRow]]:
            return load_overview(session, actor, claim_ids), load_batches(session, actor, new_ids)

        run_for(self, self.context, work, self._show_reloaded, read_only=True)

    def _show_reloaded(self, loaded: tuple[SendOverview, list[BatchRow]]) -> None:
        overview, new_batches = loaded
        known = {batch.batch_id for batch in new_batches}
        earlier = [batch for batch in overview.recent_batches if batch.batch_id not in known]
        overview.recent_batches[:] = new_batches + earlier
        self._show_overview(overview)
        self.batch_table.clearSelection()
        for batch in new_batches:
            self._select_batch(batch.batch_id)

    def _select_batch(self, batch_id: uuid.UUID) -> None:
        flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
        for row in range(self.batch_table.rowCount()):
            item = self.batch_table.item(row, 0)
            if item is not None and item.data(ID_ROLE) == batch_id:
                index = self.batch_table.model().index(row, 0)
                self.batch_table.selectionModel().select(index, flags)

    # ---- sending ------------------------------------------------------------------------

    def save_to_outbox(self, folder: Path | None = None) -> None:
        """Save the selected files to each clearinghouse's outbox folder.

        Files of a clearinghouse with no outbox folder go to `folder`, or to the folder
        the user picks when `folder` is None.
        """
        batches = self.selected_batches()
        if not batches:
            return
        if folder is None and not all(batch.has_outbox for batch in batches):
            chosen = QFileDialog.getExistingDirectory(self, "Save claim files to")
            if not chosen:
                return
            folder = Path(chosen)
        self._send(batches, _exporter(self.context, folder))

    def upload_now(self) -> None:
        """Upload the selected files to their clearinghouses over SFTP."""
        batches = self.selected_batches()
        if batches:
            self._send(batches, _uploader(self.context))

    def _send(self, batches: list[BatchRow], work: ItemWork[BatchRow]) -> None:
        sent = [batch for batch in batches if batch.sent]
        if not sent:
            self._start_sending(batches, work)
            return
        names = ", ".join(batch.batch_number for batch in sent)
        question = (
            f"These files were sent before: {names}. Sending a file again can make the "
            "payer reject its claims as duplicates. Send only when the clearinghouse says "
            "it never received the file. Send again?"
        )
        ask(self, "Send again?", question, "Send again", lambda: self._start_sending(batches, work))

    def _start_sending(self, batches: list[BatchRow], work: ItemWork[BatchRow]) -> None:
        for batch in batches:
            self.results.pop(batch.batch_id, None)
        self.status.setText(f"Sending {counted(len(batches), 'claim file')}…")
        self.sender_queue = ItemQueue(
            self, self.context, work, self._show_sent, self._all_sent,
            title="Sending claim files…",
            changes=Changes.of(ChangeKind.CLAIMS),
        )  # fmt: skip
        self.sender_queue.start(batches)
        self._update_buttons()

    def _show_sent(self, outcome: ItemOutcome[BatchRow]) -> None:
        batch_id = outcome.item.batch_id
        if outcome.error is None:
            self.results[batch_id] = Cell(str(outcome.result), str(outcome.result))
        else:
            message = error_text(outcome.error)
            self.results[batch_id] = Cell(f"Failed: {message}", message)
            log.warning("sending batch %s failed: %s", batch_id, type(outcome.error).__name__)
        self._show_batches()

    def _all_sent(self, outcomes: list[ItemOutcome[BatchRow]]) -> None:
        failed = [outcome for outcome in outcomes if outcome.error is not None]
        sent = len(outcomes) - len(failed)
        text = f"{sent} of {counted(len(outcomes), 'claim file')} saved or uploaded."
        if failed:
            first = failed[0]
            text += f" {first.item.batch_number} failed: {error_text(first.error)}"  # type: ignore[arg-type]
        self.status.setText(text)
        self._reload_after_change()


def _exporter(context: AppContext, folder: Path | None) -> ItemWork[BatchRow]:
    """Return the work that saves one file to its outbox, or to `folder` when it has none.

    A file sent before goes with resend=True, because the user confirmed the resend.
    """
    actor = context.actor

    def export(session: Session, _progress: Progress, batch: BatchRow) -> str:
        target = None if batch.has_outbox else folder
        path = claim_batches.export_batch(session, actor, batch.batch_id, target, resend=batch.sent)
        return f"Saved to {path}"

    return export


def _uploader(context: AppContext) -> ItemWork[BatchRow]:
    """Return the work that uploads one file.

    A file sent before goes with resend=True, because the user confirmed the resend.
    """
    actor = context.actor

    def upload(session: Session, progress: Progress, batch: BatchRow) -> str:
        if not batch.has_sftp:
            raise UserError(
                f"{batch.clearinghouse_name} has no SFTP host. Set one on Admin > "
                "Clearinghouses, or use Save to outbox and upload the file by hand."
            )
        claim_batches.upload_batch(
            session, actor, batch.batch_id, resend=batch.sent, progress=progress
        )
        return "Uploaded"

    return upload


def open_send_dialog(
    context: AppContext, claim_ids: list[uuid.UUID] | None, parent: QWidget | None = None
) -> SendClaimsDialog:
    """Open the send dialog without blocking and return it."""
    dialog = SendClaimsDialog(context, claim_ids, parent)
    dialog.open()
    return dialog
