"""The Statements tab: the notice ladder and the practice's statement settings.

The upper table edits the five notice levels a statement run climbs: each level's
printed label, its wait after the previous statement, its message and whether it is
used. The form below it edits the minimum balance billed, the due date, the printed
payment and assistance text, and what opens an emailed statement. One Save stores
both, or nothing when any value has a problem; each problem shows beside its field.
A role without practice set-up gets every field disabled, so the tab reads as
read-only. The Collections level prints nothing, so its message box is replaced by a
note saying so.
"""

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from app.changes import ChangeKind, Changes
from app.errors import ValidationError
from app.money import to_money
from app.problems import Problem, Severity
from app.progress import Progress
from app.security.permissions import Actor, Permission
from app.services import notice_levels, statement_settings
from app.services.notice_levels import NoticeLevelRow
from app.services.outcomes import SaveOutcome
from app.services.statement_settings import StatementSettings
from ui.admin.common import SPIN_BOX_WIDTH, run_for
from ui.admin.forms import ERROR_COLOR, FieldForm, line, select_data
from ui.context import AppContext
from ui.errors import show_error
from ui.widgets import connect_edits

log = logging.getLogger(__name__)

FORM_MAX_WIDTH = 900
# Three lines of text; longer messages scroll inside the box.
TEXT_BOX_HEIGHT = 72
LEVEL_PREFIX = "level:"

# The combo box text for each value of the email password setting.
PASSWORD_CHOICES: dict[str, str] = {
    "dob": "Guarantor's date of birth, 8 digits (March 7, 1980 is 03071980)",
    "account": "Digits of the account number, without letters or dashes",
}
NO_PERMISSION = (
    "Only administrators change notice levels and statement settings, because they "
    "decide what every later statement run sends."
)
LEVEL_HEADERS = ("Level", "Label", "Days after previous", "Message", "Active")
# The application style sheet grays out only disabled line edits, so the tab does the
# same for its other inputs, which are disabled for a read-only role.
READ_ONLY_STYLE = (
    "QPlainTextEdit:disabled, QSpinBox:disabled, QComboBox:disabled "
    "{ background: #eef1f4; color: #7a8896; }"
)
COLLECTIONS_MESSAGE_NOTE = (
    "Not printed: an account reaching this level is listed for placement with a collection agency."
)


@dataclass(frozen=True, slots=True)
class LevelInput:
    """One notice level as typed in the table."""

    code: str
    label: str
    days_after_previous: int
    message: str
    active: bool


@dataclass(frozen=True, slots=True)
class Loaded:
    """The stored notice levels and settings the tab shows."""

    levels: list[NoticeLevelRow]
    settings: StatementSettings


def load_statement_setup(session: Session) -> Loaded:
    """Return the notice levels (defaults when none are stored) and the statement settings."""
    return Loaded(
        notice_levels.list_levels(session), statement_settings.statement_settings(session)
    )


def save_statement_setup(
    session: Session,
    actor: Actor,
    levels: Sequence[LevelInput],
    settings: StatementSettings,
) -> Changes:
    """Save the changed levels and the settings, or raise ValidationError listing every problem.

    Level problems carry the field "level:<code>.<field>", so the tab can place them in
    its table. Raising rolls back the levels already saved in this unit of work.
    """
    problems: list[Problem] = []
    changes = Changes()
    for level in levels:
        outcome = notice_levels.save_level(
            session,
            actor,
            level.code,
            level.label,
            level.days_after_previous,
            level.message,
            level.active,
        )
        problems += [
            Problem(
                f"{LEVEL_PREFIX}{level.code}.{problem.field}", problem.message, problem.severity
            )
            for problem in outcome.problems
        ]
        changes = _merged(changes, outcome)
    outcome = statement_settings.save_statement_settings(session, actor, settings)
    problems += outcome.problems
    changes = _merged(changes, outcome)
    if any(problem.severity is Severity.ERROR for problem in problems):
        raise ValidationError(problems)
    return changes


def _merged(changes: Changes, outcome: SaveOutcome) -> Changes:
    return Changes(changes.kinds | outcome.changes.kinds)


class LevelRow:
    """The widgets of one notice level in the table, with a problem line under them."""

    def __init__(self, code: str) -> None:
        self.code = code
        self.caption = QLabel(code.capitalize())
        self.label = line("", notice_levels.MAX_LABEL_LENGTH)
        self.days = QSpinBox()
        self.days.setRange(0, notice_levels.MAX_DAYS)
        self.days.setSuffix(" days")
        self.days.setMaximumWidth(SPIN_BOX_WIDTH)
        self.message = QPlainTextEdit()
        self.message.setFixedHeight(TEXT_BOX_HEIGHT)
        self.message.setTabChangesFocus(True)
        self.active = QCheckBox("Used")
        # What the Message column shows: the message box, or for Collections a note.
        self.message_cell: QWidget = self.message
        if code == notice_levels.COLLECTIONS_LEVEL:
            note = QLabel(COLLECTIONS_MESSAGE_NOTE)
            note.setObjectName("subtleText")
            note.setWordWrap(True)
            note.setAccessibleName("Collections level message: not printed")
            self.message_cell = note
        self.problem = QLabel()
        self.problem.setObjectName("fieldProblem")
        self.problem.setWordWrap(True)
        self.problem.setVisible(False)
        self.problem.setStyleSheet(f"color: {ERROR_COLOR};")
        self._name_widgets()

    def _name_widgets(self) -> None:
        name = self.code.capitalize()
        self.label.setAccessibleName(f"{name} level label")
        self.label.setToolTip("The name printed at the top of the notice, such as 2nd notice")
        self.days.setAccessibleName(f"{name} level days after previous")
        self.days.setToolTip(
            "Days since the account's previous statement before this level is sent "
            f"(0 to {notice_levels.MAX_DAYS})"
        )
        self.message.setAccessibleName(f"{name} level message")
        self.message.setToolTip(
            f"Printed on the notice, up to {notice_levels.MAX_MESSAGE_LENGTH} characters"
        )
        self.active.setAccessibleName(f"{name} level used")
        self.problem.setAccessibleName(f"{name} level problem")
        if self.code == notice_levels.FIRST_LEVEL:
            self.active.setToolTip("Always used: every account's first statement is this level")
        elif self.code == notice_levels.COLLECTIONS_LEVEL:
            self.active.setToolTip(
                "An account reaching this level is listed for placement with a collection "
                "agency; nothing is printed"
            )
        else:
            self.active.setToolTip("Clear to skip this level: the ladder goes to the next one")

    def inputs(self) -> tuple[QWidget, ...]:
        """Return the editable widgets in column order."""
        return (self.label, self.days, self.message, self.active)

    def cells(self) -> tuple[QWidget, ...]:
        """Return the widgets the table shows, in column order."""
        return (self.label, self.days, self.message_cell, self.active)

    def fill(self, level: NoticeLevelRow) -> None:
        """Show a stored level."""
        self.caption.setText(f"{level.position}. {level.code.capitalize()}")
        self.label.setText(level.label)
        self.days.setValue(level.days_after_previous)
        self.message.setPlainText(level.message)
        self.active.setChecked(level.active)

    def entered(self) -> LevelInput:
        """Return the level as typed."""
        return LevelInput(
            code=self.code,
            label=self.label.text(),
            days_after_previous=self.days.value(),
            message=self.message.toPlainText(),
            active=self.active.isChecked(),
        )

    def show_problems(self, problems: Sequence[Problem]) -> None:
        """Show the level's problems under its row and mark the fields they name."""
        by_field = {"label": self.label, "days_after_previous": self.days}
        by_field |= {"message": self.message, "active": self.active}
        self.problem.setText("\n".join(problem.message for problem in problems))
        self.problem.setVisible(bool(problems))
        for problem in problems:
            widget = by_field.get(problem.field)
            if widget is not None:
                _set_invalid(widget, True)

    def clear_problems(self) -> None:
        """Hide the problem line and the red marks."""
        self.problem.clear()
        self.problem.setVisible(False)
        for widget in self.inputs():
            _set_invalid(widget, False)


def _set_invalid(widget: QWidget, invalid: bool) -> None:
    if bool(widget.property("invalid")) == invalid:
        return
    widget.setProperty("invalid", invalid)
    widget.style().unpolish(widget)
    widget.style().polish(widget)


class StatementsTab(QWidget):
    """Edits the notice levels and statement settings, showing problems beside their fields."""

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("statementsTab")
        self.setStyleSheet(READ_ONLY_STYLE)
        self.context = context
        self.loaded: Loaded | None = None
        self.filling = False
        self.dirty = False

        self.levels = {code: LevelRow(code) for code in notice_levels.LEVEL_CODES}
        self.form = FieldForm()
        self._build_settings_fields()
        self.status = QLabel()
        self.status.setAccessibleName("Statement settings save status")
        self.save_button = QPushButton("&Save statement settings")
        self.save_button.clicked.connect(self.save)
        self.revert_button = QPushButton("Re&vert")
        self.revert_button.clicked.connect(self.revert)
        self.permission_note = QLabel(NO_PERMISSION)
        self.permission_note.setObjectName("subtleText")
        self.permission_note.setWordWrap(True)
        self._watch_edits()
        self._lay_out()
        self._apply_permission()
        context.ops.changed.connect(self._on_changed)
        self.refresh()

    def _build_settings_fields(self) -> None:
        form = self.form
        self.minimum_balance: QLineEdit = line("", 12)
        form.add_field(
            "minimum_balance", "&Minimum balance", self.minimum_balance,
            "Accounts owing less than this, in dollars, get no statement (such as 5.00)",
        )  # fmt: skip

        self.due_days = _spin(0, statement_settings.MAX_DUE_DAYS, " days")
        form.add_field(
            "due_days", "&Due after", self.due_days,
            "The due date printed is the statement date plus this many days (0: due on receipt)",
        )  # fmt: skip

        self.payment_options = _text_box()
        form.add_field(
            "payment_options", "&Payment options", self.payment_options,
            "How patients can pay, printed on every statement",
        )  # fmt: skip

        self.assistance_notice = _text_box()
        form.add_field(
            "assistance_notice", "Financial &assistance", self.assistance_notice,
            "The financial assistance notice printed on every statement; leave empty for none",
        )  # fmt: skip

        self.email_password = QComboBox()
        for value in statement_settings.EMAIL_PASSWORDS:
            text = PASSWORD_CHOICES.get(value, statement_settings.EMAIL_PASSWORD_LABELS[value])
            self.email_password.addItem(text, value)
        form.add_field(
            "email_password", "Emailed PDF &opens with", self.email_password,
            "The email names this rule and never contains the password. A guarantor "
            "without the value (such as no date of birth on file) gets a printed statement.",
        )  # fmt: skip

        self.retry_minutes = _spin(1, statement_settings.MAX_RETRY_MINUTES, " minutes")
        form.add_field(
            "retry_minutes", "&Retry email after", self.retry_minutes,
            "A failed email waits this long times the attempts so far before the next try",
        )  # fmt: skip

        self.max_attempts = _spin(1, statement_settings.MAX_ATTEMPTS, " attempts")
        form.add_field(
            "max_attempts", "Give &up after", self.max_attempts,
            "After this many failed attempts the statement is marked failed, to print instead",
        )  # fmt: skip

    def _watch_edits(self) -> None:
        self.form.watch(self._edited)
        for row in self.levels.values():
            for widget in row.inputs():
                connect_edits(widget, self._edited)
                connect_edits(widget, row.clear_problems)

    def _levels_box(self) -> QGroupBox:
        box = QGroupBox("Notice levels")
        grid = QGridLayout(box)
        for column, header in enumerate(LEVEL_HEADERS):
            grid.addWidget(QLabel(f"<b>{header}</b>"), 0, column)
        for index, row in enumerate(self.levels.values()):
            top = 1 + 2 * index
            grid.addWidget(row.caption, top, 0)
            for column, widget in enumerate(row.cells(), start=1):
                grid.addWidget(widget, top, column)
            if row.message_cell is not row.message:
                # The box stays in the tab, hidden, so Save keeps the stored message.
                grid.addWidget(row.message, top, 3)
                row.message.setVisible(False)
            grid.addWidget(row.problem, top + 1, 1, 1, len(LEVEL_HEADERS) - 1)
        grid.setColumnStretch(3, 1)
        return box

    def _lay_out(self) -> None:
        intro = QLabel(
            "A statement run sends each account the next level once its days have passed "
            "since the previous statement; a patient payment starts the ladder again. "
            "An account reaching Collections is listed for placement, not printed."
        )
        intro.setWordWrap(True)
        settings_box = QGroupBox("Statement settings")
        QVBoxLayout(settings_box).addWidget(self.form)
        email_note = QLabel(
            "Emailed statements go only to guarantors who agreed to email, through the "
            "outgoing mail server set up in the Reminders tab."
        )
        email_note.setObjectName("subtleText")
        email_note.setWordWrap(True)

        holder = QWidget()
        holder.setMaximumWidth(FORM_MAX_WIDTH)
        inner = QVBoxLayout(holder)
        for widget in (intro, self.permission_note, self._levels_box(), settings_box, email_note):
            inner.addWidget(widget)
        inner.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(holder)
        buttons = QHBoxLayout()
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.revert_button)
        buttons.addWidget(self.status, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(scroll)
        layout.addLayout(buttons)

    def _apply_permission(self) -> None:
        # Disabled fields look read-only; editable ones would invite typing a Save
        # that this role cannot do.
        allowed = self.context.can(Permission.PRACTICE_SETUP)
        self.permission_note.setVisible(not allowed)
        self.save_button.setEnabled(allowed)
        self.revert_button.setEnabled(allowed)
        for widget in self.editable_widgets():
            widget.setEnabled(allowed)

    def editable_widgets(self) -> list[QWidget]:
        """Return every input of the levels table and the settings form."""
        widgets = [widget for row in self.levels.values() for widget in row.inputs()]
        return widgets + list(self.form.fields.values())

    def _edited(self) -> None:
        if not self.filling:
            self.dirty = True
            self.status.setText("Not saved yet.")

    def _on_changed(self, changes: Changes) -> None:
        # Other set-up tabs announce SETTINGS too, so unsaved edits here are kept.
        if changes.touches(ChangeKind.SETTINGS) and not self.dirty:
            self.refresh()

    def refresh(self) -> None:
        """Load the stored levels and settings into the tab, dropping unsaved edits."""
        if not self.context.user.signed_in:
            return
        run_for(
            self,
            self.context,
            lambda session, _progress: load_statement_setup(session),
            self._fill,
            read_only=True,
        )

    def revert(self) -> None:
        """Throw away unsaved edits and show the stored levels and settings again."""
        self.status.clear()
        self.refresh()

    def _fill(self, loaded: Loaded) -> None:
        self.loaded = loaded
        self.filling = True
        self._clear_problems()
        for level in loaded.levels:
            row = self.levels.get(level.code)
            if row is not None:
                row.fill(level)
        settings = loaded.settings
        self.minimum_balance.setText(f"{settings.minimum_balance:.2f}")
        self.due_days.setValue(settings.due_days)
        self.payment_options.setPlainText(settings.payment_options)
        self.assistance_notice.setPlainText(settings.assistance_notice)
        select_data(self.email_password, settings.email_password)
        self.retry_minutes.setValue(settings.retry_minutes)
        self.max_attempts.setValue(settings.max_attempts)
        self.filling = False
        self.dirty = False

    def changed_levels(self) -> list[LevelInput]:
        """Return the levels whose typed values differ from the stored ones."""
        stored = {level.code: level for level in self.loaded.levels} if self.loaded else {}
        changed = []
        for code, row in self.levels.items():
            typed = row.entered()
            before = stored.get(code)
            if before is None or (
                before.label,
                before.days_after_previous,
                before.message,
                before.active,
            ) != (typed.label, typed.days_after_previous, typed.message, typed.active):
                changed.append(typed)
        return changed

    def entered_settings(self) -> tuple[StatementSettings | None, list[Problem]]:
        """Return the settings as typed, or None and the problems found without the database."""
        text = self.minimum_balance.text().strip()
        try:
            minimum = to_money(text)
        except ValueError:
            message = f"{text!r} is not an amount; type dollars and cents, such as 5.00."
            return None, [Problem("minimum_balance", message)]
        settings = StatementSettings(
            minimum_balance=minimum,
            due_days=self.due_days.value(),
            payment_options=self.payment_options.toPlainText(),
            assistance_notice=self.assistance_notice.toPlainText(),
            email_password=str(self.email_password.currentData()),
            retry_minutes=self.retry_minutes.value(),
            max_attempts=self.max_attempts.value(),
        )
        return settings, []

    def save(self) -> None:
        """Store the changed levels and the settings, or show every problem beside its field."""
        settings, problems = self.entered_settings()
        if settings is None:
            self._show_problems(problems)
            self.status.setText("Not saved: correct the fields marked in red.")
            return

        actor, levels = self.context.actor, self.changed_levels()
        self._clear_problems()
        self.save_button.setEnabled(False)
        self.status.setText("Saving…")

        def work(session: Session, _progress: Progress) -> Changes:
            return save_statement_setup(session, actor, levels, settings)

        run_for(self, self.context, work, self._saved, self._failed)

    def _saved(self, _changes: Changes) -> None:
        self.dirty = False
        self.save_button.setEnabled(True)
        self.status.setText("Saved. The next statement run uses these settings.")
        log.info("statement settings and notice levels saved")
        # The services strip spaces from the text, so the form shows what was stored.
        self.refresh()

    def _failed(self, error: BaseException) -> None:
        self.save_button.setEnabled(True)
        if isinstance(error, ValidationError):
            self.status.setText("Not saved: correct the fields marked in red.")
            self._show_problems(error.problems)
        else:
            self.status.setText("Not saved.")
            show_error(self, error)

    def _show_problems(self, problems: Sequence[Problem]) -> None:
        self._clear_problems()
        by_level: dict[str, list[Problem]] = {}
        others: list[Problem] = []
        for problem in problems:
            if problem.field.startswith(LEVEL_PREFIX):
                code, _, field = problem.field.removeprefix(LEVEL_PREFIX).partition(".")
                by_level.setdefault(code, []).append(Problem(field, problem.message))
            else:
                others.append(problem)
        for code, found in by_level.items():
            row = self.levels.get(code)
            if row is not None:
                row.show_problems(found)
            else:
                others += found
        if others:
            self.form.show_problems(others)

    def _clear_problems(self) -> None:
        self.form.clear_problems()
        for row in self.levels.values():
            row.clear_problems()

    def level_problem_text(self, code: str) -> str:
        """Return the problem shown under level `code` (empty when none)."""
        return self.levels[code].problem.text()


def _spin(low: int, high: int, suffix: str) -> QSpinBox:
    spin = QSpinBox()
    spin.setRange(low, high)
    spin.setSuffix(suffix)
    spin.setMaximumWidth(SPIN_BOX_WIDTH)
    return spin


def _text_box() -> QPlainTextEdit:
    box = QPlainTextEdit()
    box.setFixedHeight(TEXT_BOX_HEIGHT)
    box.setTabChangesFocus(True)
    return box
