"""Go to field: open the screen that edits the field a scrub finding names.

A finding's field starts with the kind of record that contains it (`provider.npi`,
`coverage.member_id`), and its record id says which record. `destination_for` maps the
field to a screen; `FieldNavigator` opens it through the main window, which the Claims
page reaches as its top-level window:

- practice.*        Admin ▸ Practice, the field's input focused
- provider.*        Admin ▸ Providers, payer.* Admin ▸ Payers, location.* Admin ▸
                    Locations, clearinghouse.* Admin ▸ Clearinghouses: the record
                    selected and its edit dialog opened; code_sets.* Admin ▸ Code sets
- patient.*         the patient's record, the Name, Personal or Contact section focused
- coverage.*        the patient's record, the Insurance section focused
- encounter.*       the encounter's editor
- claim.*           nothing to open: the claim's own values come from its charges
"""

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol, runtime_checkable

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QWidget

from app.security.permissions import ROLE_PERMISSIONS, Permission, Role
from ui.charges.windows import open_encounter
from ui.context import AppContext

log = logging.getLogger(__name__)

# Admin record lists load in the background; selecting waits this long for the rows.
SELECT_WAIT_MS = 5_000
SELECT_POLL_MS = 100


class Screen(StrEnum):
    """The kind of screen that edits a field."""

    ADMIN = "admin"
    PATIENT = "patient"
    ENCOUNTER = "encounter"
    CLAIM = "claim"


@dataclass(frozen=True, slots=True)
class ClaimRefs:
    """The records of the claim a finding is on, for fields whose finding names no record."""

    claim_id: uuid.UUID
    patient_id: uuid.UUID
    encounter_id: uuid.UUID | None = None


@dataclass(frozen=True, slots=True)
class Destination:
    """The screen, record and input that edit one field.

    `tab` is the Admin tab's title. `focus` is the Practice tab's input key or the patient
    record's section (name, personal, contact or insurance). `where` names the place in
    messages, such as "Admin ▸ Providers".
    """

    screen: Screen
    record_id: uuid.UUID | None
    where: str
    tab: str = ""
    focus: str = ""


# The Admin tab of each record kind, by the field's first part.
ADMIN_TABS = {
    "practice": "Practice",
    "provider": "Providers",
    "payer": "Payers",
    "location": "Locations",
    "clearinghouse": "Clearinghouses",
    "code_sets": "Code sets",
}
# The Practice tab's input for each practice field.
PRACTICE_INPUTS = {
    "billing_npi": "billing_npi",
    "ein": "ein",
    "address": "address_line1",
    "taxonomy_code": "taxonomy_code",
}
# The patient record's section for each patient field.
PATIENT_SECTIONS = {
    "name": "name",
    "date_of_birth": "personal",
    "sex": "personal",
    "address": "contact",
}


def destination_for(field: str, record_id: uuid.UUID | None, claim: ClaimRefs) -> Destination:
    """Return where `field` is edited; fields of an unknown kind stay on the claim."""
    kind, _dot, name = field.partition(".")
    if kind in ADMIN_TABS:
        tab = ADMIN_TABS[kind]
        focus = PRACTICE_INPUTS.get(name, "") if kind == "practice" else ""
        return Destination(Screen.ADMIN, record_id, f"Admin ▸ {tab}", tab, focus)
    if kind == "patient":
        section = PATIENT_SECTIONS.get(name, "personal")
        where = f"the patient's record ({section.capitalize()} section)"
        return Destination(Screen.PATIENT, claim.patient_id, where, focus=section)
    if kind == "coverage":
        where = "the patient's record (Insurance section)"
        return Destination(Screen.PATIENT, claim.patient_id, where, focus="insurance")
    encounter_id = record_id or claim.encounter_id
    if kind == "encounter" and encounter_id is not None:
        return Destination(Screen.ENCOUNTER, encounter_id, "the encounter's charges")
    return Destination(Screen.CLAIM, claim.claim_id, "this claim")


@runtime_checkable
class ScreenHost(Protocol):
    """The main window's members the navigator uses (ui.main_window.MainWindow has them)."""

    admin_page: QWidget | None

    def go_to(self, name: str) -> None:
        """Open the navigation page called `name`."""

    def open_patient_record(self, patient_id: uuid.UUID) -> QWidget:
        """Open the record window of `patient_id`."""


class FieldNavigator:
    """Opens the screen of a Destination; `open` returns what to do when it cannot.

    `host` returns the main window (the page's top-level window) at the time of the click.
    """

    def __init__(self, context: AppContext, host: Callable[[], QWidget | None]) -> None:
        self.context = context
        self.host = host
        self.selector: RecordSelector | None = None

    def open(self, destination: Destination) -> str | None:
        """Open the destination; return None when it opened, else a message saying why not."""
        log.info("go to field: %s %s", destination.screen.value, destination.record_id)
        if destination.screen == Screen.ENCOUNTER and destination.record_id is not None:
            open_encounter(self.context, destination.record_id, self.host())
            return None
        if destination.screen == Screen.CLAIM:
            return (
                "This value is on the claim itself. Fix the charges or the records the claim "
                "was built from, then use Actions ▸ Rebuild claim."
            )
        host = self.host()
        if not isinstance(host, ScreenHost):
            return f"Open {destination.where} from the main window to fix this."
        if destination.screen == Screen.PATIENT and destination.record_id is not None:
            return self._open_patient(host, destination)
        return self._open_admin(host, destination)

    # The patient record

    def _open_patient(self, host: ScreenHost, destination: Destination) -> str | None:
        assert destination.record_id is not None
        if not self.context.can(Permission.PATIENT_EDIT):
            return (
                f"Your role cannot edit patient records. Ask the front desk or a manager to "
                f"fix this in {destination.where}."
            )
        record = host.open_patient_record(destination.record_id)
        form = getattr(record, "form", None)
        if form is None:
            return None
        tabs = getattr(record, "tabs", None)
        if tabs is not None:
            tabs.setCurrentIndex(0)
        if form.current.id == destination.record_id:
            _focus_section(form, destination.focus)
        else:
            # The record window reads the patient in the background; focus once it shows.
            form.loaded.connect(
                lambda _form: _focus_section(form, destination.focus),
                Qt.ConnectionType.SingleShotConnection,
            )
        return None

    # Admin tabs

    def _open_admin(self, host: ScreenHost, destination: Destination) -> str | None:
        permission = admin_tab_permission(destination.tab)
        if permission is None:
            return f"{destination.where} is not part of this version of ClinicDesk."
        if not self.context.can(permission):
            return (
                f"Your role cannot open {destination.where}, where this is fixed. Ask "
                f"{who_can(permission)} to fix it, then scrub the claim again."
            )
        host.go_to("Admin")
        page = host.admin_page
        open_tab = getattr(page, "open_tab", None)
        titles = getattr(page, "tab_titles", None)
        if open_tab is None or titles is None:
            return f"The Admin page is not part of this build, so {destination.where} cannot open."
        if destination.tab not in titles():
            return (
                f"{destination.where} is not available to your role or in this version. "
                "Ask an administrator to fix it there."
            )
        tab = open_tab(destination.tab)
        if destination.focus:
            _focus_input(tab, destination.focus)
        elif destination.record_id is not None:
            self.selector = RecordSelector(tab, destination.record_id)
            self.selector.start()
        return None


def admin_tab_permission(title: str) -> Permission | None:
    """Return the permission that shows the Admin tab `title`, or None when no tab has it."""
    # Imported here because the Admin page is optional in a build (the main window loads
    # it the same way), and most uses of the Claims page never need it.
    try:
        from ui.admin.page import TABS
    except ModuleNotFoundError:
        return None
    return next((permission for name, permission, _factory in TABS if name == title), None)


def who_can(permission: Permission) -> str:
    """Return who to ask for work that needs `permission`, such as "an administrator"."""
    roles = [role.label.lower() for role in Role if permission in ROLE_PERMISSIONS[role]]
    named = roles[0] if len(roles) == 1 else ", ".join(roles[:-1]) + " or " + roles[-1]
    article = "an" if named[0] in "aeiou" else "a"
    return f"{article} {named}"


def _focus_section(form: QWidget, section: str) -> None:
    """Focus the first input of the patient form's `section`."""
    if section == "insurance":
        chain = form.coverages.focus_chain()  # type: ignore[attr-defined]
    else:
        chain = getattr(form, section).focus_chain()
    if chain:
        chain[0].setFocus(Qt.FocusReason.OtherFocusReason)
        form.reveal(chain[0])  # type: ignore[attr-defined]


def _focus_input(tab: QWidget, key: str) -> None:
    """Focus the Practice tab's input `key`."""
    inputs = getattr(tab, "inputs", {})
    widget = inputs.get(key)
    if isinstance(widget, QWidget):
        widget.setFocus(Qt.FocusReason.OtherFocusReason)


class RecordSelector:
    """Selects a record in an Admin list tab once its rows have loaded, then opens its editor.

    The tab loads its records in the background, so this polls until the row appears or
    SELECT_WAIT_MS passes.
    """

    def __init__(self, tab: QWidget, record_id: uuid.UUID) -> None:
        self.tab = tab
        self.record_id = record_id
        self.timer = QTimer(tab)
        self.timer.setInterval(SELECT_POLL_MS)
        self.timer.timeout.connect(self._try)
        self.tries_left = SELECT_WAIT_MS // SELECT_POLL_MS

    def start(self) -> None:
        """Try now, and keep trying until the record is found or the wait ends."""
        if not self._select():
            self.timer.start()

    def _try(self) -> None:
        self.tries_left -= 1
        if self._select() or self.tries_left <= 0:
            self.timer.stop()
            self.timer.deleteLater()

    def _select(self) -> bool:
        table = getattr(self.tab, "table", None)
        if table is None or not hasattr(table, "select_id"):
            return True
        table.select_id(self.record_id)
        if table.selected_id() != self.record_id:
            return False
        table.setFocus(Qt.FocusReason.OtherFocusReason)
        edit = getattr(self.tab, "edit_record", None)
        if edit is not None:
            edit()
        return True
