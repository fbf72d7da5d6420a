"""The small dialogs of the Claims page's actions: assign, follow-up, note, resubmit lines.

Each dialog checks what was typed before it closes and shows under the fields what is
missing and how to fix it; the service checks again.
"""

import logging
import uuid
from collections.abc import Sequence
from datetime import date

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from app.money import format_money
from app.services.claim_detail import MAX_NOTE_LENGTH, PAYER_CLAIM_NUMBER_MAX
from app.services.claim_worklist import DetailLine
from ui.patient.fields import DateField

log = logging.getLogger(__name__)


class ClaimDialog(QDialog):
    """A dialog with a form, a problem line, and OK (named `ok_text`) and Cancel."""

    def __init__(self, title: str, intro: str, ok_text: str, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.intro = QLabel(intro)
        self.intro.setWordWrap(True)
        self.form = QFormLayout()
        self.problem = QLabel()
        self.problem.setObjectName("fieldProblem")
        self.problem.setWordWrap(True)
        self.problem.setVisible(False)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(ok_text)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addLayout(self.form)
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)

    def add_row(self, caption: str, widget: QWidget) -> None:
        """Add a captioned input; an & in the caption gives it an Alt key."""
        label = QLabel(caption)
        label.setBuddy(widget)
        self.form.addRow(label, widget)

    def reject_input(self, message: str, widget: QWidget) -> None:
        """Show why the input cannot be used and put the cursor where to fix it."""
        self.problem.setText(message)
        self.problem.setVisible(True)
        widget.setFocus(Qt.FocusReason.OtherFocusReason)


def note_box(text: str = "") -> QPlainTextEdit:
    """Return a short multi-line box for a claim note, where Tab moves on."""
    box = QPlainTextEdit(text)
    box.setTabChangesFocus(True)
    box.setMinimumHeight(80)
    return box


class AssignDialog(ClaimDialog):
    """Chooses who works the selected claims (or nobody)."""

    def __init__(
        self, count: int, users: Sequence[tuple[uuid.UUID, str]], parent: QWidget | None = None
    ) -> None:
        noun = "claim" if count == 1 else f"{count} claims"
        super().__init__("Assign claims", f"Who works the selected {noun}?", "Assign", parent)
        self.setObjectName("assignClaimsDialog")
        self.user = QComboBox()
        self.user.setObjectName("assignUser")
        self.user.addItem("Nobody (unassign)", None)
        for user_id, name in users:
            self.user.addItem(name, user_id)
        self.add_row("&Assign to", self.user)
        self.user.setFocus()

    def user_id(self) -> uuid.UUID | None:
        """Return the chosen user, or None for nobody."""
        chosen = self.user.currentData()
        return chosen if isinstance(chosen, uuid.UUID) else None


class FollowUpDialog(ClaimDialog):
    """Sets the follow-up date and note of the selected claims (an empty date clears it)."""

    def __init__(
        self, count: int, on: date | None, today: date, parent: QWidget | None = None
    ) -> None:
        noun = "this claim" if count == 1 else f"the {count} selected claims"
        super().__init__(
            "Follow-up",
            f"When should someone look at {noun} again? Leave the date empty to clear it.",
            "Save follow-up",
            parent,
        )
        self.setObjectName("followUpDialog")
        self.today = today
        self.date = DateField()
        self.date.setObjectName("followUpDate")
        self.date.set_date(on)
        self.note = note_box()
        self.note.setObjectName("followUpNote")
        self.note.setPlaceholderText("What to check, such as: call Aetna about the denial")
        self.add_row("&Date", self.date)
        self.add_row("&Note", self.note)
        self.date.setFocus()

    def on(self) -> date | None:
        """Return the follow-up date typed (None clears it)."""
        return self.date.date_value()

    def note_text(self) -> str:
        """Return the note typed, without surrounding blanks."""
        return self.note.toPlainText().strip()

    def accept(self) -> None:
        """Close when the date is empty or valid and the note fits."""
        problems = self.date.problems("follow_up_on", "The follow-up date")
        if problems:
            self.reject_input(problems[0].message, self.date)
            return
        on = self.on()
        if on is not None and on < self.today:
            self.reject_input(
                f"The follow-up date {on:%m/%d/%Y} has passed; type today or a later date.",
                self.date,
            )
            return
        if len(self.note_text()) > MAX_NOTE_LENGTH:
            self.reject_input(
                f"The note is {len(self.note_text()):,} characters; shorten it to "
                f"{MAX_NOTE_LENGTH:,}.",
                self.note,
            )
            return
        super().accept()


class NoteDialog(ClaimDialog):
    """Adds a note to the history of the selected claims."""

    def __init__(self, count: int, parent: QWidget | None = None) -> None:
        noun = "this claim" if count == 1 else f"each of the {count} selected claims"
        super().__init__(
            "Add note", f"The note goes into the history of {noun}.", "Add note", parent
        )
        self.setObjectName("claimNoteDialog")
        self.note = note_box()
        self.note.setObjectName("claimNote")
        self.note.setPlaceholderText("Such as: called the payer, reference 12345")
        self.add_row("&Note", self.note)
        self.note.setFocus()

    def note_text(self) -> str:
        """Return the note typed, without surrounding blanks."""
        return self.note.toPlainText().strip()

    def accept(self) -> None:
        """Close when the note has text and fits."""
        text = self.note_text()
        if not text:
            self.reject_input("Type the note first, or press Cancel.", self.note)
            return
        if len(text) > MAX_NOTE_LENGTH:
            self.reject_input(
                f"The note is {len(text):,} characters; shorten it to {MAX_NOTE_LENGTH:,}.",
                self.note,
            )
            return
        super().accept()


class ResubmitLinesDialog(ClaimDialog):
    """Picks the lines of a claim to send again on a new claim."""

    def __init__(
        self, claim_number: str, lines: Sequence[DetailLine], parent: QWidget | None = None
    ) -> None:
        super().__init__(
            "Resubmit lines",
            f"Tick the lines of claim {claim_number} to send again on a new claim. Space "
            "ticks the line under the cursor.",
            "Resubmit",
            parent,
        )
        self.setObjectName("resubmitLinesDialog")
        self.lines = QListWidget()
        self.lines.setObjectName("resubmitLines")
        self.lines.setAccessibleName("Lines to resubmit")
        for line in lines:
            item = QListWidgetItem(
                f"Line {line.line_number}: {line.procedure_code} "
                f"{' '.join(line.modifiers)} · {line.units} unit(s) · "
                f"{format_money(line.charge_amount)} · {line.status_label}"
            )
            item.setData(Qt.ItemDataRole.UserRole, line.line_id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked)
            self.lines.addItem(item)
        self.add_row("&Lines", self.lines)
        self.lines.setCurrentRow(0)
        self.lines.setFocus()

    def chosen_line_ids(self) -> list[uuid.UUID]:
        """Return the ids of the ticked lines, in line order."""
        chosen = []
        for number in range(self.lines.count()):
            item = self.lines.item(number)
            if item.checkState() == Qt.CheckState.Checked:
                chosen.append(item.data(Qt.ItemDataRole.UserRole))
        return chosen

    def accept(self) -> None:
        """Close when at least one line is ticked."""
        if not self.chosen_line_ids():
            self.reject_input("Tick at least one line (Space ticks the current line).", self.lines)
            return
        super().accept()


class PayerClaimNumberDialog(ClaimDialog):
    """Takes the payer's claim number from a paper remittance or EOB."""

    def __init__(
        self, claim_number: str, current: str | None, parent: QWidget | None = None
    ) -> None:
        super().__init__(
            "Payer's claim number",
            f"The number the payer gave claim {claim_number}. Replacement and void claims "
            "send it back so the payer finds the original.",
            "Save",
            parent,
        )
        self.setObjectName("payerClaimNumberDialog")
        self.number = QLineEdit(current or "")
        self.number.setObjectName("payerClaimNumber")
        self.number.setMaxLength(PAYER_CLAIM_NUMBER_MAX)
        self.number.setPlaceholderText("ICN, DCN or claim control number, such as 22123456789000")
        # Wide enough for the whole placeholder, which says what the payer may call it.
        self.number.setMinimumWidth(
            self.number.fontMetrics().horizontalAdvance(self.number.placeholderText()) + 24
        )
        self.add_row("Payer's claim &number", self.number)
        self.number.setFocus()

    def number_text(self) -> str:
        """Return the number typed, without surrounding blanks."""
        return self.number.text().strip()

    def accept(self) -> None:
        """Close when a number is typed."""
        if not self.number_text():
            self.reject_input("Type the payer's claim number first, or press Cancel.", self.number)
            return
        super().accept()
