"""A claim as the 837P writer and the CMS-1500 form need it, independent of the database.

`app.services.claim_documents` fills these from claim rows; the 837P writer, the 837P
reader and the CMS-1500 printer only see these values. Text is as the practice typed it;
the writers upper-case, transliterate and shorten it for their format.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class Address:
    line1: str
    line2: str
    city: str
    state: str
    zip_code: str  # 5 or 9 digits, no hyphen


@dataclass(frozen=True, slots=True)
class Submitter:
    """Loop 1000A/1000B and the envelope ids, from the clearinghouse settings."""

    submitter_id: str
    submitter_name: str
    contact_name: str
    contact_phone: str
    receiver_id: str
    receiver_name: str
    isa_sender_qualifier: str
    isa_sender_id: str
    isa_receiver_qualifier: str
    isa_receiver_id: str
    gs_sender_code: str
    gs_receiver_code: str
    usage_indicator: str  # T or P


@dataclass(frozen=True, slots=True)
class BillingProvider:
    """Loop 2010AA: the practice as an organization (NM102 2) with its group NPI."""

    name: str
    npi: str
    ein: str  # 9 digits
    taxonomy_code: str | None
    address: Address
    phone: str | None


@dataclass(frozen=True, slots=True)
class Person:
    """A subscriber or patient (2010BA, 2010CA, 2330A)."""

    last_name: str
    first_name: str
    middle_name: str | None
    suffix: str | None
    date_of_birth: date | None
    sex: str  # F, M or U
    address: Address | None


@dataclass(frozen=True, slots=True)
class PayerInfo:
    """Loop 2010BB or 2330B."""

    name: str
    payer_code: str  # NM109 with PI
    address: Address | None


@dataclass(frozen=True, slots=True)
class RenderingProvider:
    last_name: str
    first_name: str
    npi: str
    taxonomy_code: str | None


@dataclass(frozen=True, slots=True)
class ReferringProvider:
    last_name: str
    first_name: str
    npi: str


@dataclass(frozen=True, slots=True)
class ServiceFacility:
    """Loop 2310C, and box 32 of the CMS-1500."""

    name: str
    address: Address


@dataclass(frozen=True, slots=True)
class Adjustment:
    """One CAS adjustment of a prior payer."""

    group_code: str  # CO, OA, PI, PR
    reason_code: str
    amount: Decimal
    quantity: int | None = None


@dataclass(frozen=True, slots=True)
class LineAdjudication:
    """Loop 2430: how a prior payer settled one line."""

    payer_code: str  # SVD01
    paid_amount: Decimal  # SVD02
    procedure_code: str  # SVD03
    modifiers: tuple[str, ...]
    units: int  # SVD05
    adjudicated_on: date  # DTP*573
    adjustments: tuple[Adjustment, ...]


@dataclass(frozen=True, slots=True)
class OtherPayer:
    """Loops 2320, 2330A and 2330B: a payer ahead of (or after) the destination payer."""

    payer_sequence: str  # P, S or T: that payer's place in the order
    relationship_code: str  # subscriber's relationship to the patient, SBR02 codes
    group_number: str | None
    claim_filing_indicator: str
    subscriber: Person
    member_id: str
    payer: PayerInfo
    paid_amount: Decimal | None  # AMT*D; None when this payer has not adjudicated
    remaining_patient_liability: Decimal | None  # AMT*EAF
    adjudicated_on: date | None  # DTP*573 in 2330B
    payer_claim_number: str | None
    claim_adjustments: tuple[Adjustment, ...] = ()


@dataclass(frozen=True, slots=True)
class ServiceLine:
    line_number: int
    line_control_number: str  # REF*6R
    service_date: date
    procedure_code: str
    modifiers: tuple[str, ...]  # 0 to 4
    charge_amount: Decimal
    units: int
    place_of_service: str  # sent as SV105 only when it differs from the claim's
    pointers: tuple[int, ...]  # 1 to 4, 1-based into ClaimDocument.diagnoses
    ndc_code: str | None = None
    ndc_quantity: str | None = None
    ndc_unit: str | None = None
    adjudications: tuple[LineAdjudication, ...] = ()


@dataclass(frozen=True, slots=True)
class ClaimDocument:
    """Everything one CLM needs, with its subscriber and payer."""

    claim_number: str  # CLM01, at most 20 characters
    total_charge: Decimal
    place_of_service: str
    frequency_code: str  # 1, 7 or 8
    payer_claim_number: str | None  # REF*F8, required for 7 and 8
    billing_provider: BillingProvider
    payer_sequence: str  # SBR01
    relationship_code: str  # 18 when the patient is the subscriber, else PAT01 code
    group_number: str | None
    group_name: str | None
    claim_filing_indicator: str  # SBR09
    subscriber: Person
    member_id: str
    payer: PayerInfo
    patient: Person  # same values as subscriber when relationship_code is 18
    patient_account_number: str  # chart number (REF*EA is not sent; kept for the form)
    diagnoses: tuple[str, ...]  # ICD-10-CM, no dot, 1 to 12
    lines: tuple[ServiceLine, ...]
    rendering_provider: RenderingProvider
    service_facility: ServiceFacility
    referring_provider: ReferringProvider | None = None
    prior_authorization: str | None = None  # REF*G1
    onset_date: date | None = None  # DTP*431
    related_employment: bool = False
    related_auto_accident: bool = False
    auto_accident_state: str | None = None
    related_other_accident: bool = False
    patient_paid: Decimal | None = None  # AMT*F5
    other_payers: tuple[OtherPayer, ...] = ()
    signature_date: date | None = None  # box 31 date; the build date
    notes: tuple[str, ...] = field(default=())

    @property
    def patient_is_subscriber(self) -> bool:
        return self.relationship_code == "18"
