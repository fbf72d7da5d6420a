"""Pages of the first-run wizard that collect practice, location, provider and admin data.

Each page names the set-up fields it owns (such as "practice.billing_npi"), so a problem
returned by validate_setup is shown on the right page, next to its field, with a red
border and the message under it.
"""

import re
import socket
from collections.abc import Iterable

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
    QWizardPage,
)

from app.problems import Problem
from app.services.practice import AdminAccount, LocationInput, PracticeInfo, ProviderInput
from ui.widgets import connect_edits, find_data, state_combo, suggested_time_zone, time_zone_combo

DEFAULT_TIME_ZONE = "America/Chicago"
_ROOM_INDEX = re.compile(r"\.rooms\[\d+\]$")

# Table cells carry their own problem flag because the style sheet cannot reach items.
_INVALID_ROLE = int(Qt.ItemDataRole.UserRole) + 1
_BACKGROUND_ROLE = int(Qt.ItemDataRole.BackgroundRole)
_INVALID_BRUSH = QBrush(QColor("#fde2e1"))


def _repolish(widget: QWidget) -> None:
    widget.style().unpolish(widget)
    widget.style().polish(widget)


def _text(widget: QWidget) -> str:
    if isinstance(widget, QComboBox):
        return str(widget.currentData() or "")
    assert isinstance(widget, QLineEdit)
    return widget.text().strip()


class FieldPage(QWizardPage):
    """A form page whose fields are keyed by their set-up field names."""

    prefixes: tuple[str, ...] = ()

    def __init__(self, title: str, subtitle: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle(title)
        self.setSubTitle(subtitle)
        self.fields: dict[str, QWidget] = {}
        self.messages: dict[str, QLabel] = {}
        self.form = QFormLayout()
        self.page_message = QLabel()
        self.page_message.setObjectName("fieldProblem")
        self.page_message.setWordWrap(True)
        self.page_message.hide()
        content = QWidget()
        column = QVBoxLayout(content)
        column.addLayout(self.form)
        column.addWidget(self.page_message)
        column.addStretch(1)
        # Problem messages make a page taller than a 768-pixel screen allows, so it scrolls.
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        # The cursor belongs in the first field, not on the scroll area around it.
        scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        scroll.setWidget(content)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(scroll)

    def add_field(self, key: str, label: str, widget: QWidget, hint: str = "") -> QWidget:
        """Add a labelled field with a hidden problem message under it."""
        widget.setObjectName(key)
        widget.setAccessibleName(label.replace("&", "").rstrip(":"))
        if hint and isinstance(widget, QLineEdit):
            widget.setPlaceholderText(hint)
        message = QLabel()
        message.setObjectName("fieldProblem")
        message.setWordWrap(True)
        message.hide()
        holder = QWidget()
        column = QVBoxLayout(holder)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        column.addWidget(widget)
        column.addWidget(message)
        self.form.addRow(label, holder)
        self.fields[key] = widget
        self.messages[key] = message
        connect_edits(widget, lambda: self.clear_problem(key))
        return widget

    def initializePage(self) -> None:  # noqa: N802 (Qt override)
        first = next(iter(self.fields.values()), None)
        if first is not None:
            first.setFocus(Qt.FocusReason.OtherFocusReason)

    def value(self, key: str) -> str:
        """Return the trimmed text (or combo data) of field `key`."""
        return _text(self.fields[key])

    def owns(self, field: str) -> bool:
        """True when the problem field `field` belongs on this page."""
        return any(field == prefix or field.startswith(prefix) for prefix in self.prefixes)

    def clear_problems(self) -> None:
        """Remove every red border and message."""
        for key in self.fields:
            self.clear_problem(key)
        self.page_message.hide()

    def clear_problem(self, key: str) -> None:
        """Remove the red border and message of field `key` (the user is fixing it)."""
        widget = self.fields[key]
        widget.setProperty("invalid", False)
        _repolish(widget)
        self.messages[key].hide()

    def show_problems(self, problems: Iterable[Problem]) -> list[Problem]:
        """Mark each problem's field; return the ones shown (problems this page owns)."""
        self.clear_problems()
        shown = [problem for problem in problems if self.owns(problem.field)]
        by_field: dict[str, list[str]] = {}
        for problem in shown:
            by_field.setdefault(self._field_key(problem.field), []).append(problem.message)
        loose = []
        for key, messages in by_field.items():
            if key in self.fields:
                self._mark(key, messages)
            else:
                loose += messages
        self._show_page_message(loose)
        return shown

    def _field_key(self, field: str) -> str:
        # Room problems name one room ("locations[0].rooms[2]"), but one field contains every room.
        return _ROOM_INDEX.sub(".rooms", field)

    def _mark(self, key: str, messages: list[str]) -> None:
        widget = self.fields[key]
        widget.setProperty("invalid", True)
        _repolish(widget)
        self.messages[key].setText("\n".join(messages))
        self.messages[key].show()

    def _show_page_message(self, messages: list[str]) -> None:
        self.page_message.setText("\n".join(messages))
        self.page_message.setVisible(bool(messages))

    def first_invalid(self) -> QWidget | None:
        """Return the first field with a problem (to put the cursor there)."""
        for widget in self.fields.values():
            if widget.property("invalid"):
                return widget
        return None


class PracticePage(FieldPage):
    """The billing entity: legal name, NPI, EIN, taxonomy, address, phone, time zone."""

    prefixes = ("practice.",)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(
            "Your practice",
            "These details appear on every claim as the billing provider. Use the legal "
            "name and numbers exactly as the IRS and NPPES have them.",
            parent,
        )
        add = self.add_field
        # Mnemonics avoid B and N, which the wizard's Back and Next buttons use.
        add("practice.legal_name", "&Legal name:", QLineEdit(), "Lakeside Family Medicine LLC")
        add("practice.billing_npi", "Billing NP&I:", QLineEdit(), "10 digits (type 2 NPI)")
        add("practice.ein", "&EIN (tax id):", QLineEdit(), "12-3456789")
        add("practice.taxonomy_code", "&Taxonomy code:", QLineEdit(), "207Q00000X")
        add("practice.address_line1", "Billing &address:", QLineEdit(), "Street address, no PO box")
        add("practice.address_line2", "Address line &2:", QLineEdit(), "Suite (optional)")
        add("practice.city", "&City:", QLineEdit())
        state = add("practice.state", "&State:", state_combo())
        add("practice.zip_code", "&ZIP+4:", QLineEdit(), "60601-1234")
        add("practice.phone", "&Phone:", QLineEdit(), "(312) 555-0100")
        zones = time_zone_combo()
        zones.setCurrentIndex(find_data(zones, DEFAULT_TIME_ZONE))
        add("practice.time_zone", "Ti&me zone:", zones)
        # A zone the user picked stays; until then the zone follows the chosen state.
        self.time_zone_chosen = False
        zones.activated.connect(self._time_zone_picked)
        assert isinstance(state, QComboBox)
        state.currentIndexChanged.connect(self._suggest_time_zone)

    def _time_zone_picked(self) -> None:
        self.time_zone_chosen = True

    def _suggest_time_zone(self) -> None:
        zone = suggested_time_zone(self.value("practice.state"))
        if self.time_zone_chosen or zone is None:
            return
        zones = self.fields["practice.time_zone"]
        assert isinstance(zones, QComboBox)
        zones.setCurrentIndex(find_data(zones, zone))

    def info(self) -> PracticeInfo:
        """Return what was typed."""
        names = [name.removeprefix("practice.") for name in self.fields]
        return PracticeInfo(**{name: self.value(f"practice.{name}") for name in names})


class LocationPage(FieldPage):
    """The first service location, its rooms, and this computer's name."""

    prefixes = ("locations", "workstation_name")

    def __init__(self, practice: PracticePage, parent: QWidget | None = None) -> None:
        super().__init__(
            "Where patients are seen",
            "The first office location. You can add more locations later under Admin.",
            parent,
        )
        self.practice = practice
        copy = QPushButton("Cop&y the billing address")
        copy.setAccessibleName("Copy the billing address into this location")
        copy.clicked.connect(self.copy_billing_address)
        self.form.addRow("", copy)
        add = self.add_field
        add("locations[0].name", "&Location name:", QLineEdit(), "Main office")
        add("locations[0].address_line1", "&Street address:", QLineEdit())
        add("locations[0].address_line2", "Address line &2:", QLineEdit(), "Suite (optional)")
        add("locations[0].city", "&City:", QLineEdit())
        add("locations[0].state", "S&tate:", state_combo())
        add("locations[0].zip_code", "&ZIP+4:", QLineEdit(), "60601-1234")
        add("locations[0].phone", "&Phone:", QLineEdit(), "optional")
        add("locations[0].rooms", "&Rooms:", QLineEdit(), "Exam 1, Exam 2, Procedure")
        computer = QLineEdit(socket.gethostname()[:60])
        add("workstation_name", "This c&omputer's name:", computer, "Front desk 1")

    def copy_billing_address(self) -> None:
        """Fill the address fields from the practice page."""
        for name in ("address_line1", "address_line2", "city", "zip_code"):
            target = self.fields[f"locations[0].{name}"]
            assert isinstance(target, QLineEdit)
            target.setText(self.practice.value(f"practice.{name}"))
        state = self.fields["locations[0].state"]
        source = self.practice.fields["practice.state"]
        assert isinstance(state, QComboBox) and isinstance(source, QComboBox)
        state.setCurrentIndex(source.currentIndex())

    def location(self) -> LocationInput:
        """Return what was typed; rooms are the comma-separated names."""
        rooms = tuple(room.strip() for room in self.value("locations[0].rooms").split(","))
        return LocationInput(
            name=self.value("locations[0].name"),
            address_line1=self.value("locations[0].address_line1"),
            address_line2=self.value("locations[0].address_line2"),
            city=self.value("locations[0].city"),
            state=self.value("locations[0].state"),
            zip_code=self.value("locations[0].zip_code"),
            phone=self.value("locations[0].phone"),
            rooms=tuple(room for room in rooms if room),
        )


PROVIDER_COLUMNS = (
    ("first_name", "First name"),
    ("last_name", "Last name"),
    ("credentials", "Credentials"),
    ("npi", "NPI"),
    ("taxonomy_code", "Taxonomy"),
)


class ProvidersPage(FieldPage):
    """A table of rendering providers with Add and Remove."""

    prefixes = ("providers",)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(
            "Providers",
            "Everyone who sees patients and bills under their own (type 1) NPI. You can "
            "add more later under Admin.",
            parent,
        )
        self.table = QTableWidget(0, len(PROVIDER_COLUMNS))
        self.table.setObjectName("providerTable")
        self.table.setAccessibleName("Providers")
        self.table.setHorizontalHeaderLabels([label for _key, label in PROVIDER_COLUMNS])
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        add = QPushButton("&Add provider")
        add.clicked.connect(self.add_row)
        remove = QPushButton("&Remove selected")
        remove.clicked.connect(self.remove_selected)
        buttons = QHBoxLayout()
        buttons.addWidget(add)
        buttons.addWidget(remove)
        buttons.addStretch(1)
        self.form.addRow(self.table)
        self.form.addRow(buttons)
        self.add_row()

    def add_row(self) -> int:
        """Append an empty provider row and put the cursor in it."""
        row = self.table.rowCount()
        self.table.insertRow(row)
        for column in range(len(PROVIDER_COLUMNS)):
            self.table.setItem(row, column, QTableWidgetItem(""))
        self.table.setCurrentCell(row, 0)
        return row

    def remove_selected(self) -> None:
        """Remove the selected rows."""
        for row in sorted({index.row() for index in self.table.selectedIndexes()}, reverse=True):
            self.table.removeRow(row)

    def set_row(self, row: int, values: ProviderInput) -> None:
        """Fill row `row` (used by tests and when returning to the page)."""
        for column, (key, _label) in enumerate(PROVIDER_COLUMNS):
            self.table.item(row, column).setText(str(getattr(values, key)))

    def providers(self) -> tuple[ProviderInput, ...]:
        """Return the rows that have any text, in table order."""
        found = []
        for row in range(self.table.rowCount()):
            values = {
                key: (self.table.item(row, column).text().strip())
                for column, (key, _label) in enumerate(PROVIDER_COLUMNS)
            }
            if any(values.values()):
                found.append(ProviderInput(**values))
        return tuple(found)

    def show_problems(self, problems: Iterable[Problem]) -> list[Problem]:
        """Color each cell with a problem and list the messages by row."""
        shown = [problem for problem in problems if self.owns(problem.field)]
        self._reset_cells()
        lines = []
        for problem in shown:
            row, key = self._cell_of(problem.field)
            if row is None:
                lines.append(problem.message)
                continue
            self._mark_cell(row, key, problem.message)
            lines.append(f"Provider {row + 1}: {problem.message}")
        self._show_page_message(lines)
        return shown

    def _cell_of(self, field: str) -> tuple[int | None, str]:
        if not field.startswith("providers["):
            return None, ""
        index, _, key = field.removeprefix("providers[").partition("].")
        return self._table_row(int(index)), key

    def _table_row(self, provider_index: int) -> int | None:
        # Problems count only filled rows; blank rows in the table are skipped.
        filled = [
            row
            for row in range(self.table.rowCount())
            if any(self.table.item(row, c).text().strip() for c in range(len(PROVIDER_COLUMNS)))
        ]
        return filled[provider_index] if provider_index < len(filled) else None

    def _mark_cell(self, row: int, key: str, message: str) -> None:
        keys = [column_key for column_key, _label in PROVIDER_COLUMNS]
        column = keys.index(key) if key in keys else 0
        item = self.table.item(row, column)
        item.setData(_INVALID_ROLE, True)
        item.setBackground(_INVALID_BRUSH)
        item.setToolTip(message)

    def _reset_cells(self) -> None:
        for row in range(self.table.rowCount()):
            for column in range(len(PROVIDER_COLUMNS)):
                item = self.table.item(row, column)
                item.setData(_INVALID_ROLE, False)
                item.setData(_BACKGROUND_ROLE, None)
                item.setToolTip("")
        self.page_message.hide()

    def invalid_cells(self) -> list[tuple[int, int]]:
        """Return (row, column) of every cell marked with a problem."""
        return [
            (row, column)
            for row in range(self.table.rowCount())
            for column in range(len(PROVIDER_COLUMNS))
            if self.table.item(row, column).data(_INVALID_ROLE)
        ]


class AdminPage(FieldPage):
    """The first administrator's account; the password is typed twice."""

    prefixes = ("admin.",)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(
            "Administrator account",
            "The first person to sign in. This account adds the other users and can change "
            "every setting.",
            parent,
        )
        self.add_field("admin.username", "&User name:", QLineEdit("admin"))
        self.add_field("admin.display_name", "&Full name:", QLineEdit(), "Jordan Smith")
        for key, label in (("admin.password", "&Password:"), ("admin.password_repeat", "&Again:")):
            field = QLineEdit()
            field.setEchoMode(QLineEdit.EchoMode.Password)
            self.add_field(key, label, field)

    def account(self) -> AdminAccount:
        """Return what was typed (the password is not trimmed)."""
        password = self.fields["admin.password"]
        assert isinstance(password, QLineEdit)
        return AdminAccount(
            self.value("admin.username"), self.value("admin.display_name"), password.text()
        )

    def repeat_problems(self) -> list[Problem]:
        """Return a problem when the two passwords differ."""
        first, second = self.fields["admin.password"], self.fields["admin.password_repeat"]
        assert isinstance(first, QLineEdit) and isinstance(second, QLineEdit)
        if first.text() == second.text():
            return []
        return [Problem("admin.password_repeat", "The two passwords are different; type it again.")]
