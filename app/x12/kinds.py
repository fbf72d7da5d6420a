"""Tell which X12 transaction a file contains, from its GS and ST headers."""

import re

from app.x12.segments import Segment, X12FormatError, parse_segments, segment_error

# GS01 functional identifier -> the ST01 transaction set it must carry.
_SET_FOR_GROUP = {
    "HC": "837",
    "HP": "835",
    "FA": "999",
    "HN": "277",
    "HS": "270",
    "HB": "271",
}

# GS08 starts with the six-digit version and release, such as 005010 or 004010.
_VERSION = re.compile(r"\d{6}")


def detect_kind(text: str) -> str:
    """Return "837P", "835", "999", "277CA", "277", "270", "271" or "TA1" for `text`.

    Raises X12FormatError when the file cannot be parsed, contains a transaction
    ClinicDesk does not read (such as an institutional 837 or a 997), or mixes kinds.
    """
    _, segments = parse_segments(text)
    kinds = [_group_kind(segment, segments) for segment in segments if segment.id == "GS"]
    if not kinds:
        if any(segment.id == "TA1" for segment in segments):
            return "TA1"
        raise X12FormatError(
            "The file has an ISA envelope but no GS functional group or TA1, so it contains "
            "no transaction to read. Ask the clearinghouse for a new copy of the file."
        )

    first = kinds[0]
    for kind, group in zip(kinds, (s for s in segments if s.id == "GS"), strict=True):
        if kind != first:
            raise segment_error(
                group,
                f"this functional group contains a {kind} but the first one contains a {first}, "
                "and one file must contain one kind",
                "Ask the clearinghouse to send each kind of response in its own file.",
            )
    return first


def _group_kind(group: Segment, segments: list[Segment]) -> str:
    functional_id = group.element(1).strip()
    version = group.element(8).strip()
    transaction = _first_transaction(group, segments)
    set_id = transaction.element(1).strip()
    convention = transaction.element(3).strip() or version

    expected = _SET_FOR_GROUP.get(functional_id)
    if expected is None:
        raise segment_error(
            group,
            f"GS01 is {functional_id!r}, which is not a functional group ClinicDesk reads "
            "(HC claims, HP remittances, FA 999 acknowledgments, HN 277 status, HS/HB "
            "eligibility)",
            "Check that the file is a claim, remittance, acknowledgment or eligibility file.",
        )
    if set_id == "997":
        raise segment_error(
            transaction,
            "this is a 997 functional acknowledgment, but ClinicDesk reads the 999 that "
            "version 5010 uses in its place",
            "Ask the clearinghouse to send 999 acknowledgments.",
        )
    if set_id != expected:
        raise segment_error(
            transaction,
            f"ST01 is {set_id!r} but the functional group (GS01 {functional_id}) must hold "
            f"{expected} transaction sets",
            "Ask the clearinghouse for a new copy of the file.",
        )
    if not _VERSION.match(version):
        raise segment_error(
            group,
            f"GS08 is {version!r}, which is not a version code such as 005010X222A1",
            "Ask the clearinghouse for a new copy of the file.",
        )
    return _kind_for(set_id, convention, transaction)


def _first_transaction(group: Segment, segments: list[Segment]) -> Segment:
    # parse_segments has checked the envelope, so a GS is followed by ST or GE.
    following = segments[group.number] if group.number < len(segments) else group
    if following.id != "ST":
        raise segment_error(group, "this functional group contains no transaction set")
    return following


def _kind_for(set_id: str, convention: str, transaction: Segment) -> str:
    if set_id == "837":
        if convention.startswith("005010X222"):
            return "837P"
        raise segment_error(
            transaction,
            f"this 837 follows implementation guide {convention!r}, but ClinicDesk reads "
            "only professional claims (005010X222)",
            "Check that the file is an 837P professional claim file.",
        )
    if set_id == "277":
        return "277CA" if "X214" in convention else "277"
    return set_id
