"""The check before a new patient's first save: records that may be the same person.

`make_duplicate_check` returns a hook for the registration form. It runs the likely
duplicates service through the operation runner, and when there are matches it shows
`DuplicateCheckDialog`. The user opens an existing record, saves a new one anyway
(the shown matches are then recorded as different people), or goes back to the form.
"""

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from PySide6.QtCore import QEventLoop, Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from app.contact import display_phone
from app.progress import Progress
from app.services.duplicates import DuplicateMatch, likely_duplicates, record_new_patient_decisions
from app.services.patient_forms import PatientForm
from ui.context import AppContext
from ui.errors import show_error

log = logging.getLogger(__name__)


class DuplicateAction(StrEnum):
    """What the user chose in the duplicate check."""

    OPEN_EXISTING = "open_existing"
    SAVE_NEW = "save_new"
    GO_BACK = "go_back"


@dataclass(frozen=True, slots=True)
class DuplicateChoice:
    """The user's choice: the record to open, or the matches dismissed by saving anyway."""

    action: DuplicateAction
    patient_id: uuid.UUID | None = None
    dismissed_ids: list[uuid.UUID] = field(default_factory=list)


def match_text(match: DuplicateMatch) -> str:
    """Return one list entry: who the record is, then why it may be the same person."""
    details = [f"born {match.date_of_birth:%m/%d/%Y}", f"chart {match.chart_number}"]
    if match.phone:
        details.append(display_phone(match.phone))
    reasons = "; ".join(match.reasons)
    return f"{match.display_name} — {', '.join(details)} — score {match.score}\n    {reasons}"


class DuplicateCheckDialog(QDialog):
    """Lists possible duplicates. Arrows move, Enter opens the record, Esc goes back."""

    def __init__(self, matches: list[DuplicateMatch], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("duplicateCheckDialog")
        self.setWindowTitle("Possible duplicate records")
        self.matches = matches
        self.choice = DuplicateChoice(DuplicateAction.GO_BACK)

        records = "existing record" if len(matches) == 1 else "existing records"
        intro = QLabel(
            f"{len(matches)} {records} may be this patient. Open the right record "
            "instead of registering the patient twice."
        )
        intro.setWordWrap(True)
        self.list = QListWidget()
        self.list.setAccessibleName("Possible duplicate records")
        for match in matches:
            item = QListWidgetItem(match_text(match))
            item.setData(Qt.ItemDataRole.UserRole, match.patient_id)
            self.list.addItem(item)
        self.list.setCurrentRow(0)
        self.list.itemActivated.connect(lambda _item: self.open_selected())

        buttons = QDialogButtonBox()
        self.open_button = QPushButton("&Open existing record")
        self.open_button.setDefault(True)
        self.save_button = QPushButton("&Different person, save new")
        self.back_button = QPushButton("&Go back")
        buttons.addButton(self.open_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(self.save_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.back_button, QDialogButtonBox.ButtonRole.RejectRole)
        self.open_button.clicked.connect(self.open_selected)
        self.save_button.clicked.connect(self.save_new)
        self.back_button.clicked.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.list, 1)
        layout.addWidget(buttons)
        self.resize(720, 360)
        self.list.setFocus()

    def open_selected(self) -> None:
        """Choose the highlighted record and close."""
        if self.list.currentRow() < 0:
            return
        patient_id = self.list.currentItem().data(Qt.ItemDataRole.UserRole)
        self.choice = DuplicateChoice(DuplicateAction.OPEN_EXISTING, patient_id=patient_id)
        self.accept()

    def save_new(self) -> None:
        """Save the new patient; every listed record becomes a "different person"."""
        dismissed = [match.patient_id for match in self.matches]
        self.choice = DuplicateChoice(DuplicateAction.SAVE_NEW, dismissed_ids=dismissed)
        self.accept()

    def reject(self) -> None:
        """Go back to the form (Esc)."""
        self.choice = DuplicateChoice(DuplicateAction.GO_BACK)
        super().reject()


def find_matches(
    context: AppContext, form: PatientForm, parent: QWidget | None
) -> list[DuplicateMatch] | None:
    """Run the likely-duplicates service off the GUI thread and wait for it; None on failure.

    The hook must return before the form goes on, so a local event loop waits while the
    window keeps repainting.
    """
    actor = context.actor
    outcome: dict[str, object] = {}
    loop = QEventLoop()

    def work(session: Session, _progress: Progress) -> list[DuplicateMatch]:
        return likely_duplicates(session, actor, form)

    def done(matches: list[DuplicateMatch]) -> None:
        outcome["matches"] = matches
        loop.quit()

    def failed(error: BaseException) -> None:
        outcome["error"] = error
        loop.quit()

    context.ops.run(work, on_done=done, on_error=failed, read_only=True, parent=parent)
    if not outcome:
        loop.exec()
    error = outcome.get("error")
    if isinstance(error, BaseException):
        log.warning("duplicate check failed: %s", type(error).__name__)
        show_error(parent, error)
        return None
    matches = outcome["matches"]
    assert isinstance(matches, list)
    return matches


def make_duplicate_check(
    context: AppContext, parent: QWidget | None
) -> Callable[[PatientForm], DuplicateChoice]:
    """Return a hook that checks a new patient's values and returns the user's choice.

    With no matches the choice is SAVE_NEW with nothing dismissed. When the check itself
    fails, the error is shown and the choice is GO_BACK, so nothing is saved unchecked.
    """

    def check(form: PatientForm) -> DuplicateChoice:
        matches = find_matches(context, form, parent)
        if matches is None:
            return DuplicateChoice(DuplicateAction.GO_BACK)
        if not matches:
            return DuplicateChoice(DuplicateAction.SAVE_NEW)
        dialog = DuplicateCheckDialog(matches, parent)
        dialog.exec()
        log.info("duplicate check: %d matches, chose %s", len(matches), dialog.choice.action)
        return dialog.choice

    return check


class FormDuplicateCheck:
    """Adapts the check to the registration form's hook, which returns True to save.

    Opening an existing record calls `open_record`. Dismissed matches wait in `pending`
    until `record_dismissed` is called with the new patient's id after the save.
    """

    def __init__(
        self,
        context: AppContext,
        parent: QWidget | None,
        open_record: Callable[[uuid.UUID], object],
    ) -> None:
        self.context = context
        self.check = make_duplicate_check(context, parent)
        self.open_record = open_record
        self.pending: list[uuid.UUID] = []

    def __call__(self, form: PatientForm) -> bool:
        choice = self.check(form)
        if choice.action is DuplicateAction.OPEN_EXISTING and choice.patient_id is not None:
            self.open_record(choice.patient_id)
            return False
        self.pending = list(choice.dismissed_ids)
        return choice.action is DuplicateAction.SAVE_NEW

    def record_dismissed(self, new_patient_id: uuid.UUID | None) -> None:
        """Record the dismissed matches as different people from the newly saved patient."""
        dismissed, self.pending = self.pending, []
        if new_patient_id is None or not dismissed:
            return
        actor = self.context.actor

        def work(session: Session, _progress: Progress) -> object:
            return record_new_patient_decisions(session, actor, new_patient_id, dismissed)

        self.context.ops.run(work)
