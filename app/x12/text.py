"""Element values for X12 files: cleaned text, amounts, dates and times.

Every data value the 837P writer sends goes through one of these functions, so no value
can contain a delimiter or a character outside the X12 extended character set.
"""

import re
import unicodedata
from datetime import date, datetime
from decimal import Decimal

# The delimiters ClinicDesk writes (element, component, repetition, segment) and the two
# that other senders commonly use (">" for components, "|" for elements). A value never
# contains any of them, so a file stays readable whichever set a receiver expects.
DELIMITER_CHARACTERS = frozenset("*:^~>|")

# The X12 basic character set plus the extended set's special characters, after
# upper-casing (005010 X12.6, "Character Set").
_ALLOWED_CHARACTERS = (
    frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 " + "!\"&'()+,-./;?=" + "%@[]_{}\\<#$")
    - DELIMITER_CHARACTERS
)

# Letters that Unicode decomposition leaves alone and their usual ASCII spelling.
_TRANSLITERATIONS = str.maketrans(
    {
        "ß": "SS",
        "ẞ": "SS",
        "Æ": "AE",
        "æ": "AE",
        "Œ": "OE",
        "œ": "OE",
        "Ø": "O",
        "ø": "O",
        "Ł": "L",
        "ł": "L",
        "Đ": "D",
        "đ": "D",
        "Ð": "D",
        "ð": "D",
        "Þ": "TH",
        "þ": "TH",
        "\u0131": "I",  # dotless i
        # Typographic quotes and dashes that word processors put into pasted text.
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\t": " ",
        "\n": " ",
        "\r": " ",
    }
)

_SPACES = re.compile(r" {2,}")
# Every ASCII character outside the allowed set, mapped to None for str.translate.
_DROP_ASCII = {code: None for code in range(128) if chr(code) not in _ALLOWED_CHARACTERS}


def clean_element(value: str, max_length: int) -> str:
    """Convert free text to an X12 element value of at most `max_length` characters.

    The text is upper-cased and transliterated to ASCII ("Peña" -> "PENA", "Straße" ->
    "STRASSE"). Characters outside the X12 extended set and every delimiter are dropped,
    runs of spaces become one space, and the result is trimmed before and after the cut.
    """
    if max_length < 1:
        raise ValueError(f"max_length must be at least 1, not {max_length}")

    if value.isascii():
        # Nearly every value is plain ASCII; one C-level pass per step does the same work
        # as the general path below, which writing a large claim file spends most time in.
        allowed = value.translate(_TRANSLITERATIONS).upper().translate(_DROP_ASCII)
        return _SPACES.sub(" ", allowed).strip()[:max_length].rstrip()

    decomposed = unicodedata.normalize("NFKD", value.translate(_TRANSLITERATIONS))
    upper = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).upper()
    allowed = "".join(ch for ch in upper if ch in _ALLOWED_CHARACTERS)
    return _SPACES.sub(" ", allowed).strip()[:max_length].rstrip()


def digits_only(value: str) -> str:
    """Return the ASCII digits of `value`, for phone numbers, ZIP codes and ids."""
    return "".join(ch for ch in value if "0" <= ch <= "9")


def format_amount(amount: Decimal) -> str:
    """Format a Decimal as an X12 R (decimal number) value: "150", "150.5", "-20", "0".

    Trailing fractional zeros and a negative zero are dropped; there is never an exponent,
    a currency sign or a thousands separator.
    """
    if not amount.is_finite():
        raise ValueError(f"an X12 amount must be a finite number, not {amount}")

    text = format(amount.normalize(), "f")
    return "0" if text in {"-0", "0"} else text


def format_date(day: date) -> str:
    """Format a date as CCYYMMDD (X12 DT, DTP qualifier D8)."""
    return f"{day.year:04d}{day.month:02d}{day.day:02d}"


def format_time(moment: datetime) -> str:
    """Format a time of day as HHMM (X12 TM)."""
    return moment.strftime("%H%M")
