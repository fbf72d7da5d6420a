"""The Reports tab of the Statements page: notices sent in a period, and overdue balances.

"Notices sent in a period" lists the statements of the ticked levels dated in the
period, with their status. "Balances overdue without a notice" lists guarantors owed on
a service older than the cutoff who got no statement within it, with hints of why.
Show runs the report; Export CSV writes the same rows, under the same column titles, to
a file the user chooses.
"""

import logging
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QAbstractButton,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QSpinBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from app.changes import Changes
from app.errors import UserError, ValidationError
from app.money import ZERO, format_money
from app.progress import Progress
from app.security.permissions import Permission
from app.services import statement_reports
from app.services.statement_reports import (
    NOTICE_CSV_HEADERS,
    OVERDUE_CSV_HEADERS,
    NoticeReportRow,
    OverdueRow,
    channel_label,
    status_label,
)
from app.services.today import practice_today
from ui.admin.common import Work, run_for
from ui.context import AppContext
from ui.errors import show_error
from ui.pages.base import Page
from ui.patient.fields import format_date
from ui.payments.common import action_button, date_field, plural, status_line
from ui.statements import keys
from ui.statements.files import choose_csv_file
from ui.statements.tables import SortCell, StatementTable, level_cell, level_rank

log = logging.getLogger(__name__)

NOTICES = "notices"
OVERDUE = "overdue"
REPORT_TITLES = {
    NOTICES: "Notices sent in a period",
    OVERDUE: "Balances overdue without a notice",
}
# The screen and the CSV export share their column titles.
NOTICE_COLUMNS = NOTICE_CSV_HEADERS
OVERDUE_COLUMNS = OVERDUE_CSV_HEADERS
# The notices a biller most often checks: the ones that state the balance is past due.
DEFAULT_LEVELS = ("second", "third")
DEFAULT_PERIOD_DAYS = 30
MAX_CUTOFF_DAYS = 365
# Alt letters the level boxes must not take: the menu bar's (File, Go, Help) and the
# Statements tab bar's, which work on every tab.
WINDOW_MNEMONICS = frozenset("fghilsty")


@dataclass(frozen=True, slots=True)
class ReportsLoad:
    """The practice's today and the level labels, loaded when the tab first shows."""

    today: date
    labels: dict[str, str]


def notice_cells(row: NoticeReportRow) -> list[str | SortCell]:
    """Return one notice's cells, in NOTICE_COLUMNS order."""
    return [
        row.account_number,
        row.guarantor_name,
        format_date(row.statement_date),
        level_cell(row.level, row.level_label),
        row.statement_number,
        format_money(row.amount_due),
        channel_label(row.channel),
        status_label(row.status),
    ]


def overdue_cells(row: OverdueRow, codes: dict[str, str] | None = None) -> list[str | SortCell]:
    """Return one overdue account's cells, in OVERDUE_COLUMNS order.

    `codes` maps level labels back to their codes, so Last level sorts in ladder order.
    """
    last_level = row.last_level or ""
    code = (codes or {}).get(last_level) if row.last_level else None
    return [
        row.account_number or "(none yet)",
        row.guarantor_name,
        ", ".join(row.patient_names),
        format_money(row.balance),
        format_date(row.oldest_service_date),
        SortCell(str(row.days_outstanding), row.days_outstanding),
        format_date(row.last_statement_on),
        SortCell(last_level, level_rank(code)),
        row.reason_text,
    ]


def days_suffix(count: int) -> str:
    """Return the cutoff box's unit for `count`: " day" for 1, else " days"."""
    return " day" if count == 1 else " days"


class ReportsTab(Page):
    """Chooses a statement report and its period or cutoff, shows it and exports it."""

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("statementReports")
        self.context = context
        self.today: date | None = None
        self.labels: dict[str, str] = {}
        self.notice_rows: list[NoticeReportRow] = []
        self.overdue_rows: list[OverdueRow] = []
        self._request = 0
        self.level_boxes: dict[str, QCheckBox] = {}
        self._build_fields()
        self._bind_keys()
        self._lay_out()
        self._update_actions()

    def _build_fields(self) -> None:
        self.report = QComboBox()
        self.report.setObjectName("reportChoice")
        self.report.setAccessibleName("Report")
        for key, title in REPORT_TITLES.items():
            self.report.addItem(title, key)
        self.report.currentIndexChanged.connect(lambda _index: self._report_changed())

        self.start = date_field("Period from")
        self.start.setObjectName("periodStart")
        self.end = date_field("Period through")
        self.end.setObjectName("periodEnd")
        self.levels_row = QHBoxLayout()

        self.as_of = date_field("Overdue as of")
        self.as_of.setObjectName("overdueAsOf")
        self.cutoff = QSpinBox()
        self.cutoff.setObjectName("overdueDays")
        self.cutoff.setAccessibleName("Days without a notice")
        self.cutoff.setRange(1, MAX_CUTOFF_DAYS)
        self.cutoff.valueChanged.connect(lambda value: self.cutoff.setSuffix(days_suffix(value)))
        self.cutoff.setValue(statement_reports.DEFAULT_OVERDUE_DAYS)
        self.cutoff.setSuffix(days_suffix(self.cutoff.value()))

        self.show_button = action_button("Sho&w report", "showReport")
        self.show_button.clicked.connect(self.show_report)
        self.export_button = action_button("E&xport CSV…", "exportReport")
        self.export_button.clicked.connect(self.choose_export_file)

        self.notice_table = StatementTable(
            NOTICE_COLUMNS, "Notices sent", ("Amount due",), ("Date",)
        )
        self.notice_table.setObjectName("noticeReportTable")
        self.overdue_table = StatementTable(
            OVERDUE_COLUMNS, "Overdue balances", ("Balance",), ("Oldest service", "Last statement")
        )
        self.overdue_table.setObjectName("overdueReportTable")
        self.summary = status_line("Report outcome")
        for field in (self.start, self.end, self.as_of):
            field.returnPressed.connect(self.show_report)

    def _bind_keys(self) -> None:
        for shortcut, slot in (
            (keys.PREVIEW, self.show_report),
            (keys.EXPORT_REPORT, self.choose_export_file),
        ):
            action = QAction(shortcut.action, self)
            action.setShortcut(shortcut.sequence())
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            action.triggered.connect(lambda _checked=False, call=slot: call())
            self.addAction(action)

    def _lay_out(self) -> None:
        choice = QHBoxLayout()
        caption = QLabel("&Report")
        caption.setBuddy(self.report)
        choice.addWidget(caption)
        choice.addWidget(self.report)
        choice.addStretch(1)
        choice.addWidget(self.show_button)
        choice.addWidget(self.export_button)

        self.parameters = QStackedWidget()
        self.parameters.addWidget(self._notice_parameters())
        self.parameters.addWidget(self._overdue_parameters())
        self.results = QStackedWidget()
        self.results.addWidget(self.notice_table)
        self.results.addWidget(self.overdue_table)

        layout = QVBoxLayout(self)
        layout.addLayout(choice)
        layout.addWidget(self.parameters)
        layout.addWidget(self.results, 1)
        layout.addWidget(self.summary)

    def _notice_parameters(self) -> QWidget:
        box = QWidget()
        row = QHBoxLayout(box)
        row.setContentsMargins(0, 0, 0, 0)
        for text, field in (("Fro&m", self.start), ("Thro&ugh", self.end)):
            label = QLabel(text)
            label.setBuddy(field)
            row.addWidget(label)
            row.addWidget(field)
        row.addSpacing(12)
        row.addWidget(QLabel("Levels:"))
        row.addLayout(self.levels_row)
        row.addStretch(1)
        return box

    def _overdue_parameters(self) -> QWidget:
        box = QWidget()
        row = QHBoxLayout(box)
        row.setContentsMargins(0, 0, 0, 0)
        for text, field in (("&As of", self.as_of), ("Days without a &notice", self.cutoff)):
            label = QLabel(text)
            label.setBuddy(field)
            row.addWidget(label)
            row.addWidget(field)
        row.addStretch(1)
        return box

    def current_report(self) -> str:
        """Return the key of the report chosen: NOTICES or OVERDUE."""
        return str(self.report.currentData())

    def _report_changed(self) -> None:
        index = self.report.currentIndex()
        self.parameters.setCurrentIndex(index)
        self.results.setCurrentIndex(index)
        self.summary.clear()
        self._update_actions()

    # Loading

    def refresh(self) -> None:
        """Load the level labels and fill the dates with defaults around today."""
        if not self.context.can(Permission.STATEMENT_RUN):
            return

        def work(session: Session, _progress: Progress) -> ReportsLoad:
            return ReportsLoad(practice_today(session), statement_reports.level_labels(session))

        run_for(self, self.context, work, self._loaded, read_only=True)

    def _loaded(self, loaded: ReportsLoad) -> None:
        self.today = loaded.today
        self.labels = loaded.labels
        if self.end.date_value() is None:
            self.end.set_date(loaded.today)
        if self.start.date_value() is None:
            self.start.set_date(loaded.today - timedelta(days=DEFAULT_PERIOD_DAYS))
        if self.as_of.date_value() is None:
            self.as_of.set_date(loaded.today)
        self._fill_levels(loaded.labels)

    def _fill_levels(self, labels: dict[str, str]) -> None:
        ticked = self.chosen_levels() if self.level_boxes else list(DEFAULT_LEVELS)
        # The labels are the practice's own, so their Alt letters are chosen here.
        taken = set(WINDOW_MNEMONICS) | self._control_mnemonics()
        for box in self.level_boxes.values():
            self.levels_row.removeWidget(box)
            box.deleteLater()
        self.level_boxes = {}
        captions = keys.assign_mnemonics(list(labels.values()), taken)
        previous: QWidget = self.end
        for (code, label), caption in zip(labels.items(), captions, strict=True):
            box = QCheckBox(caption)
            box.setObjectName(f"level_{code}")
            box.setAccessibleName(f"Level {label}")
            box.setChecked(code in ticked)
            self.levels_row.addWidget(box)
            self.level_boxes[code] = box
            # New boxes would otherwise come last in the Tab order, after the table.
            QWidget.setTabOrder(previous, box)
            previous = box

    def _control_mnemonics(self) -> set[str]:
        # The Alt letters of the tab's captions and buttons, the level boxes left out.
        texts = [label.text() for label in self.findChildren(QLabel)]
        texts += [button.text() for button in self.findChildren(QAbstractButton)]
        texts = [text for text in texts if not text.startswith("<")]
        boxes = {box.text() for box in self.level_boxes.values()}
        letters = (keys.mnemonic_of(text) for text in texts if text not in boxes)
        return {letter for letter in letters if letter is not None}

    def chosen_levels(self) -> list[str]:
        """Return the codes of the ticked levels, in ladder order."""
        return [code for code, box in self.level_boxes.items() if box.isChecked()]

    # Showing and exporting

    def _period(self) -> tuple[date, date] | None:
        problems = self.start.problems("start", "The period's first day")
        problems += self.end.problems("end", "The period's last day")
        start, end = self.start.date_value(), self.end.date_value()
        if problems or start is None or end is None:
            self.summary.setText(
                problems[0].message if problems else "Type both dates of the period."
            )
            return None
        return start, end

    def _as_of(self) -> date | None:
        problems = self.as_of.problems("on", "The report date")
        chosen = self.as_of.date_value()
        if problems or chosen is None:
            self.summary.setText(problems[0].message if problems else "Type the report date.")
            return None
        return chosen

    def show_report(self) -> None:
        """Run the chosen report off the GUI thread and list its rows."""
        if not self.context.can(Permission.STATEMENT_RUN):
            return
        if self.current_report() == NOTICES:
            self._show_notices()
        else:
            self._show_overdue()

    def _show_notices(self) -> None:
        period, levels = self._period(), self.chosen_levels()
        if period is None:
            return
        self._request += 1
        request, actor = self._request, self.context.actor

        def work(session: Session, _progress: Progress) -> list[NoticeReportRow]:
            return statement_reports.notices_in_period(session, actor, *period, levels)

        def done(rows: list[NoticeReportRow]) -> None:
            if request != self._request:
                return
            self.notice_rows = rows
            self.notice_table.set_rows([(row.statement_id, notice_cells(row)) for row in rows])
            total = sum((row.amount_due for row in rows), ZERO)
            self.summary.setText(
                f"{plural(len(rows), 'notice')}, {format_money(total)} due when sent."
            )
            self._update_actions()

        run_for(self, self.context, work, done, self._failed, title="Listing notices…")

    def _show_overdue(self) -> None:
        on, days = self._as_of(), self.cutoff.value()
        if on is None:
            return
        self._request += 1
        request, actor = self._request, self.context.actor
        codes = {label: code for code, label in self.labels.items()}

        def work(session: Session, _progress: Progress) -> list[OverdueRow]:
            return statement_reports.overdue_without_notice(session, actor, on, days)

        def done(rows: list[OverdueRow]) -> None:
            if request != self._request:
                return
            self.overdue_rows = rows
            self.overdue_table.set_rows(
                [(row.account_id, overdue_cells(row, codes)) for row in rows]
            )
            total = sum((row.balance for row in rows), ZERO)
            self.summary.setText(f"{plural(len(rows), 'account')}, {format_money(total)} owed.")
            self._update_actions()

        run_for(self, self.context, work, done, self._failed, title="Listing overdue balances…")

    def choose_export_file(self) -> None:
        """Ask for a file name, then export the chosen report to it."""
        if not self.context.can(Permission.STATEMENT_RUN):
            return
        default = "notices.csv" if self.current_report() == NOTICES else "overdue-balances.csv"
        path = choose_csv_file(self, f"Export {self.report.currentText().lower()}", default)
        if path is not None:
            self.export_to(path)

    def export_to(self, path: Path) -> None:
        """Write the chosen report as CSV to `path` off the GUI thread (audited)."""
        export = self._notice_export(path) if self.current_report() == NOTICES else None
        if self.current_report() == OVERDUE:
            export = self._overdue_export(path)
        if export is None:
            return
        work, noun = export

        def done(count: int) -> None:
            self.summary.setText(f"Exported {plural(count, noun)} to {path.name}.")

        run_for(self, self.context, work, done, self._failed, title="Exporting the report…")

    def _notice_export(self, path: Path) -> tuple[Work, str] | None:
        period, levels, actor = self._period(), self.chosen_levels(), self.context.actor
        if period is None:
            return None
        start, end = period

        def work(session: Session, _progress: Progress) -> int:
            return statement_reports.export_notices_csv(
                session, actor, path, start=start, end=end, levels=levels
            )

        return work, "notice"

    def _overdue_export(self, path: Path) -> tuple[Work, str] | None:
        on, days, actor = self._as_of(), self.cutoff.value(), self.context.actor
        if on is None:
            return None

        def work(session: Session, _progress: Progress) -> int:
            return statement_reports.export_overdue_csv(session, actor, path, on, days)

        return work, "account"

    def _failed(self, error: BaseException) -> None:
        if isinstance(error, ValidationError):
            self.summary.setText(" ".join(problem.message for problem in error.problems))
        elif isinstance(error, UserError):
            self.summary.setText(str(error))
        else:
            show_error(self, error)

    def _update_actions(self) -> None:
        allowed = self.context.can(Permission.STATEMENT_RUN)
        self.show_button.setEnabled(allowed)
        self.export_button.setEnabled(allowed)

    # Page hooks

    def clear_data(self) -> None:
        """Remove the report rows from the screen (lock or sign-out)."""
        self._request += 1
        self.notice_rows = []
        self.overdue_rows = []
        self.notice_table.set_rows([])
        self.overdue_table.set_rows([])
        self.summary.clear()

    def handle_changes(self, changes: Changes) -> None:
        """Keep the rows shown: a report lists what was true when it ran; Show runs it again."""
