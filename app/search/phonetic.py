"""A phonetic code for names, so "Smith" and "Smyth" or "Catherine" and "Kathryn" compare equal.

The code is NYSIIS (New York State Identification and Intelligence System, Robert L.
Taft, 1970), chosen over Soundex because it keeps vowel positions and handles common
American surname spellings better, and over Double Metaphone because it is short enough
to read in full here. Two deliberate departures from the 1970 rules: the code is not cut
to six characters (names are short, and a longer code separates more names), and a Y
after the first letter counts as a vowel, as the modified NYSIIS of the same era does,
so "Smyth" codes like "Smith".
"""

from app.search.folding import fold

_VOWELS = frozenset("AEIOUY")

_FIRST_LETTERS = (
    ("MAC", "MCC"),
    ("KN", "NN"),
    ("K", "C"),
    ("PH", "FF"),
    ("PF", "FF"),
    ("SCH", "SSS"),
)
_LAST_LETTERS = (
    ("EE", "Y"),
    ("IE", "Y"),
    ("DT", "D"),
    ("RT", "D"),
    ("RD", "D"),
    ("NT", "D"),
    ("ND", "D"),
)
_SINGLE_LETTERS = {"Q": "G", "Z": "S", "M": "N"}


def nysiis(name: str) -> str:
    """Return the NYSIIS code of `name`, such as "SNAT" for "Smith"; "" when it has no letters.

    The name is folded first (see folding.fold), so accents and punctuation do not matter,
    and digits are ignored.
    """
    letters = "".join(c for c in fold(name) if c.isalpha()).upper()
    if not letters:
        return ""
    letters = _replace_first_letters(letters)
    letters = _replace_last_letters(letters)
    chars = list(letters)
    key = chars[0]
    for position in range(1, len(chars)):
        _translate_at(chars, position)
        if chars[position] != key[-1]:
            key += chars[position]
    return _trim_ending(key)


def _replace_first_letters(letters: str) -> str:
    for prefix, replacement in _FIRST_LETTERS:
        if letters.startswith(prefix):
            return replacement + letters[len(prefix) :]
    return letters


def _replace_last_letters(letters: str) -> str:
    for suffix, replacement in _LAST_LETTERS:
        if letters.endswith(suffix):
            return letters[: -len(suffix)] + replacement
    return letters


def _translate_at(chars: list[str], position: int) -> None:
    """Apply the NYSIIS rule for the letter at `position`, rewriting `chars` in place.

    Later positions read the rewritten letters, as the algorithm specifies.
    """
    letter = chars[position]
    following = chars[position + 1] if position + 1 < len(chars) else ""
    previous = chars[position - 1]
    if letter == "E" and following == "V":
        chars[position : position + 2] = ["A", "F"]
    elif letter in _VOWELS:
        chars[position] = "A"
    elif letter in _SINGLE_LETTERS:
        chars[position] = _SINGLE_LETTERS[letter]
    elif letter == "K":
        chars[position] = "N" if following == "N" else "C"
    elif chars[position : position + 3] == ["S", "C", "H"]:
        chars[position : position + 3] = ["S", "S", "S"]
    elif letter == "P" and following == "H":
        chars[position : position + 2] = ["F", "F"]
    elif _takes_previous_sound(letter, previous, following):
        chars[position] = previous


def _takes_previous_sound(letter: str, previous: str, following: str) -> bool:
    """Return True for a silent H (not between vowels) or a W after a vowel."""
    if letter == "H":
        return previous not in _VOWELS or following not in _VOWELS
    return letter == "W" and previous in _VOWELS


def _trim_ending(key: str) -> str:
    if len(key) > 1 and key.endswith("S"):
        key = key[:-1]
    if key.endswith("AY"):
        key = key[:-2] + "Y"
    if len(key) > 1 and key.endswith("A"):
        key = key[:-1]
    return key
