"""Claim scrub rules about the parties on a claim: NPIs, the billing provider and facility,
the subscriber and patient, the frequency code and the payers billed before this one.
"""

from decimal import Decimal
from uuid import UUID

from app.money import format_money
from app.services.claim_scrub_rules import ClaimFacts, Finding, finding
from app.validators import digits_only, ein_problems, is_po_box, normalize_npi, npi_check_digit
from app.x12.claim_data import Address, ClaimDocument, OtherPayer, Person

# SBR01 codes in the order payers are billed: primary, secondary, tertiary, then A to H.
PAYER_ORDER = "PSTABCDEFGH"
# CLM05-3: original claim, replacement of a prior claim, void of a prior claim.
FREQUENCY_CODES = {"1": "original", "7": "replacement", "8": "void"}

WHY_NPI = (
    "Payers identify providers by NPI: 10 digits whose last digit is a Luhn check digit "
    "computed with the prefix 80840. A wrong NPI gets the claim rejected."
)
WHY_ZIP = (
    "The billing provider (2010AA) and the service facility (2310C) need the 9-digit ZIP+4; "
    "clearinghouses reject a 5-digit ZIP there."
)
WHY_PO_BOX = (
    "The billing provider address must be a street address; payers reject a post office "
    "box or lock box there (a payment address belongs in the pay-to address)."
)
WHY_EIN = "The billing provider's federal tax id (REF*EI) is required, 9 digits."
WHY_PERSON = (
    "Payers find the member by name, date of birth and sex; a claim missing any of them "
    "(or the patient's address) is rejected as an invalid member."
)
WHY_MEMBER_ID = "The member id (NM109 of the subscriber) is how the payer finds the policy."
WHY_PAYER_CODE = (
    "The payer id (NM109 of loop 2010BB) tells the clearinghouse where to route the claim."
)
WHY_FREQUENCY = (
    "A replacement (7) or void (8) must carry the payer's claim number of the claim it "
    "changes (REF*F8), and an original (1) must not, or the payer rejects it."
)
WHY_OTHER_PAYER = (
    "A secondary or tertiary claim reports how each earlier payer settled it (loops 2320 "
    "and 2430), and the amounts must balance: paid equals charges minus adjustments."
)

PRACTICE_NPI_FIELD = "practice.billing_npi"
PRACTICE_EIN_FIELD = "practice.ein"
PRACTICE_ADDRESS_FIELD = "practice.address"
PROVIDER_NPI_FIELD = "provider.npi"
REFERRING_FIELD = "encounter.referring_provider"
LOCATION_ADDRESS_FIELD = "location.address"
SUBSCRIBER_FIELD = "coverage.subscriber"
MEMBER_ID_FIELD = "coverage.member_id"
PAYER_CODE_FIELD = "payer.payer_code"
FREQUENCY_FIELD = "claim.frequency"
PAYER_CLAIM_NUMBER_FIELD = "claim.payer_claim_number"
OTHER_PAYERS_FIELD = "claim.other_payers"


# ---- NPIs ------------------------------------------------------------------------------


def npi_findings(
    npi: str | None, label: str, field_name: str, record_id: UUID | None
) -> list[Finding]:
    """Check one NPI: present, 10 digits starting 1 or 2, and a valid check digit."""
    value = normalize_npi(npi or "")
    if not value:
        rule = "npi.missing"
        message = f"{label} has no NPI; enter the 10-digit NPI from the NPPES registry."
    elif len(value) != 10 or not value.isascii() or not value.isdigit():
        rule = "npi.format"
        message = f"{label} NPI {value} is not 10 digits; enter the NPI from the NPPES registry."
    elif value[0] not in "12":
        rule = "npi.format"
        message = f"{label} NPI {value} starts with {value[0]}, but every NPI starts with 1 or 2."
    elif npi_check_digit(value[:9]) != int(value[9]):
        rule = "npi.luhn"
        message = (
            f"{label} NPI {value} fails the check digit, so a digit is wrong; compare it with "
            "the NPPES registry."
        )
    else:
        return []
    return [finding(rule, message, WHY_NPI, field_name, record_id)]


def all_npi_findings(document: ClaimDocument, facts: ClaimFacts) -> list[Finding]:
    """Check the billing, rendering and (when present) referring provider NPIs."""
    findings = npi_findings(
        document.billing_provider.npi, "The billing provider", PRACTICE_NPI_FIELD, facts.practice_id
    )
    rendering = document.rendering_provider
    findings += npi_findings(
        rendering.npi,
        f"Rendering provider {rendering.first_name} {rendering.last_name}",
        PROVIDER_NPI_FIELD,
        facts.rendering_provider_id,
    )
    referring = document.referring_provider
    if referring is not None:
        findings += npi_findings(
            referring.npi,
            f"Referring provider {referring.first_name} {referring.last_name}",
            REFERRING_FIELD,
            facts.encounter_id,
        )
    return findings


# ---- billing provider and service facility ---------------------------------------------


def _address_key(address: Address) -> tuple[str, ...]:
    parts = (address.line1, address.line2, address.city, address.state)
    return (*(" ".join(part.upper().split()) for part in parts), digits_only(address.zip_code))


def facility_is_sent(document: ClaimDocument) -> bool:
    """Return True when loop 2310C is written: the facility address differs from the billing one."""
    return _address_key(document.service_facility.address) != _address_key(
        document.billing_provider.address
    )


def billing_provider_findings(document: ClaimDocument, facts: ClaimFacts) -> list[Finding]:
    """Check the billing provider's ZIP+4, street address and EIN."""
    provider = document.billing_provider
    findings: list[Finding] = []
    zip_code = provider.address.zip_code
    if len(digits_only(zip_code)) != 9:
        message = (
            f"The practice's ZIP code {zip_code or '(blank)'} needs all 9 digits (ZIP+4); "
            "enter it in Admin, Practice (usps.com has a ZIP+4 lookup)."
        )
        findings.append(
            finding("billing.zip", message, WHY_ZIP, PRACTICE_ADDRESS_FIELD, facts.practice_id)
        )
    for line in (provider.address.line1, provider.address.line2):
        if line and is_po_box(line):
            message = (
                f"The practice address {line!r} is a post office box or lock box; enter the "
                "street address where the practice is located."
            )
            findings.append(
                finding(
                    "billing.po_box", message, WHY_PO_BOX, PRACTICE_ADDRESS_FIELD, facts.practice_id
                )
            )
    findings += [
        finding("billing.ein", problem.message, WHY_EIN, PRACTICE_EIN_FIELD, facts.practice_id)
        for problem in ein_problems(provider.ein, PRACTICE_EIN_FIELD)
    ]
    return findings


def facility_findings(document: ClaimDocument, facts: ClaimFacts) -> list[Finding]:
    """Require the service facility's ZIP+4 when the claim sends the facility (loop 2310C)."""
    facility = document.service_facility
    if not facility_is_sent(document) or len(digits_only(facility.address.zip_code)) == 9:
        return []
    message = (
        f"Location {facility.name} has ZIP code {facility.address.zip_code or '(blank)'}, but "
        "claims for a location whose address differs from the practice's need all 9 digits "
        "(ZIP+4); enter it in Admin, Locations."
    )
    return [finding("facility.zip", message, WHY_ZIP, LOCATION_ADDRESS_FIELD, facts.location_id)]


# ---- subscriber and patient ------------------------------------------------------------


def _person_findings(
    person: Person, who: str, field_prefix: str, record_id: UUID | None
) -> list[Finding]:
    """Check name, birth date, sex and address of the person the claim is about."""
    findings: list[Finding] = []
    if not person.last_name.strip() or not person.first_name.strip():
        message = f"{who} has no first or last name; enter both as on the insurance card."
        findings.append(
            finding("patient.name", message, WHY_PERSON, f"{field_prefix}.name", record_id)
        )
    if person.date_of_birth is None:
        message = f"{who} has no date of birth; enter it as on the insurance card."
        findings.append(
            finding(
                "patient.date_of_birth",
                message,
                WHY_PERSON,
                f"{field_prefix}.date_of_birth",
                record_id,
            )
        )
    if person.sex not in {"F", "M", "U"}:
        message = f"{who} has sex {person.sex or '(blank)'}; choose F, M or U (unknown)."
        findings.append(
            finding("patient.sex", message, WHY_PERSON, f"{field_prefix}.sex", record_id)
        )
    if not _address_complete(person.address):
        message = (
            f"{who} has no complete address (street, city, state and ZIP); enter it, because "
            "claims carry the patient's address."
        )
        findings.append(
            finding("patient.address", message, WHY_PERSON, f"{field_prefix}.address", record_id)
        )
    return findings


def _address_complete(address: Address | None) -> bool:
    if address is None:
        return False
    zip_digits = len(digits_only(address.zip_code))
    filled = address.line1.strip() and address.city.strip() and address.state.strip()
    return bool(filled) and zip_digits in {5, 9}


def person_findings(document: ClaimDocument, facts: ClaimFacts) -> list[Finding]:
    """Check the patient, a subscriber other than the patient, the member id and the payer id."""
    findings = _person_findings(document.patient, "The patient", "patient", facts.patient_id)
    if not document.patient_is_subscriber:
        subscriber = document.subscriber
        if not subscriber.last_name.strip() or not subscriber.first_name.strip():
            message = (
                "The policy holder (subscriber) has no first or last name; enter both on the "
                "patient's insurance as on the card."
            )
            findings.append(
                finding("subscriber.name", message, WHY_PERSON, SUBSCRIBER_FIELD, facts.coverage_id)
            )
    if not document.member_id.strip():
        message = (
            f"The coverage with {document.payer.name} has no member id; enter it from the card."
        )
        findings.append(
            finding(
                "coverage.member_id", message, WHY_MEMBER_ID, MEMBER_ID_FIELD, facts.coverage_id
            )
        )
    if not document.payer.payer_code.strip():
        message = (
            f"Payer {document.payer.name} has no electronic payer id; enter it in Admin, Payers "
            "from the clearinghouse's payer list."
        )
        findings.append(
            finding("payer.payer_code", message, WHY_PAYER_CODE, PAYER_CODE_FIELD, facts.payer_id)
        )
    return findings


# ---- frequency -------------------------------------------------------------------------


def frequency_findings(document: ClaimDocument, facts: ClaimFacts) -> list[Finding]:
    """Check the frequency code and whether the payer's claim number goes with it."""
    code = document.frequency_code
    number = (document.payer_claim_number or "").strip()
    if code not in FREQUENCY_CODES:
        message = (
            f"The claim's frequency code is {code or '(blank)'}; it must be 1 (original), "
            "7 (replacement) or 8 (void). Rebuild the claim."
        )
        return [finding("claim.frequency", message, WHY_FREQUENCY, FREQUENCY_FIELD, facts.claim_id)]
    if code in {"7", "8"} and not number:
        message = (
            f"A {FREQUENCY_CODES[code]} claim (frequency {code}) needs the payer's claim number "
            "of the claim it changes; enter it from the remittance or the payer's portal."
        )
    elif code == "1" and number:
        message = (
            f"An original claim (frequency 1) carries payer claim number {number}; remove it, "
            "or send a replacement (7) if the payer already has the claim."
        )
    else:
        return []
    rule = "claim.payer_claim_number"
    return [finding(rule, message, WHY_FREQUENCY, PAYER_CLAIM_NUMBER_FIELD, facts.claim_id)]


# ---- payers billed before this one ----------------------------------------------------


def _order(sequence: str) -> int:
    index = PAYER_ORDER.find(sequence)
    return index if index >= 0 else len(PAYER_ORDER)


def other_payer_findings(document: ClaimDocument, facts: ClaimFacts) -> list[Finding]:
    """Check that each payer billed before this one has adjudicated and that it balances."""
    findings: list[Finding] = []
    for other in document.other_payers:
        if _order(other.payer_sequence) >= _order(document.payer_sequence):
            continue
        if other.paid_amount is None or other.adjudicated_on is None:
            message = (
                f"{other.payer.name} has not settled this claim yet (no paid amount or date); "
                "record its remittance or EOB on its claim before billing the next payer."
            )
            findings.append(
                finding(
                    "cob.not_adjudicated",
                    message,
                    WHY_OTHER_PAYER,
                    OTHER_PAYERS_FIELD,
                    facts.claim_id,
                )
            )
            continue
        findings += _balance_findings(document, other, facts)
    return findings


def _balance_findings(
    document: ClaimDocument, other: OtherPayer, facts: ClaimFacts
) -> list[Finding]:
    findings: list[Finding] = []
    line_paid = Decimal(0)
    adjudicated = False
    for line in document.lines:
        for adjudication in line.adjudications:
            if adjudication.payer_code != other.payer.payer_code:
                continue
            adjudicated = True
            adjusted = sum((item.amount for item in adjudication.adjustments), Decimal(0))
            line_paid += adjudication.paid_amount
            if line.charge_amount - adjusted != adjudication.paid_amount:
                message = (
                    f"Line {line.line_number} ({line.procedure_code}): {other.payer.name} paid "
                    f"{format_money(adjudication.paid_amount)}, but the charge "
                    f"{format_money(line.charge_amount)} minus adjustments "
                    f"{format_money(adjusted)} is {format_money(line.charge_amount - adjusted)}; "
                    "correct the line's adjustments on the earlier claim."
                )
                findings.append(
                    finding(
                        "cob.line_unbalanced",
                        message,
                        WHY_OTHER_PAYER,
                        OTHER_PAYERS_FIELD,
                        facts.claim_id,
                        line.line_number,
                    )
                )

    claim_adjusted = sum((item.amount for item in other.claim_adjustments), Decimal(0))
    base = line_paid if adjudicated else document.total_charge
    expected = base - claim_adjusted
    assert other.paid_amount is not None
    if other.paid_amount != expected:
        basis = "line payments" if adjudicated else "claim charges"
        message = (
            f"{other.payer.name} paid {format_money(other.paid_amount)}, but its {basis} "
            f"{format_money(base)} minus claim adjustments {format_money(claim_adjusted)} is "
            f"{format_money(expected)}; correct the amounts recorded from its remittance."
        )
        findings.append(
            finding(
                "cob.claim_unbalanced", message, WHY_OTHER_PAYER, OTHER_PAYERS_FIELD, facts.claim_id
            )
        )
    return findings
