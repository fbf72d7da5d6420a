"""ClaimDocument values for tests and benchmarks of the claim writers, readers and rules.

The named samples each show one kind of claim:

- `subscriber_claim`: the patient is the subscriber, one payer, two lines.
- `dependent_claim`: a child on a parent's plan (2000C), with a referring provider,
  onset date and prior authorization, and a rendering provider other than the group.
- `secondary_claim`: a claim to the secondary payer after the primary paid each line
  (2320/2330A/2330B with line-level 2430 adjudications).
- `secondary_claim_level_claim`: the same without line adjudications, so the primary's
  adjustments are claim-level CAS and its date is DTP*573 in 2330B.
- `ndc_claim`: a drug line with its NDC (2410), at a facility other than the office.
- `replacement_claim`: frequency 7 with the payer's claim number (REF*F8).

`build_claim(ClaimOptions(...))` combines the optional parts freely, and property tests
and the benchmark use it. Every NPI passes the Luhn check. Amounts balance: CLM02 is the
sum of the lines, and each prior payer's paid amount equals the charges less its
adjustments. Names include accented letters. CPT codes are real numbers with no labels,
because ClinicDesk ships no CPT descriptions.
"""

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from app.x12.claim_data import (
    Address,
    Adjustment,
    BillingProvider,
    ClaimDocument,
    LineAdjudication,
    OtherPayer,
    PayerInfo,
    Person,
    ReferringProvider,
    RenderingProvider,
    ServiceFacility,
    ServiceLine,
    Submitter,
)

CENT = Decimal("0.01")
SERVICE_DATE = date(2026, 3, 2)
ADJUDICATED_ON = date(2026, 3, 20)
CREATED_ON = date(2026, 3, 3)

GROUP_NPI = "1234567893"
RENDERING_NPI = "1987654328"
SECOND_RENDERING_NPI = "1456789019"
REFERRING_NPI = "1678901236"

TEST_SUBMITTER = Submitter(
    submitter_id="CLINICDESK01",
    submitter_name="Maple Street Family Medicine",
    contact_name="Dana Okafor",
    contact_phone="(217) 555-0100",
    receiver_id="EXAMPLECH",
    receiver_name="Example Clearinghouse",
    isa_sender_qualifier="ZZ",
    isa_sender_id="CLINICDESK01",
    isa_receiver_qualifier="ZZ",
    isa_receiver_id="EXAMPLECH",
    gs_sender_code="CLINICDESK01",
    gs_receiver_code="EXAMPLECH",
    usage_indicator="T",
)

OFFICE_ADDRESS = Address("100 Maple St", "Suite 200", "Springfield", "IL", "627011234")
ANNEX_ADDRESS = Address("250 Oak Ave", "", "Springfield", "IL", "627045678")

BILLING_PROVIDER = BillingProvider(
    name="Maple Street Family Medicine",
    npi=GROUP_NPI,
    ein="371234567",
    taxonomy_code="207Q00000X",
    address=OFFICE_ADDRESS,
    phone="2175550100",
)

OFFICE = ServiceFacility(name="Maple Street Family Medicine", address=OFFICE_ADDRESS)
ANNEX = ServiceFacility(name="Maple Street Annex", address=ANNEX_ADDRESS)

# A rendering provider billed under the group's NPI (no 2310B) and two with their own.
GROUP_AS_RENDERING = RenderingProvider("Rivera", "Ana", GROUP_NPI, "207Q00000X")
RENDERING_PROVIDER = RenderingProvider("Nguyễn", "Minh", RENDERING_NPI, "207R00000X")
SECOND_RENDERING_PROVIDER = RenderingProvider("O'Brien", "Siobhán", SECOND_RENDERING_NPI, None)

REFERRING_PROVIDER = ReferringProvider("Müller", "Jürgen", REFERRING_NPI)

PRIMARY_PAYER = PayerInfo(
    name="Prairie Health Plan",
    payer_code="PHP01",
    address=Address("PO Box 4000", "", "Chicago", "IL", "606804000"),
)
SECONDARY_PAYER = PayerInfo(name="Lakeside Mutual Insurance", payer_code="LMI22", address=None)
TERTIARY_PAYER = PayerInfo(name="Illinois Medicaid", payer_code="ILMCD", address=None)

SUBSCRIBER = Person(
    last_name="Peña",
    first_name="José",
    middle_name="Luis",
    suffix=None,
    date_of_birth=date(1984, 7, 19),
    sex="M",
    address=Address("42 Elm St", "Apt 3", "Springfield", "IL", "62702"),
)
SPOUSE = replace(
    SUBSCRIBER, first_name="Mariá", middle_name=None, date_of_birth=date(1986, 2, 11), sex="F"
)
CHILD = replace(
    SUBSCRIBER, first_name="Lucía", middle_name=None, date_of_birth=date(2016, 9, 30), sex="F"
)

# Billable ICD-10-CM codes, without the dot, in the order a claim lists them.
DIAGNOSES = (
    "J069",
    "R509",
    "E119",
    "I10",
    "M5450",
    "K219",
    "F419",
    "N390",
    "R42",
    "E785",
    "J302",
    "Z23",
)

# (CPT or HCPCS code, fee). The codes are real, and nothing here describes them.
PROCEDURES = (
    ("99213", Decimal("125.00")),
    ("99214", Decimal("180.00")),
    ("85025", Decimal("40.00")),
    ("81002", Decimal("12.50")),
    ("36415", Decimal("15.00")),
    ("93000", Decimal("65.00")),
    ("87880", Decimal("30.25")),
    ("96372", Decimal("45.00")),
)
DRUG_PROCEDURE = ("J1100", Decimal("18.00"))  # billed per 1 mg, with an NDC
DRUG_NDC = "00641036725"


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT)


@dataclass(frozen=True, slots=True)
class ClaimOptions:
    """The optional parts of a claim that `build_claim` combines."""

    claim_number: str = "CD260302001"
    dependent: bool = False
    rendering_differs: bool = True
    facility_differs: bool = False
    diagnosis_count: int = 2
    line_count: int = 2
    ndc: bool = False
    other_payer_count: int = 0  # 0 to 2 payers ahead of the destination payer
    line_adjudication: bool = True  # other payers settled each line (2430) or the claim
    frequency_code: str = "1"
    referring: bool = False
    onset: bool = False
    accident: str | None = None  # "auto", "other" or "employment"
    place_of_service: str = "11"
    line_place_of_service: str | None = None  # for SV105 on the second line


def build_claim(options: ClaimOptions) -> ClaimDocument:
    """Build a ClaimDocument with the optional parts that `options` selects."""
    if not 1 <= options.diagnosis_count <= len(DIAGNOSES):
        raise ValueError(f"diagnosis_count must be 1 to 12, not {options.diagnosis_count}")

    lines = tuple(_service_line(options, index) for index in range(options.line_count))
    other_payers = _other_payers(options, lines)
    if options.line_adjudication:
        lines = _with_line_adjudications(lines, other_payers)

    payer_sequence = "PST"[len(other_payers)]
    destination = (PRIMARY_PAYER, SECONDARY_PAYER, TERTIARY_PAYER)[len(other_payers)]
    patient = CHILD if options.dependent else SUBSCRIBER
    return ClaimDocument(
        claim_number=options.claim_number,
        total_charge=money(sum((line.charge_amount for line in lines), Decimal(0))),
        place_of_service=options.place_of_service,
        frequency_code=options.frequency_code,
        payer_claim_number=(
            f"PHP{options.claim_number}" if options.frequency_code in {"7", "8"} else None
        ),
        billing_provider=BILLING_PROVIDER,
        payer_sequence=payer_sequence,
        relationship_code="19" if options.dependent else "18",
        group_number="GRP-4471",
        group_name="Springfield Public Schools",
        claim_filing_indicator="CI",
        subscriber=SUBSCRIBER,
        member_id=f"{destination.payer_code}M1048829",
        payer=destination,
        patient=patient,
        patient_account_number="CH-000318" if options.dependent else "CH-000317",
        diagnoses=DIAGNOSES[: options.diagnosis_count],
        lines=lines,
        rendering_provider=RENDERING_PROVIDER if options.rendering_differs else GROUP_AS_RENDERING,
        service_facility=ANNEX if options.facility_differs else OFFICE,
        referring_provider=REFERRING_PROVIDER if options.referring else None,
        prior_authorization="PA88213" if options.referring else None,
        onset_date=date(2026, 2, 26) if options.onset or options.accident else None,
        related_employment=options.accident == "employment",
        related_auto_accident=options.accident == "auto",
        auto_accident_state="IL" if options.accident == "auto" else None,
        related_other_accident=options.accident == "other",
        patient_paid=Decimal("25.00") if options.line_count % 2 else None,
        other_payers=other_payers,
        signature_date=CREATED_ON,
    )


def _service_line(options: ClaimOptions, index: int) -> ServiceLine:
    drug = options.ndc and index == options.line_count - 1
    code, fee = DRUG_PROCEDURE if drug else PROCEDURES[index % len(PROCEDURES)]
    units = 4 if drug else 1 + index % 3
    dx_count = options.diagnosis_count
    pointer_count = min(dx_count, 4, 1 + index % 4)
    place_of_service = options.place_of_service
    if index == 1 and options.line_place_of_service:
        place_of_service = options.line_place_of_service

    return ServiceLine(
        line_number=index + 1,
        line_control_number=f"{options.claim_number}-{index + 1}",
        service_date=SERVICE_DATE,
        procedure_code=code,
        modifiers=("25",) if code.startswith("992") and index == 0 else (),
        charge_amount=money(fee * units),
        units=units,
        place_of_service=place_of_service,
        pointers=tuple((index + offset) % dx_count + 1 for offset in range(pointer_count)),
        ndc_code=DRUG_NDC if drug else None,
        ndc_quantity="2" if drug else None,
        ndc_unit="ML" if drug else None,
    )


def _other_payers(options: ClaimOptions, lines: tuple[ServiceLine, ...]) -> tuple[OtherPayer, ...]:
    """Build the payers ahead of the destination payer, each paying 70 % of the charges.

    With line adjudication the adjustments are on the lines (2430) and the claim-level CAS
    is empty. Otherwise the same split of the total is claim-level CAS. Either way AMT*D
    equals the charges less the adjustments, to the cent.
    """
    if options.line_adjudication:
        claim_adjustments: tuple[Adjustment, ...] = ()
        splits = [_split(line.charge_amount) for line in lines]
        paid = sum((line_paid for _adjustments, line_paid in splits), Decimal(0))
        coinsurance = sum((adjustments[1].amount for adjustments, _paid in splits), Decimal(0))
    else:
        claim_adjustments, paid = _split(sum((line.charge_amount for line in lines), Decimal(0)))
        coinsurance = claim_adjustments[1].amount

    payers = []
    for position, payer in enumerate((PRIMARY_PAYER, SECONDARY_PAYER)[: options.other_payer_count]):
        # SBR02 of 2320 is the patient's relationship to that payer's subscriber: the
        # second payer's subscriber is the patient's spouse.
        relationship = "18" if position == 0 else "01"
        if options.dependent:
            relationship = "19"
        payers.append(
            OtherPayer(
                payer_sequence="PS"[position],
                relationship_code=relationship,
                group_number="GRP-4471" if position == 0 else None,
                claim_filing_indicator="CI",
                subscriber=SPOUSE if position == 1 else SUBSCRIBER,
                member_id=f"{payer.payer_code}M55{position}",
                payer=payer,
                paid_amount=paid,
                remaining_patient_liability=coinsurance,
                adjudicated_on=ADJUDICATED_ON,
                payer_claim_number=f"{payer.payer_code}-{options.claim_number}",
                claim_adjustments=claim_adjustments,
            )
        )
    return tuple(payers)


def _split(charge: Decimal) -> tuple[tuple[Adjustment, ...], Decimal]:
    """Split a charge into a contractual write-off (CO 45, 20 %), coinsurance (PR 2, 10 %)
    and the paid rest."""
    contractual = money(charge * Decimal("0.20"))
    coinsurance = money(charge * Decimal("0.10"))
    adjustments = (Adjustment("CO", "45", contractual), Adjustment("PR", "2", coinsurance))
    return adjustments, charge - contractual - coinsurance


def _with_line_adjudications(
    lines: tuple[ServiceLine, ...], other_payers: tuple[OtherPayer, ...]
) -> tuple[ServiceLine, ...]:
    """Attach a 2430 per other payer to each line."""
    adjudicated = []
    for line in lines:
        adjustments, paid = _split(line.charge_amount)
        adjudications = tuple(
            LineAdjudication(
                payer_code=other.payer.payer_code,
                paid_amount=paid,
                procedure_code=line.procedure_code,
                modifiers=line.modifiers,
                units=line.units,
                adjudicated_on=ADJUDICATED_ON,
                adjustments=adjustments,
            )
            for other in other_payers
        )
        adjudicated.append(replace(line, adjudications=adjudications))
    return tuple(adjudicated)


def line_paid_total(lines: tuple[ServiceLine, ...], payer_code: str) -> Decimal:
    """Return what one prior payer paid across the lines (the sum of its SVD02)."""
    return sum(
        (
            adjudication.paid_amount
            for line in lines
            for adjudication in line.adjudications
            if adjudication.payer_code == payer_code
        ),
        Decimal(0),
    )


def subscriber_claim() -> ClaimDocument:
    """A patient who is the subscriber, billed under the group NPI at the office."""
    return build_claim(
        ClaimOptions(claim_number="CD260302001", rendering_differs=False, line_count=2)
    )


def dependent_claim() -> ClaimDocument:
    """A child on a parent's plan with a referral, prior authorization and onset date."""
    return build_claim(
        ClaimOptions(
            claim_number="CD260302002",
            dependent=True,
            diagnosis_count=3,
            line_count=3,
            referring=True,
            onset=True,
        )
    )


def secondary_claim() -> ClaimDocument:
    """A claim to the secondary payer after the primary settled every line (2430)."""
    return build_claim(
        ClaimOptions(
            claim_number="CD260302003",
            diagnosis_count=2,
            line_count=2,
            other_payer_count=1,
            line_adjudication=True,
        )
    )


def secondary_claim_level_claim() -> ClaimDocument:
    """A secondary claim whose primary adjustments are only at claim level."""
    return build_claim(
        ClaimOptions(
            claim_number="CD260302004",
            dependent=True,
            line_count=3,
            other_payer_count=1,
            line_adjudication=False,
        )
    )


def ndc_claim() -> ClaimDocument:
    """An office visit and a drug line with its NDC, seen at the annex (2310C)."""
    return build_claim(
        ClaimOptions(claim_number="CD260302005", line_count=2, ndc=True, facility_differs=True)
    )


def replacement_claim() -> ClaimDocument:
    """A replacement (frequency 7) carrying the payer's claim number in REF*F8."""
    return build_claim(
        ClaimOptions(claim_number="CD260302006", frequency_code="7", accident="auto", onset=True)
    )


def sample_claims() -> list[ClaimDocument]:
    """Return every named sample, each with its own claim number."""
    return [
        subscriber_claim(),
        dependent_claim(),
        secondary_claim(),
        secondary_claim_level_claim(),
        ndc_claim(),
        replacement_claim(),
    ]


def varied_claim(index: int) -> ClaimDocument:
    """Return claim number `index` of a deterministic mix of every optional part.

    The benchmark writes thousands of these; the pattern repeats every 840 claims.
    """
    return build_claim(
        ClaimOptions(
            claim_number=f"CDB{index:08d}",
            dependent=index % 3 == 1,
            rendering_differs=index % 2 == 0,
            facility_differs=index % 7 == 3,
            diagnosis_count=1 + index % 12,
            line_count=1 + index % 6,
            ndc=index % 5 == 4,
            other_payer_count=index % 4 % 3,
            line_adjudication=index % 8 < 4,
            frequency_code={8: "7", 9: "8"}.get(index % 10, "1"),
            referring=index % 4 == 2,
            onset=index % 5 == 0,
            accident=(None, None, None, "auto", "other", "employment")[index % 6],
        )
    )
