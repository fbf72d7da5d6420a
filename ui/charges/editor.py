"""The encounter editor: one window per encounter, built for the keyboard.

A draft is edited and saved with Ctrl+S; Ctrl+Enter saves, checks and, after a
confirmation that shows the total, posts it. Problems from `check_encounter` show beside
their fields and in a summary whose entries move the cursor to the field. A posted
encounter is read-only and offers "Reverse line…" and "Correct line…". The keys are in
`ui.charges.keys`; F1 lists them.
"""

import copy
import html
import itertools
import logging
import uuid
from dataclasses import replace
from datetime import date
from decimal import Decimal
from functools import partial
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QKeyEvent
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from app.changes import Changes
from app.clock import utc_now
from app.errors import ValidationError
from app.problems import Problem, Severity, has_errors
from app.progress import Progress
from app.security.permissions import Actor, Permission
from app.services import encounters, icd10
from app.services.charge_estimate import ChargeEstimate, charge_estimate
from app.services.encounter_forms import STATUS_DRAFT, EncounterForm
from app.services.icd10 import IcdMatch
from ui.admin.common import run_for
from ui.admin.forms import ERROR_COLOR, ask
from ui.charges import keys, print_actions
from ui.charges.diagnoses import DiagnosisPanel
from ui.charges.editor_data import (
    DiagnosisInfo,
    EditorData,
    describe_diagnoses,
    load_editor_data,
    new_editor_data,
)
from ui.charges.favorites import FavoritesButton
from ui.charges.header import VisitHeader
from ui.charges.line_actions import LineActions
from ui.charges.line_values import lines_text, money_text
from ui.charges.lines import LineGrid
from ui.charges.posted import PostedLinesPanel
from ui.charges.posted_actions import PostedLineActions
from ui.charges.print_actions import OpenFile
from ui.charges.writes import WriteResult, after_save
from ui.context import AppContext
from ui.errors import show_error
from ui.patient.feedback import ProblemBoard, ProblemSummary
from ui.patient.rows import button

log = logging.getLogger(__name__)

DISCARD_QUESTION = "Discard the changes to this encounter?"
WINDOW_WIDTH = 1240
WINDOW_HEIGHT = 800


class EncounterEditor(QWidget):
    """Edits one encounter; `encounter_saved` carries its id after each save or post."""

    encounter_saved = Signal(object)  # uuid.UUID

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setObjectName("encounterEditor")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.context = context
        self.actor: Actor | None = context.actor if context.user.signed_in else None
        self.fee_editable = context.can(Permission.CHARGE_CHANGE_FEE)
        self.can_post = context.can(Permission.CHARGE_POST)
        self.data: EditorData | None = None
        self.current = EncounterForm()
        self.status = STATUS_DRAFT
        self.dirty = False
        self.busy = False
        self.closing = False
        self.shown_problems: list[Problem] = []
        self.diagnosis_infos: dict[str, DiagnosisInfo] = {}
        self.confirm_box: QMessageBox | None = None
        self.summary = ProblemSummary()
        self.board = ProblemBoard(self.summary)
        self.line_actions = LineActions(self)
        self.posted_actions = PostedLineActions(self)
        self._build()
        self._bind_keys()
        context.user.actor_changed.connect(self._on_actor_changed)
        application = QApplication.instance()
        if isinstance(application, QApplication):
            application.focusChanged.connect(self._follow_focus)
        self.setWindowTitle("Encounter")
        self.resize(WINDOW_WIDTH, WINDOW_HEIGHT)

    @property
    def encounter_id(self) -> uuid.UUID | None:
        """The encounter's id, or None before its first save."""
        return self.current.id

    @property
    def today(self) -> date:
        """The practice's date when the encounter was loaded."""
        return self.data.today if self.data is not None else utc_now().astimezone().date()

    # Building

    def _build(self) -> None:
        self.heading = QLabel("Encounter")
        self.heading.setObjectName("pageHeading")
        self.badge = QLabel()
        self.badge.setObjectName("encounterStatus")
        self.header = VisitHeader(self.board)
        self.header.edited.connect(self.mark_dirty)
        self.header.service_date_changed.connect(self._service_date_changed)
        self.header.rendering_changed.connect(self.line_actions.reload_favorites)
        self.diagnoses = DiagnosisPanel(
            self.board, self.search_diagnoses, self.diagnosis_chain, self.describe_diagnosis
        )
        self.diagnoses.edited.connect(self.mark_dirty)
        self.diagnoses.edited.connect(self.update_tab_order)
        self.grid = LineGrid(self.board, self.fee_editable)
        self.diagnoses.positions_moved.connect(self.grid.follow_diagnoses)
        self.grid.edited.connect(self.mark_dirty)
        self.grid.rows_changed.connect(self.update_tab_order)
        self.grid.price_requested.connect(self.line_actions.request_price)
        self.grid.search_requested.connect(self.line_actions.search_codes)
        self.grid.total_changed.connect(self._show_total)
        self.posted = PostedLinesPanel(self.can_post)
        self.posted.reverse_requested.connect(self.posted_actions.ask_reverse)
        self.posted.correct_requested.connect(self.posted_actions.ask_correct)
        self.posted.setVisible(False)
        self.lines_box = self._build_lines_box()

        body = QWidget()
        column = QVBoxLayout(body)
        column.addWidget(self.header)
        column.addWidget(self.diagnoses)
        column.addWidget(self.lines_box)
        column.addStretch(1)
        self.scroll_area = QScrollArea()
        self.scroll_area.setWidget(body)
        self.scroll_area.setWidgetResizable(True)

        top = QHBoxLayout()
        top.addWidget(self.heading)
        top.addWidget(self.badge)
        top.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.summary)
        layout.addWidget(self.scroll_area, 1)
        layout.addLayout(self._build_footer())
        # The style sheet marks only line edits and combos, so other inputs are covered here.
        self.setStyleSheet(
            f'QListWidget[invalid="true"], QSpinBox[invalid="true"], '
            f'QCheckBox[invalid="true"] {{ border: 2px solid {ERROR_COLOR}; }} '
            "QLabel#encounterStatus { border-radius: 9px; padding: 2px 10px; "
            "font-weight: bold; } QLabel#lineTotal { font-weight: bold; }"
        )

    def _build_lines_box(self) -> QGroupBox:
        box = QGroupBox("Service &lines")
        box.setObjectName("serviceLines")
        self.add_button = button("Add line (Ins)", "Add a service line (Insert)")
        self.add_button.clicked.connect(self.line_actions.add_line)
        self.duplicate_button = button("Duplicate (Ctrl+D)", "Duplicate the current line")
        self.duplicate_button.clicked.connect(self.grid.duplicate_current)
        self.remove_button = button("Remove line (Ctrl+Del)", "Remove the current line")
        self.remove_button.clicked.connect(self.grid.remove_current)

        self.copy_button = button(
            "Cop&y lines from previous visit", "Copy the lines of the patient's last posted visit"
        )
        self.copy_button.clicked.connect(self.line_actions.copy_previous_lines)
        self.favorites = FavoritesButton()
        self.favorites.chosen.connect(self.line_actions.add_favorite)
        self.favorites.save_requested.connect(self.line_actions.save_favorites)

        self.total_label = QLabel()
        self.total_label.setObjectName("encounterTotal")
        self.total_label.setStyleSheet("font-size: 13pt; font-weight: bold;")

        tools = QHBoxLayout()
        for widget in (
            self.add_button, self.duplicate_button, self.remove_button,
            self.copy_button, self.favorites,
        ):  # fmt: skip
            tools.addWidget(widget)
        tools.addStretch(1)
        tools.addWidget(self.total_label)
        layout = QVBoxLayout(box)
        layout.addWidget(self.grid)
        layout.addWidget(self.posted)
        layout.addLayout(tools)
        layout.addWidget(self.favorites.strip)
        return box

    def _build_footer(self) -> QHBoxLayout:
        self.state_label = QLabel()
        self.state_label.setObjectName("subtleText")
        self.help_button = button("Keys (F1)", "List the keys of the encounter editor")
        self.help_button.clicked.connect(self.show_keys)
        self.walkout_button = button("Print &walkout…", "Save and open the walkout receipt PDF")
        self.walkout_button.clicked.connect(self._walkout_clicked)
        self.save_button = button("Save draft (Ctrl+S)", "Save the draft")
        self.save_button.clicked.connect(self.save)
        self.post_button = button("Post… (Ctrl+Enter)", "Check and post the charges")
        self.post_button.clicked.connect(self.post)
        self.close_button = button("Close (Esc)", "Close the encounter")
        self.close_button.clicked.connect(self.cancel)
        footer = QHBoxLayout()
        footer.addWidget(self.state_label, 1)
        for widget in (
            self.help_button, self.walkout_button, self.save_button, self.post_button,
            self.close_button,
        ):  # fmt: skip
            footer.addWidget(widget)
        return footer

    def _bind_keys(self) -> None:
        router = keys.KeyRouter(self)
        drafting = self._drafting
        router.bind(keys.SAVE.keys, self.save)
        for sequence in keys.POST_SEQUENCES:
            router.bind(sequence, self.post)
        for shortcut in (keys.ADD_LINE, keys.ADD_LINE_OTHER):
            router.bind(shortcut.keys, self.line_actions.add_line, drafting)
        router.bind(keys.DUPLICATE_LINE.keys, self.grid.duplicate_current, drafting)
        router.bind(keys.REMOVE_LINE.keys, self.grid.remove_current, drafting)
        for number, sequence in enumerate(keys.FAVORITE_SEQUENCES, start=1):
            router.bind(sequence, partial(self.favorites.choose_number, number), drafting)
        in_list = self._in_diagnosis_list
        router.bind(keys.MOVE_UP.keys, lambda: self.diagnoses.move_selected(-1), in_list)
        router.bind(keys.MOVE_DOWN.keys, lambda: self.diagnoses.move_selected(1), in_list)
        router.bind(keys.REMOVE_DIAGNOSIS.keys, self.diagnoses.remove_selected, in_list)
        router.bind(keys.EDITOR_HELP.keys, self.show_keys)
        self.router = router

    @property
    def editable(self) -> bool:
        """True for a draft the signed-in user may change (and so save and post)."""
        return self.status == STATUS_DRAFT and self.can_post

    def _drafting(self, _widget: QWidget) -> bool:
        return self.editable and self.data is not None and not self.busy

    def _in_diagnosis_list(self, widget: QWidget) -> bool:
        return widget is self.diagnoses.list and self._drafting(widget)

    def focus_chain(self) -> list[QWidget]:
        """Return every input in Tab order, top to bottom."""
        chain: list[QWidget] = [self.summary.list, *self.header.inputs()]
        chain.extend(self.diagnoses.focus_chain())
        if self.status == STATUS_DRAFT:
            chain.extend(self.grid.focus_chain())
            chain.extend(
                [self.add_button, self.duplicate_button, self.remove_button, self.copy_button]
            )
            chain.append(self.favorites)
        else:
            chain.extend(self.posted.focus_chain())
        footer = [self.help_button, self.walkout_button, self.save_button, self.post_button]
        return [*chain, *footer, self.close_button]

    def update_tab_order(self) -> None:
        """Make Tab follow the screen, also after lines were added or removed."""
        for first, second in itertools.pairwise(self.focus_chain()):
            QWidget.setTabOrder(first, second)

    def _inside_body(self, widget: QWidget | None) -> bool:
        body = self.scroll_area.widget()
        return widget is not None and body is not None and body.isAncestorOf(widget)

    def _follow_focus(self, _old: QWidget | None, new: QWidget | None) -> None:
        if new is not None and self._inside_body(new):
            self.scroll_area.ensureWidgetVisible(new)
            # A row added in this event-loop turn gets its place only when the layout runs.
            QTimer.singleShot(0, self, self._reveal_focused)

    def _reveal_focused(self) -> None:
        focused = QApplication.focusWidget()
        if focused is not None and self._inside_body(focused):
            self.scroll_area.ensureWidgetVisible(focused)

    # Loading

    def load(self, encounter_id: uuid.UUID) -> None:
        """Read the encounter off the GUI thread and show it."""
        actor = self.context.actor

        def work(session: Session, _progress: Progress) -> EditorData:
            return load_editor_data(session, actor, encounter_id)

        self._start_loading()
        run_for(self, self.context, work, self.show_data, self._load_failed, title="Opening")

    def start_new(self, patient_id: uuid.UUID, service_date: date | None) -> None:
        """Show an unsaved encounter for the patient, with the service's defaults."""
        actor = self.context.actor

        def work(session: Session, _progress: Progress) -> EditorData:
            return new_editor_data(session, actor, patient_id, service_date)

        self._start_loading()
        run_for(self, self.context, work, self.show_data, self._load_failed, title="Opening")

    def _start_loading(self) -> None:
        self.busy = True
        self.scroll_area.setEnabled(False)
        self.state_label.setText("Opening…")

    def _load_failed(self, error: BaseException) -> None:
        self.busy = False
        self.state_label.setText("The encounter could not be opened.")
        show_error(self, error)

    def show_data(self, data: EditorData) -> None:
        """Show an encounter as read; nothing counts as changed afterwards."""
        self.data = data
        self.current = copy.deepcopy(data.form)
        self.status = data.status
        self.busy = False
        self.scroll_area.setEnabled(True)
        self.header.set_choices(data)
        self.header.fill(data.form)
        self.diagnosis_infos.update(data.diagnoses)
        self.diagnoses.set_codes(data.form.diagnoses, data.diagnoses)
        self.grid.favorites = data.favorites
        self.favorites.set_favorites(data.favorites)
        self.grid.set_lines(data.form.lines, data.codes, data.line_fees)
        descriptions = {code: option.description for code, option in data.codes.items()}
        self.posted.set_lines(data.posted, descriptions)
        self._show_status()
        self.board.clear()
        self.shown_problems = []
        self.dirty = False
        self.update_tab_order()
        self.scroll_area.verticalScrollBar().setValue(0)
        self._focus_start()

    def _show_status(self) -> None:
        data = self.data
        assert data is not None
        drafting = self.status == STATUS_DRAFT
        number = data.encounter_number or "new"
        self.heading.setText(f"Encounter {number}")
        # The title shows in the task bar, so it names the encounter rather than the patient.
        self.setWindowTitle(f"Encounter {number}")
        badge = ("Draft", "#fff1c2", "#5c4300") if drafting else ("Posted", "#d9f2e3", "#0f5132")
        self.badge.setText(badge[0])
        self.badge.setStyleSheet(f"background: {badge[1]}; color: {badge[2]};")

        # Saving a draft needs the same permission as posting, so others only read it.
        editable = self.editable
        self.header.set_read_only(not editable)
        self.diagnoses.set_read_only(not editable)
        self.grid.set_read_only(not editable)
        self.grid.setVisible(drafting)
        self.posted.setVisible(not drafting)
        for widget in (
            self.add_button, self.duplicate_button, self.remove_button, self.copy_button,
            self.favorites, self.favorites.strip, self.save_button, self.post_button,
        ):  # fmt: skip
            widget.setVisible(drafting)
            widget.setEnabled(editable)

        if drafting:
            self._show_total(len(self.grid.rows), self.grid.total())
            self.state_label.setText(
                "Draft: Ctrl+S saves, Ctrl+Enter posts."
                if editable
                else "Draft, read-only: entering and posting charges is for billers, "
                "providers and managers."
            )
        else:
            posted_total = sum(
                (line.charge_amount for line in data.posted if not line.reversed), Decimal(0)
            )
            in_force = sum(1 for line in data.posted if not line.reversed)
            self.total_label.setText(f"{lines_text(in_force)} · total {money_text(posted_total)}")
            self.state_label.setText("Posted. Select a line to reverse or correct it.")

    def _focus_start(self) -> None:
        if self.status != STATUS_DRAFT:
            self.posted.table.setFocus(Qt.FocusReason.OtherFocusReason)
        elif not self.diagnoses.codes():
            self.diagnoses.picker.setFocus(Qt.FocusReason.OtherFocusReason)
        elif self.grid.rows:
            self.grid.rows[0].code.setFocus(Qt.FocusReason.OtherFocusReason)
        else:
            self.header.service_date.setFocus(Qt.FocusReason.OtherFocusReason)

    # Values

    def form_value(self) -> EncounterForm:
        """Return the values on screen as a form (ids and `loaded_at` kept from the load)."""
        form = copy.deepcopy(self.current)
        self.header.apply(form)
        form.diagnoses = self.diagnoses.codes()
        form.lines = self.grid.values()
        return form

    def local_problems(self) -> list[Problem]:
        """Return problems found without the database: dates, pointers and typed fees."""
        return self.header.local_problems() + self.grid.local_problems()

    def mark_dirty(self) -> None:
        """Record that the user changed something since the last load or save."""
        self.dirty = True

    def _show_total(self, count: int, total: object) -> None:
        amount = total if isinstance(total, Decimal) else Decimal(0)
        self.total_label.setText(f"{lines_text(count)} · total {money_text(amount)}")

    # Diagnoses (called by the ICD-10-CM picker on the GUI thread)

    def search_diagnoses(self, text: str) -> list[IcdMatch]:
        """Return ICD-10-CM codes matching `text` in the edition of the date of service.

        The picker calls this on the GUI thread; searching the loaded index takes a few
        milliseconds, and loading the editor already read the index once.
        """
        day = self.header.service_date.date_value() or self.today
        edition = self.data.edition if self.data is not None else ""
        with self.context.database.reading() as session:
            matches = icd10.search_codes(session, text, day)
        for match in matches:
            self.diagnosis_infos[match.code] = DiagnosisInfo(match.code, match.description, edition)
        return matches

    def diagnosis_chain(self, code: str) -> list[IcdMatch]:
        """Return the code's ancestors, the chapter first, for the line under the picker."""
        day = self.header.service_date.date_value() or self.today
        with self.context.database.reading() as session:
            return icd10.parent_chain(session, code, day)

    def describe_diagnosis(self, code: str) -> DiagnosisInfo:
        """Return how a code is listed, reading its description when no search showed it."""
        known = self.diagnosis_infos.get(code)
        if known is not None:
            return known
        day = self.header.service_date.date_value() or self.today
        with self.context.database.reading() as session:
            _edition, found = describe_diagnoses(session, [code], day)
        self.diagnosis_infos.update(found)
        return found[icd10.normalize_code(code)]

    def _service_date_changed(self) -> None:
        day = self.header.service_date.date_value()
        codes = self.diagnoses.codes()
        if day is None or self.data is None:
            return

        def work(session: Session, _progress: Progress) -> tuple[str, dict[str, DiagnosisInfo]]:
            return describe_diagnoses(session, codes, day)

        def done(result: tuple[str, dict[str, DiagnosisInfo]]) -> None:
            edition, infos = result
            if self.data is not None:
                self.data = _with_edition(self.data, edition)
            self.diagnosis_infos.update(infos)
            self.diagnoses.set_infos(infos)

        run_for(self, self.context, work, done)

    def show_problems(self, problems: list[Problem]) -> None:
        """Show every problem beside its field and in the summary, and go to the summary."""
        self.shown_problems = list(problems)
        self.diagnoses.register_rows(self.board)
        self.board.show(problems)
        self.diagnoses.mark_problems(problems)
        self.update_tab_order()
        self.summary.list.setCurrentRow(0)
        self.summary.list.setFocus(Qt.FocusReason.OtherFocusReason)
        errors = sum(1 for problem in problems if problem.severity is Severity.ERROR)
        if errors:
            self.state_label.setText("Correct the problems listed above, then save or post again.")

    # Saving and posting

    def save(self) -> None:
        """Save the draft; problems that stop the save show beside their fields."""
        if self.busy or self.data is None or not self.editable:
            return
        if self._show_local_errors():
            return
        form = self.form_value()
        actor = self.context.actor

        def work(session: Session, _progress: Progress) -> WriteResult:
            outcome = encounters.save_encounter(session, actor, form)
            return after_save(session, actor, outcome)

        self.run_write(work, self._saved, "Saving")

    def _focus_position(self) -> int | None:
        """Return the place of the focused field in the Tab order, or None."""
        focused = QApplication.focusWidget()
        chain = self.focus_chain()
        return chain.index(focused) if focused in chain else None

    def _restore_focus(self, position: int | None) -> None:
        chain = self.focus_chain()
        if position is not None and position < len(chain) and chain[position].isEnabled():
            chain[position].setFocus(Qt.FocusReason.OtherFocusReason)

    def _show_local_errors(self) -> bool:
        """Show the problems found without the database; return True when any is an error."""
        local = self.local_problems()
        if has_errors(local):
            self.show_problems(local)
            return True
        return False

    def _saved(self, result: WriteResult) -> None:
        if result.data is None:
            log.info("encounter not saved: %d problems", len(result.problems))
            self.show_problems(list(result.problems))
            return
        # Saving rebuilds the fields, so the cursor goes back to the place it was.
        position = self._focus_position()
        self.show_data(result.data)
        self._restore_focus(position)
        self.announce_saved()
        # A saved draft may still have errors; they block posting, not saving.
        if has_errors(list(result.problems)):
            self.show_problems(list(result.problems))
            self.state_label.setText("Draft saved. Correct the problems listed before posting.")
        elif result.problems:
            self.show_problems(list(result.problems))
            self.state_label.setText("Draft saved, with the warnings listed above.")
        else:
            self.state_label.setText("Draft saved.")

    def post(self) -> None:
        """Save, check, confirm with the total, then post the draft's charges."""
        if self.busy or self.data is None or not self.editable:
            return
        if self._show_local_errors():
            return
        form = self.form_value()
        saved_id = None if self.dirty else form.id
        actor = self.context.actor

        def work(session: Session, _progress: Progress) -> WriteResult:
            if saved_id is None:
                result = after_save(session, actor, encounters.save_encounter(session, actor, form))
            else:
                result = WriteResult(Changes(), load_editor_data(session, actor, saved_id))
            if result.data is None:
                return result
            problems = encounters.check_encounter(session, actor, result.data.form)
            estimate = charge_estimate(session, actor, result.data.form)
            return WriteResult(result.changes, result.data, tuple(problems), estimate)

        self.run_write(work, self._checked_for_posting, "Checking")

    def _checked_for_posting(self, result: WriteResult) -> None:
        if result.data is None:
            self.show_problems(list(result.problems))
            return
        self.show_data(result.data)
        self.announce_saved()
        problems = list(result.problems)
        if has_errors(problems):
            log.info("encounter %s not posted: %d problems", self.encounter_id, len(problems))
            self.show_problems(problems)
            return
        if problems:
            self.show_problems(problems)
        self._confirm_post(result.data, result.estimate)

    def _confirm_post(self, data: EditorData, estimate: ChargeEstimate | None) -> None:
        count = len(data.form.lines)
        total = self.grid.total()
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Post charges",
            f"Post {lines_text(count)} totaling {money_text(total)} for encounter "
            f"{data.encounter_number}?\n\n{estimate_text(estimate)}Posted charges go to the "
            "ledger; after posting, a line changes only by reversal or correction.",
            QMessageBox.StandardButton.NoButton,
            self,
        )
        box.setObjectName("postConfirmation")
        post_button = box.addButton("Post", QMessageBox.ButtonRole.AcceptRole)
        cancel_button = box.addButton("Cancel", QMessageBox.ButtonRole.RejectRole)
        # Enter confirms, as the biller has just asked to post with Ctrl+Enter.
        box.setDefaultButton(post_button)
        box.setEscapeButton(cancel_button)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        def clicked(pressed: QAbstractButton) -> None:
            if pressed is post_button:
                self._post_now()

        box.buttonClicked.connect(clicked)
        self.confirm_box = box
        box.open()

    def _post_now(self) -> None:
        encounter_id = self.encounter_id
        if encounter_id is None:
            return
        actor = self.context.actor

        def work(session: Session, _progress: Progress) -> WriteResult:
            changes = encounters.post_encounter(session, actor, encounter_id)
            return WriteResult(changes, load_editor_data(session, actor, encounter_id))

        self.run_write(work, self._posted, "Posting")

    def _posted(self, result: WriteResult) -> None:
        assert result.data is not None
        log.info("encounter %s posted", self.encounter_id)
        self.show_data(result.data)
        self.state_label.setText(
            f"Posted {lines_text(len(result.data.posted))} to the ledger. Select a line to "
            "reverse or correct it."
        )
        self.announce_saved()

    def run_write(self, work: object, on_done: object, title: str) -> None:
        self.busy = True
        self.save_button.setEnabled(False)
        self.post_button.setEnabled(False)
        self.state_label.setText(f"{title}…")

        def done(result: WriteResult) -> None:
            self._write_finished()
            on_done(result)  # type: ignore[operator]

        run_for(self, self.context, work, done, self._write_failed)  # type: ignore[arg-type]

    def _write_finished(self) -> None:
        self.busy = False
        self.save_button.setEnabled(self.editable)
        self.post_button.setEnabled(self.editable)

    def _write_failed(self, error: BaseException) -> None:
        self._write_finished()
        self.state_label.setText("Not saved.")
        if isinstance(error, ValidationError):
            self.show_problems(list(error.problems))
            return
        show_error(self, error)

    def announce_saved(self) -> None:
        if self.encounter_id is not None:
            self.encounter_saved.emit(self.encounter_id)

    def show_keys(self) -> None:
        """Show the editor's keys in a small dialog."""
        rows = "".join(
            f"<tr><td><b>{html.escape(shortcut.native_text())}</b></td>"
            f"<td>{html.escape(shortcut.action)}</td></tr>"
            for shortcut in keys.EDITOR_KEYS
        )
        box = QMessageBox(
            QMessageBox.Icon.Information,
            "Encounter editor keys",
            f"<table cellspacing='6'>{rows}</table>",
            QMessageBox.StandardButton.Close,
            self,
        )
        box.setObjectName("editorKeys")
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.keys_box = box
        box.open()

    def print_walkout(self, path: Path | None = None, open_file: OpenFile | None = None) -> None:
        """Save the walkout receipt PDF (asking where when `path` is None) and open it."""
        if self.encounter_id is not None:
            print_actions.print_walkout(
                self.context, self.encounter_id, self, path=path, open_file=open_file
            )

    def _walkout_clicked(self) -> None:
        # clicked() passes the checked state, which must not reach `path`.
        self.print_walkout()

    def cancel(self) -> None:
        """Close, asking first when something changed."""
        if not self.dirty or self.status != STATUS_DRAFT:
            self.close_now()
            return
        self.discard_box = ask(
            self, "Discard changes?", DISCARD_QUESTION, "Discard", self.close_now
        )

    def close_now(self) -> None:
        """Close without asking, dropping unsaved changes."""
        self.closing = True
        self.close()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt override)
        if self.closing or not self.dirty or self.status != STATUS_DRAFT:
            super().closeEvent(event)
            return
        event.ignore()
        self.cancel()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt override)
        if event.key() == Qt.Key.Key_Escape:
            self.cancel()
            event.accept()
            return
        super().keyPressEvent(event)

    def _on_actor_changed(self, actor: Actor | None) -> None:
        # Another user must not see, or post, what was opened under someone else's role.
        if actor is None or actor != self.actor:
            log.info("encounter editor closed: the signed-in user changed")
            self.close_now()


def estimate_text(estimate: ChargeEstimate | None) -> str:
    """Return the expected shares as a sentence for the post confirmation, or nothing."""
    if estimate is None:
        return "No insurance covers this date: the patient is billed for every line.\n\n"
    if estimate.payer_share is None or estimate.patient_share is None:
        return (
            f"{estimate.payer_name}'s allowed amounts do not list every code, so no estimate "
            "of the shares is shown.\n\n"
        )
    return (
        f"Expected from {estimate.payer_name}: about {money_text(estimate.payer_share)}; "
        f"from the patient: about {money_text(estimate.patient_share)} (copay), before any "
        "deductible or coinsurance.\n\n"
    )


def _with_edition(data: EditorData, edition: str) -> EditorData:
    return replace(data, edition=edition)
