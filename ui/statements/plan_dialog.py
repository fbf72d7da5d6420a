"""The New payment plan dialog: pick the account by patient, type the terms, see the schedule.

Searching for any patient on the account (type, Down, Enter) finds the guarantor's
account and what it owes now, and fills the total with it. The schedule preview and
the problems follow every keystroke, checked with the same rules as the plan service,
and Save stays disabled until the terms are valid. The problems show in a box of fixed
height above the buttons, and a red border marks each field at fault, so no field moves
while the user types. Save runs the service, which checks again against the database.
"""

import html
import logging
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QResizeEvent, QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFrame,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from app.errors import ValidationError
from app.money import ZERO, format_money
from app.problems import Problem, Severity, has_errors
from app.progress import Progress
from app.services import payment_plans
from app.services.outcomes import SaveOutcome
from app.services.patient_search import PatientMatch
from app.services.payment_plans import PlanAccount, PlanForm
from app.services.plan_schedule import (
    DEFAULT_GRACE_DAYS,
    FREQUENCIES,
    FREQUENCY_LABELS,
    FREQUENCY_PHRASES,
    MAX_GRACE_DAYS,
    MAX_INSTALLMENTS,
    PlanTerms,
    add_months,
    build_schedule,
    installment_count,
    terms_problems,
)
from ui.admin.common import run_for
from ui.admin.forms import ERROR_COLOR, WARNING_COLOR, FieldForm, field_key
from ui.context import AppContext
from ui.errors import show_error
from ui.patient.fields import format_amount, money_problems, parse_money
from ui.payments.common import date_field, money_field
from ui.payments.dialogs import reason_box, text_of
from ui.search_popup import COLUMNS as SEARCH_COLUMNS
from ui.search_popup import PICK_HINT_TEXT, PatientSearch
from ui.widgets import find_data

log = logging.getLogger(__name__)

# Wide enough for the patient list under the search box to show its columns whole.
DIALOG_MIN_WIDTH = 800
# Room below the search box for the result list, which is drawn inside the dialog.
DIALOG_HEIGHT = 600
SEARCH_DELAY_MS = 250
# The next appointment does not help choose the account, and without it the list fits.
HIDDEN_SEARCH_COLUMNS = ("Next appointment",)
# Lines of problems shown without scrolling; each problem usually takes one line.
MESSAGE_LINES = 4
# (field key, label in messages, how to fill it) of the amounts typed as money.
MONEY_FIELDS = (
    ("total", "The total", "Type the total the plan pays off, such as 395.00."),
    ("down_payment", "The down payment", "Type the down payment, or 0 for none."),
    ("installment_amount", "The installment", "Type the amount due each time, such as 50.00."),
)


class WrappedLabel(QLabel):
    """A word-wrapped label whose minimum height is what its text needs at its width.

    It reports no height-for-width, because QFormLayout (Qt 6) shares out the height of
    a form with such rows wrongly: it squeezed the note box below its fixed height.
    """

    def __init__(self, text: str = "") -> None:
        super().__init__(text)
        self.setWordWrap(True)

    def hasHeightForWidth(self) -> bool:  # noqa: N802 (Qt override)
        """Return False, so the form sizes this row by its minimum height."""
        return False

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt override)
        """Return QLabel's width and the height the text needs at the current width."""
        hint = super().sizeHint()
        if self.minimumHeight() > 0:
            hint.setHeight(self.minimumHeight())
        return hint

    def setText(self, text: str) -> None:  # noqa: N802 (Qt override)
        """Show `text` and take the height it needs."""
        super().setText(text)
        self._fit()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt override)
        """Take the height the text needs at the new width."""
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        needed = self.heightForWidth(max(self.width(), 1))
        if needed > 0 and needed != self.minimumHeight():
            self.setMinimumHeight(needed)


@dataclass(frozen=True, slots=True)
class Check:
    """The result of checking the typed dialog: problems to show, and the form once valid.

    `missing` lists the empty fields; they are shown only when the user tries to save.
    """

    problems: list[Problem]
    missing: list[Problem]
    form: PlanForm | None


class PlanDialog(QDialog):
    """Sets up a payment plan for the account of the patient searched for.

    `saved` carries the create_plan SaveOutcome; the dialog then closes.
    """

    saved = Signal(object)

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("planDialog")
        self.setWindowTitle("New payment plan")
        self.setMinimumWidth(DIALOG_MIN_WIDTH)
        self.context = context
        self.account: PlanAccount | None = None
        self.saving = False
        self._request = 0
        self._build_fields()
        self._lay_out()
        self._connect()
        self.update_check()
        self.patient.setFocus()

    def _build_fields(self) -> None:
        self.patient = QLineEdit()
        self.patient.setObjectName("planPatientSearch")
        self.patient.setPlaceholderText("Name, chart number, birth date or phone, then Down")

        self.search = PatientSearch(
            self.context, self.patient, self, lambda: False, SEARCH_DELAY_MS, hint=PICK_HINT_TEXT
        )
        for title in HIDDEN_SEARCH_COLUMNS:
            self.search.popup.view.setColumnHidden(SEARCH_COLUMNS.index(title), True)
        self.account_label = WrappedLabel("Search for any patient on the account.")
        self.account_label.setObjectName("planAccount")
        self.total = money_field("Total")
        self.total.setObjectName("planTotal")
        self.down_payment = money_field("Down payment")
        self.down_payment.setObjectName("planDownPayment")
        self.down_payment.setText("0.00")
        self.installment = money_field("Installment")
        self.installment.setObjectName("planInstallment")

        self.frequency = QComboBox()
        self.frequency.setObjectName("planFrequency")
        for code in FREQUENCIES:
            self.frequency.addItem(FREQUENCY_LABELS[code], code)
        self.frequency.setCurrentIndex(find_data(self.frequency, "monthly"))
        self.start_on = date_field("First installment due")
        self.start_on.setObjectName("planStartOn")
        self.grace_days = QSpinBox()
        self.grace_days.setObjectName("planGraceDays")
        self.grace_days.setRange(0, MAX_GRACE_DAYS)
        self.grace_days.setValue(DEFAULT_GRACE_DAYS)
        self.grace_days.setSuffix(" days")
        self.note = reason_box("Such as: pays after payday on the 15th")
        self.note.setObjectName("planNote")
        self.note_height = self.note.maximumHeight()

        self.preview = WrappedLabel()
        self.preview.setObjectName("planPreview")
        self.messages = QLabel()
        self.messages.setObjectName("planProblems")
        self.messages.setAccessibleName("Problems")
        self.messages.setWordWrap(True)
        self.messages.setTextFormat(Qt.TextFormat.RichText)
        self.messages.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.shown_problems: dict[str, str] = {}
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.save_button: QPushButton = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setDefault(True)

    def _lay_out(self) -> None:
        self.form = FieldForm()
        self.form.add_field("account_id", "&Patient", self.patient)
        self.form.add_field("account", "Account", self.account_label)
        self.form.add_field("total", "&Total", self.total)
        self.form.add_field("down_payment", "&Down payment", self.down_payment)
        self.form.add_field("installment_amount", "&Installment", self.installment)
        self.form.add_field("frequency", "&Frequency", self.frequency)
        self.form.add_field("start_on", "Fi&rst due", self.start_on, "MM/DD/YYYY")
        self.form.add_field(
            "grace_days", "&Grace period", self.grace_days,
            "Days after a missed installment before the usual notices resume",
        )  # fmt: skip
        self.form.add_field("note", "&Note", self.note)
        self.form.add_field("preview", "Schedule", self.preview)
        layout = QVBoxLayout(self)
        layout.addWidget(self.form)
        layout.addWidget(self._message_area())
        # The spare height goes below the form, so every caption stays beside its field.
        layout.addStretch(1)
        layout.addWidget(self.buttons)
        self.resize(DIALOG_MIN_WIDTH, DIALOG_HEIGHT)

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt override)
        """Keep the note box at its full height once the style sheet has applied."""
        super().showEvent(event)
        self._keep_note_height()

    def _keep_note_height(self) -> None:
        # The style sheet's min-height for text boxes replaces the box's fixed height as
        # the minimum whenever the box is polished, and the form then shrinks the box
        # to a sliver instead of growing the dialog.
        self.note.setMinimumHeight(self.note_height)

    def _message_area(self) -> QScrollArea:
        # A fixed height, so problems appearing and going never move the fields. More
        # problems than fit scroll inside the box.
        area = QScrollArea()
        area.setObjectName("planProblemArea")
        area.setWidgetResizable(True)
        area.setFrameShape(QFrame.Shape.NoFrame)
        # Without problems the box is blank, not a gray block above the buttons.
        area.setStyleSheet(
            "QScrollArea#planProblemArea, QLabel#planProblems { background: transparent; }"
        )
        area.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        area.setWidget(self.messages)
        area.setFixedHeight(self.messages.fontMetrics().lineSpacing() * MESSAGE_LINES + 8)
        return area

    def _connect(self) -> None:
        self.search.chosen.connect(self.choose_patient)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        for box in (self.total, self.down_payment, self.installment, self.start_on):
            box.textChanged.connect(lambda _text: self.update_check())
            # FieldForm hides a field's problem on textEdited; checking again after it
            # keeps the problem of the text now typed in view.
            box.textEdited.connect(lambda _text: self.update_check())
        self.frequency.currentIndexChanged.connect(lambda _index: self.update_check())
        self.grace_days.valueChanged.connect(lambda _value: self.update_check())
        self.note.textChanged.connect(self.update_check)

    # Choosing the account

    def choose_patient(self, match: PatientMatch) -> None:
        """Find (or make) the account that bills the patient and what it owes."""
        self.patient.setText(f"{match.display_name} ({match.chart_number})")
        self._request += 1
        request, actor, patient_id = self._request, self.context.actor, match.patient_id

        def work(session: Session, _progress: Progress) -> PlanAccount:
            return payment_plans.plan_account(session, actor, patient_id)

        self.account = None
        self.account_label.setText("Finding the account…")
        self.update_check()
        run_for(self, self.context, work, lambda found: self._account_found(request, found))

    def _account_found(self, request: int, account: PlanAccount) -> None:
        if request != self._request:
            return
        self.account = account
        self.account_label.setText(
            f"Account {account.account_number}: {account.guarantor_name}, "
            f"{account.patient_count} patient{'s' if account.patient_count != 1 else ''}, "
            f"owes {format_money(account.owed)} now"
        )
        if not self.total.text().strip() and account.owed > ZERO:
            self.total.setText(format_amount(account.owed))
        if self.start_on.date_value() is None:
            self.start_on.set_date(add_months(account.today, 1))
        self.update_check()
        self.installment.setFocus()

    # Checking as the user types

    def update_check(self) -> Check:
        """Recheck what is typed: show the problems and the schedule, enable Save."""
        check = self.check()
        self._show(check.problems)
        self.preview.setText(self._preview_text())
        self.save_button.setEnabled(check.form is not None and not self.saving)
        return check

    def check(self) -> Check:
        """Return the problems of what is typed and, when there are no errors, the form."""
        problems: list[Problem] = []
        missing: list[Problem] = []
        amounts: dict[str, Decimal] = {}
        for key, label, fill in MONEY_FIELDS:
            box = self._money_box(key)
            problems.extend(money_problems(box, key, label))
            amount = parse_money(box.text())
            if amount is None and not box.text().strip():
                missing.append(Problem(key, fill))
            elif amount is not None:
                amounts[key] = amount
        problems.extend(self.start_on.problems("start_on", "The first due date"))
        start_on = self.start_on.date_value()
        if start_on is None and not self.start_on.text().strip():
            missing.append(Problem("start_on", "Type the first installment's date as MM/DD/YYYY."))
        problems.extend(self._account_problems(missing))

        if self.account is None or start_on is None or len(amounts) < len(MONEY_FIELDS):
            return Check(problems, missing, None)
        form = self._form(self.account, amounts, start_on)
        problems.extend(
            terms_problems(
                form.terms, form.grace_days, form.note, self.account.today, self.account.owed
            )
        )
        return Check(problems, missing, None if has_errors(problems) else form)

    def _money_box(self, key: str) -> QLineEdit:
        return {
            "total": self.total,
            "down_payment": self.down_payment,
            "installment_amount": self.installment,
        }[key]

    def _account_problems(self, missing: list[Problem]) -> list[Problem]:
        account = self.account
        if account is None:
            missing.append(
                Problem("account_id", "Search for a patient on the account, then press Enter.")
            )
            return []
        if account.open_plan is not None:
            return [
                Problem(
                    "account_id",
                    f"Account {account.account_number} already has an open payment plan "
                    f"({account.open_plan}); cancel it on the Payment plans tab first.",
                )
            ]
        if account.owed <= ZERO:
            return [
                Problem(
                    "account_id",
                    f"Account {account.account_number} owes nothing now, so there is "
                    "nothing to pay in installments; search for another patient.",
                )
            ]
        return []

    def _form(self, account: PlanAccount, amounts: dict[str, Decimal], start_on: date) -> PlanForm:
        return PlanForm(
            account_id=account.account_id,
            total=amounts["total"],
            down_payment=amounts["down_payment"],
            installment_amount=amounts["installment_amount"],
            frequency=str(self.frequency.currentData()),
            start_on=start_on,
            grace_days=self.grace_days.value(),
            note=text_of(self.note),
        )

    def _preview_text(self) -> str:
        # The preview needs only the amounts, frequency and start date, so it shows even
        # before an account is chosen.
        total = parse_money(self.total.text())
        down = parse_money(self.down_payment.text())
        installment = parse_money(self.installment.text())
        start_on = self.start_on.date_value()
        if total is None or down is None or installment is None or start_on is None:
            return "Type the amounts and the first due date to see the schedule."
        if installment <= ZERO or not ZERO <= down < total:
            return ""
        if installment_count(total, down, installment) > MAX_INSTALLMENTS:
            return ""
        frequency = str(self.frequency.currentData())
        today = self.account.today if self.account is not None else start_on
        terms = PlanTerms(total, down, installment, frequency, start_on)
        schedule = [item for item in build_schedule(terms, today) if item.number > 0]
        last = schedule[-1]
        text = (
            f"{len(schedule)} installment{'s' if len(schedule) != 1 else ''} "
            f"{FREQUENCY_PHRASES[frequency]}, the last ({format_money(last.amount)}) due "
            f"{last.due_on:%m/%d/%Y}."
        )
        if down > ZERO:
            text = f"Down payment {format_money(down)} today, then {text}"
        return text

    def _show(self, problems: list[Problem], *, focus_first: bool = False) -> None:
        """List `problems` above the buttons and mark their fields.

        The focus stays in the field being typed unless `focus_first` moves it to the
        first field at fault (after Save).
        """
        self.form.clear_problems()
        grouped: dict[str, list[Problem]] = {}
        for problem in problems:
            grouped.setdefault(field_key(problem.field), []).append(problem)
        # Problems are listed in the order of their fields, then those of no field.
        order = list(self.form.fields)
        keys = sorted(grouped, key=lambda key: order.index(key) if key in order else len(order))
        self.shown_problems = {}
        lines: list[str] = []
        for key in keys:
            found = grouped[key]
            is_error = any(problem.severity is Severity.ERROR for problem in found)
            self.shown_problems[key] = "\n".join(problem.message for problem in found)
            color = ERROR_COLOR if is_error else WARNING_COLOR
            lines += [
                f'<span style="color: {color};">{html.escape(problem.message)}</span>'
                for problem in found
            ]
            self._mark(key, is_error)
        self.messages.setText("<br>".join(lines))
        self.messages.setToolTip("\n".join(self.shown_problems.values()))
        first = next((self.form.fields[key] for key in keys if key in self.form.fields), None)
        if focus_first and first is not None:
            first.setFocus()

    def _mark(self, key: str, is_error: bool) -> None:
        # The red border the style sheet draws for the dynamic property "invalid".
        widget = self.form.fields.get(key)
        if widget is None or not is_error:
            return
        widget.setProperty("invalid", True)
        widget.style().unpolish(widget)
        widget.style().polish(widget)
        self._keep_note_height()

    def problem_text(self, key: str) -> str:
        """Return the problem listed for field `key` (empty when none)."""
        return self.shown_problems.get(key, "")

    # Saving

    def accept(self) -> None:
        """Save the plan when the terms are valid; else show every problem, empty fields too."""
        if self.saving:
            return
        check = self.update_check()
        if check.form is None:
            self._show([*check.problems, *check.missing], focus_first=True)
            return
        form, actor = check.form, self.context.actor

        def work(session: Session, _progress: Progress) -> SaveOutcome:
            return payment_plans.create_plan(session, actor, form)

        self.saving = True
        self.buttons.setEnabled(False)
        run_for(self, self.context, work, self._finished, self._failed)

    def _finished(self, outcome: SaveOutcome) -> None:
        self.saving = False
        self.buttons.setEnabled(True)
        if not outcome.saved:
            self._show(list(outcome.problems), focus_first=True)
            self.save_button.setEnabled(False)
            return
        log.info("payment plan %s saved from the dialog", outcome.record_id)
        self.saved.emit(outcome)
        super().accept()

    def _failed(self, error: BaseException) -> None:
        self.saving = False
        self.buttons.setEnabled(True)
        if isinstance(error, ValidationError):
            self._show(list(error.problems), focus_first=True)
        else:
            show_error(self, error)
