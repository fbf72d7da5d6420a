"""The first-run wizard: set up a practice, or try ClinicDesk with demo data.

Set-up: welcome, practice, location, providers, administrator, recovery passphrase,
creating the database, and the recovery sheet. Demo: welcome, administrator, recovery
passphrase, creating, recovery sheet. The database is created on a worker thread after
the passphrase page, which is a commit page, so Back cannot return past it once the
database exists. When creation fails, Back is offered again so the input can be fixed.
"""

import logging
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

from PySide6.QtCore import QThread, Signal
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from app.db.database import Database
from app.errors import UserError, ValidationError
from app.paths import key_file_path
from app.problems import Problem, has_errors
from app.security.keys import MIN_PASSPHRASE_LENGTH
from app.services.demo import DEMO_USERS, demo_account_problems, demo_today
from app.services.practice import PracticeSetup, validate_setup
from ui.errors import show_error
from ui.icons import app_icon
from ui.passphrase import generate_passphrase
from ui.recovery_sheet import RecoverySheet, render_recovery_sheet, save_recovery_sheet_pdf
from ui.wizard_pages import AdminPage, FieldPage, LocationPage, PracticePage, ProvidersPage

log = logging.getLogger(__name__)

WELCOME, PRACTICE, LOCATION, PROVIDERS, ADMIN, PASSPHRASE, CREATE, SHEET = range(8)
DEMO_PATIENTS = 500
DEMO_SEED = 1
DEMO_PRACTICE_NAME = "Lakeside Family Medicine (demo data)"
# The accounts that app.services.demo creates with the administrator's password.
DEMO_USERNAMES = tuple(username for username, _role in DEMO_USERS)


def _local_today() -> date:
    return datetime.now().astimezone().date()


class WelcomePage(QWizardPage):
    """Choose between setting up a real practice and trying demo data."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle("Welcome to ClinicDesk")
        self.setSubTitle("No ClinicDesk database exists on this computer yet.")
        self.setup_choice = QRadioButton("&Set up my practice")
        self.setup_choice.setObjectName("setupChoice")
        self.demo_choice = QRadioButton("&Try with demo data")
        self.demo_choice.setObjectName("demoChoice")
        self.setup_choice.setChecked(True)
        group = QButtonGroup(self)
        group.addButton(self.setup_choice)
        group.addButton(self.demo_choice)
        notes = (
            (self.setup_choice, "Enter your practice, first location, providers and the "
             "administrator account. This takes about five minutes."),
            (self.demo_choice, "Creates a made-up practice with 500 fictional patients, "
             "providers, payers and this week's appointments, to explore safely."),
        )  # fmt: skip
        layout = QVBoxLayout(self)
        for button, note in notes:
            text = QLabel(note)
            text.setWordWrap(True)
            text.setObjectName("choiceNote")
            layout.addWidget(button)
            layout.addWidget(text)
        layout.addStretch(1)

    def nextId(self) -> int:  # noqa: N802 (Qt override)
        return ADMIN if self.demo_choice.isChecked() else PRACTICE


class PassphrasePage(QWizardPage):
    """Generate or type the recovery passphrase that wraps the database key."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle("Recovery passphrase")
        self.setSubTitle(
            "The database is encrypted. This passphrase opens it when the computer's keyring "
            "cannot, for example on a new computer or after restoring a backup."
        )
        self.setCommitPage(True)
        self.setButtonText(QWizard.WizardButton.CommitButton, "&Create database")
        self.generate_choice = QRadioButton("&Generate a strong passphrase for me")
        self.own_choice = QRadioButton("I will &type my own")
        self.generate_choice.setChecked(True)
        self.generated = QLabel(generate_passphrase())
        self.generated.setObjectName("generatedPassphrase")
        self.generated.setAccessibleName("Generated recovery passphrase")
        again = QPushButton("Generate &another")
        again.clicked.connect(lambda: self.generated.setText(generate_passphrase()))
        self.own = self._secret_field("Your recovery passphrase")
        self.own_repeat = self._secret_field("Your recovery passphrase again")
        self.message = QLabel()
        self.message.setObjectName("fieldProblem")
        self.message.setWordWrap(True)
        self.message.hide()
        self.generate_choice.toggled.connect(self._update_enabled)

        row = QHBoxLayout()
        row.addWidget(self.generated, 1)
        row.addWidget(again)
        own_form = QFormLayout()
        own_form.addRow("&Passphrase:", self.own)
        own_form.addRow("Aga&in:", self.own_repeat)
        layout = QVBoxLayout(self)
        layout.addWidget(self.generate_choice)
        layout.addLayout(row)
        layout.addWidget(self.own_choice)
        layout.addLayout(own_form)
        layout.addWidget(self.message)
        layout.addStretch(1)
        self._update_enabled()

    def _secret_field(self, name: str) -> QLineEdit:
        field = QLineEdit()
        field.setEchoMode(QLineEdit.EchoMode.Password)
        field.setAccessibleName(name)
        return field

    def _update_enabled(self) -> None:
        own = self.own_choice.isChecked()
        self.own.setEnabled(own)
        self.own_repeat.setEnabled(own)

    def passphrase(self) -> str:
        """Return the chosen passphrase."""
        return self.own.text() if self.own_choice.isChecked() else self.generated.text()

    def validatePage(self) -> bool:  # noqa: N802 (Qt override)
        problem = self._problem()
        self.message.setText(problem)
        self.message.setVisible(bool(problem))
        return not problem

    def _problem(self) -> str:
        if not self.own_choice.isChecked():
            return ""
        if len(self.own.text().strip()) < MIN_PASSPHRASE_LENGTH:
            return f"Use at least {MIN_PASSPHRASE_LENGTH} characters; several words are best."
        if self.own.text() != self.own_repeat.text():
            return "The two passphrases are different. Type the same passphrase twice."
        return ""


class _CreateThread(QThread):
    """Runs the database creation off the GUI thread."""

    succeeded = Signal(object)
    failed = Signal(object)

    def __init__(self, work: Callable[[], Database], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.work = work

    def run(self) -> None:
        try:
            database = self.work()
        except BaseException as exc:  # noqa: BLE001 (every failure must reach the GUI thread)
            self.failed.emit(exc)
        else:
            self.succeeded.emit(database)


class CreatePage(QWizardPage):
    """Creates the database in the background and moves on when it is ready."""

    def __init__(self, wizard: "SetupWizard") -> None:
        super().__init__()
        self.owner = wizard
        self.setTitle("Creating the encrypted database")
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.bar = QProgressBar()
        self.bar.setRange(0, 0)
        self.bar.setAccessibleName("Progress of creating the database")
        self.retry = QPushButton("Try &again")
        self.retry.clicked.connect(self.initializePage)
        self.retry.hide()
        self.thread_: _CreateThread | None = None
        layout = QVBoxLayout(self)
        layout.addWidget(self.status)
        layout.addWidget(self.bar)
        layout.addWidget(self.retry)
        layout.addStretch(1)

    def initializePage(self) -> None:  # noqa: N802 (Qt override)
        if self.owner.database is not None or self.thread_ is not None:
            return
        self._allow_back(False)
        self.retry.hide()
        self.bar.show()
        self.status.setText(f"Creating {self.owner.database_path} …")
        self.thread_ = _CreateThread(self.owner.creation_work(), self)
        self.thread_.succeeded.connect(self._succeeded)
        self.thread_.failed.connect(self._failed)
        self.thread_.start()

    def isComplete(self) -> bool:  # noqa: N802 (Qt override)
        return self.owner.database is not None

    def _succeeded(self, database: Database) -> None:
        self._forget_thread()
        self.owner.database = database
        self.status.setText("The database is ready.")
        self.bar.hide()
        self.completeChanged.emit()
        self.owner.next()

    def cleanupPage(self) -> None:  # noqa: N802 (Qt override)
        # Going Back after a failure: the passphrase page commits again on the next try.
        self._allow_back(False)

    def _allow_back(self, allowed: bool) -> None:
        """Let Back return to the passphrase page (only while no database exists)."""
        self.owner.passphrase_page.setCommitPage(not allowed)
        self.completeChanged.emit()

    def _failed(self, error: BaseException) -> None:
        self._forget_thread()
        self.bar.hide()
        self.retry.show()
        self.status.setText(
            f"{failure_text(error)}\n\nChoose Back to change what you entered, or Try again."
        )
        self._allow_back(True)
        if not isinstance(error, UserError):
            show_error(self, error)

    def _forget_thread(self) -> None:
        if self.thread_ is not None:
            self.thread_.wait()
            self.thread_.deleteLater()
            self.thread_ = None


def failure_text(error: BaseException) -> str:
    """Return why creation failed, in the words shown on the Creating page."""
    if isinstance(error, ValidationError):
        return "\n".join(problem.message for problem in error.problems) or str(error)
    if isinstance(error, UserError):
        return str(error)
    return "The database was not created."


class SheetPage(QWizardPage):
    """Shows the passphrase once more with Print and Save as PDF, and asks for a promise."""

    def __init__(self, wizard: "SetupWizard") -> None:
        super().__init__()
        self.owner = wizard
        self.setTitle("Store the recovery passphrase")
        self.setSubTitle(
            "Print this sheet or save it as a PDF on a USB stick, and keep it in a locked "
            "place. ClinicDesk shows the passphrase only now."
        )
        self.facts = QLabel()
        self.facts.setObjectName("sheetFacts")
        self.facts.setWordWrap(True)
        self.passphrase = QLabel()
        self.passphrase.setObjectName("generatedPassphrase")
        print_button = QPushButton("&Print recovery sheet…")
        print_button.clicked.connect(self.print_sheet)
        save_button = QPushButton("&Save as PDF…")
        save_button.clicked.connect(self.save_pdf)
        self.stored = QCheckBox("I &have stored the passphrase safely")
        self.stored.setObjectName("storedCheck")
        self.registerField("stored*", self.stored)
        self._build_notes()
        buttons = QHBoxLayout()
        buttons.addWidget(print_button)
        buttons.addWidget(save_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.facts)
        layout.addWidget(self.passphrase)
        layout.addLayout(buttons)
        layout.addWidget(self.demo_users)
        layout.addStretch(1)
        layout.addWidget(self.stored)
        layout.addWidget(self.reminder)

    def _build_notes(self) -> None:
        self.demo_users = QLabel()
        self.demo_users.setObjectName("demoUsers")
        self.demo_users.setWordWrap(True)
        self.demo_users.hide()
        self.reminder = QLabel(
            "Store the passphrase first, then tick the box and choose Finish. The database "
            "already exists, and without the passphrase it cannot be opened on another "
            "computer or from a backup."
        )
        self.reminder.setObjectName("fieldProblem")
        self.reminder.setWordWrap(True)
        self.reminder.hide()
        self.stored.toggled.connect(lambda _checked: self.reminder.setVisible(False))

    def initializePage(self) -> None:  # noqa: N802 (Qt override)
        sheet = self.owner.recovery_sheet()
        self.facts.setText(
            "<br>".join(f"<b>{label}:</b> {value}" for label, value in sheet.lines())
        )
        self.passphrase.setText(sheet.passphrase)
        if self.owner.demo:
            names = ", ".join(DEMO_USERNAMES[:-1]) + " and " + DEMO_USERNAMES[-1]
            self.demo_users.setText(
                f"The demo also has the users {names}. They sign in with the same password "
                f"as {self.owner.admin.account().username}."
            )
        self.demo_users.setVisible(self.owner.demo)

    def remind(self) -> None:
        """Say that the box must be ticked before the wizard closes."""
        self.reminder.show()
        self.stored.setFocus()

    def print_sheet(self) -> None:
        """Print the sheet on a printer the user picks."""
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        dialog = QPrintDialog(printer, self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            render_recovery_sheet(printer, self.owner.recovery_sheet())

    def save_pdf(self) -> None:
        """Save the sheet as a PDF where the user picks."""
        suggested = str(Path.home() / "ClinicDesk recovery sheet.pdf")
        name, _filter = QFileDialog.getSaveFileName(
            self, "Save recovery sheet", suggested, "PDF (*.pdf)"
        )
        if name:
            save_recovery_sheet_pdf(Path(name), self.owner.recovery_sheet())


class SetupWizard(QWizard):
    """Collects everything a new database needs and creates it; `database` is the result."""

    def __init__(
        self,
        database_path: Path,
        parent: QWidget | None = None,
        *,
        demo_patients: int = DEMO_PATIENTS,
        today: date | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("setupWizard")
        self.setWindowTitle("Set up ClinicDesk")
        self.setWindowIcon(app_icon())
        self.setWizardStyle(QWizard.WizardStyle.ModernStyle)
        self.setOption(QWizard.WizardOption.NoBackButtonOnLastPage, True)
        self.setOption(QWizard.WizardOption.NoCancelButtonOnLastPage, True)
        self.database_path = database_path
        self.demo_patients = demo_patients
        self.today = today
        self.database: Database | None = None
        self.created_on = _local_today()

        self.welcome = WelcomePage()
        self.practice = PracticePage()
        self.location = LocationPage(self.practice)
        self.providers = ProvidersPage()
        self.admin = AdminPage()
        self.passphrase_page = PassphrasePage()
        self.create_page = CreatePage(self)
        self.sheet = SheetPage(self)
        pages: dict[int, QWizardPage] = {
            WELCOME: self.welcome,
            PRACTICE: self.practice,
            LOCATION: self.location,
            PROVIDERS: self.providers,
            ADMIN: self.admin,
            PASSPHRASE: self.passphrase_page,
            CREATE: self.create_page,
            SHEET: self.sheet,
        }
        for page_id, page in pages.items():
            self.setPage(page_id, page)
        self.setStartId(WELCOME)
        self.resize(760, 620)

    @property
    def demo(self) -> bool:
        """True when the user chose demo data."""
        return self.welcome.demo_choice.isChecked()

    def build_setup(self) -> PracticeSetup:
        """Return the set-up input from every page."""
        return PracticeSetup(
            practice=self.practice.info(),
            locations=(self.location.location(),),
            providers=self.providers.providers(),
            admin=self.admin.account(),
            workstation_name=self.location.value("workstation_name"),
        )

    def validateCurrentPage(self) -> bool:  # noqa: N802 (Qt override)
        page = self.currentPage()
        if isinstance(page, FieldPage):
            return self._validate_field_page(page)
        return super().validateCurrentPage()

    def _validate_field_page(self, page: FieldPage) -> bool:
        problems: list[Problem] = list(validate_setup(self.build_setup()))
        if page is self.admin:
            problems += self.admin.repeat_problems()
            if self.demo:
                account = self.admin.account()
                problems += demo_account_problems(account.username, account.password)
        shown = page.show_problems(problems)
        if not has_errors(shown):
            return True
        log.info("set-up page %s has %d problems", type(page).__name__, len(shown))
        invalid = page.first_invalid()
        if invalid is not None:
            invalid.setFocus()
        return False

    def creation_work(self) -> Callable[[], Database]:
        """Return the call that creates the database (run on a worker thread)."""
        path, passphrase = self.database_path, self.passphrase_page.passphrase()
        account = self.admin.account()
        if self.demo:
            patients, today = self.demo_patients, self.today or demo_today()

            def create_demo() -> Database:
                from app.services.demo import create_demo_database

                database, _admin, _summary = create_demo_database(
                    path, passphrase, account.username, account.password, patients, DEMO_SEED,
                    today, admin_display_name=account.display_name,
                )  # fmt: skip
                return database

            return create_demo
        setup = self.build_setup()

        def create_practice() -> Database:
            from app.setup import create_practice_database

            database, _admin = create_practice_database(path, setup, passphrase)
            return database

        return create_practice

    def recovery_sheet(self) -> RecoverySheet:
        """Return the facts for the recovery sheet (the database must exist)."""
        assert self.database is not None
        name = DEMO_PRACTICE_NAME if self.demo else self.practice.value("practice.legal_name")
        return RecoverySheet(
            practice_name=name,
            database_path=self.database.path,
            database_id=self.database.database_id,
            created_on=self.created_on,
            passphrase=self.passphrase_page.passphrase(),
        )

    def reject(self) -> None:
        """Cancel (Esc or closing the window), except on the recovery sheet before the promise.

        A database created already stays, since its passphrase was shown.
        """
        if self.currentId() == SHEET and not self.sheet.stored.isChecked():
            log.info("wizard close blocked until the passphrase is confirmed as stored")
            self.sheet.remind()
            return
        if self.database is not None:
            log.info("wizard closed after the database was created; keeping it")
        super().reject()

    def key_file(self) -> Path:
        """Return the key file path of the database being set up."""
        return key_file_path(self.database_path)
