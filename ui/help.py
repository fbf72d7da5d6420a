"""Keyboard shortcuts and the F1 help dialog.

The main window builds its shortcuts from `SHORTCUTS`, and the help dialog lists the same
table, so the help always matches what the keys do.
"""

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

NAVIGATION_PAGES = (
    "Today",
    "Schedule",
    "Patients",
    "Charges",
    "Claims",
    "Payments",
    "Statements",
    "Reports",
    "Admin",
)


@dataclass(frozen=True, slots=True)
class Shortcut:
    """One key combination and what it does."""

    keys: str  # QKeySequence portable text, such as "Ctrl+K"
    action: str

    def sequence(self) -> QKeySequence:
        """Return the key sequence for a QAction or QShortcut."""
        return QKeySequence(self.keys)

    def native_text(self) -> str:
        """Return the keys as this platform writes them (Cmd on macOS)."""
        return self.sequence().toString(QKeySequence.SequenceFormat.NativeText)


SEARCH = Shortcut("Ctrl+K", "Search patients")
LOCK = Shortcut("Ctrl+L", "Lock the screen now")
HELP = Shortcut("F1", "Show this list of shortcuts")
QUIT = Shortcut("Ctrl+Q", "Quit ClinicDesk")
NAVIGATION = tuple(
    Shortcut(f"Ctrl+{number}", f"Go to {page}")
    for number, page in enumerate(NAVIGATION_PAGES, start=1)
)
# Keys that every dialog obeys through Qt's default buttons; listed so users know them.
DIALOG_KEYS = (
    Shortcut("Return", "In a dialog: save or sign in (the default button)"),
    Shortcut("Esc", "In a dialog: cancel and close"),
    Shortcut("Tab", "Move to the next field (Shift+Tab moves back)"),
)

# Keys of the patient record's registration form (ui.patient.form builds them from these).
PATIENT_SAVE = Shortcut("Ctrl+S", "Patient record: save (Enter in a field also saves)")
PATIENT_ADD_PHONE = Shortcut("Ctrl+Shift+P", "Patient record: add a phone")
PATIENT_ADD_COVERAGE = Shortcut("Ctrl+Shift+I", "Patient record: add an insurance coverage")
PATIENT_ADD_ALERT = Shortcut("Ctrl+Shift+A", "Patient record: add an alert")
PATIENT_SECTIONS = Shortcut(
    "Alt+N", "Patient record: go to a section (Alt + the underlined letter, such as N for Name)"
)
PATIENT_FORM_KEYS = (
    PATIENT_SAVE,
    PATIENT_ADD_PHONE,
    PATIENT_ADD_COVERAGE,
    PATIENT_ADD_ALERT,
    PATIENT_SECTIONS,
)

# Keys of the Schedule page's calendar and the Today board (their pages handle them).
PAGE_KEYS = (
    Shortcut("PgUp", "Schedule: previous day (previous week in the week view)"),
    Shortcut("PgDown", "Schedule: next day (next week in the week view)"),
    Shortcut("T", "Schedule: go to today"),
    Shortcut("Down", "Schedule: move the selection (Up, Left and Right too)"),
    Shortcut("N", "Schedule: book an appointment in the selected slot"),
    Shortcut("Enter", "Schedule: open the selected appointment; Today: open the record"),
    Shortcut("Del", "Schedule: cancel the selected appointment (asks for a reason)"),
    Shortcut("Ctrl+=", "Schedule: zoom in"),
    Shortcut("Ctrl+-", "Schedule: zoom out"),
    Shortcut("C", "Today: check the selected patient in"),
    Shortcut("R", "Today: the patient is in a room"),
    Shortcut("O", "Today: check the patient out"),
    Shortcut("B", "Today: open the charges of a checked-out visit"),
    Shortcut("S", "Today: print the visit's superbill"),
    Shortcut("Shift+N", "Today: mark a no-show (asks first)"),
)

# Keys of the Charges page and the encounter editor (ui.charges.keys binds them).
CHARGES_OPEN = Shortcut("Enter", "Charges: open the selected encounter")
CHARGES_NEW = Shortcut("Ctrl+N", "Charges: new encounter (pick the patient, then Enter)")
CHARGES_FIND = Shortcut("Ctrl+F", "Charges: search the queue by patient or number")
ENCOUNTER_SAVE = Shortcut("Ctrl+S", "Encounter: save the draft")
ENCOUNTER_POST = Shortcut("Ctrl+Return", "Encounter: post the charges (asks first; Enter confirms)")
ENCOUNTER_ADD_LINE = Shortcut("Ins", "Encounter: add a service line (also Ctrl+Shift+L)")
ENCOUNTER_DUPLICATE_LINE = Shortcut("Ctrl+D", "Encounter: duplicate the current service line")
ENCOUNTER_REMOVE_LINE = Shortcut(
    "Ctrl+Del", "Encounter: remove the current service line (draft only)"
)
ENCOUNTER_FAVORITE = Shortcut(
    "Alt+1", "Encounter: add favorite code 1 as a line (Alt+2 to Alt+9 too)"
)
ENCOUNTER_MOVE_UP = Shortcut("Alt+Up", "Encounter diagnoses: move the selected diagnosis up")
ENCOUNTER_MOVE_DOWN = Shortcut("Alt+Down", "Encounter diagnoses: move the selected diagnosis down")
ENCOUNTER_REMOVE_DIAGNOSIS = Shortcut("Del", "Encounter diagnoses: remove the selected diagnosis")
ENCOUNTER_FIELDS = Shortcut(
    "Alt+D", "Encounter: go to a field (Alt + the underlined letter, such as D for the date)"
)
ENCOUNTER_HELP = Shortcut("F1", "Encounter: list the editor's keys")
ENCOUNTER_CLOSE = Shortcut("Esc", "Encounter: close (asks before discarding changes)")
CHARGES_QUEUE_KEYS = (CHARGES_OPEN, CHARGES_NEW, CHARGES_FIND)
ENCOUNTER_KEYS = (
    ENCOUNTER_SAVE,
    ENCOUNTER_POST,
    ENCOUNTER_ADD_LINE,
    ENCOUNTER_DUPLICATE_LINE,
    ENCOUNTER_REMOVE_LINE,
    ENCOUNTER_FAVORITE,
    ENCOUNTER_MOVE_UP,
    ENCOUNTER_MOVE_DOWN,
    ENCOUNTER_REMOVE_DIAGNOSIS,
    ENCOUNTER_FIELDS,
    ENCOUNTER_HELP,
    ENCOUNTER_CLOSE,
)

# Keys of the Claims page (ui.claims.keys binds them).
CLAIMS_OPEN = Shortcut("Enter", "Claims: open the selected claim's details")
CLAIMS_FIND = Shortcut("Ctrl+F", "Claims: search by claim number, patient or chart")
CLAIMS_REFRESH = Shortcut("F5", "Claims: reload the worklist")
CLAIMS_BUILD = Shortcut("Ctrl+B", "Claims: build claims from every posted charge, then scrub them")
CLAIMS_SCRUB = Shortcut("Ctrl+R", "Claims: scrub the selected claims again")
CLAIMS_SEND = Shortcut("Ctrl+E", "Claims: send the selected ready claims to the clearinghouse")
CLAIMS_PRINT = Shortcut("Ctrl+P", "Claims: print the selected claims on CMS-1500 forms")
CLAIMS_RESPONSES = Shortcut("Ctrl+Shift+R", "Claims: fetch or import the clearinghouse's responses")
CLAIMS_ASSIGN = Shortcut("Ctrl+T", "Claims: assign the selected claims to a user")
CLAIMS_FOLLOW_UP = Shortcut("Ctrl+U", "Claims: set a follow-up date and note")
CLAIMS_NOTE = Shortcut("Ctrl+Shift+N", "Claims: add a note to the selected claims")
CLAIMS_GO_TO_FIELD = Shortcut("Ctrl+G", "Claims: go to the field of the selected finding")
# Ctrl+E sends claims, so posting an EOB takes Ctrl+Shift+E.
CLAIMS_POST_EOB = Shortcut("Ctrl+Shift+E", "Claims: post a paper EOB for the claim in the details")
CLAIMS_KEYS = (
    CLAIMS_OPEN,
    CLAIMS_FIND,
    CLAIMS_REFRESH,
    CLAIMS_BUILD,
    CLAIMS_SCRUB,
    CLAIMS_SEND,
    CLAIMS_PRINT,
    CLAIMS_RESPONSES,
    CLAIMS_ASSIGN,
    CLAIMS_FOLLOW_UP,
    CLAIMS_NOTE,
    CLAIMS_GO_TO_FIELD,
    CLAIMS_POST_EOB,
)

PAYMENTS_TAKE = Shortcut("Ctrl+N", "Payments: take a payment (pick the patient, then Enter)")
PAYMENTS_VOID = Shortcut("Ctrl+Del", "Payments: void the selected payment (asks for a reason)")
PAYMENTS_PRINT = Shortcut("Ctrl+P", "Payments: print the selected payment's receipt")
PAYMENTS_REFRESH = Shortcut("F5", "Payments: reload the tab in front")
REMITTANCE_OPEN = Shortcut("Enter", "Remittances: review the selected claim payment")
REMITTANCE_POST = Shortcut("Ctrl+P", "Remittances: post the claim payment under review")
PAYMENTS_KEYS = (PAYMENTS_TAKE, PAYMENTS_VOID, PAYMENTS_PRINT, PAYMENTS_REFRESH)

STATEMENTS_PREVIEW = Shortcut("F5", "Statements: preview the run again, or reload the tab in front")
STATEMENTS_RUN = Shortcut("Ctrl+Return", "Statements: run the previewed statements (asks first)")
STATEMENTS_OPEN_BATCH = Shortcut("Ctrl+P", "Statements: open the printed batch of the last run")
STATEMENTS_SEND = Shortcut("Ctrl+E", "Statements: send the statements queued for email")
STATEMENTS_FIND = Shortcut("Ctrl+F", "Statements history: search for an account")
STATEMENTS_OPEN_PDF = Shortcut("Ctrl+O", "Statements history: open the selected statement's PDF")
STATEMENTS_EXPORT = Shortcut("Ctrl+Shift+S", "Statements reports: export the report shown as CSV")
STATEMENTS_KEYS = (
    STATEMENTS_PREVIEW,
    STATEMENTS_RUN,
    STATEMENTS_OPEN_BATCH,
    STATEMENTS_SEND,
    STATEMENTS_FIND,
    STATEMENTS_OPEN_PDF,
    STATEMENTS_EXPORT,
)

COLLECTIONS_RELOAD = Shortcut("F5", "Collections: reload the candidates and placements")
COLLECTIONS_EXPORT = Shortcut(
    "Ctrl+Shift+S", "Collections: export the ticked placements as the agency file"
)
COLLECTIONS_RECORD = Shortcut("Ctrl+R", "Collections: record a recovery on the selected placement")
COLLECTIONS_KEYS = (COLLECTIONS_RELOAD, COLLECTIONS_EXPORT, COLLECTIONS_RECORD)

SHORTCUTS: tuple[Shortcut, ...] = (
    SEARCH,
    LOCK,
    HELP,
    QUIT,
    *NAVIGATION,
    *DIALOG_KEYS,
    *PATIENT_FORM_KEYS,
    *PAGE_KEYS,
    *CHARGES_QUEUE_KEYS,
    *ENCOUNTER_KEYS,
    *CLAIMS_KEYS,
    *PAYMENTS_KEYS,
    *STATEMENTS_KEYS,
    *COLLECTIONS_KEYS,
    REMITTANCE_OPEN,
    REMITTANCE_POST,
)

HELP_TEXT = (
    "<p><b>ClinicDesk</b> keeps the front office of your practice: patients, the "
    "schedule, charges, claims, payments and statements.</p>"
    "<p>Use the list on the left, or Ctrl with a number, to move between pages. "
    "Type a last name or chart number in the search box (Ctrl+K) to find a patient; "
    "write <i>last, first</i> to narrow by first name.</p>"
    "<p>The screen locks itself after a few idle minutes and at Ctrl+L. Sign in again "
    "to continue, or sign in as another user to switch.</p>"
)


class HelpDialog(QDialog):
    """Lists every keyboard shortcut and a short orientation."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("helpDialog")
        self.setWindowTitle("ClinicDesk help and keyboard shortcuts")
        intro = QLabel(HELP_TEXT)
        intro.setWordWrap(True)

        self.table = QTableWidget(len(SHORTCUTS), 2, self)
        self.table.setObjectName("shortcutTable")
        self.table.setAccessibleName("Keyboard shortcuts")
        self.table.setHorizontalHeaderLabels(["Keys", "What it does"])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        for row, shortcut in enumerate(SHORTCUTS):
            self.table.setItem(row, 0, QTableWidgetItem(shortcut.native_text()))
            self.table.setItem(row, 1, QTableWidgetItem(shortcut.action))
        self.table.resizeColumnToContents(0)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.table)
        layout.addWidget(buttons)
        self.resize(560, 560)
        self.table.setFocus(Qt.FocusReason.OtherFocusReason)

    def listed_keys(self) -> list[str]:
        """Return the key column as shown."""
        return [self.table.item(row, 0).text() for row in range(self.table.rowCount())]
