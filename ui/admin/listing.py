"""A tab listing one kind of practice record with Add, Edit and Archive actions."""

import logging
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QPushButton, QVBoxLayout, QWidget
from sqlalchemy.orm import Session

from app.changes import ChangeKind, Changes
from app.progress import Progress
from app.security.permissions import Actor
from ui.admin.common import RecordTable, run_for
from ui.admin.forms import RecordDialog, ask
from ui.context import AppContext

log = logging.getLogger(__name__)


class RecordListTab(QWidget):
    """Lists records of one kind. Subclasses say how to load, show, edit and archive them.

    Every record summary has `id` and `archived`; archived records appear only when
    "Show archived" is ticked, and cannot be edited or archived again.
    """

    kind: ChangeKind
    noun = "record"
    headers: Sequence[str] = ()

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.records: list[Any] = []
        self.table = RecordTable(self.headers, f"{self.noun.capitalize()}s")
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.table.doubleClicked.connect(self.edit_record)
        # Enter opens the selected record too, for keyboard users.
        self.table.installEventFilter(self)
        self.show_archived = QCheckBox("Show &archived")
        self.show_archived.setAccessibleName(f"Show archived {self.noun}s")
        self.show_archived.toggled.connect(self.refresh)
        self.add_button = self._button(f"&Add {self.noun}…", self.add_record)
        self.edit_button = self._button("&Edit…", self.edit_record)
        self.archive_button = self._button("Archi&ve", self.archive_record)
        row = QHBoxLayout()
        for button in (self.add_button, self.edit_button, self.archive_button):
            row.addWidget(button)
        row.addStretch(1)
        row.addWidget(self.show_archived)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.table)
        self._update_buttons()
        context.ops.changed.connect(self._on_changed)
        self.refresh()

    @staticmethod
    def _button(text: str, slot: Any) -> QPushButton:
        button = QPushButton(text)
        button.setAccessibleName(text.replace("&", "").rstrip("…"))
        button.clicked.connect(slot)
        return button

    # ---- what subclasses provide ------------------------------------------------------

    def load(self, session: Session, actor: Actor, include_archived: bool) -> list[Any]:
        """Return the record summaries to list (runs on a worker thread)."""
        raise NotImplementedError

    def cells(self, record: Any) -> list[str]:
        """Return the table cells for one record."""
        raise NotImplementedError

    def make_dialog(self, record: Any | None) -> RecordDialog:
        """Return the add (record None) or edit dialog."""
        raise NotImplementedError

    def archive(self, session: Session, actor: Actor, record_id: Any) -> Any:
        """Archive one record through its service (runs on a worker thread)."""
        raise NotImplementedError

    def describe(self, record: Any) -> str:
        """Return how the confirmation question names `record`."""
        return str(getattr(record, "name", self.noun))

    # ---- shared behavior ------------------------------------------------------------------

    def _on_changed(self, changes: Changes) -> None:
        if changes.touches(self.kind):
            self.refresh()

    def refresh(self) -> None:
        """Reload the records in the background."""
        actor, include_archived = self.context.actor, self.show_archived.isChecked()

        def work(session: Session, _progress: Progress) -> list[Any]:
            return self.load(session, actor, include_archived)

        run_for(self, self.context, work, self._show)

    def _show(self, records: list[Any]) -> None:
        self.records = records
        rows = []
        for record in records:
            cells = self.cells(record)
            if record.archived:
                cells[0] += " (archived)"
            rows.append((record.id, cells))
        self.table.set_rows(rows)
        self._update_buttons()

    def selected_record(self) -> Any | None:
        """Return the summary of the selected row, or None."""
        record_id = self.table.selected_id()
        return next((record for record in self.records if record.id == record_id), None)

    def _update_buttons(self) -> None:
        record = self.selected_record()
        active = record is not None and not record.archived
        self.edit_button.setEnabled(active)
        self.archive_button.setEnabled(active)

    def add_record(self) -> None:
        """Open the dialog for a new record."""
        self.make_dialog(None).open()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        """Open the selected record when Enter is pressed in the table."""
        if watched is self.table and event.type() == QEvent.Type.KeyPress:
            key = event.key()  # type: ignore[attr-defined]
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self.edit_record()
                return True
        return super().eventFilter(watched, event)

    def edit_record(self) -> None:
        """Open the dialog for the selected record."""
        record = self.selected_record()
        if record is not None and not record.archived:
            self.make_dialog(record).open()

    def archive_record(self) -> None:
        """Archive the selected record after asking."""
        record = self.selected_record()
        if record is None or record.archived:
            return
        actor, record_id = self.context.actor, record.id
        question = (
            f"Archive {self.describe(record)}? It disappears from lists and pickers; "
            "records that already use it keep it."
        )

        def archive() -> None:
            run_for(self, self.context, lambda session, _p: self.archive(session, actor, record_id))

        ask(self, f"Archive {self.noun}", question, "Archive", archive)
