"""The values read from an 835 remittance, shared by its reader, balancing and writers.

`app.x12.reader_835` re-exports these classes, which is where callers import them from.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class Cas:
    """One adjustment of a CAS segment: CAS segments hold up to six of them."""

    group_code: str  # CO, OA, PI, PR (and CR in 4010)
    reason_code: str  # CARC
    amount: Decimal
    quantity: Decimal | None


@dataclass(frozen=True, slots=True)
class ServicePayment:
    """A service line of loop 2110 (SVC) and what the payer did with it."""

    qualifier: str  # SVC01-1, such as HC
    procedure_code: str  # SVC01-2, the code the payer adjudicated
    modifiers: tuple[str, ...]
    charge: Decimal  # SVC02
    paid: Decimal  # SVC03
    units_paid: Decimal | None  # SVC05
    submitted_code: str | None  # SVC06-2, when the payer changed the billed code
    submitted_modifiers: tuple[str, ...]
    submitted_units: Decimal | None  # SVC07
    service_date: date | None  # DTM*472, or DTM*150 of a range
    service_date_to: date | None  # DTM*151
    line_control_number: str | None  # REF*6R, our line's control number
    allowed: Decimal | None  # AMT*B6
    adjustments: tuple[Cas, ...]
    remarks: tuple[str, ...]  # LQ*HE remark codes
    segment_number: int


@dataclass(frozen=True, slots=True)
class ClaimPayment:
    """A claim of loop 2100 (CLP) with its adjustments and service lines."""

    patient_control_number: str  # CLP01, our CLM01
    status_code: str  # CLP02
    charge: Decimal  # CLP03
    paid: Decimal  # CLP04
    patient_responsibility: Decimal  # CLP05, 0 when absent
    filing_indicator: str  # CLP06
    payer_claim_number: str | None  # CLP07
    frequency_code: str | None  # CLP09
    patient_last: str  # NM1*QC
    patient_first: str
    member_id: str  # NM1*QC NM109, else NM1*IL NM109
    crossover_payer: str | None  # NM1*TT name
    service_date_from: date | None  # DTM*232
    service_date_to: date | None  # DTM*233
    adjustments: tuple[Cas, ...]  # claim-level CAS
    services: tuple[ServicePayment, ...]
    interest: Decimal | None  # AMT*I
    remarks: tuple[str, ...]  # MOA and MIA remark codes
    segment_number: int  # the CLP
    text: str  # the loop's segments as X12 text, for read_claim_loop


@dataclass(frozen=True, slots=True)
class ProviderAdjustmentItem:
    """One reason and amount pair of a PLB segment."""

    provider_identifier: str  # PLB01
    fiscal_period_date: date | None  # PLB02
    reason_code: str  # PLB03-1, such as WO or L6
    reference: str  # PLB03-2, often the payer claim number
    amount: Decimal  # positive reduces the payment, negative adds to it
    segment_number: int


@dataclass(frozen=True, slots=True)
class Remittance835:
    """One 835 transaction set: one payment or notice from one payer to one payee."""

    control_number: str  # ST02
    handling_code: str  # BPR01
    payment_amount: Decimal  # BPR02
    credit_debit: str  # BPR03, C or D
    payment_method: str  # BPR04, such as ACH, CHK or NON
    payment_date: date | None  # BPR16
    trace_number: str  # TRN02, the check or EFT trace number
    originator_id: str  # TRN03
    payer_name: str
    payer_identifier: str  # N1*PR N104, else REF*2U, else TRN03
    payee_name: str
    payee_identifier: str  # N1*PE N104
    claims: tuple[ClaimPayment, ...]
    provider_adjustments: tuple[ProviderAdjustmentItem, ...]
    segment_number: int  # the ST
    interchange_control_number: str  # ISA13
