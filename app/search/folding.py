"""Fold names and identifiers into the keys the patient search index stores.

The same functions fold the stored values (through the SQL function that the index
triggers call) and the typed query, so a query matches whenever both fold alike.
"""

import re
import unicodedata

# Letters that Unicode does not decompose into a base letter plus accents.
_SPECIAL_LETTERS = str.maketrans(
    {
        "ł": "l",
        "ø": "o",
        "đ": "d",
        "ð": "d",
        "ħ": "h",
        "\u0131": "i",  # dotless i
        "ŀ": "l",
        "ŧ": "t",
        "æ": "ae",
        "œ": "oe",
        "þ": "th",
    }
)
# Characters that split a name into parts: spaces, hyphens and dashes, apostrophes and
# their typographic forms, periods, commas and slashes.
_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015'\u2018\u2019\u02bc`.,/]+")
_NOT_ALPHANUMERIC = re.compile(r"[^0-9a-z]+")


def fold(text: str) -> str:
    """Return `text` lower-cased, without accents and with only ASCII letters and digits.

    "Núñez" becomes "nunez", "O'Brien" "obrien", "Smith-Jones" "smithjones" and
    "Straße" "strasse". Characters with no ASCII form (such as CJK letters) are dropped.
    """
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_SPECIAL_LETTERS))
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    # casefold() may produce letters that map again (for example "ǆ"), so fold twice.
    ascii_only = stripped.translate(_SPECIAL_LETTERS).encode("ascii", "ignore").decode()
    return _NOT_ALPHANUMERIC.sub("", ascii_only.lower())


def name_parts(text: str) -> list[str]:
    """Return the folded parts of a name split at spaces, hyphens and apostrophes.

    The whole name folded is first, so "Smith-Jones" gives ["smithjones", "smith",
    "jones"], and "O'Brien" gives ["obrien", "o", "brien"]. Empty parts are left out
    and no part appears twice.
    """
    whole = fold(text)
    parts = [whole, *(fold(piece) for piece in _SEPARATORS.split(text))]
    return list(dict.fromkeys(part for part in parts if part))


def digits(text: str) -> str:
    """Return only the ASCII digits of `text`, such as "3125550142" for "(312) 555-0142"."""
    return "".join(c for c in text if "0" <= c <= "9")
