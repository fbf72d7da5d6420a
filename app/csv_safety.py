"""CSV cells that a spreadsheet program shows as text instead of running as a formula.

Excel, LibreOffice and Google Sheets run a cell that starts with = + - or @ as a
formula, and a leading tab or carriage return can hide such a start. A patient name
like =HYPERLINK("http://example.com/x","Click") would become a live link in an export a
clinic opens, so every CSV the product writes passes its cells through `safe_cell`.
"""

from collections.abc import Iterable

# Spreadsheet programs run a cell that starts with one of these as a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    """Return `value` as CSV cell text, with a leading apostrophe when it could run as a formula.

    None becomes "". The apostrophe is the prefix spreadsheets themselves use to mark
    a cell as text; it stays visible in the cell, so nothing typed is lost.
    """
    if value is None:
        return ""
    text = str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def safe_row(values: Iterable[object]) -> list[str]:
    """Return `values` as one CSV row of safe cells."""
    return [safe_cell(value) for value in values]
