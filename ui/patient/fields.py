"""Input widgets of the registration form: typed dates, money amounts and required marks."""

import logging
import re
from datetime import date
from decimal import Decimal

from PySide6.QtWidgets import QComboBox, QLabel, QLineEdit, QWidget

from app.money import to_money
from app.problems import Problem
from app.validators import echo_for_message

log = logging.getLogger(__name__)

DATE_PLACEHOLDER = "MM/DD/YYYY"
REQUIRED_TEXT = "required for claims"
# US order first because the desk types dates the way they are printed on cards and forms.
_US_DATE = re.compile(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})")
_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_DIGITS_DATE = re.compile(r"(\d{2})(\d{2})(\d{4})")


def parse_date(text: str) -> date | None:
    """Parse a typed date such as "03/04/1981", "3/4/1981", "03041981" or "1981-03-04".

    Returns None for text that is not a real calendar date (including "02/30/2001").
    """
    stripped = text.strip()
    iso = _ISO_DATE.fullmatch(stripped)
    if iso is not None:
        year, month, day = (int(part) for part in iso.groups())
    else:
        us = _US_DATE.fullmatch(stripped) or _DIGITS_DATE.fullmatch(stripped)
        if us is None:
            return None
        month, day, year = (int(part) for part in us.groups())
    try:
        return date(year, month, day)
    except ValueError:
        return None


def format_date(value: date | None) -> str:
    """Format a date as the form shows it, such as "03/04/1981" (empty for None)."""
    return value.strftime("%m/%d/%Y") if value is not None else ""


class DateField(QLineEdit):
    """A line edit for a date typed as MM/DD/YYYY; an empty field means no date.

    The text is rewritten in the MM/DD/YYYY form when the user leaves a field holding a
    valid date, so "3/4/1981" and "03041981" both end up as "03/04/1981".
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setPlaceholderText(DATE_PLACEHOLDER)
        self.setMaxLength(10)
        self.editingFinished.connect(self._tidy)

    def date_value(self) -> date | None:
        """Return the date typed, or None when the field is empty or not a date."""
        return parse_date(self.text())

    def set_date(self, value: date | None) -> None:
        """Show `value` (None empties the field)."""
        self.setText(format_date(value))

    def problems(self, field: str, label: str) -> list[Problem]:
        """Return a problem when the field contains text that is not a date."""
        text = self.text().strip()
        if not text or parse_date(text) is not None:
            return []
        return [
            Problem(
                field,
                f"{label} {echo_for_message(text)} is not a valid date; type it as "
                "MM/DD/YYYY, such as 03/04/1981.",
            )
        ]

    def _tidy(self) -> None:
        parsed = self.date_value()
        if parsed is not None and self.text() != format_date(parsed):
            self.setText(format_date(parsed))


def parse_money(text: str) -> Decimal | None:
    """Parse an amount such as "25" or "$25.00"; None for empty or unreadable text."""
    stripped = text.strip()
    if not stripped:
        return None
    try:
        return to_money(stripped)
    except ValueError:
        return None


def format_amount(value: Decimal | None) -> str:
    """Format an amount for a money field, such as "25.00" (empty for None)."""
    return f"{value:.2f}" if value is not None else ""


def money_problems(edit: QLineEdit, field: str, label: str) -> list[Problem]:
    """Return a problem when a money field contains text that is not an amount."""
    text = edit.text().strip()
    if not text or parse_money(text) is not None:
        return []
    return [
        Problem(
            field,
            f"{label} {echo_for_message(text)} is not an amount; type dollars and cents, "
            "such as 25.00.",
        )
    ]


def index_of(combo: QComboBox, value: object) -> int:
    """Return the index of the entry whose item data equals `value`, or -1.

    QComboBox.findData cannot compare Python objects such as UUIDs, so this compares
    in Python.
    """
    for index in range(combo.count()):
        if combo.itemData(index) == value:
            return index
    return -1


def mark_required(caption: QLabel, widget: QWidget) -> None:
    """Mark a field needed on claims: an asterisk on its caption and an accessible note."""
    text = caption.text()
    if not text.endswith("*"):
        caption.setText(f"{text} *")
    caption.setToolTip(f"{caption.text().rstrip(' *').replace('&', '')}: {REQUIRED_TEXT}")
    widget.setToolTip(caption.toolTip())
    widget.setAccessibleDescription(REQUIRED_TEXT)
    widget.setProperty("requiredForClaims", True)
