"""Loop 2300 (claim information) and the claim-level provider loops 2310A, 2310B, 2310C."""

from app.x12.claim_data import ClaimDocument
from app.x12.envelope import X12WriteError, composite, segment
from app.x12.p837_common import (
    address_segments,
    date_segment,
    optional_reference,
    organization_name,
    person_name,
    same_address,
)
from app.x12.text import clean_element, digits_only, format_amount

CLAIM_NUMBER_LENGTH = 20  # CLM01: payers need to return only the first 20 characters
DIAGNOSIS_LENGTH = 30  # HI0n-02
PRINCIPAL_DIAGNOSIS = "ABK"  # ICD-10-CM principal diagnosis
OTHER_DIAGNOSIS = "ABF"  # ICD-10-CM other diagnosis
REPLACEMENT_FREQUENCIES = frozenset({"7", "8"})  # replacement and void need REF*F8


def claim_loops(document: ClaimDocument) -> list[str]:
    """Build loop 2300 and the 2310 loops that this claim needs, in TR3 order."""
    return [
        *claim_information(document),
        *referring_provider(document),
        *rendering_provider(document),
        *service_facility(document),
    ]


def claim_information(document: ClaimDocument) -> list[str]:
    """Build CLM, DTP, AMT, REF and HI of loop 2300."""
    segments = [
        segment(
            "CLM",
            clean_element(document.claim_number, CLAIM_NUMBER_LENGTH),
            format_amount(document.total_charge),
            "",
            "",
            composite(document.place_of_service, "B", document.frequency_code),
            "Y",  # CLM06 provider signature on file
            "A",  # CLM07 assignment accepted
            "Y",  # CLM08 benefits assigned to the provider
            "Y",  # CLM09 release of information signed
            "",  # CLM10 patient signature source: not sent, the patient signed
            related_causes(document),
        )
    ]

    if document.onset_date is not None:
        segments.append(date_segment("431", document.onset_date))

    # NOTE: ClaimDocument has no accident date yet, so DTP*439 (required with CLM11 AA
    # or OA) carries the onset date, which the practice enters for the injury.
    if _is_accident(document) and document.onset_date is not None:
        segments.append(date_segment("439", document.onset_date))

    if document.patient_paid is not None and document.patient_paid > 0:
        segments.append(segment("AMT", "F5", format_amount(document.patient_paid)))

    segments.extend(optional_reference("G1", document.prior_authorization))

    if document.frequency_code in REPLACEMENT_FREQUENCIES:
        segments.extend(optional_reference("F8", document.payer_claim_number))

    segments.append(diagnoses(document))
    return segments


def related_causes(document: ClaimDocument) -> str:
    """Build CLM11: up to two related-cause codes and the auto accident state.

    The 837P has two related-cause slots (CLM11-3 is not used), so when all three causes
    are set the employment cause is left out: both accidents need the DTP*439 date.
    """
    causes = []
    if document.related_auto_accident:
        causes.append("AA")
    if document.related_other_accident:
        causes.append("OA")
    if document.related_employment:
        causes.append("EM")
    if not causes:
        return ""

    first_two = [*causes[:2], ""][:2]
    state = clean_element(document.auto_accident_state or "", 2) if "AA" in causes else ""
    return composite(first_two[0], first_two[1], "", state)


def diagnoses(document: ClaimDocument) -> str:
    """Build HI: the principal ICD-10-CM code as ABK, the others as ABF, without the dot."""
    if not 1 <= len(document.diagnoses) <= 12:
        raise ValueError(
            f"claim {document.claim_number} has {len(document.diagnoses)} diagnoses; "
            "an 837P claim carries 1 to 12"
        )

    composites = []
    for index, code in enumerate(document.diagnoses):
        qualifier = PRINCIPAL_DIAGNOSIS if index == 0 else OTHER_DIAGNOSIS
        composites.append(
            composite(qualifier, clean_element(code.replace(".", ""), DIAGNOSIS_LENGTH))
        )
    return segment("HI", *composites)


def referring_provider(document: ClaimDocument) -> list[str]:
    """Build 2310A (NM1*DN) when the claim names a referring provider."""
    referring = document.referring_provider
    if referring is None:
        return []
    return [_provider_name("DN", referring.last_name, referring.first_name, referring.npi)]


def rendering_provider(document: ClaimDocument) -> list[str]:
    """Build 2310B only when the rendering NPI differs from the billing provider's NPI."""
    rendering = document.rendering_provider
    if digits_only(rendering.npi) == digits_only(document.billing_provider.npi):
        return []

    segments = [_provider_name("82", rendering.last_name, rendering.first_name, rendering.npi)]
    if rendering.taxonomy_code:
        segments.append(segment("PRV", "PE", "PXC", clean_element(rendering.taxonomy_code, 50)))
    return segments


def service_facility(document: ClaimDocument) -> list[str]:
    """Build 2310C only when the service address differs from the billing address.

    Raises X12WriteError when the facility ZIP code is not 9 digits, which the TR3
    requires here as it does for the billing provider.
    """
    facility = document.service_facility
    if same_address(facility.address, document.billing_provider.address):
        return []

    if len(digits_only(facility.address.zip_code)) != 9:
        raise X12WriteError(
            f"Claim {document.claim_number}: the ZIP code {facility.address.zip_code!r} of "
            f"the service location {facility.name!r} is not 9 digits. Enter the ZIP+4 in "
            "the location's settings and create the batch again."
        )
    return [organization_name("77", facility.name), *address_segments(facility.address)]


def _provider_name(entity: str, last_name: str, first_name: str, npi: str) -> str:
    return person_name(entity, last_name, first_name, id_qualifier="XX", id_value=digits_only(npi))


def _is_accident(document: ClaimDocument) -> bool:
    return document.related_auto_accident or document.related_other_accident
