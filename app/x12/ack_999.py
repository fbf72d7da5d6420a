"""Read a 999 implementation acknowledgment: which claim batches the receiver accepted.

Each transaction set we sent (one ST to SE of an 837P) gets an AK2 with an IK5 verdict;
A and E mean accepted, anything else means every claim in that set was rejected. IK3,
CTX and IK4 locate the problems, and SetAck.problems describes them in plain English.
"""

from dataclasses import dataclass, field

from app.x12 import codes_999
from app.x12.segments import (
    Segment,
    parse_segments,
    segment_error,
    walk_segments,
    wrong_transaction_error,
)

_ACCEPTED = frozenset({"A", "E"})
_SET_CODES = frozenset({"A", "E", "M", "R", "W", "X"})
_GROUP_CODES = frozenset({"A", "E", "M", "P", "R", "W", "X"})


@dataclass(frozen=True, slots=True)
class SetAck:
    transaction_control_number: str  # AK202, the ST02 of the transaction set we sent
    code: str  # IK501
    accepted: bool
    problems: tuple[str, ...]  # plain English, from IK3, CTX, IK4 and IK502 to IK506
    transaction_set_id: str = ""  # AK201, such as 837


@dataclass(frozen=True, slots=True)
class FunctionalAck:
    group_control_number: str  # AK102, the GS06 of the group we sent
    functional_id: str  # AK101, such as HC for claims
    code: str  # AK901
    sets: tuple[SetAck, ...]
    problems: tuple[str, ...] = ()  # plain English, from AK905 to AK909


@dataclass(slots=True)
class _SegmentNote:
    """One IK3 with the CTX and IK4 segments that follow it."""

    segment: Segment
    contexts: list[str] = field(default_factory=list)
    elements: list[Segment] = field(default_factory=list)


@dataclass(slots=True)
class _SetDraft:
    opener: Segment  # the AK2
    notes: list[_SegmentNote] = field(default_factory=list)


@dataclass(slots=True)
class _GroupDraft:
    opener: Segment  # the AK1
    sets: list[SetAck] = field(default_factory=list)
    current: _SetDraft | None = None


@dataclass(slots=True)
class _Reader:
    acks: list[FunctionalAck] = field(default_factory=list)
    group: _GroupDraft | None = None


def read_999(text: str) -> list[FunctionalAck]:
    """Read every functional group acknowledgment (AK1 to AK9) in a 999 file.

    Raises X12FormatError when the file is not a 999 or its segments are out of order,
    such as an IK5 before any AK2 or an AK1 without AK9.
    """
    _, segments = parse_segments(text)
    reader = _Reader()
    walk_segments(segments, _HANDLERS, reader)
    return reader.acks


def _on_transaction(reader: _Reader, segment: Segment) -> None:
    if segment.element(1).strip() != "999":
        raise wrong_transaction_error(segment, segment.element(1), "a 999 acknowledgment")


def _on_transaction_end(reader: _Reader, segment: Segment) -> None:
    if reader.group is not None:
        raise segment_error(
            reader.group.opener, "this acknowledgment has no AK9 before the SE that ends it"
        )


def _on_group(reader: _Reader, segment: Segment) -> None:
    if reader.group is not None:
        raise segment_error(segment, "a second AK1 appears before the AK9 of the first")
    reader.group = _GroupDraft(opener=segment)


def _on_set(reader: _Reader, segment: Segment) -> None:
    group = _require_group(reader, segment)
    if group.current is not None:
        raise segment_error(group.current.opener, "this AK2 has no IK5 verdict after it")
    group.current = _SetDraft(opener=segment)


def _on_segment_note(reader: _Reader, segment: Segment) -> None:
    draft = _require_set(reader, segment)
    draft.notes.append(_SegmentNote(segment=segment))


def _on_context(reader: _Reader, segment: Segment) -> None:
    draft = _require_set(reader, segment)
    if not draft.notes:
        # The 999 guide puts CTX only inside an IK3 loop, so a stray one describes nothing.
        return
    draft.notes[-1].contexts.append(_context_text(segment))


def _on_element_note(reader: _Reader, segment: Segment) -> None:
    draft = _require_set(reader, segment)
    if not draft.notes:
        raise segment_error(segment, "IK4 must follow the IK3 of its segment")
    draft.notes[-1].elements.append(segment)


def _on_set_verdict(reader: _Reader, segment: Segment) -> None:
    group = _require_group(reader, segment)
    draft = _require_set(reader, segment)
    code = segment.element(1).strip()
    if code not in _SET_CODES:
        raise segment_error(
            segment, f"IK501 is {code!r}, which is not a 999 verdict (A, E, M, R, W or X)"
        )

    problems = [problem for note in draft.notes for problem in _note_problems(note)]
    for index in range(2, 7):
        reason = segment.element(index).strip()
        if reason:
            problems.append(f"Transaction set: {codes_999.explain(codes_999.SET_ERRORS, reason)}.")
    if code not in _ACCEPTED:
        problems.append(codes_999.REJECTED_FIX)

    group.sets.append(
        SetAck(
            transaction_control_number=draft.opener.element(2).strip(),
            code=code,
            accepted=code in _ACCEPTED,
            problems=tuple(problems),
            transaction_set_id=draft.opener.element(1).strip(),
        )
    )
    group.current = None


def _on_group_verdict(reader: _Reader, segment: Segment) -> None:
    group = _require_group(reader, segment)
    if group.current is not None:
        raise segment_error(group.current.opener, "this AK2 has no IK5 verdict after it")
    code = segment.element(1).strip()
    if code not in _GROUP_CODES:
        raise segment_error(
            segment, f"AK901 is {code!r}, which is not a 999 verdict (A, E, M, P, R, W or X)"
        )

    problems = [
        f"Functional group: {codes_999.explain(codes_999.GROUP_ERRORS, reason)}."
        for reason in (segment.element(index).strip() for index in range(5, 10))
        if reason
    ]
    reader.acks.append(
        FunctionalAck(
            group_control_number=group.opener.element(2).strip(),
            functional_id=group.opener.element(1).strip(),
            code=code,
            sets=tuple(group.sets),
            problems=tuple(problems),
        )
    )
    reader.group = None


def _require_group(reader: _Reader, segment: Segment) -> _GroupDraft:
    if reader.group is None:
        raise segment_error(segment, f"{segment.id} appears before the AK1 it belongs to")
    return reader.group


def _require_set(reader: _Reader, segment: Segment) -> _SetDraft:
    group = _require_group(reader, segment)
    if group.current is None:
        raise segment_error(segment, f"{segment.id} appears before the AK2 it belongs to")
    return group.current


# --- plain-English problems ------------------------------------------------------------


def _context_text(segment: Segment) -> str:
    """Describe a CTX: the claim it concerns, or the segment that triggered a rule."""
    name = segment.component(1, 1).strip()
    value = segment.component(1, 2).strip()
    if name == "SITUATIONAL TRIGGER":
        trigger = segment.element(2).strip()
        position = segment.element(3).strip()
        return f"required because of segment {trigger} at position {position}"
    if name == "CLM01":
        return f"claim {value}"
    return f"{name} {value}".strip()


def _note_problems(note: _SegmentNote) -> list[str]:
    ik3 = note.segment
    segment_id = ik3.element(1).strip()
    where = f"Segment {segment_id} at position {ik3.element(2).strip()}"
    loop = ik3.element(3).strip()
    if loop:
        where += f" in loop {loop}"
    if note.contexts:
        where += f" ({', '.join(note.contexts)})"

    problems = []
    code = ik3.element(4).strip()
    if code != "8" or not note.elements:
        problems.append(f"{where}: {codes_999.explain(codes_999.SEGMENT_ERRORS, code)}.")
    for ik4 in note.elements:
        problems.append(f"{where}: {_element_problem(segment_id, ik4)}.")
    return problems


def _element_problem(segment_id: str, ik4: Segment) -> str:
    position = ik4.component(1, 1).strip()
    component = ik4.component(1, 2).strip()
    name = f"{segment_id}{position.zfill(2)}" if position.isdigit() else segment_id
    if component:
        name += f"-{component}"

    text = f"element {name}: {codes_999.explain(codes_999.ELEMENT_ERRORS, ik4.element(3).strip())}"
    bad_value = ik4.element(4).strip()
    if bad_value:
        text += f" (the file had {bad_value!r})"
    return text


_HANDLERS = {
    "ST": _on_transaction,
    "SE": _on_transaction_end,
    "AK1": _on_group,
    "AK2": _on_set,
    "IK3": _on_segment_note,
    "CTX": _on_context,
    "IK4": _on_element_note,
    "IK5": _on_set_verdict,
    "AK9": _on_group_verdict,
}
