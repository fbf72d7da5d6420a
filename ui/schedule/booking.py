"""The booking panel: patient, visit type, provider, room, time, repeat; live conflict warnings."""

import logging
import uuid
from datetime import datetime

from PySide6.QtCore import QDateTime, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from app.clock import format_time
from app.errors import ValidationError
from app.progress import Progress
from app.scheduling.recurrence import SeriesRule
from app.security.permissions import Permission
from app.services.booking import (
    BookingOutcome,
    BookingRequest,
    Conflict,
    SeriesOutcome,
    book,
    book_series,
    check_booking,
)
from app.services.calendar_view import BookingChoices, Choice
from app.services.patient_search import PatientMatch
from app.services.series_preview import PreviewRow, preview_series
from ui.context import AppContext
from ui.errors import show_error
from ui.schedule.repeat import RepeatSection
from ui.schedule.slot_fields import NotesBox
from ui.search_popup import PICK_HINT_TEXT, PatientSearch
from ui.widgets import find_data

log = logging.getLogger(__name__)

CHECK_DELAY_MS = 300
SEARCH_DELAY_MS = 250
NONE_LABEL = "(none)"


def fill_combo(combo: QComboBox, choices: list[Choice], optional: bool) -> None:
    """Put `choices` in `combo`, with a "(none)" first entry when the field is optional."""
    combo.clear()
    if optional:
        combo.addItem(NONE_LABEL, None)
    for choice in choices:
        combo.addItem(choice.label, choice.id)


def select_id(combo: QComboBox, value: uuid.UUID | None) -> None:
    """Select the entry whose data is `value`, when there is one."""
    index = find_data(combo, value)
    if index >= 0:
        combo.setCurrentIndex(index)


def conflict_text(conflicts: list[Conflict]) -> str:
    """One line per conflict, blocking ones marked, as the panels show them."""
    lines = []
    for conflict in conflicts:
        mark = "Blocked" if conflict.severity == "block" else "Warning"
        lines.append(f"{mark}: {conflict.message}")
    return "\n".join(lines)


def preview_line(row: PreviewRow) -> str:
    """Return one preview row as the list shows it: date, time and what stops or warns."""
    when = f"{row.starts_at:%a %m/%d/%Y} {format_time(row.starts_at)}"
    if row.problem is not None:
        return f"{when} — skipped: {row.problem}"
    if not row.conflicts:
        return f"{when} — free"
    first = row.conflicts[0]
    mark = "blocked" if first.severity == "block" else "warning"
    more = f" (+{len(row.conflicts) - 1} more)" if len(row.conflicts) > 1 else ""
    return f"{when} — {mark}: {first.message}{more}"


def preview_summary(rows: list[PreviewRow]) -> str:
    """Return a one-line count of the preview: dates, gap days, blocked and warned dates.

    Counts of zero are left out, such as "4 dates: 1 with warnings." or "4 dates, all free."
    """
    gaps = sum(1 for row in rows if row.problem is not None)
    blocked = sum(1 for row in rows if row.problem is None and row.blocked)
    warned = sum(1 for row in rows if row.conflicts and not row.blocked)
    parts = [
        f"{count} {what}"
        for count, what in (
            (gaps, "skipped (time does not exist that day)"),
            (blocked, "blocked (booked only with an override reason)"),
            (warned, "with warnings"),
        )
        if count
    ]
    dates = f"{len(rows)} {'date' if len(rows) == 1 else 'dates'}"
    if not parts:
        return f"{dates}, all free."
    return f"{dates}: {', '.join(parts)}."


def series_report(outcome: SeriesOutcome) -> str:
    """Return the summary shown after booking a series, one skipped date per line."""
    visits = "visit" if len(outcome.created) == 1 else "visits"
    text = f"Booked {len(outcome.created)} {visits}"
    if not outcome.skipped:
        return text + "."
    reasons = [f"{day:%m/%d/%Y} — {reason}" for day, reason in outcome.skipped]
    return f"{text}; skipped {len(outcome.skipped)}:\n" + "\n".join(reasons)


class BookingPanel(QDialog):
    """A non-modal form that books one appointment; `booked` carries the new id."""

    booked = Signal(object)  # uuid.UUID

    def __init__(
        self,
        context: AppContext,
        choices: BookingChoices,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("bookingPanel")
        self.setWindowTitle("Book an appointment")
        self.context = context
        self.choices = choices
        self.patient_id: uuid.UUID | None = None
        self.conflicts: list[Conflict] = []
        self.preview_rows: list[PreviewRow] = []
        self.last_series: SeriesOutcome | None = None
        self._check_request = 0
        self._build()
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(CHECK_DELAY_MS)
        self.timer.timeout.connect(self.check_now)
        self._connect()

    def _build(self) -> None:
        self.patient = QLineEdit()
        self.patient.setObjectName("bookingPatient")
        self.patient.setPlaceholderText("Type a name, chart number, birth date or phone")
        self.search = PatientSearch(
            self.context, self.patient, self, lambda: False, SEARCH_DELAY_MS, hint=PICK_HINT_TEXT
        )
        self.search.chosen.connect(self._choose_patient)
        self.type = QComboBox()
        fill_combo(self.type, self.choices.types, optional=True)
        self.provider = QComboBox()
        fill_combo(self.provider, self.choices.providers, optional=False)
        self.location = QComboBox()
        fill_combo(self.location, self.choices.locations, optional=False)
        self.room = QComboBox()
        fill_combo(self.room, self.choices.rooms, optional=True)
        self.resource = QComboBox()
        fill_combo(self.resource, self.choices.resources, optional=True)
        self.starts = QDateTimeEdit()
        self.starts.setDisplayFormat("ddd MM/dd/yyyy h:mm AP")
        self.starts.setCalendarPopup(True)
        self.duration = QSpinBox()
        self.duration.setRange(5, 480)
        self.duration.setSingleStep(5)
        self.duration.setSuffix(" min")
        self.duration.setValue(15)
        self.reason = QLineEdit()
        self.notes = NotesBox()
        self._build_feedback()

        form = QFormLayout()
        for label, field in (
            ("Patient", self.patient), ("Visit type", self.type), ("Provider", self.provider),
            ("Location", self.location), ("Room", self.room), ("Resource", self.resource),
            ("Starts", self.starts), ("Length", self.duration), ("Reason", self.reason),
            ("Notes", self.notes),
        ):  # fmt: skip
            form.addRow(label, field)
        form.addRow(self.override_label, self.override)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.book_button = QPushButton("Book")
        self.book_button.setObjectName("bookButton")
        self.book_button.setDefault(True)
        buttons.addButton(self.book_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.rejected.connect(self.close)
        self.book_button.clicked.connect(self.book_now)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.repeat)
        layout.addWidget(self.preview)
        layout.addWidget(self.conflict_label)
        layout.addWidget(buttons)

    def _build_feedback(self) -> None:
        """Build the Repeat section, the series preview, the conflict text and the override."""
        self.conflict_label = QLabel()
        self.conflict_label.setObjectName("bookingConflicts")
        self.conflict_label.setWordWrap(True)
        self.override = QLineEdit()
        self.override.setObjectName("bookingOverride")
        self.override.setPlaceholderText("Why this booking goes ahead despite the conflict")
        self.override_label = QLabel("Override reason")
        self._show_override(False)
        self.repeat = RepeatSection()
        self.preview = QListWidget()
        self.preview.setObjectName("bookingPreview")
        self.preview.setAccessibleName("Dates the series would book")
        self.preview.setMaximumHeight(160)
        self.preview.setVisible(False)

    def _connect(self) -> None:
        self.type.currentIndexChanged.connect(self._type_changed)
        for combo in (self.provider, self.location, self.room, self.resource):
            combo.currentIndexChanged.connect(lambda _index: self.timer.start())
        self.starts.dateTimeChanged.connect(lambda _value: self.timer.start())
        self.duration.valueChanged.connect(lambda _value: self.timer.start())
        self.repeat.changed.connect(self.timer.start)
        self.starts.dateTimeChanged.connect(
            lambda value: self.repeat.set_first_visit(value.toPython())
        )

    # Filling

    def prefill(
        self,
        starts_at: datetime,
        minutes: int,
        provider_id: uuid.UUID | None = None,
        room_id: uuid.UUID | None = None,
    ) -> None:
        """Start the form at a slot; `minutes` 0 keeps the visit type's length."""
        self.starts.setDateTime(QDateTime(starts_at))
        self.repeat.set_first_visit(starts_at)
        if minutes:
            self.duration.setValue(minutes)
        select_id(self.provider, provider_id)
        select_id(self.room, room_id)
        room = next((choice for choice in self.choices.rooms if choice.id == room_id), None)
        if room is not None:
            select_id(self.location, room.location_id)
        self.timer.start()

    def set_patient(self, patient_id: uuid.UUID, label: str) -> None:
        """Book for this patient (the search box shows `label`)."""
        self.patient_id = patient_id
        self.patient.setText(label)
        self.timer.start()

    def _choose_patient(self, match: PatientMatch) -> None:
        self.set_patient(match.patient_id, f"{match.display_name} ({match.chart_number})")

    def _type_changed(self) -> None:
        type_id = self.type.currentData()
        kind = next((choice for choice in self.choices.types if choice.id == type_id), None)
        if kind is not None and kind.minutes:
            self.duration.setValue(kind.minutes)
        self.timer.start()

    def request(self) -> BookingRequest | None:
        """The booking the form describes, or None until a patient and provider are chosen."""
        provider_id = self.provider.currentData()
        location_id = self.location.currentData()
        if self.patient_id is None or provider_id is None or location_id is None:
            return None
        return BookingRequest(
            patient_id=self.patient_id,
            provider_id=provider_id,
            location_id=location_id,
            starts_at=self.starts.dateTime().toPython().replace(second=0, microsecond=0),  # type: ignore[union-attr]
            duration_minutes=self.duration.value(),
            appointment_type_id=self.type.currentData(),
            room_id=self.room.currentData(),
            resource_id=self.resource.currentData(),
            reason=self.reason.text().strip() or None,
            notes=self.notes.toPlainText().strip() or None,
        )

    # Checking and booking

    def check_now(self) -> None:
        """Ask the engine which conflicts the booking has; an older answer is dropped."""
        self.timer.stop()
        self.book_button.setEnabled(True)
        request = self.request()
        self._check_request += 1
        if request is None:
            self._show_preview(None)
            self._show_conflicts([])
            return
        rule = self.repeat.rule()
        if rule is not None:
            self._preview_now(request, rule)
            return
        self._show_preview(None)
        number, actor = self._check_request, self.context.actor

        def work(session: Session, _progress: Progress) -> list[Conflict]:
            return check_booking(session, actor, request)

        self.context.ops.run(
            work,
            on_done=lambda conflicts: self._checked(number, conflicts),
            on_error=lambda error: self._check_failed(number, error),
            read_only=True,
        )

    def _preview_now(self, request: BookingRequest, rule: SeriesRule) -> None:
        number, actor = self._check_request, self.context.actor

        def work(session: Session, _progress: Progress) -> list[PreviewRow]:
            return preview_series(session, actor, request, rule)

        self.context.ops.run(
            work,
            on_done=lambda rows: self._previewed(number, rows),
            on_error=lambda error: self._check_failed(number, error),
            read_only=True,
        )

    def _previewed(self, number: int, rows: list[PreviewRow]) -> None:
        if number != self._check_request:
            return
        self._show_preview(rows)
        conflicts = [conflict for row in rows for conflict in row.conflicts]
        self._show_conflicts(conflicts)
        self.conflict_label.setText(preview_summary(rows))

    def _show_preview(self, rows: list[PreviewRow] | None) -> None:
        """Fill the preview list, or hide it for a visit that does not repeat."""
        self.preview_rows = rows or []
        self.preview.clear()
        for row in self.preview_rows:
            item = QListWidgetItem(preview_line(row))
            item.setToolTip(item.text())  # the list is narrow; the tooltip shows the whole reason
            self.preview.addItem(item)
        self.preview.setVisible(rows is not None)

    def _checked(self, number: int, conflicts: list[Conflict]) -> None:
        if number == self._check_request:
            self._show_conflicts(conflicts)

    def _check_failed(self, number: int, error: BaseException) -> None:
        if number != self._check_request:
            return
        if isinstance(error, ValidationError):
            self.conflict_label.setText(str(error))
            return
        show_error(self, error)

    def _show_conflicts(self, conflicts: list[Conflict]) -> None:
        self.conflicts = conflicts
        self.conflict_label.setText(conflict_text(conflicts))
        blocking = any(conflict.severity == "block" for conflict in conflicts)
        self._show_override(blocking and self.context.can(Permission.SCHEDULE_OVERRIDE))

    def _show_override(self, visible: bool) -> None:
        self.override.setVisible(visible)
        self.override_label.setVisible(visible)

    def book_now(self) -> None:
        """Book the appointment; blocking conflicts stop it unless an override reason is given."""
        request = self.request()
        if request is None:
            self.conflict_label.setText("Choose a patient, a provider and a location first.")
            return
        actor = self.context.actor
        override = self.override.text().strip() if self.override.isVisible() else ""
        rule = self.repeat.rule()
        if rule is not None:
            self._book_series(request, rule, override)
            return

        def work(session: Session, _progress: Progress) -> BookingOutcome:
            return book(session, actor, request, override or None)

        self.book_button.setEnabled(False)
        self.context.ops.run(work, on_done=self._booked, on_error=self._book_failed)

    def _booked(self, outcome: BookingOutcome) -> None:
        self.book_button.setEnabled(True)
        if outcome.appointment_id is None:
            self._show_conflicts(outcome.conflicts)
            self.conflict_label.setText("Not booked.\n" + conflict_text(outcome.conflicts))
            return
        log.info("booked appointment %s from the calendar", outcome.appointment_id)
        self.booked.emit(outcome.appointment_id)
        self.close()

    def _book_series(self, request: BookingRequest, rule: SeriesRule, override: str) -> None:
        actor = self.context.actor

        def work(session: Session, _progress: Progress) -> SeriesOutcome:
            return book_series(session, actor, request, rule, override or None)

        self.book_button.setEnabled(False)
        self.context.ops.run(work, on_done=self._series_booked, on_error=self._book_failed)

    def _series_booked(self, outcome: SeriesOutcome) -> None:
        """Show what was booked and skipped; the panel stays open so staff can read it."""
        log.info(
            "booked series %s from the calendar: %d visits, %d skipped",
            outcome.series_id,
            len(outcome.created),
            len(outcome.skipped),
        )
        self.timer.stop()
        self._check_request += 1
        self.last_series = outcome
        self.conflict_label.setText(series_report(outcome))
        self._show_override(False)
        # Book stays off until a field changes (check_now turns it back on), so a second
        # press cannot book the same series twice.
        if outcome.created:
            self.booked.emit(outcome.created[0])

    def _book_failed(self, error: BaseException) -> None:
        self.book_button.setEnabled(True)
        if isinstance(error, ValidationError):
            self.conflict_label.setText(str(error))
            return
        show_error(self, error)

    def closeEvent(self, event: object) -> None:  # noqa: N802 (Qt override)
        self.search.close()
        self.timer.stop()
        super().closeEvent(event)  # type: ignore[arg-type]
