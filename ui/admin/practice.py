"""The Practice tab: the billing entity's name, identifiers, address and time zone."""

import logging
from dataclasses import fields

from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from app import validators
from app.changes import ChangeKind, Changes
from app.errors import ValidationError
from app.progress import Progress
from app.services import practice
from app.services.practice import PracticeInfo
from ui.admin.common import run_for, show_error
from ui.admin.forms import FieldForm, combo_code, line, select_data
from ui.context import AppContext
from ui.widgets import state_combo

log = logging.getLogger(__name__)

# Wider fields than this are harder to read, and addresses are at most 55 characters.
FORM_MAX_WIDTH = 760

# (field, label, max length, hint) in screen order. The names match PracticeInfo.
TEXT_FIELDS = (
    ("legal_name", "&Legal name", 60, "The name on claims, exactly as registered with the IRS"),
    ("billing_npi", "Billing &NPI", 10, "The practice's 10-digit type 2 (organization) NPI"),
    ("ein", "&EIN (tax id)", 10, "Federal employer identification number, such as 12-3456789"),
    ("taxonomy_code", "&Taxonomy code", 10, "10 characters ending in X, such as 207Q00000X"),
    ("address_line1", "&Street address", 55, "A street address; claims reject PO boxes"),
    ("address_line2", "Address line &2", 55, "Suite or floor (optional)"),
    ("city", "&City", 30, ""),
)


def load_practice_info(session: Session) -> PracticeInfo | None:
    """Return the stored practice details as form input, or None before set-up."""
    stored = practice.get_practice(session)
    if stored is None:
        return None
    values = {field.name: getattr(stored, field.name) or "" for field in fields(PracticeInfo)}
    return PracticeInfo(**values)


class PracticeTab(QWidget):
    """Edits the practice record and shows problems next to their fields."""

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.loaded: PracticeInfo | None = None
        self.filling = False
        self.form = FieldForm()
        self.form.setMaximumWidth(FORM_MAX_WIDTH)
        self.inputs = self._build_fields()
        self.status = QLabel()
        self.status.setAccessibleName("Practice save status")
        self.save_button = QPushButton("&Save practice details")
        self.save_button.clicked.connect(self.save)
        self.revert_button = QPushButton("&Revert")
        self.revert_button.clicked.connect(self.revert)
        self.form.watch(self._edited)
        self._lay_out()
        context.ops.changed.connect(self._on_changed)
        self.refresh()

    def _build_fields(self) -> dict[str, QWidget]:
        inputs: dict[str, QWidget] = {}
        for key, label, max_length, hint in TEXT_FIELDS:
            inputs[key] = self.form.add_field(key, label, line("", max_length), hint)
        state = state_combo()
        inputs["state"] = self.form.add_field("state", "St&ate", state)
        inputs["zip_code"] = self.form.add_field(
            "zip_code", "&ZIP+4", line("", 10), "ZIP+4 as 12345-6789; claims need all 9 digits"
        )
        inputs["phone"] = self.form.add_field("phone", "&Phone", line("", 20), "(312) 555-0100")
        zone = QComboBox()
        zone.setEditable(True)
        zone.addItems(validators.US_TIME_ZONES)
        inputs["time_zone"] = self.form.add_field(
            "time_zone", "Time &zone", zone, "Appointments and audit times use this zone"
        )
        return inputs

    def _lay_out(self) -> None:
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        holder = QWidget()
        inner = QVBoxLayout(holder)
        inner.addWidget(self.form)
        inner.addStretch(1)
        scroll.setWidget(holder)
        buttons = QHBoxLayout()
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.revert_button)
        buttons.addWidget(self.status, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(scroll)
        layout.addLayout(buttons)

    def _edited(self) -> None:
        if not self.filling:
            self.status.setText("Not saved yet.")

    def _on_changed(self, changes: Changes) -> None:
        if changes.touches(ChangeKind.PRACTICE):
            self.refresh()

    def refresh(self) -> None:
        """Load the stored practice details into the form."""
        run_for(
            self, self.context, lambda session, _progress: load_practice_info(session), self._fill
        )

    def _fill(self, info: PracticeInfo | None) -> None:
        self.loaded = info
        self.form.clear_problems()
        if info is None:
            self.status.setText("This database has no practice yet. Run the set-up wizard.")
            self.save_button.setEnabled(False)
            return
        self.filling = True
        for key, widget in self.inputs.items():
            value = getattr(info, key)
            if isinstance(widget, QComboBox) and widget.isEditable():
                widget.setCurrentText(value)
            elif isinstance(widget, QComboBox):
                select_data(widget, value)
            else:
                widget.setText(value)  # type: ignore[attr-defined]
        self.filling = False
        self.save_button.setEnabled(True)

    def revert(self) -> None:
        """Throw away unsaved edits and show the stored details again."""
        self.status.clear()
        self.refresh()

    def entered_info(self) -> PracticeInfo:
        """Return the practice details as typed."""
        values: dict[str, str] = {}
        for key, widget in self.inputs.items():
            if isinstance(widget, QComboBox) and widget.isEditable():
                values[key] = widget.currentText()
            elif isinstance(widget, QComboBox):
                values[key] = combo_code(widget)
            else:
                values[key] = widget.text()  # type: ignore[attr-defined]
        return PracticeInfo(**values)

    def save(self) -> None:
        """Save the form through the practice service."""
        actor, info = self.context.actor, self.entered_info()
        self.form.clear_problems()
        self.save_button.setEnabled(False)
        self.status.setText("Saving…")

        def work(session: Session, _progress: Progress) -> Changes:
            return practice.update_practice(session, actor, info)

        run_for(self, self.context, work, self._saved, self._failed)

    def _saved(self, _changes: Changes) -> None:
        self.save_button.setEnabled(True)
        self.status.setText("Saved.")

    def _failed(self, error: BaseException) -> None:
        self.save_button.setEnabled(True)
        self.status.setText("Not saved: correct the fields marked in red.")
        if isinstance(error, ValidationError):
            self.form.show_problems(error.problems)
        else:
            self.status.setText("Not saved.")
            show_error(self, error)
