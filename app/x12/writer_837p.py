"""Write claims as one X12 837P (005010X222A1) interchange.

One file contains one interchange (ISA/IEA) with one functional group (GS/GE) and one
transaction set (ST/SE) per `claims_per_transaction` claims. Inside a transaction, claims
with the same billing provider share its 2000A level. Every claim gets its own 2000B
subscriber level and, when the patient is not the subscriber, its own 2000C patient level.
The loop builders live in the p837_* modules.
"""

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from app.gc_pause import bulk_work
from app.x12.claim_data import BillingProvider, ClaimDocument, Submitter
from app.x12.envelope import (
    SEGMENT_TERMINATOR,
    X12WriteError,
    ge_segment,
    gs_segment,
    iea_segment,
    isa_segment,
    se_segment,
    segment,
    st_segment,
)
from app.x12.p837_checks import check_claim, check_submitter
from app.x12.p837_claim import claim_loops
from app.x12.p837_cob import other_payer_loops
from app.x12.p837_common import (
    address_segments,
    demographics,
    organization_name,
    person_nm1,
    reference,
)
from app.x12.p837_lines import service_line_loops
from app.x12.text import clean_element, digits_only, format_date, format_time

__all__ = ["Written837", "X12WriteError", "write_837p"]

log = logging.getLogger(__name__)

SEGMENT_END = SEGMENT_TERMINATOR + "\n"
CONTACT_NAME_LENGTH = 60  # PER02
GROUP_NAME_LENGTH = 60  # SBR04
GROUP_NUMBER_LENGTH = 50  # SBR03


@dataclass(frozen=True, slots=True)
class Written837:
    """An 837P file's text and the ST02 control number that carries each claim."""

    text: str
    transaction_numbers: dict[str, str]  # claim number -> ST02


def envelope_header(
    submitter: Submitter, *, interchange_number: int, group_number: int, created_at: datetime
) -> list[str]:
    """Return the ISA and GS segments of a claim file after checking the submitter's ids.

    Raises X12WriteError when a clearinghouse setting does not fit the envelope.
    """
    check_submitter(submitter)
    return [
        isa_segment(
            sender_qualifier=submitter.isa_sender_qualifier,
            sender_id=submitter.isa_sender_id,
            receiver_qualifier=submitter.isa_receiver_qualifier,
            receiver_id=submitter.isa_receiver_id,
            interchange_number=interchange_number,
            usage_indicator=submitter.usage_indicator,
            created_at=created_at,
        ),
        gs_segment(
            sender_code=submitter.gs_sender_code,
            receiver_code=submitter.gs_receiver_code,
            group_number=group_number,
            created_at=created_at,
        ),
    ]


@bulk_work
def write_837p(
    submitter: Submitter,
    claims: Sequence[ClaimDocument],
    *,
    interchange_number: int,
    group_number: int,
    created_at: datetime,
    claims_per_transaction: int = 1,
) -> Written837:
    """Write `claims` as one 837P interchange.

    `created_at` is written as given (ISA09/ISA10, GS04/GS05, BHT04/BHT05), so pass the
    practice's local time. `interchange_number` becomes ISA13 and IEA02 (zero-padded to 9 digits),
    `group_number` GS06 and GE02; transaction sets are numbered 0001, 0002, ... in ST02
    and SE02.

    Raises X12WriteError when a claim's data cannot be written as a valid 837P: a
    claim number that would change in CLM01, a billing provider or service facility ZIP
    code that is not 9 digits, another ZIP code that is not 5 or 9 digits or a state
    that is not a US state code, a code (such as the place of service or a modifier) that
    does not match its format, a required name, id or address that is empty once
    cleaned, a date before 1800, an amount with more than 2 decimals or over
    99,999,999.99, diagnosis pointers, modifiers or units that a service line cannot
    carry, an invalid NDC quantity or unit, or a clearinghouse setting that does not fit
    the envelope or leaves a required submitter or receiver value empty. Raises
    ValueError for programming errors: no claims, a repeated claim number, or a claim
    that the scrubber should have held (no diagnoses, more than 12, or more than 50
    lines).
    """
    _check_claims(claims, claims_per_transaction)
    header = envelope_header(
        submitter,
        interchange_number=interchange_number,
        group_number=group_number,
        created_at=created_at,
    )

    chunks = [
        claims[start : start + claims_per_transaction]
        for start in range(0, len(claims), claims_per_transaction)
    ]
    transactions: list[str] = []
    numbers: dict[str, str] = {}
    for index, chunk in enumerate(chunks, start=1):
        transaction_number = f"{index:04d}"
        batch_reference = f"{interchange_number:09d}{transaction_number}"
        transactions.extend(
            transaction_set(submitter, chunk, transaction_number, batch_reference, created_at)
        )
        numbers.update((claim.claim_number, transaction_number) for claim in chunk)

    trailer = [ge_segment(len(chunks), group_number), iea_segment(1, interchange_number)]
    text = "".join(part + SEGMENT_END for part in [*header, *transactions, *trailer])

    log.info(
        "Wrote 837P interchange %09d: %d claims in %d transaction sets",
        interchange_number,
        len(claims),
        len(chunks),
    )
    return Written837(text=text, transaction_numbers=numbers)


def transaction_set(
    submitter: Submitter,
    claims: Sequence[ClaimDocument],
    transaction_number: str,
    batch_reference: str,
    created_at: datetime,
) -> list[str]:
    """Build one ST..SE transaction set; SE01 counts every segment from ST to SE."""
    segments = [
        st_segment(transaction_number),
        segment(
            "BHT",
            "0019",
            "00",  # original transmission
            batch_reference,
            format_date(created_at.date()),
            format_time(created_at),
            "CH",  # chargeable claims, not encounter reports
        ),
        *submitter_and_receiver(submitter),
        *hierarchy(claims),
    ]
    segments.append(se_segment(len(segments) + 1, transaction_number))
    return segments


def submitter_and_receiver(submitter: Submitter) -> list[str]:
    """Build loops 1000A (submitter with its EDI contact) and 1000B (receiver)."""
    return [
        organization_name("41", submitter.submitter_name, "46", submitter.submitter_id),
        segment(
            "PER",
            "IC",
            clean_element(submitter.contact_name, CONTACT_NAME_LENGTH),
            "TE",
            digits_only(submitter.contact_phone),
        ),
        organization_name("40", submitter.receiver_name, "46", submitter.receiver_id),
    ]


def hierarchy(claims: Sequence[ClaimDocument]) -> list[str]:
    """Build the HL levels: 2000A per billing provider, 2000B and 2000C per claim.

    HL01 numbers the levels from 1 in file order and HL02 names the parent's HL01.
    """
    by_provider: dict[BillingProvider, list[ClaimDocument]] = {}
    for claim in claims:
        by_provider.setdefault(claim.billing_provider, []).append(claim)

    segments: list[str] = []
    level = 0
    for provider, provider_claims in by_provider.items():
        level += 1
        provider_level = level
        segments.extend(billing_provider(provider, provider_level))

        for claim in provider_claims:
            _check_billing_zip(claim)
            check_claim(claim)
            level += 1
            subscriber_level = level
            segments.extend(subscriber(claim, subscriber_level, provider_level))

            if not claim.patient_is_subscriber:
                level += 1
                segments.extend(patient(claim, level, subscriber_level))

            segments.extend(claim_loops(claim))
            segments.extend(other_payer_loops(claim))
            segments.extend(service_line_loops(claim))
    return segments


def billing_provider(provider: BillingProvider, level: int) -> list[str]:
    """Build 2000A (HL, PRV*BI) and 2010AA (NM1*85, N3, N4, REF*EI)."""
    segments = [segment("HL", str(level), "", "20", "1")]
    if provider.taxonomy_code:
        segments.append(segment("PRV", "BI", "PXC", clean_element(provider.taxonomy_code, 50)))
    segments.append(organization_name("85", provider.name, "XX", digits_only(provider.npi)))
    segments.extend(address_segments(provider.address))
    segments.append(reference("EI", digits_only(provider.ein)))
    return segments


def subscriber(claim: ClaimDocument, level: int, parent_level: int) -> list[str]:
    """Build 2000B (HL, SBR), 2010BA (the subscriber) and 2010BB (the destination payer).

    The subscriber's address and demographics are sent only when the subscriber is the
    patient; otherwise 2010CA carries the patient's.
    """
    has_patient_level = "0" if claim.patient_is_subscriber else "1"
    group_number = clean_element(claim.group_number or "", GROUP_NUMBER_LENGTH)
    # SBR04 names the plan only when there is no group number.
    group_name = "" if group_number else clean_element(claim.group_name or "", GROUP_NAME_LENGTH)

    # NOTE: SBR05 (insurance type, required when Medicare is secondary) is not sent
    # because ClaimDocument does not carry it.
    segments = [
        segment("HL", str(level), str(parent_level), "22", has_patient_level),
        segment(
            "SBR",
            claim.payer_sequence,
            "18" if claim.patient_is_subscriber else "",
            group_number,
            group_name,
            "",
            "",
            "",
            "",
            clean_element(claim.claim_filing_indicator, 2),
        ),
        person_nm1("IL", claim.subscriber, "MI", claim.member_id),
    ]

    if claim.patient_is_subscriber:
        if claim.subscriber.address is not None:
            segments.extend(address_segments(claim.subscriber.address))
        segments.extend(demographics(claim.subscriber))

    segments.append(organization_name("PR", claim.payer.name, "PI", claim.payer.payer_code))
    if claim.payer.address is not None:
        segments.extend(address_segments(claim.payer.address))
    return segments


def patient(claim: ClaimDocument, level: int, parent_level: int) -> list[str]:
    """Build 2000C (HL, PAT with the relationship code) and 2010CA (the patient)."""
    segments = [
        segment("HL", str(level), str(parent_level), "23", "0"),
        segment("PAT", claim.relationship_code),
        person_nm1("QC", claim.patient),
    ]
    if claim.patient.address is not None:
        segments.extend(address_segments(claim.patient.address))
    segments.extend(demographics(claim.patient))
    return segments


def _check_claims(claims: Sequence[ClaimDocument], claims_per_transaction: int) -> None:
    if not claims:
        raise ValueError("an 837P file needs at least one claim")
    if claims_per_transaction < 1:
        raise ValueError(f"claims_per_transaction must be at least 1, not {claims_per_transaction}")

    seen: set[str] = set()
    for claim in claims:
        if claim.claim_number in seen:
            raise ValueError(f"claim number {claim.claim_number} appears twice in one file")
        seen.add(claim.claim_number)


def _check_billing_zip(claim: ClaimDocument) -> None:
    """Raise X12WriteError unless the billing provider ZIP code has 9 digits (ZIP+4)."""
    zip_code = claim.billing_provider.address.zip_code
    if len(zip_code) != 9 or digits_only(zip_code) != zip_code:
        raise X12WriteError(
            f"Claim {claim.claim_number}: the billing provider ZIP code {zip_code!r} is not "
            "9 digits, and 837P claims need the ZIP+4. Enter the ZIP+4 in the practice "
            "settings and create the batch again."
        )
