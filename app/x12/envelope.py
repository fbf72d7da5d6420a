"""Segment assembly and the X12 envelope: ISA/IEA, GS/GE and ST/SE.

Builders return a segment without its terminator. The writer ends each segment with
SEGMENT_TERMINATOR and a newline, which receivers ignore between segments and which keeps
the files readable.
"""

from datetime import datetime

from app.errors import UserError
from app.x12.text import clean_element

ELEMENT_SEPARATOR = "*"
COMPONENT_SEPARATOR = ":"
REPETITION_SEPARATOR = "^"
SEGMENT_TERMINATOR = "~"

VERSION_837P = "005010X222A1"
MAX_CONTROL_NUMBER = 999_999_999  # ISA13 and GS06 have at most 9 digits


class X12WriteError(UserError):
    """Claim or clearinghouse data that cannot be written into a valid X12 file."""


def segment(segment_id: str, *elements: str) -> str:
    """Join a segment id and its elements, dropping trailing empty elements as X12 requires."""
    values = list(elements)
    while values and values[-1] == "":
        values.pop()
    return ELEMENT_SEPARATOR.join([segment_id, *values])


def composite(*components: str) -> str:
    """Join the components of a composite element, dropping trailing empty components."""
    values = list(components)
    while values and values[-1] == "":
        values.pop()
    return COMPONENT_SEPARATOR.join(values)


def isa_segment(
    *,
    sender_qualifier: str,
    sender_id: str,
    receiver_qualifier: str,
    receiver_id: str,
    interchange_number: int,
    usage_indicator: str,
    created_at: datetime,
) -> str:
    """Build the ISA header: 105 characters, 106 with its terminator, as X12 fixes the width
    of every ISA element.

    Raises X12WriteError when a clearinghouse setting does not fit its fixed-width field,
    and ValueError for an interchange number outside 1 to 999,999,999.
    """
    _check_control_number("interchange", interchange_number)
    if usage_indicator not in {"T", "P"}:
        raise X12WriteError(
            f"The clearinghouse usage indicator {usage_indicator!r} is invalid. "
            "Choose Test (T) or Production (P) in the clearinghouse settings."
        )

    elements = [
        "00",
        " " * 10,
        "00",
        " " * 10,
        _isa_qualifier(sender_qualifier, "sender"),
        _isa_id(sender_id, "sender"),
        _isa_qualifier(receiver_qualifier, "receiver"),
        _isa_id(receiver_id, "receiver"),
        created_at.strftime("%y%m%d"),
        created_at.strftime("%H%M"),
        REPETITION_SEPARATOR,
        "00501",
        f"{interchange_number:09d}",
        "0",  # no TA1 interchange acknowledgment requested; the 999 covers acceptance
        usage_indicator,
        COMPONENT_SEPARATOR,
    ]
    return ELEMENT_SEPARATOR.join(["ISA", *elements])


def iea_segment(group_count: int, interchange_number: int) -> str:
    return segment("IEA", str(group_count), f"{interchange_number:09d}")


def gs_segment(
    *,
    sender_code: str,
    receiver_code: str,
    group_number: int,
    created_at: datetime,
) -> str:
    """Build the GS header of an 837P functional group (GS01 HC)."""
    _check_control_number("group", group_number)
    sender = _application_code(sender_code, "sender")
    receiver = _application_code(receiver_code, "receiver")
    return segment(
        "GS",
        "HC",
        sender,
        receiver,
        created_at.strftime("%Y%m%d"),
        created_at.strftime("%H%M"),
        str(group_number),
        "X",
        VERSION_837P,
    )


def ge_segment(transaction_count: int, group_number: int) -> str:
    return segment("GE", str(transaction_count), str(group_number))


def st_segment(transaction_number: str) -> str:
    return segment("ST", "837", transaction_number, VERSION_837P)


def se_segment(segment_count: int, transaction_number: str) -> str:
    """Build the SE trailer; `segment_count` includes the ST and SE segments."""
    return segment("SE", str(segment_count), transaction_number)


def _check_control_number(kind: str, number: int) -> None:
    if not 1 <= number <= MAX_CONTROL_NUMBER:
        raise ValueError(f"the {kind} control number must be 1 to 999999999, not {number}")


def _isa_qualifier(value: str, role: str) -> str:
    cleaned = clean_element(value, 2)
    if len(cleaned) != 2:
        raise X12WriteError(
            f"The ISA {role} id qualifier {value!r} is invalid: it must be 2 characters, such "
            "as ZZ. Correct it in the clearinghouse settings."
        )
    return cleaned


def _isa_id(value: str, role: str) -> str:
    cleaned = clean_element(value, 16)
    if not cleaned or len(cleaned) > 15:
        raise X12WriteError(
            f"The ISA {role} id {value!r} is invalid: it must be 1 to 15 characters. "
            "Correct it in the clearinghouse settings."
        )
    return cleaned.ljust(15)


def _application_code(value: str, role: str) -> str:
    cleaned = clean_element(value, 16)
    if not 2 <= len(cleaned) <= 15:
        raise X12WriteError(
            f"The GS application {role} code {value!r} is invalid: it must be 2 to 15 "
            "characters. Correct it in the clearinghouse settings."
        )
    return cleaned
