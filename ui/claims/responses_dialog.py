"""The responses dialog: fetch 999 and 277CA files from the clearinghouses, or import one.

Each clearinghouse and each file runs in its own transaction, so one unreachable server
or one unreadable file never stops or undoes the others. The table lists one row per
file with what it changed.
"""

import logging
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from app.changes import ChangeKind, Changes
from app.errors import UserError
from app.ids import new_id
from app.progress import Progress
from app.services import claim_batches, clearinghouses, x12_responses
from app.x12.segments import decode_x12_bytes
from ui.admin.common import Cell, RecordTable, run_for
from ui.claims.dialog_parts import (
    ItemOutcome,
    ItemQueue,
    counted,
    error_text,
    report_unexpected,
    status_label,
)
from ui.context import AppContext
from ui.widgets import documents_path

log = logging.getLogger(__name__)

HEADERS = ("File", "Kind", "Accepted", "Rejected", "Unmatched", "Errors")
DIALOG_SIZE = (820, 480)
FILE_FILTER = "X12 responses (*.999 *.277 *.x12 *.edi *.txt *.dat);;All files (*)"
# An estimate: a 999 or 277CA for a large batch is a few megabytes, so a file far larger
# is something else.
MAX_RESPONSE_BYTES = 50 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class ResultRow:
    """One line of the result table: a file imported, or a source that failed."""

    file_name: str
    kind: str
    accepted: int
    rejected: int
    unmatched: tuple[str, ...]
    error: str
    summary: str


@dataclass(frozen=True, slots=True)
class Source:
    """A clearinghouse to fetch from, or a file on disk to import."""

    label: str
    clearinghouse_id: uuid.UUID | None = None
    path: Path | None = None


class FetchResponsesDialog(QDialog):
    """Fetches responses from every clearinghouse with SFTP, or imports files from disk."""

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.rows: list[tuple[uuid.UUID, ResultRow]] = []
        self.queue: ItemQueue[Source] | None = None
        self.setWindowTitle("Clearinghouse responses")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.resize(*DIALOG_SIZE)
        self._build()

    def _build(self) -> None:
        self.check_button = QPushButton("&Check for responses")
        self.check_button.setToolTip("Download new 999 and 277CA files from each clearinghouse")
        self.check_button.clicked.connect(self.check_for_responses)
        self.import_button = QPushButton("&Import file…")
        self.import_button.setToolTip("Read a 999 or 277CA file saved from a clearinghouse website")
        self.import_button.clicked.connect(self.choose_files)

        self.table = RecordTable(HEADERS, "Response files")
        self.table.itemSelectionChanged.connect(self._show_details)
        self.details = status_label("Selected file details")
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.status = status_label("Response status")

        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)

        buttons = QHBoxLayout()
        buttons.addWidget(self.check_button)
        buttons.addWidget(self.import_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(buttons)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.details)
        layout.addWidget(self.status)
        layout.addWidget(close)

    # ---- starting -----------------------------------------------------------------------

    def check_for_responses(self) -> None:
        """Fetch new response files from each clearinghouse that has an SFTP host."""
        actor = self.context.actor

        def work(session: Session, _progress: Progress) -> list[Source]:
            records = clearinghouses.list_clearinghouses(session, actor)
            return [
                Source(record.name, clearinghouse_id=record.id)
                for record in records
                if record.sftp_host
            ]

        self._set_busy(True)
        run_for(self, self.context, work, self._fetch_from, self._failed, read_only=True)

    def _fetch_from(self, sources: list[Source]) -> None:
        if not sources:
            self._set_busy(False)
            self.status.setText(
                "No clearinghouse has an SFTP host. Set one on Admin > Clearinghouses, or "
                "download the files from the clearinghouse's website and use Import file."
            )
            return
        self._run(sources, "Checking for responses…")

    def choose_files(self) -> None:
        """Ask for response files on disk and import them."""
        names, _filter = QFileDialog.getOpenFileNames(
            self, "Import 999 or 277CA files", documents_path(), FILE_FILTER
        )
        if names:
            self.import_files([Path(name) for name in names])

    def import_files(self, paths: list[Path]) -> None:
        """Import each file in `paths` as a 999 or 277CA response."""
        self._set_busy(True)
        self._run([Source(path.name, path=path) for path in paths], "Importing responses…")

    def _run(self, sources: list[Source], title: str) -> None:
        self.status.setText(title)
        self.queue = ItemQueue(
            self, self.context, _work_for(self.context), self._show_outcome, self._finished,
            title=title,
            changes=Changes.of(ChangeKind.CLAIMS),
        )  # fmt: skip
        self.queue.start(sources)

    # ---- results ------------------------------------------------------------------------

    def _show_outcome(self, outcome: ItemOutcome[Source]) -> None:
        if outcome.error is not None:
            message = error_text(outcome.error)
            log.warning("a response source failed: %s", type(outcome.error).__name__)
            self._add(ResultRow(outcome.item.label, "", 0, 0, (), message, message))
        else:
            for imported in outcome.result:
                self._add(_result_row(imported))
        self._show_rows()

    def _add(self, row: ResultRow) -> None:
        self.rows.insert(0, (new_id(), row))

    def _show_rows(self) -> None:
        table_rows = []
        for row_id, row in self.rows:
            cells: list[str | Cell] = [Cell(row.file_name, row.summary or row.file_name), row.kind]
            if row.error:
                # A file that failed changed nothing, so its counts stay blank rather than 0.
                # The column is too narrow for most reasons, so the tooltip shows all of it.
                cells += ["", "", "", Cell(row.error, row.error)]
            else:
                unmatched = Cell(str(len(row.unmatched)), ", ".join(row.unmatched) or "None")
                cells += [str(row.accepted), str(row.rejected), unmatched, ""]
            table_rows.append((row_id, cells))
        self.table.set_rows(table_rows)
        self._show_details()

    def _show_details(self) -> None:
        """Show the whole summary, error and unmatched claim numbers of the selected file."""
        selected = self.table.selected_id()
        row = next((row for row_id, row in self.rows if row_id == selected), None)
        if row is None:
            self.details.clear()
            return
        parts = [f"{row.file_name}: {row.error or row.summary}"]
        if row.unmatched:
            parts.append(f"Claim numbers not found: {', '.join(row.unmatched)}.")
        self.details.setText(" ".join(parts))

    def _finished(self, outcomes: list[ItemOutcome[Source]]) -> None:
        self._set_busy(False)
        files = sum(len(outcome.result) for outcome in outcomes if outcome.error is None)
        failed = sum(1 for outcome in outcomes if outcome.error is not None)
        text = f"{counted(files, 'response file')} read." if files else "No new response files."
        if failed:
            text += f" {failed} could not be read. Select a file to see the whole reason above."
        self.status.setText(text)

    def _failed(self, error: BaseException) -> None:
        self._set_busy(False)
        report_unexpected(self, error)
        self.status.setText(error_text(error))

    def _set_busy(self, busy: bool) -> None:
        self.check_button.setEnabled(not busy)
        self.import_button.setEnabled(not busy)


def _work_for(context: AppContext) -> Any:
    """Return the work that fetches from one clearinghouse or imports one file."""
    actor = context.actor

    def work(session: Session, _progress: Progress, source: Source) -> list[Any]:
        if source.clearinghouse_id is not None:
            return list(claim_batches.fetch_responses(session, actor, source.clearinghouse_id))
        assert source.path is not None
        text = read_response_file(source.path)
        return [x12_responses.import_response(session, actor, text, source.path.name)]

    return work


def read_response_file(path: Path) -> str:
    """Return the text of a response file, or raise UserError saying why it cannot be read."""
    try:
        size = path.stat().st_size
        if size > MAX_RESPONSE_BYTES:
            raise UserError(
                f"{path.name} is {size // (1024 * 1024)} MB, too large for a 999 or 277CA "
                "response. Check that you chose the file the clearinghouse sent."
            )
        data = path.read_bytes()
    except OSError as error:
        raise UserError(
            f"Could not read {path}: {error.strerror or error}. Check that the file exists "
            "and that you may open it."
        ) from error
    return decode_x12_bytes(data)


def _result_row(imported: Any) -> ResultRow:
    """Return the table row of one ResponseImport (or of a failed file in a fetch)."""
    error = getattr(imported, "error", None) or ""
    return ResultRow(
        file_name=imported.file_name,
        kind=imported.kind or "",
        accepted=imported.accepted,
        rejected=imported.rejected,
        unmatched=tuple(imported.unmatched),
        error=str(error),
        summary=imported.summary,
    )


def open_responses_dialog(
    context: AppContext, parent: QWidget | None = None
) -> FetchResponsesDialog:
    """Open the responses dialog without blocking and return it."""
    dialog = FetchResponsesDialog(context, parent)
    dialog.open()
    return dialog
