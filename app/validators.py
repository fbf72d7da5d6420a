"""Checks and normalizers for the identifiers and codes that appear on claims.

Every `*_problems` function returns a list of Problems (empty when the value is valid), and
each message names the value, says what is wrong and what a valid value looks like. The
`normalize_*` functions return the stored form of a value that passed its check. Nothing
here touches the database.
"""

import re
import unicodedata
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from app.problems import Problem

# USPS codes for the states, DC, the territories, the freely associated states and the
# military post offices.
US_STATES: dict[str, str] = {
    "AL": "Alabama", "AK": "Alaska", "AZ": "Arizona", "AR": "Arkansas", "CA": "California",
    "CO": "Colorado", "CT": "Connecticut", "DE": "Delaware", "DC": "District of Columbia",
    "FL": "Florida", "GA": "Georgia", "HI": "Hawaii", "ID": "Idaho", "IL": "Illinois",
    "IN": "Indiana", "IA": "Iowa", "KS": "Kansas", "KY": "Kentucky", "LA": "Louisiana",
    "ME": "Maine", "MD": "Maryland", "MA": "Massachusetts", "MI": "Michigan",
    "MN": "Minnesota", "MS": "Mississippi", "MO": "Missouri", "MT": "Montana",
    "NE": "Nebraska", "NV": "Nevada", "NH": "New Hampshire", "NJ": "New Jersey",
    "NM": "New Mexico", "NY": "New York", "NC": "North Carolina", "ND": "North Dakota",
    "OH": "Ohio", "OK": "Oklahoma", "OR": "Oregon", "PA": "Pennsylvania",
    "RI": "Rhode Island", "SC": "South Carolina", "SD": "South Dakota", "TN": "Tennessee",
    "TX": "Texas", "UT": "Utah", "VT": "Vermont", "VA": "Virginia", "WA": "Washington",
    "WV": "West Virginia", "WI": "Wisconsin", "WY": "Wyoming",
    "AS": "American Samoa", "GU": "Guam", "MP": "Northern Mariana Islands",
    "PR": "Puerto Rico", "VI": "U.S. Virgin Islands",
    "FM": "Federated States of Micronesia", "MH": "Marshall Islands", "PW": "Palau",
    "AA": "Armed Forces Americas", "AE": "Armed Forces Europe", "AP": "Armed Forces Pacific",
}  # fmt: skip

# IANA zones offered in time-zone pickers; any other zone zoneinfo knows is accepted too.
US_TIME_ZONES: tuple[str, ...] = (
    "America/New_York",
    "America/Detroit",
    "America/Indiana/Indianapolis",
    "America/Kentucky/Louisville",
    "America/Chicago",
    "America/Indiana/Knox",
    "America/Menominee",
    "America/North_Dakota/Center",
    "America/Denver",
    "America/Boise",
    "America/Phoenix",
    "America/Los_Angeles",
    "America/Anchorage",
    "America/Adak",
    "Pacific/Honolulu",
    "America/Puerto_Rico",
    "America/St_Thomas",
    "Pacific/Guam",
    "Pacific/Saipan",
    "Pacific/Pago_Pago",
)

# X12 5010 claim filing indicator codes (837P loop 2000B SBR09) with their standard names.
CLAIM_FILING_INDICATORS: dict[str, str] = {
    "11": "Other Non-Federal Programs",
    "12": "Preferred Provider Organization (PPO)",
    "13": "Point of Service (POS)",
    "14": "Exclusive Provider Organization (EPO)",
    "15": "Indemnity Insurance",
    "16": "Health Maintenance Organization (HMO) Medicare Risk",
    "17": "Dental Maintenance Organization",
    "AM": "Automobile Medical",
    "BL": "Blue Cross/Blue Shield",
    "CH": "CHAMPUS (TRICARE)",
    "CI": "Commercial Insurance Co.",
    "DS": "Disability",
    "FI": "Federal Employees Program",
    "HM": "Health Maintenance Organization",
    "LM": "Liability Medical",
    "MA": "Medicare Part A",
    "MB": "Medicare Part B",
    "MC": "Medicaid",
    "OF": "Other Federal Program",
    "TV": "Title V",
    "VA": "Veterans Affairs Plan",
    "WC": "Workers' Compensation Health Claim",
    "ZZ": "Mutually Defined",
}

# The IRS has never issued employer identification numbers with these two-digit prefixes.
INVALID_EIN_PREFIXES = frozenset(
    {"00", "07", "08", "09", "17", "18", "19", "28", "29", "49", "69", "70", "78", "79", "89",
     "96", "97"}
)  # fmt: skip

# The ISO 7812 issuer prefix for US health applications, which CMS prepends to the first
# nine NPI digits before computing the Luhn check digit.
NPI_LUHN_PREFIX = "80840"

# Post office boxes and lock boxes in any usual spelling: "PO Box", "P.O. Box", "P O Box",
# "POB", "P.O.B.", "Post Office Box", "Postal Box", "Lock Box", "Lockbox".
_PO_BOX = re.compile(
    r"""(?<![a-z0-9])(?:
        p\.?\s*o\.?\s*b(?:ox)?\.?
      | post\s*office\s*box
      | postal\s*box
      | lock\s*box
    )(?![a-z])""",
    re.IGNORECASE | re.VERBOSE,
)
# Identifier patterns spell out [0-9] and use re.ASCII because \d and str.isdigit also
# match other scripts' digits, such as the full-width six (U+FF16) or the Arabic-Indic
# six (U+0666), which digits_only drops and a claim file cannot carry.
_TAXONOMY = re.compile(r"[0-9A-Z]{9}X")
_ZIP = re.compile(r"([0-9]{5})(?:-?([0-9]{4}))?")
_PLACE_OF_SERVICE = re.compile(r"[0-9]{2}")
_NPI = re.compile(r"[0-9]{10}")
_NPI_SEPARATORS = re.compile(r"[\s-]", re.ASCII)
_EIN_TEXT = re.compile(r"[0-9 -]+")
_PHONE_TEXT = re.compile(r"[0-9 ().+-]+")

# Unicode general categories rejected in typed text. Control characters (Cc: tab, escape,
# bell) can drive a terminal or break a claim file, and format characters (Cf, such as the
# right-to-left override U+202E) are invisible but reorder or hide what a screen shows.
# Surrogates (Cs) only appear alone in broken text and cannot be stored as UTF-8, and the
# line and paragraph separators (Zl U+2028, Zp U+2029) break a one-line field like Cc does.
_REJECTED_CATEGORIES: dict[str, str] = {
    "Cc": "a control character",
    "Cf": "an invisible formatting character",
    "Cs": "a broken character (a lone surrogate)",
    "Zl": "a line separator",
    "Zp": "a paragraph separator",
}

# X12 separators: element (*), segment (~), component (:) and repetition (^). Text that
# reaches a claim and contains one would split a claim segment, so they are rejected at
# the desk.
X12_SEPARATORS = "*~:^"
ECHO_MAX = 60


def shorten_for_message(value: str, limit: int = ECHO_MAX) -> str:
    """Return `value` cut to `limit` characters with an ellipsis, for echoing in a message."""
    if len(value) <= limit:
        return value
    return value[: limit - 1] + "\u2026"


def echo_for_message(value: str) -> str:
    """Return typed input as a message may echo it: hidden characters escaped, then shortened."""
    escaped = "".join(
        f"\\u{ord(character):04X}"
        if unicodedata.category(character) in _REJECTED_CATEGORIES
        else character
        for character in value
    )
    return shorten_for_message(escaped)


def lookalike_note(value: str) -> str:
    """Return a sentence naming the first character of a code outside ASCII, or "" for none.

    Codes are ASCII letters and digits. A letter of another script, such as a Cyrillic
    capital IE (U+0415) typed for the E of E11.9, shows like a Latin one, so a message
    that only echoes the code would print a value that looks valid. The sentence starts
    with a space, so a message about the code ends with it.
    """
    for character in value:
        if not character.isascii():
            name = unicodedata.name(character, "an unnamed character").lower()
            return (
                f" It contains {name} (U+{ord(character):04X}), but codes use only the letters "
                "A to Z and the digits 0 to 9, so retype it."
            )
    return ""


def digits_only(value: str) -> str:
    """Return the ASCII digits in `value`, in order."""
    return "".join(character for character in value if character in "0123456789")


def is_ascii_digits(value: str) -> bool:
    """Return True when `value` is one or more of the ASCII digits 0-9 and nothing else."""
    return value.isascii() and value.isdigit()


def character_problems(value: str | None, field: str, label: str) -> list[Problem]:
    """Reject characters a field cannot store or show safely, one Problem per kind.

    The rejected kinds are control, format and surrogate characters and line and
    paragraph separators (categories Cc, Cf, Cs, Zl and Zp), and text made only of
    combining marks, which shows as nothing or as accents on the field's label.
    Leading and trailing whitespace is ignored because callers store the stripped text.
    Ordinary spaces (category Zs) are allowed.
    """
    text = (value or "").strip()
    found: dict[str, str] = {}
    for character in text:
        category = unicodedata.category(character)
        if category in _REJECTED_CATEGORIES and category not in found:
            found[category] = f"U+{ord(character):04X}"

    problems = [
        Problem(
            field,
            f"{label} contains {_REJECTED_CATEGORIES[category]} ({code}), which is not "
            "allowed. Retype the text instead of pasting it, using letters, digits, spaces "
            "and punctuation only.",
        )
        for category, code in found.items()
    ]
    if text and all(unicodedata.category(character).startswith("M") for character in text):
        problems.append(
            Problem(
                field,
                f"{label} contains only combining marks (accents without a letter); "
                "retype it with letters.",
            )
        )
    return problems


def separator_problems(value: str | None, field: str, label: str) -> list[Problem]:
    """Reject the X12 separators * ~ : ^ in text that can reach a claim."""
    text = (value or "").strip()
    separators = sorted({character for character in text if character in X12_SEPARATORS})
    if not separators:
        return []
    return [
        Problem(
            field,
            f"{label} {echo_for_message(text)} contains {' '.join(separators)}, "
            "which claim files use as separators; remove it.",
        )
    ]


def text_problems(
    value: str | None, field: str, label: str, max_length: int, *, required: bool = True
) -> list[Problem]:
    """Check a free-text field: present when required, fits its column, no control characters."""
    text = (value or "").strip()
    if not text:
        return [Problem(field, f"{label} is missing; enter it.")] if required else []

    problems = character_problems(text, field, label)
    if len(text) > max_length:
        problems.append(
            Problem(
                field,
                f"{label} has {len(text)} characters; shorten it to at most {max_length}.",
            )
        )
    return problems


def claim_text_problems(
    value: str | None, field: str, label: str, max_length: int, *, required: bool = True
) -> list[Problem]:
    """Check free text that can reach a claim: text_problems plus no X12 separators."""
    return [
        *text_problems(value, field, label, max_length, required=required),
        *separator_problems(value, field, label),
    ]


def npi_check_digit(first9: str) -> int:
    """Return the Luhn check digit CMS defines for an NPI whose first nine digits are `first9`."""
    if len(first9) != 9 or not is_ascii_digits(first9):
        raise ValueError(f"{first9!r} is not nine digits")

    total = 0
    # The check digit is appended on the right, so doubling starts at the rightmost digit.
    for position, character in enumerate(reversed(NPI_LUHN_PREFIX + first9)):
        digit = int(character)
        if position % 2 == 0:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return (10 - total % 10) % 10


def normalize_npi(value: str) -> str:
    """Return `value` without spaces or dashes, the form NPIs are stored in."""
    return _NPI_SEPARATORS.sub("", value)


def npi_problems(value: str | None, field: str) -> list[Problem]:
    """Check a National Provider Identifier: 10 digits, starting 1 or 2, valid check digit."""
    npi = normalize_npi(value or "")
    if not npi:
        return [Problem(field, "NPI is missing; enter the 10-digit NPI from the NPPES record.")]
    if _NPI.fullmatch(npi) is None:
        return [
            Problem(
                field,
                f"NPI {echo_for_message(npi)} is not 10 digits; an NPI has exactly 10 digits, "
                "such as 1234567893.",
            )
        ]
    if npi[0] not in "12":
        return [Problem(field, f"NPI {npi} starts with {npi[0]}; every NPI starts with 1 or 2.")]
    if npi_check_digit(npi[:9]) != int(npi[9]):
        return [
            Problem(
                field,
                f"NPI {npi} fails the check digit; check the number on the NPPES record.",
            )
        ]
    return []


def normalize_ein(value: str) -> str:
    """Return an EIN in the NN-NNNNNNN form (call only after ein_problems passes)."""
    digits = digits_only(value)
    return f"{digits[:2]}-{digits[2:]}"


def ein_problems(value: str | None, field: str) -> list[Problem]:
    """Check an employer identification number: nine digits with a prefix the IRS issues."""
    text = (value or "").strip()
    if not text:
        return [Problem(field, "EIN is missing; enter the 9-digit federal tax id, NN-NNNNNNN.")]
    digits = digits_only(text)
    if len(digits) != 9 or _EIN_TEXT.fullmatch(text) is None:
        return [
            Problem(
                field,
                f"EIN {echo_for_message(text)} is not 9 digits; write it as NN-NNNNNNN, "
                "such as 36-1234567.",
            )
        ]
    if digits[:2] in INVALID_EIN_PREFIXES:
        return [
            Problem(
                field,
                f"EIN {echo_for_message(text)} starts with {digits[:2]}, a prefix the IRS "
                "never issues; check the number on the IRS letter (CP 575 or 147C).",
            )
        ]
    return []


def normalize_zip(value: str) -> str:
    """Return a ZIP code as NNNNN or NNNNN-NNNN (call only after zip_problems passes)."""
    digits = digits_only(value)
    return digits if len(digits) == 5 else f"{digits[:5]}-{digits[5:]}"


def zip_problems(value: str | None, field: str, require_plus4: bool = False) -> list[Problem]:
    """Check a ZIP code: five digits, or ZIP+4 (required for billing addresses on claims)."""
    text = (value or "").strip()
    example = "60601-1234" if require_plus4 else "60601 or 60601-1234"
    if not text:
        return [Problem(field, f"ZIP code is missing; enter it, such as {example}.")]
    match = _ZIP.fullmatch(text)
    if match is None:
        return [
            Problem(
                field, f"ZIP code {echo_for_message(text)} is not valid; write it as {example}."
            )
        ]
    if require_plus4 and match.group(2) is None:
        return [
            Problem(
                field,
                f"ZIP code {echo_for_message(text)} needs its four-digit extension (ZIP+4) "
                f"because claims require it here; write it as {example} "
                "(usps.com has a ZIP+4 lookup).",
            )
        ]
    return []


def is_po_box(address_line: str) -> bool:
    """Return True when `address_line` is a post office box or lock box."""
    return _PO_BOX.search(address_line) is not None


def po_box_problems(value: str | None, field: str) -> list[Problem]:
    """Reject a post office box or lock box where claims need a street address."""
    text = (value or "").strip()
    if text and is_po_box(text):
        return [
            Problem(
                field,
                f"{shorten_for_message(text)!r} is a post office box or lock box; claims need "
                "the street address here. Put a pay-to box on the payer's remittance set-up "
                "instead.",
            )
        ]
    return []


def normalize_state(value: str) -> str:
    """Return a state code in upper case without spaces."""
    return value.strip().upper()


def state_problems(value: str | None, field: str) -> list[Problem]:
    """Check a two-letter USPS state or territory code."""
    code = normalize_state(value or "")
    if not code:
        return [Problem(field, "State is missing; enter the two-letter code, such as IL.")]
    if code not in US_STATES:
        return [
            Problem(
                field,
                f"State {echo_for_message(code)} is not a USPS state or territory code; use "
                "two letters such as IL, NY or PR.",
            )
        ]
    return []


def normalize_taxonomy(value: str) -> str:
    """Return a taxonomy code in upper case without spaces."""
    return value.strip().upper()


def taxonomy_problems(value: str | None, field: str) -> list[Problem]:
    """Check a health care provider taxonomy code: nine letters or digits and a final X."""
    code = normalize_taxonomy(value or "")
    if not code:
        return [
            Problem(
                field,
                "Taxonomy code is missing; enter the 10-character code from the NPPES "
                "record, such as 207Q00000X (family medicine).",
            )
        ]
    if _TAXONOMY.fullmatch(code) is None:
        return [
            Problem(
                field,
                f"Taxonomy code {echo_for_message(code)} is not valid; it has 9 letters or "
                "digits followed by X, such as 207Q00000X (family medicine).",
            )
        ]
    return []


def _phone_digits(value: str) -> str:
    digits = digits_only(value)
    if len(digits) == 11 and digits.startswith("1"):
        return digits[1:]
    return digits


def normalize_phone(value: str) -> str:
    """Return a phone number as (NNN) NNN-NNNN (call only after phone_problems passes)."""
    digits = _phone_digits(value)
    return f"({digits[:3]}) {digits[3:6]}-{digits[6:]}"


def phone_problems(value: str | None, field: str, *, required: bool = True) -> list[Problem]:
    """Check a North American phone number: 10 digits, area code and exchange not 0 or 1."""
    text = (value or "").strip()
    if not text:
        if not required:
            return []
        return [Problem(field, "Phone number is missing; enter it, such as (312) 555-0142.")]
    if _PHONE_TEXT.fullmatch(text) is None or len(_phone_digits(text)) != 10:
        return [
            Problem(
                field,
                f"Phone number {echo_for_message(text)} is not 10 digits; enter it with the "
                "area code, such as (312) 555-0142.",
            )
        ]
    digits = _phone_digits(text)
    if digits[0] in "01" or digits[3] in "01":
        return [
            Problem(
                field,
                f"Phone number {echo_for_message(text)} is not valid because area codes and "
                "exchanges never start with 0 or 1; check the number.",
            )
        ]
    return []


def time_zone_problems(value: str | None, field: str) -> list[Problem]:
    """Check an IANA time zone name that this computer's zoneinfo database knows."""
    name = (value or "").strip()
    if not name:
        return [Problem(field, "Time zone is missing; choose one, such as America/Chicago.")]
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return [
            Problem(
                field,
                f"Time zone {echo_for_message(name)} is not known; use an IANA name such as "
                "America/Chicago or America/New_York.",
            )
        ]
    return []


def claim_filing_indicator_problems(value: str | None, field: str) -> list[Problem]:
    """Check an X12 claim filing indicator code (SBR09)."""
    code = (value or "").strip().upper()
    if code in CLAIM_FILING_INDICATORS:
        return []
    shown = echo_for_message(code) or "(blank)"
    return [
        Problem(
            field,
            f"Claim filing indicator {shown} is not an X12 code; choose one from the list, "
            "such as CI (commercial), MB (Medicare Part B) or MC (Medicaid).",
        )
    ]


def place_of_service_problems(value: str | None, field: str) -> list[Problem]:
    """Check a CMS place-of-service code: two digits from 01 to 99."""
    code = (value or "").strip()
    if _PLACE_OF_SERVICE.fullmatch(code) is None or code == "00":
        shown = echo_for_message(code) or "(blank)"
        return [
            Problem(
                field,
                f"Place of service {shown} is not valid; use the two-digit CMS code, "
                "such as 11 (office) or 02 (telehealth).",
            )
        ]
    return []
