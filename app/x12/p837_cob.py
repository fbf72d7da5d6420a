"""Coordination of benefits: loops 2320, 2330A, 2330B (per other payer) and 2430 (per line)."""

from collections.abc import Sequence

from app.x12.claim_data import Adjustment, ClaimDocument, LineAdjudication, OtherPayer
from app.x12.envelope import composite, segment
from app.x12.p837_common import (
    address_segments,
    date_segment,
    optional_reference,
    organization_name,
    person_nm1,
)
from app.x12.text import clean_element, format_amount

ADJUSTMENTS_PER_CAS = 6  # CAS02 to CAS19 hold six reason, amount and quantity triples
GROUP_NUMBER_LENGTH = 50  # SBR03
PROCEDURE_CODE_LENGTH = 48  # SV101-02 and SVD03-02


def other_payer_loops(document: ClaimDocument) -> list[str]:
    """Build one 2320 with its 2330A and 2330B for each other payer of the claim."""
    segments: list[str] = []
    for other in document.other_payers:
        segments.extend(other_subscriber(other))
        segments.extend(other_subscriber_name(other))
        segments.extend(other_payer_name(other, _has_line_adjudication(document, other)))
    return segments


def other_subscriber(other: OtherPayer) -> list[str]:
    """Build 2320: SBR, claim-level CAS, AMT*D, AMT*EAF and OI."""
    segments = [
        segment(
            "SBR",
            other.payer_sequence,
            other.relationship_code,
            clean_element(other.group_number or "", GROUP_NUMBER_LENGTH),
            "",
            "",
            "",
            "",
            "",
            clean_element(other.claim_filing_indicator, 2),
        )
    ]
    segments.extend(adjustment_segments(other.claim_adjustments))

    if other.paid_amount is not None:
        segments.append(segment("AMT", "D", format_amount(other.paid_amount)))
    if other.remaining_patient_liability is not None:
        segments.append(segment("AMT", "EAF", format_amount(other.remaining_patient_liability)))

    # OI03 benefits assigned and OI06 release of information signed, as in CLM08 and CLM09.
    segments.append(segment("OI", "", "", "Y", "", "", "Y"))
    return segments


def other_subscriber_name(other: OtherPayer) -> list[str]:
    """Build 2330A: the other payer's subscriber, with the member id and address."""
    segments = [person_nm1("IL", other.subscriber, "MI", other.member_id)]
    if other.subscriber.address is not None:
        segments.extend(address_segments(other.subscriber.address))
    return segments


def other_payer_name(other: OtherPayer, has_line_adjudication: bool) -> list[str]:
    """Build 2330B: the other payer, its adjudication date and its claim number.

    DTP*573 is sent here only when no line carries this payer's 2430, because the TR3
    puts the date on each 2430 then.
    """
    segments = [organization_name("PR", other.payer.name, "PI", other.payer.payer_code)]
    if other.payer.address is not None:
        segments.extend(address_segments(other.payer.address))
    if other.adjudicated_on is not None and not has_line_adjudication:
        segments.append(date_segment("573", other.adjudicated_on))
    segments.extend(optional_reference("F8", other.payer_claim_number))
    return segments


def line_adjudication_loops(adjudications: Sequence[LineAdjudication]) -> list[str]:
    """Build one 2430 (SVD, CAS, DTP*573) for each prior payer's settlement of a line."""
    segments: list[str] = []
    for adjudication in adjudications:
        segments.append(
            segment(
                "SVD",
                clean_element(adjudication.payer_code, 80),
                format_amount(adjudication.paid_amount),
                procedure_composite(adjudication.procedure_code, adjudication.modifiers),
                "",
                str(adjudication.units),
            )
        )
        segments.extend(adjustment_segments(adjudication.adjustments))
        segments.append(date_segment("573", adjudication.adjudicated_on))
    return segments


def adjustment_segments(adjustments: Sequence[Adjustment]) -> list[str]:
    """Build CAS segments: one per group code in first-seen order, six adjustments each.

    A group with more than six adjustments continues in another CAS with the same group.
    NOTE: the TR3 allows at most 5 CAS per 2320 or 2430 and this does not check it. With
    the five group codes, a sixth CAS needs more than six adjustments in some group.
    """
    by_group: dict[str, list[Adjustment]] = {}
    for adjustment in adjustments:
        by_group.setdefault(adjustment.group_code, []).append(adjustment)

    segments = []
    for group_code, group in by_group.items():
        for start in range(0, len(group), ADJUSTMENTS_PER_CAS):
            elements: list[str] = []
            for adjustment in group[start : start + ADJUSTMENTS_PER_CAS]:
                quantity = "" if adjustment.quantity is None else str(adjustment.quantity)
                elements.extend(
                    [
                        clean_element(adjustment.reason_code, 5),
                        format_amount(adjustment.amount),
                        quantity,
                    ]
                )
            segments.append(segment("CAS", group_code, *elements))
    return segments


def procedure_composite(procedure_code: str, modifiers: Sequence[str]) -> str:
    """Build the HC:code:modifiers composite of SV101 and SVD03."""
    cleaned_modifiers = [clean_element(modifier, 2) for modifier in modifiers[:4]]
    return composite("HC", clean_element(procedure_code, PROCEDURE_CODE_LENGTH), *cleaned_modifiers)


def _has_line_adjudication(document: ClaimDocument, other: OtherPayer) -> bool:
    return any(
        adjudication.payer_code == other.payer.payer_code
        for line in document.lines
        for adjudication in line.adjudications
    )
