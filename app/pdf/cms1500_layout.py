"""Data positions of the CMS-1500 (02/12) claim form items, on a character grid.

The form is laid out for a fixed-pitch printer: 10 characters per inch and 6 lines per
inch, so every data field is a line number and a starting column on that grid. Lines are
numbered from the top of the page and columns from the left edge of the form, both from 1.

NOTE: the grid origin (GRID_LEFT, GRID_TOP) is an estimate of where column 1 and line 1
sit on a printed red form. Printers feed paper differently, so the user measures the
remaining error with the alignment page and stores it as printer offsets.
"""

from dataclasses import dataclass
from typing import Literal

PAGE_WIDTH = 612.0  # US letter, 8.5 by 11 inches
PAGE_HEIGHT = 792.0
POINTS_PER_MM = 72 / 25.4

COLUMN_WIDTH = 7.2  # 10 characters per inch
LINE_HEIGHT = 12.0  # 6 lines per inch
FONT = "Courier"
FONT_SIZE = 12.0  # a Courier character is 0.6 em wide, so 12 points gives 10 per inch

GRID_LEFT = 22.0  # left edge of column 1, in points from the left edge of the page
GRID_TOP = 6.0  # top edge of line 1, in points from the top edge of the page
BASELINE_RISE = 3.0  # baseline above the bottom of its line, clear of descenders

# Every printed character stays this far inside the paper's edges: a quarter inch, an
# estimate of the unprintable border of office laser printers.
PRINT_MARGIN = 18.0

LINES_PER_FORM = 6
FIRST_SERVICE_LINE = 43  # grid line of the shaded half of service line 1
CONTINUED_LINE = 63  # below the form, where "continued" notes print

Align = Literal["left", "right"]


@dataclass(frozen=True, slots=True)
class Field:
    """One data field: its grid line, first column, width in characters and alignment."""

    line: int
    column: int
    width: int
    align: Align = "left"

    @property
    def x(self) -> float:
        """Left edge of the field in points, before printer offsets."""
        return column_x(self.column)

    @property
    def y(self) -> float:
        """Baseline of the field in points from the page bottom, before printer offsets."""
        return line_baseline(self.line)


def column_x(column: int) -> float:
    """Return the left edge of a grid column in points."""
    return GRID_LEFT + (column - 1) * COLUMN_WIDTH


def line_top(line: int) -> float:
    """Return the top edge of a grid line in points from the page bottom."""
    return PAGE_HEIGHT - GRID_TOP - (line - 1) * LINE_HEIGHT


def line_baseline(line: int) -> float:
    """Return the text baseline of a grid line in points from the page bottom."""
    return line_top(line) - LINE_HEIGHT + BASELINE_RISE


def mm_to_points(millimeters: float) -> float:
    """Convert a printer offset in millimeters to points."""
    return millimeters * POINTS_PER_MM


def _check(column: int) -> Field:
    return Field(0, column, 1)


def _on_line(line: int, fields: dict[str, Field]) -> dict[str, Field]:
    """Put fields given with line 0 on `line`, so each row of the form lists its line once."""
    return {
        name: Field(line, field.column, field.width, field.align) for name, field in fields.items()
    }


# Fields above and below the service lines. Names start with the form's item number;
# a check box has width 1 and prints "X".
HEADER_FIELDS: dict[str, Field] = {
    "carrier.name": Field(2, 41, 39),
    "carrier.street": Field(3, 41, 39),
    "carrier.street2": Field(4, 41, 39),
    "carrier.city": Field(5, 41, 39),
    **_on_line(
        8,
        {
            "1.medicare": _check(1),
            "1.medicaid": _check(8),
            "1.tricare": _check(15),
            "1.champva": _check(24),
            "1.group": _check(31),
            "1.feca": _check(39),
            "1.other": _check(45),
            "1a": Field(0, 50, 30),
        },
    ),
    **_on_line(
        10,
        {
            "2": Field(0, 1, 28),
            "3.date": Field(0, 31, 10),
            "3.male": _check(42),
            "3.female": _check(47),
            "4": Field(0, 50, 30),
        },
    ),
    **_on_line(
        12,
        {
            "5.street": Field(0, 1, 28),
            "6.self": _check(33),
            "6.spouse": _check(38),
            "6.child": _check(42),
            "6.other": _check(47),
            "7.street": Field(0, 50, 30),
        },
    ),
    **_on_line(
        14,
        {
            "5.city": Field(0, 1, 24),
            "5.state": Field(0, 26, 2),
            "7.city": Field(0, 50, 23),
            "7.state": Field(0, 75, 2),
        },
    ),
    **_on_line(16, {"5.zip": Field(0, 1, 12), "7.zip": Field(0, 50, 12)}),
    **_on_line(18, {"9": Field(0, 1, 28), "11": Field(0, 50, 30)}),
    **_on_line(
        20,
        {
            "9a": Field(0, 1, 28),
            "10a.yes": _check(35),
            "10a.no": _check(41),
            "11a.date": Field(0, 53, 10),
            "11a.male": _check(68),
            "11a.female": _check(75),
        },
    ),
    **_on_line(22, {"10b.yes": _check(35), "10b.no": _check(41), "10b.state": Field(0, 45, 2)}),
    **_on_line(24, {"10c.yes": _check(35), "10c.no": _check(41), "11c": Field(0, 50, 30)}),
    **_on_line(26, {"9d": Field(0, 1, 28), "11d.yes": _check(52), "11d.no": _check(57)}),
    **_on_line(29, {"12": Field(0, 7, 17), "13": Field(0, 56, 17)}),
    **_on_line(32, {"14.date": Field(0, 2, 8), "14.qualifier": Field(0, 16, 3)}),
    **_on_line(
        34,
        {"17.qualifier": Field(0, 1, 2), "17": Field(0, 4, 24), "17b": Field(0, 33, 15)},
    ),
    "21.indicator": Field(37, 46, 1),
    **_on_line(
        38,
        {
            "21.A": Field(0, 2, 8),
            "21.B": Field(0, 15, 8),
            "21.C": Field(0, 28, 8),
            "21.D": Field(0, 41, 8),
            "22.code": Field(0, 50, 11),
            "22.original": Field(0, 62, 18),
        },
    ),
    **_on_line(
        39,
        {
            "21.E": Field(0, 2, 8),
            "21.F": Field(0, 15, 8),
            "21.G": Field(0, 28, 8),
            "21.H": Field(0, 41, 8),
        },
    ),
    **_on_line(
        40,
        {
            "21.I": Field(0, 2, 8),
            "21.J": Field(0, 15, 8),
            "21.K": Field(0, 28, 8),
            "21.L": Field(0, 41, 8),
            "23": Field(0, 50, 30),
        },
    ),
    **_on_line(
        56,
        {
            "25": Field(0, 1, 15),
            "25.ssn": _check(17),
            "25.ein": _check(19),
            "26": Field(0, 23, 14),
            "27.yes": _check(38),
            "27.no": _check(43),
            "28": Field(0, 50, 7, "right"),
            "28.cents": Field(0, 58, 2),
            "29": Field(0, 61, 6, "right"),
            "29.cents": Field(0, 68, 2),
        },
    ),
    **_on_line(57, {"33.area_code": Field(0, 66, 3), "33.phone": Field(0, 70, 7)}),
    **_on_line(58, {"32.name": Field(0, 23, 26), "33.name": Field(0, 50, 30)}),
    **_on_line(59, {"32.street": Field(0, 23, 26), "33.street": Field(0, 50, 30)}),
    **_on_line(
        60,
        {"31": Field(0, 1, 20), "32.city": Field(0, 23, 26), "33.city": Field(0, 50, 30)},
    ),
    **_on_line(
        61,
        {"31.date": Field(0, 13, 8), "32a": Field(0, 24, 10), "33a": Field(0, 51, 10)},
    ),
    "continued": Field(CONTINUED_LINE, 1, 40),
}

DIAGNOSIS_LETTERS = "ABCDEFGHIJKL"

# Parts of one service line: the shaded half (supplemental information such as the NDC)
# on the first grid line, the service itself on the second.
SHADED_PARTS: dict[str, Field] = {"shaded": Field(0, 1, 48)}
SERVICE_PARTS: dict[str, Field] = {
    "A.from": Field(0, 1, 8),
    "A.to": Field(0, 10, 8),
    "B": Field(0, 19, 2),
    "C": Field(0, 22, 1),
    "D": Field(0, 25, 6),
    "D.modifiers": Field(0, 32, 11),
    "E": Field(0, 45, 4),
    "F": Field(0, 50, 5, "right"),
    "F.cents": Field(0, 56, 2),
    "G": Field(0, 59, 3),
    "J": Field(0, 68, 10),
}


def service_line_fields(number: int) -> dict[str, Field]:
    """Return the fields of service line `number` (1 to 6), named like "24.1.F"."""
    shaded = FIRST_SERVICE_LINE + 2 * (number - 1)
    fields = {
        f"24.{number}.{part}": field for part, field in _on_line(shaded, SHADED_PARTS).items()
    }
    for part, field in _on_line(shaded + 1, SERVICE_PARTS).items():
        fields[f"24.{number}.{part}"] = field
    return fields


FIELDS: dict[str, Field] = dict(HEADER_FIELDS)
for _number in range(1, LINES_PER_FORM + 1):
    FIELDS.update(service_line_fields(_number))

# The (x, y) in points of each field's first character baseline with no printer offset,
# so tests and the alignment page find each item's data.
BOX_POSITIONS: dict[str, tuple[float, float]] = {
    name: (field.x, field.y) for name, field in FIELDS.items()
}
