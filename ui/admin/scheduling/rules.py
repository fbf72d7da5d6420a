"""The Scheduling rules tab: blocking conflicts, late cancels, fees, the grid and eligibility."""

import logging
from decimal import Decimal

from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from app.changes import ChangeKind, Changes
from app.errors import ValidationError
from app.money import format_money, to_money
from app.problems import Problem
from app.progress import Progress
from app.services.scheduling_settings import (
    CONFLICT_KINDS,
    GRID_CHOICES,
    MAX_ELIGIBILITY_AGE_DAYS,
    MAX_LATE_CANCEL_HOURS,
    Policy,
    SchedulingSettings,
    save_scheduling_settings,
    scheduling_settings,
)
from ui.admin.common import SPIN_BOX_WIDTH, run_for, show_error
from ui.admin.forms import FieldForm, line, select_data
from ui.context import AppContext
from ui.widgets import find_data

log = logging.getLogger(__name__)

FORM_MAX_WIDTH = 760

# (conflict kind, label, hint) in screen order; the kinds are CONFLICT_KINDS.
CONFLICT_LABELS: dict[str, tuple[str, str]] = {
    "provider_overlap": ("&Provider double-booked", "The provider already has a visit then"),
    "room_overlap": ("&Room double-booked", "The room is already in use then"),
    "resource_overlap": ("&Equipment double-booked", "The resource is already in use then"),
    "patient_overlap": ("Pa&tient double-booked", "The patient already has a visit then"),
    "outside_hours": ("&Outside working hours", "The visit falls outside the provider's hours"),
    "blockout": ("&During a blockout", "The visit falls in a blocked-out time"),
    "authorization": (
        "&Authorization missing",
        "The visit needs a prior authorization the patient does not have on file",
    ),
}
POLICY_CHOICES: tuple[tuple[str, Policy], ...] = (
    ("Warn and allow booking", "warning"),
    ("Block booking", "block"),
)


def _policy_combo() -> QComboBox:
    combo = QComboBox()
    for text, value in POLICY_CHOICES:
        combo.addItem(text, value)
    return combo


class SchedulingRulesTab(QWidget):
    """Edits the practice-wide scheduling rules and shows problems beside their fields."""

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.filling = False
        self.dirty = False
        self.form = FieldForm()
        self.form.setMaximumWidth(FORM_MAX_WIDTH)
        self._build_fields()

        self.status = QLabel()
        self.status.setAccessibleName("Scheduling rules save status")
        self.save_button = QPushButton("&Save scheduling rules")
        self.save_button.clicked.connect(self.save)
        self.revert_button = QPushButton("Re&vert")
        self.revert_button.clicked.connect(self.refresh)
        self.form.watch(self._edited)
        self._lay_out()
        context.ops.changed.connect(self._on_changed)
        self.refresh()

    def _build_fields(self) -> None:
        self.policies: dict[str, QComboBox] = {}
        for kind in CONFLICT_KINDS:
            label, hint = CONFLICT_LABELS[kind]
            self.policies[kind] = _policy_combo()
            self.form.add_field(kind, label, self.policies[kind], hint)
        self.late_cancel_hours = QSpinBox()
        self.late_cancel_hours.setRange(0, MAX_LATE_CANCEL_HOURS)
        self.late_cancel_hours.setSuffix(" hours")
        self.late_cancel_hours.setMaximumWidth(SPIN_BOX_WIDTH)
        self.form.add_field(
            "late_cancel_hours", "&Late cancel within", self.late_cancel_hours,
            "A patient cancel this close to the visit counts as a late cancel "
            f"(0 to {MAX_LATE_CANCEL_HOURS} hours). "
            "With 0, only cancels after the start time count.",
        )  # fmt: skip
        self.no_show_fee: QLineEdit = line("", 12)
        self.no_show_fee.setPlaceholderText("No fee")
        self.form.add_field(
            "no_show_fee", "&No-show fee", self.no_show_fee,
            "Dollars charged for a no-show, such as 25.00; leave empty for no fee",
        )  # fmt: skip
        self.grid_minutes = QComboBox()
        for minutes in GRID_CHOICES:
            self.grid_minutes.addItem(f"{minutes} minutes", minutes)
        self.form.add_field(
            "grid_minutes", "Calendar &grid", self.grid_minutes,
            "The default step of the schedule's time grid",
        )  # fmt: skip
        self.eligibility_max_age_days = QSpinBox()
        self.eligibility_max_age_days.setRange(0, MAX_ELIGIBILITY_AGE_DAYS)
        self.eligibility_max_age_days.setSuffix(" days")
        self.eligibility_max_age_days.setMaximumWidth(SPIN_BOX_WIDTH)
        self.form.add_field(
            "eligibility_max_age_days", "Eligibility &check valid for",
            self.eligibility_max_age_days,
            "Visits show eligibility not verified when the primary coverage was last checked "
            f"with the payer more than this many days before the visit (0 to "
            f"{MAX_ELIGIBILITY_AGE_DAYS}; 0 means a check on the visit day).",
        )  # fmt: skip

    def _lay_out(self) -> None:
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        holder = QWidget()
        inner = QVBoxLayout(holder)
        intro = QLabel(
            "Choose what happens when a booking conflicts with something. A warning lets "
            "staff book anyway; a block needs a manager's override with a reason."
        )
        intro.setWordWrap(True)
        inner.addWidget(intro)
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
            self.dirty = True
            self.status.setText("Not saved yet.")

    def _on_changed(self, changes: Changes) -> None:
        # Other set-up tabs announce the same kind, so unsaved edits here are kept.
        if changes.touches(ChangeKind.SCHEDULE_SETUP) and not self.dirty:
            self.refresh()

    def refresh(self) -> None:
        """Load the stored rules into the form, dropping unsaved edits."""

        def work(session: Session, _progress: Progress) -> SchedulingSettings:
            return scheduling_settings(session)

        self.status.clear()
        run_for(self, self.context, work, self._fill)

    def _fill(self, settings: SchedulingSettings) -> None:
        self.filling = True
        self.form.clear_problems()
        for kind, combo in self.policies.items():
            select_data(combo, settings.policy(kind))
        self.late_cancel_hours.setValue(settings.late_cancel_hours)
        fee = settings.no_show_fee
        self.no_show_fee.setText("" if fee is None else format_money(fee).lstrip("$"))
        self.grid_minutes.setCurrentIndex(find_data(self.grid_minutes, settings.grid_minutes))
        self.eligibility_max_age_days.setValue(settings.eligibility_max_age_days)
        self.filling = False
        self.dirty = False

    def entered_settings(self) -> tuple[SchedulingSettings | None, list[Problem]]:
        """Return the rules as typed, or None and the problems found without the database."""
        fee: Decimal | None = None
        text = self.no_show_fee.text().strip()
        if text:
            try:
                fee = to_money(text)
            except ValueError:
                message = (
                    f"{text!r} is not an amount. Type dollars such as 25.00, or leave it empty."
                )
                return None, [Problem("no_show_fee", message)]
        settings = SchedulingSettings(
            conflict_policy={kind: combo.currentData() for kind, combo in self.policies.items()},
            late_cancel_hours=self.late_cancel_hours.value(),
            no_show_fee=fee,
            grid_minutes=int(self.grid_minutes.currentData()),
            eligibility_max_age_days=self.eligibility_max_age_days.value(),
        )
        return settings, []

    def save(self) -> None:
        """Validate and store the rules through the scheduling settings service."""
        settings, problems = self.entered_settings()
        if settings is None:
            self.form.show_problems(problems)
            self.status.setText("Not saved: correct the fields marked in red.")
            return

        actor = self.context.actor
        self.form.clear_problems()
        self.save_button.setEnabled(False)
        self.status.setText("Saving…")

        def work(session: Session, _progress: Progress) -> Changes:
            return save_scheduling_settings(session, actor, settings)

        run_for(self, self.context, work, self._saved, self._failed)

    def _saved(self, _changes: Changes) -> None:
        self.dirty = False
        self.save_button.setEnabled(True)
        self.status.setText("Saved. New bookings use these rules.")
        log.info("scheduling rules saved")

    def _failed(self, error: BaseException) -> None:
        self.save_button.setEnabled(True)
        if isinstance(error, ValidationError):
            self.status.setText("Not saved: correct the fields marked in red.")
            self.form.show_problems(error.problems)
        else:
            self.status.setText("Not saved.")
            show_error(self, error)
