"""Split an X12 interchange into segments and check its envelope.

The ISA header is fixed-length (106 characters), so its delimiters sit at fixed offsets:
the element separator at character 3, the repetition separator at 82 (ISA11), the
component separator at 104 (ISA16) and the segment terminator at 105. Files from
clearinghouses and sample sets may start with a UTF-8 byte order mark, put line breaks
after each terminator or indent each segment, and the parser accepts all of these. Envelope
counts and control numbers (SE, GE, IEA) are checked against what was read, because a
mismatch means the file was cut or edited and its content cannot be trusted.
"""

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TypeVar

from app.errors import UserError

ISA_LENGTH = 106

# Width of each ISA element, ISA01 to ISA16. With "ISA", the 16 separators and the
# terminator they add up to ISA_LENGTH.
_ISA_WIDTHS = (2, 10, 2, 10, 2, 15, 2, 15, 6, 4, 1, 5, 9, 1, 1, 1)
_ISA_NAMES = (
    "authorization information qualifier",
    "authorization information",
    "security information qualifier",
    "security information",
    "sender id qualifier",
    "sender id",
    "receiver id qualifier",
    "receiver id",
    "interchange date",
    "interchange time",
    "repetition separator",
    "version number",
    "interchange control number",
    "acknowledgment requested flag",
    "usage indicator",
    "component separator",
)

_SEGMENT_ID = re.compile(r"[A-Z][A-Z0-9]{1,2}")
# Counts in SE01, GE01 and IEA01 have at most 10 digits. ASCII digits only, because
# str.isdigit() also accepts characters such as "²" that int() rejects.
_COUNT = re.compile(r"[0-9]{1,10}")
_BETWEEN_SEGMENTS = " \t\r\n"
_NEW_COPY = "Ask the clearinghouse for a new copy of the file."


class X12FormatError(UserError):
    """An X12 file that cannot be read. The message names the segment, the problem and the fix."""


@dataclass(frozen=True, slots=True)
class Delimiters:
    element: str
    component: str
    repetition: str  # "" when ISA11 is not a separator (version 00401 and older)
    segment: str


# The delimiters the 5010 implementation guides recommend and our writer uses.
STANDARD_DELIMITERS = Delimiters(element="*", component=":", repetition="^", segment="~")


@dataclass(frozen=True, slots=True)
class Segment:
    id: str
    elements: list[str]  # elements[0] is the id, so elements[1] is XX01
    number: int  # 1-based position in the file, counting ISA as 1
    delimiters: Delimiters = field(default_factory=lambda: STANDARD_DELIMITERS)

    def element(self, index: int) -> str:
        """Return element `index` (1 for XX01), or "" when the segment is shorter."""
        if 0 < index < len(self.elements):
            return self.elements[index]
        return ""

    def component(self, index: int, position: int) -> str:
        """Return component `position` (1-based) of element `index`, or "" when absent."""
        parts = self.components(index)
        if 0 < position <= len(parts):
            return parts[position - 1]
        return ""

    def components(self, index: int) -> list[str]:
        """Split element `index` on the component separator ([""] when absent)."""
        return self.element(index).split(self.delimiters.component)

    @property
    def label(self) -> str:
        """The segment as messages name it, such as "Segment 212 (SE)"."""
        return f"Segment {self.number} ({self.id})"


def segment_error(segment: Segment, problem: str, fix: str = _NEW_COPY) -> X12FormatError:
    """Build the error for `segment`, such as "Segment 12 (CLM): <problem>. <fix>"."""
    return X12FormatError(f"{segment.label}: {problem}. {fix}")


def wrong_transaction_error(segment: Segment, found: str, expected: str) -> X12FormatError:
    """Build the error for an ST of another kind than the reader reads."""
    return segment_error(
        segment,
        f"this transaction set is {found.strip()}, not {expected}",
        "Open the file with the reader for its kind.",
    )


State = TypeVar("State")


def walk_segments(
    segments: list[Segment],
    handlers: Mapping[str, Callable[[State, Segment], None]],
    state: State,
) -> None:
    """Call the handler for each segment's id, in file order; other segments are skipped."""
    for segment in segments:
        handler = handlers.get(segment.id)
        if handler is not None:
            handler(state, segment)


def decode_x12_bytes(data: bytes) -> str:
    """Decode X12 bytes: UTF-16 (with or without a byte order mark), UTF-8 or Latin-1.

    X12 text is ASCII, so a NUL as the second or first byte means UTF-16 without a byte
    order mark. Bytes that are not valid UTF-8 are read as Latin-1, because every byte is a
    Latin-1 character. The envelope checks then reject anything that is not X12.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return _decode_utf16(data, "utf-16")
    if len(data) > 1 and data[1] == 0 and data[0] != 0:
        return _decode_utf16(data, "utf-16-le")
    if len(data) > 1 and data[0] == 0 and data[1] != 0:
        return _decode_utf16(data, "utf-16-be")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _decode_utf16(data: bytes, encoding: str) -> str:
    # An odd byte count means the file was cut in the middle of a character.
    if len(data) % 2:
        data = data[:-1]
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as error:
        raise X12FormatError(
            f"The file looks like UTF-16 text but byte {error.start} cannot be decoded. "
            + _NEW_COPY
        ) from error


def read_x12_file(path: Path) -> str:
    """Read an X12 file from disk as text (see `decode_x12_bytes` for the encodings)."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise X12FormatError(
            f"The file {path.name} could not be read ({error.strerror}). "
            "Check that it exists and that you may open it."
        ) from error
    return decode_x12_bytes(data)


def parse_segments(text: str) -> tuple[Delimiters, list[Segment]]:
    """Split `text` into segments and check every ISA, GS, ST envelope and its trailer.

    Returns the delimiters of the first interchange and every segment in file order; a
    file may hold several interchanges, each with its own delimiters. Raises
    X12FormatError for a bad header, an invalid segment id, a file that ends inside a
    segment or envelope, and trailer counts or control numbers that do not match.
    """
    segments = _split_segments(_unwrap_lines(text.lstrip("\ufeff")))
    _check_envelopes(segments)
    return segments[0].delimiters, segments


def _unwrap_lines(text: str) -> str:
    """Join the lines of a file wrapped at a fixed width, such as 80 columns.

    Some senders break their files into fixed-width lines wherever a line fills up. A
    line break inside the first 105 characters of the ISA shows such a file, because a
    line break there is never a delimiter. X12 data never contains CR or LF, so they can
    all be removed then.
    """
    start = _skip_between(text, 0)
    header = text[start : start + ISA_LENGTH - 1]
    if "\n" not in header and "\r" not in header:
        return text
    return text[:start] + text[start:].replace("\r", "").replace("\n", "")


# --- splitting ---------------------------------------------------------------------


def _split_segments(text: str) -> list[Segment]:
    segments: list[Segment] = []
    position = _skip_between(text, 0)
    if position >= len(text):
        raise X12FormatError("The file is empty. " + _NEW_COPY)
    if not text.startswith("ISA", position):
        raise X12FormatError(
            f"ISA header: the file starts with {text[position : position + 3]!r} instead of "
            "ISA, so it is not a complete X12 interchange (the ISA envelope is missing). "
            + _NEW_COPY
        )

    delimiters = _read_isa_delimiters(text, position, 1)
    while position < len(text):
        number = len(segments) + 1
        if _starts_isa(text, position):
            delimiters = _read_isa_delimiters(text, position, number)
            raw = text[position : position + ISA_LENGTH - 1]
            position += ISA_LENGTH
        else:
            end = text.find(delimiters.segment, position)
            if end < 0:
                end = _end_of_last_segment(text, position, number, delimiters)
            raw = text[position:end].rstrip("\r\n")
            position = end + 1

        segments.append(_make_segment(raw, number, delimiters))
        position = _skip_between(text, position)
    return segments


def _skip_between(text: str, position: int) -> int:
    while position < len(text) and text[position] in _BETWEEN_SEGMENTS:
        position += 1
    return position


def _starts_isa(text: str, position: int) -> bool:
    following = text[position + 3 : position + 4]
    return text.startswith("ISA", position) and following != "" and not following.isalnum()


def _end_of_last_segment(text: str, position: int, number: int, delimiters: Delimiters) -> int:
    """Return where the unterminated rest of the file ends, if it is a final IEA.

    Many files whose terminator is a line break lack the last one after IEA, which is
    harmless. Any other unterminated text means the file was cut off.
    """
    rest = text[position:].rstrip(_BETWEEN_SEGMENTS)
    segment_id = rest.split(delimiters.element, 1)[0]
    if segment_id == "IEA":
        return position + len(rest)

    if _SEGMENT_ID.fullmatch(segment_id):
        raise X12FormatError(
            f"Segment {number} ({segment_id}): the file ends inside this segment, before "
            f"its terminator {delimiters.segment!r}, so the file was cut off. " + _NEW_COPY
        )
    raise X12FormatError(
        f"Segment {number}: the file ends with {rest[:20]!r}, which is not a complete "
        "segment, so the file was cut off or damaged. " + _NEW_COPY
    )


def _make_segment(raw: str, number: int, delimiters: Delimiters) -> Segment:
    elements = raw.split(delimiters.element)
    segment_id = elements[0].strip()
    if not _SEGMENT_ID.fullmatch(segment_id):
        raise X12FormatError(
            f"Segment {number}: {segment_id!r} is not a valid segment id (ids are 2 or 3 "
            "capital letters or digits, such as NM1), so the file is damaged. " + _NEW_COPY
        )
    elements[0] = segment_id
    return Segment(id=segment_id, elements=elements, number=number, delimiters=delimiters)


def _read_isa_delimiters(text: str, position: int, number: int) -> Delimiters:
    """Check the fixed-width ISA at `position` and return its delimiters."""
    header = text[position : position + ISA_LENGTH]
    where = f"Segment {number} (ISA header)"
    if len(header) < ISA_LENGTH:
        raise X12FormatError(
            f"{where}: the file ends after {len(header)} characters, inside the "
            f"{ISA_LENGTH}-character ISA header. " + _NEW_COPY
        )

    element = header[3]
    if element.isalnum() or element in _BETWEEN_SEGMENTS:
        raise X12FormatError(
            f"{where}: the element separator (character 4) is {element!r}, which cannot be "
            "a separator. " + _NEW_COPY
        )
    _check_isa_widths(header, element, where)

    segment = header[105]
    component = header[104]
    repetition = header[82]
    if segment.isalnum() or segment == " " or len({element, component, segment}) < 3:
        raise X12FormatError(
            f"{where}: the element separator {element!r}, component separator {component!r} "
            f"and segment terminator {segment!r} must be three different punctuation "
            "characters. " + _NEW_COPY
        )

    # Version 00401 and older put the letter U in ISA11 instead of a separator. A
    # repetition separator equal to another delimiter is unusable, so it is ignored too.
    if repetition.isalnum() or repetition in {element, component, segment, " "}:
        repetition = ""
    return Delimiters(element=element, component=component, repetition=repetition, segment=segment)


def _check_isa_widths(header: str, element: str, where: str) -> None:
    # Each ISA element has a fixed width, because a short or long one shifts every delimiter.
    start = 4
    for index, width in enumerate(_ISA_WIDTHS, start=1):
        end = header.find(element, start) if index < len(_ISA_WIDTHS) else start + 1
        if end < 0:
            end = len(header)
        if end - start != width:
            raise X12FormatError(
                f"{where}: ISA{index:02d} ({_ISA_NAMES[index - 1]}) is {end - start} "
                f"characters long but must be exactly {width}, so the fixed-width ISA "
                "header cannot be read. " + _NEW_COPY
            )
        start = end + 1


# --- envelope checks ------------------------------------------------------------------


@dataclass(slots=True)
class _Envelope:
    """The open ISA, GS and ST segments while walking the file."""

    interchange: Segment | None = None
    group: Segment | None = None
    transaction: Segment | None = None
    group_count: int = 0
    set_count: int = 0


def _check_envelopes(segments: list[Segment]) -> None:
    state = _Envelope()
    for segment in segments:
        handler = _ENVELOPE_HANDLERS.get(segment.id, _check_body)
        handler(state, segment)

    last = segments[-1]
    if state.transaction is not None:
        raise _missing_trailer(state.transaction, "SE, GE and IEA", last)
    if state.group is not None:
        raise _missing_trailer(state.group, "GE and IEA", last)
    if state.interchange is not None:
        raise _missing_trailer(state.interchange, "IEA", last)


def _missing_trailer(opener: Segment, trailers: str, last: Segment) -> X12FormatError:
    return X12FormatError(
        f"{opener.label}: the file ends at segment {last.number} ({last.id}) before "
        f"{trailers} close this envelope, so the file was cut off. " + _NEW_COPY
    )


def _open_interchange(state: _Envelope, segment: Segment) -> None:
    if state.interchange is not None:
        raise segment_error(segment, "a new interchange starts before IEA closed the last one")
    state.interchange = segment
    state.group_count = 0


def _open_group(state: _Envelope, segment: Segment) -> None:
    if state.interchange is None or state.group is not None:
        raise segment_error(segment, "GS must follow ISA or GE, but it appears elsewhere")
    state.group = segment
    state.set_count = 0
    state.group_count += 1


def _open_transaction(state: _Envelope, segment: Segment) -> None:
    if state.group is None or state.transaction is not None:
        raise segment_error(segment, "ST must follow GS or SE, but it appears elsewhere")
    if not segment.element(1) or not segment.element(2):
        raise segment_error(segment, "ST01 (set type) or ST02 (control number) is missing")
    state.transaction = segment
    state.set_count += 1


def _close_transaction(state: _Envelope, segment: Segment) -> None:
    opener = state.transaction
    if opener is None:
        raise segment_error(segment, "SE appears without an ST before it")
    found = segment.number - opener.number + 1
    _check_count(segment, "the transaction set", "segments", found)
    _check_control(segment, 2, opener, 2)
    state.transaction = None


def _close_group(state: _Envelope, segment: Segment) -> None:
    opener = state.group
    if opener is None or state.transaction is not None:
        raise segment_error(segment, "GE must follow SE, but it appears elsewhere")
    _check_count(segment, "the functional group", "transaction sets", state.set_count)
    _check_control(segment, 2, opener, 6)
    state.group = None


def _close_interchange(state: _Envelope, segment: Segment) -> None:
    opener = state.interchange
    if opener is None or state.group is not None:
        raise segment_error(segment, "IEA must follow GE or TA1, but it appears elsewhere")
    _check_count(segment, "the interchange", "functional groups", state.group_count)
    _check_control(segment, 2, opener, 13)
    state.interchange = None


def _check_body(state: _Envelope, segment: Segment) -> None:
    # TA1 is the one segment allowed between ISA and GS.
    if segment.id == "TA1" and state.interchange is not None and state.group is None:
        return
    if state.transaction is None:
        raise segment_error(
            segment, "this segment is outside a transaction set (between ST and SE)"
        )


def _check_count(segment: Segment, container: str, things: str, found: int) -> None:
    declared = segment.element(1).strip()
    if not _COUNT.fullmatch(declared):
        raise segment_error(
            segment, f"{segment.id}01 should give the number of {things} but is {declared[:20]!r}"
        )
    if int(declared) != found:
        raise segment_error(
            segment, f"{container} says it has {int(declared)} {things} but {found} were found"
        )


def _check_control(trailer: Segment, index: int, opener: Segment, opener_index: int) -> None:
    closing = trailer.element(index).strip()
    opening = opener.element(opener_index).strip()
    if closing != opening:
        raise segment_error(
            trailer,
            f"control number {trailer.id}{index:02d} {closing!r} does not match "
            f"{opener.id}{opener_index:02d} {opening!r} in segment {opener.number}",
        )


_ENVELOPE_HANDLERS = {
    "ISA": _open_interchange,
    "GS": _open_group,
    "ST": _open_transaction,
    "SE": _close_transaction,
    "GE": _close_group,
    "IEA": _close_interchange,
}


# --- element values -------------------------------------------------------------------

_AMOUNT = re.compile(r"-?([0-9]+\.?[0-9]*|\.[0-9]+)")


def element_amount(segment: Segment, index: int) -> Decimal:
    """Read element `index` as an X12 decimal amount such as 150, -7.5 or .06."""
    value = segment.element(index).strip()
    if not _AMOUNT.fullmatch(value):
        raise segment_error(
            segment, f"{segment.id}{index:02d} should be an amount but is {value[:20]!r}"
        )
    return Decimal(value)


def optional_amount(segment: Segment, index: int) -> Decimal | None:
    """Read element `index` as an amount, or None when the element is empty."""
    if not segment.element(index).strip():
        return None
    return element_amount(segment, index)


def parse_x12_date(segment: Segment, name: str, value: str) -> date:
    """Read a CCYYMMDD date of `segment`; `name` is the element name for messages."""
    value = value.strip()
    try:
        # isascii() because int() also reads digits such as "\u0662" of other scripts.
        if len(value) == 8 and value.isascii() and value.isdigit():
            return date(int(value[:4]), int(value[4:6]), int(value[6:]))
    except ValueError:
        pass
    raise segment_error(segment, f"{name} should be a date as CCYYMMDD but is {value!r}")


def period_start(segment: Segment, qualifier_index: int) -> date:
    """Read the date after a D8 or RD8 qualifier, taking the first day of an RD8 range."""
    qualifier = segment.element(qualifier_index).strip()
    value_name = f"{segment.id}{qualifier_index + 1:02d}"
    value = segment.element(qualifier_index + 1)
    if qualifier == "RD8":
        return parse_x12_date(segment, value_name, value.split("-", 1)[0])
    if qualifier == "D8":
        return parse_x12_date(segment, value_name, value)
    raise segment_error(
        segment,
        f"{segment.id}{qualifier_index:02d} should be the date format D8 or RD8 but is "
        f"{qualifier!r}",
    )
