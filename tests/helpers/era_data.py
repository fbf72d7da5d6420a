"""Claims for remittance tests, built from what a remittance pays.

`claims_for_remittance` reads an 835's claim payments and inserts, for each, the patient
(named as NM1*QC names them), a coverage with the remittance's payer, a posted
encounter with one charge line per service payment, its ledger charges and a sent claim
whose claim number is CLP01 and whose line control numbers are the REF*6R values. The
import then finds in the database exactly the claims the payer paid. `add_claim` builds
one such claim from plain values, for tests that write their own remittance.

Rows are inserted with the ORM and the ledger charges go through `post_entries`, so
`ledger_check` finds the ledger intact; the encounter services would be far slower for
hundreds of claims.
"""

import itertools
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.clock import utc_now
from app.db.database import Database
from app.ids import new_id
from app.models.charges import ChargeLine, Encounter
from app.models.claims import Claim, ClaimDiagnosis, ClaimLine
from app.models.patients import Coverage, Patient
from app.models.practice import Location, Payer, Provider
from app.money import ZERO, to_money
from app.security.permissions import Actor, Role
from app.services.ledger import CHARGE_LINE_SOURCE
from app.services.ledger_bulk import NewEntry, post_entries
from app.services.practice import initialize_practice
from app.x12.reader_835 import ClaimPayment, Remittance835, ServicePayment
from app.x12.writer_835 import (
    WrittenCas,
    WrittenClaim,
    WrittenPlb,
    WrittenRemittance,
    WrittenService,
    write_835,
)
from tests.helpers.practice_data import sample_setup

# The day of service of claims whose remittance names none.
DEFAULT_SERVICE_DAY = date(2026, 1, 5)
# ICD-10-CM Z00.00, a routine adult exam without abnormal findings, stored without the dot.
CLAIM_DIAGNOSIS = "Z0000"
# The procedure code of the one line of a claim paid without service lines, and of a
# drug line paid by NDC (an unclassified drug, as billed with an NDC).
CLAIM_LEVEL_CODE = "99199"
DRUG_CODE = "J3490"
REVERSAL_CODE = "22"

_numbers = itertools.count(1)


@dataclass(frozen=True)
class EraPractice:
    """A practice set up for posting remittances, with the users who post them."""

    database: Database
    admin: Actor
    provider_id: uuid.UUID
    location_id: uuid.UUID

    @property
    def biller(self) -> Actor:
        """A biller: posts remittances and manages claims."""
        return _as_role(self.admin, Role.BILLER)

    @property
    def manager(self) -> Actor:
        """A manager: may also run ledger verify."""
        return _as_role(self.admin, Role.MANAGER)

    @property
    def front_desk(self) -> Actor:
        """A front-desk user: may post payments but not manage claims."""
        return _as_role(self.admin, Role.FRONT_DESK)


@dataclass(frozen=True)
class LineSpec:
    """One service line of a claim to build."""

    code: str
    charge: Decimal
    modifiers: tuple[str, ...] = ()
    control_number: str | None = None
    service_date: date | None = None
    ndc: str | None = None


@dataclass(frozen=True)
class BuiltClaim:
    """A claim inserted for a test, with its lines' ids in line order."""

    claim_id: uuid.UUID
    claim_number: str
    patient_id: uuid.UUID
    payer_id: uuid.UUID
    line_ids: tuple[uuid.UUID, ...]
    charge_line_ids: tuple[uuid.UUID, ...]
    control_numbers: tuple[str, ...]
    total_charge: Decimal
    lines: tuple[LineSpec, ...] = ()
    patient: tuple[str, str, str] = ("", "", "")  # last name, first name, member id
    payment: ClaimPayment | None = field(default=None, compare=False)


def _as_role(admin: Actor, role: Role) -> Actor:
    # The admin's user id serves as the person, so ledger rows have someone to name.
    return Actor(admin.user_id, role.value, role, admin.workstation)


def build_era_practice(database: Database) -> EraPractice:
    """Set up the sample practice; claims are added by the tests."""
    with database.transaction() as session:
        admin = initialize_practice(session, sample_setup()).admin
        provider_id = session.scalars(select(Provider.id).order_by(Provider.last_name)).first()
        location_id = session.scalars(select(Location.id)).one()
    assert provider_id is not None
    return EraPractice(database, admin, provider_id, location_id)


def add_payer(session: Session, name: str, code: str, mode: str = "auto") -> uuid.UUID:
    """Insert a payer with its ERA posting mode and return its id."""
    payer = Payer(
        name=name[:60],
        payer_code=code,
        claim_filing_indicator="CI",
        era_posting_mode=mode,
    )
    session.add(payer)
    session.flush()
    return payer.id


def payer_for(session: Session, remittance: Remittance835, mode: str = "auto") -> uuid.UUID:
    """Return the payer the remittance names (by payer id, else name), adding it when missing."""
    code = remittance.payer_identifier.strip()
    if code:
        found = session.scalars(select(Payer.id).where(Payer.payer_code == code)).first()
    else:
        found = session.scalars(
            select(Payer.id).where(func.upper(Payer.name) == remittance.payer_name.upper())
        ).first()
    if found is not None:
        return found
    return add_payer(session, remittance.payer_name or "Corpus payer", code, mode)


def claims_for_remittance(
    session: Session, practice: EraPractice, remittance: Remittance835, mode: str = "auto"
) -> list[BuiltClaim]:
    """Insert the claims a remittance pays, each as the payer describes it.

    A reversal (CLP02 22) followed by its correction builds one claim, from the
    correction. A reversal alone builds its claim from the reversed amounts made
    positive, since the original payment is what it takes back.
    """
    payer_id = payer_for(session, remittance, mode)
    corrected = {
        payment.patient_control_number
        for payment in remittance.claims
        if payment.status_code != REVERSAL_CODE
    }
    built = []
    for payment in remittance.claims:
        if payment.status_code == REVERSAL_CODE and payment.patient_control_number in corrected:
            continue
        built.append(claim_for_payment(session, practice, payer_id, payment))
    return built


def claim_for_payment(
    session: Session, practice: EraPractice, payer_id: uuid.UUID, payment: ClaimPayment
) -> BuiltClaim:
    """Insert the claim one claim payment pays: its patient, lines and charges."""
    service_day = _claim_day(payment)
    if payment.services:
        lines = [_line_spec(service, service_day) for service in payment.services]
    else:
        lines = [LineSpec(CLAIM_LEVEL_CODE, abs(to_money(payment.charge)))]
    claim = add_claim(
        session,
        practice,
        payer_id,
        last=payment.patient_last or "UNNAMED",
        first=payment.patient_first or "PATIENT",
        member_id=payment.member_id,
        service_date=service_day,
        lines=lines,
        claim_number=payment.patient_control_number,
    )
    return replace(claim, payment=payment)


def add_claim(
    session: Session,
    practice: EraPractice,
    payer_id: uuid.UUID,
    *,
    last: str,
    first: str,
    member_id: str,
    service_date: date,
    lines: Sequence[LineSpec],
    claim_number: str | None = None,
    payer_claim_number: str | None = None,
) -> BuiltClaim:
    """Insert a sent claim with a posted encounter, its lines and their ledger charges.

    The patient and coverage are reused when the payer already covers a patient of that
    name and member id. A claim number already in use gets a suffix, because two claims
    of one remittance may carry the same CLP01.
    """
    patient_id, coverage_id = _patient(session, payer_id, last, first, member_id)
    encounter = Encounter(
        encounter_number=f"ERA-E{next(_numbers):06d}",
        patient_id=patient_id,
        service_date=service_date,
        rendering_provider_id=practice.provider_id,
        location_id=practice.location_id,
        place_of_service="11",
        status="posted",
        posted_at=utc_now(),
        posted_by=practice.admin.user_id,
    )
    session.add(encounter)
    session.flush()

    charge_lines = [
        _charge_line(encounter, position, spec, service_date)
        for position, spec in enumerate(lines, start=1)
    ]
    session.add_all(charge_lines)
    total = sum((line.charge_amount for line in charge_lines), ZERO)
    claim = Claim(
        claim_number=_free_claim_number(session, claim_number),
        patient_id=patient_id,
        encounter_id=encounter.id,
        coverage_id=coverage_id,
        payer_id=payer_id,
        payer_sequence="P",
        rendering_provider_id=practice.provider_id,
        location_id=practice.location_id,
        place_of_service="11",
        service_date_from=min(line.service_date for line in charge_lines),
        service_date_to=max(line.service_date for line in charge_lines),
        total_charge=total,
        payer_claim_number=payer_claim_number,
        status="accepted",
        sent_at=utc_now(),
    )
    session.add(claim)
    session.flush()
    # Every line points at this one diagnosis, so a claim to the next payer can be built.
    session.add(ClaimDiagnosis(claim_id=claim.id, position=1, code=CLAIM_DIAGNOSIS))
    controls = _free_control_numbers(session, [spec.control_number for spec in lines])
    claim_lines = [
        _claim_line(claim, charge_line, control)
        for charge_line, control in zip(charge_lines, controls, strict=True)
    ]
    session.add_all(claim_lines)
    session.flush()

    _post_charges(session, practice, encounter, charge_lines, payer_id)
    return BuiltClaim(
        claim_id=claim.id,
        claim_number=claim.claim_number,
        patient_id=patient_id,
        payer_id=payer_id,
        line_ids=tuple(line.id for line in claim_lines),
        charge_line_ids=tuple(line.id for line in charge_lines),
        control_numbers=tuple(line.line_control_number for line in claim_lines),
        total_charge=total,
        lines=tuple(
            replace(spec, service_date=line.service_date)
            for spec, line in zip(lines, charge_lines, strict=True)
        ),
        patient=(last, first, member_id),
    )


def _claim_day(payment: ClaimPayment) -> date:
    if payment.service_date_from is not None:
        return payment.service_date_from
    dates = [service.service_date for service in payment.services if service.service_date]
    return min(dates) if dates else DEFAULT_SERVICE_DAY


def _line_spec(service: ServicePayment, claim_day: date) -> LineSpec:
    modifiers: tuple[str, ...]
    if service.qualifier == "N4":
        code, modifiers, ndc = DRUG_CODE, (), service.procedure_code
    elif service.submitted_code:
        code, modifiers, ndc = service.submitted_code, service.submitted_modifiers, None
    else:
        code, modifiers, ndc = service.procedure_code, service.modifiers, None
    return LineSpec(
        code=code,
        charge=abs(to_money(service.charge)),
        modifiers=modifiers,
        control_number=service.line_control_number,
        service_date=service.service_date or claim_day,
        ndc=ndc,
    )


def _patient(
    session: Session, payer_id: uuid.UUID, last: str, first: str, member_id: str
) -> tuple[uuid.UUID, uuid.UUID]:
    query = (
        select(Patient.id, Coverage.id)
        .join(Coverage, Coverage.patient_id == Patient.id)
        .where(
            Coverage.payer_id == payer_id,
            Coverage.member_id == member_id,
            Patient.last_name == last,
            Patient.first_name == first,
        )
    )
    found = session.execute(query).first()
    if found is not None:
        return found[0], found[1]
    patient = Patient(
        chart_number=f"ERA-{next(_numbers):06d}",
        first_name=first[:35],
        last_name=last[:60],
        date_of_birth=date(1970, 1, 1),
        sex="U",
    )
    session.add(patient)
    session.flush()
    coverage = Coverage(
        patient_id=patient.id, payer_id=payer_id, priority=1, member_id=member_id or "UNKNOWN"
    )
    session.add(coverage)
    session.flush()
    return patient.id, coverage.id


def _charge_line(
    encounter: Encounter, position: int, spec: LineSpec, claim_day: date
) -> ChargeLine:
    modifiers = list(spec.modifiers[:4]) + [None] * (4 - len(spec.modifiers[:4]))
    return ChargeLine(
        id=new_id(),
        encounter_id=encounter.id,
        position=position,
        service_date=spec.service_date or claim_day,
        procedure_code=spec.code,
        modifier1=modifiers[0],
        modifier2=modifiers[1],
        modifier3=modifiers[2],
        modifier4=modifiers[3],
        units=1,
        unit_fee=spec.charge,
        charge_amount=spec.charge,
        pointer1=1,
        ndc_code=spec.ndc,
    )


def _claim_line(claim: Claim, charge_line: ChargeLine, control_number: str) -> ClaimLine:
    return ClaimLine(
        claim_id=claim.id,
        charge_line_id=charge_line.id,
        line_number=charge_line.position,
        line_control_number=control_number,
        service_date=charge_line.service_date,
        procedure_code=charge_line.procedure_code,
        modifier1=charge_line.modifier1,
        modifier2=charge_line.modifier2,
        modifier3=charge_line.modifier3,
        modifier4=charge_line.modifier4,
        units=1,
        charge_amount=charge_line.charge_amount,
        pointer1=1,
        place_of_service="11",
        ndc_code=charge_line.ndc_code,
        status="accepted",
    )


def _free_control_numbers(session: Session, wanted: list[str | None]) -> list[str]:
    """Return the wanted line control numbers, with a new one for each that is taken.

    Masked sample files repeat REF*6R values, but line control numbers are unique.
    """
    given = [value.strip() for value in wanted if value and value.strip()]
    taken = set(
        session.scalars(
            select(ClaimLine.line_control_number).where(ClaimLine.line_control_number.in_(given))
        )
    )
    numbers = []
    for value in wanted:
        number = (value or "").strip()
        if not number or number in taken:
            number = f"L{new_id().hex[:20].upper()}"
        taken.add(number)
        numbers.append(number)
    return numbers


def _free_claim_number(session: Session, wanted: str | None) -> str:
    base = (wanted or "").strip() or f"ERA{next(_numbers):07d}"
    number, suffix = base, 1
    while session.scalars(select(Claim.id).where(Claim.claim_number == number)).first():
        suffix += 1
        number = f"{base}-{suffix}"
    return number


def _post_charges(
    session: Session,
    practice: EraPractice,
    encounter: Encounter,
    lines: list[ChargeLine],
    payer_id: uuid.UUID,
) -> None:
    entries = [
        NewEntry(
            entry_type="charge",
            amount=line.charge_amount,
            patient_id=encounter.patient_id,
            responsible_party="primary",
            payer_id=payer_id,
            service_date=line.service_date,
            source_type=CHARGE_LINE_SOURCE,
            source_id=line.id,
            memo=f"Encounter {encounter.encounter_number} line {line.position}",
            charge_line_id=line.id,
        )
        for line in lines
    ]
    post_entries(session, practice.biller, entries, detail=f"test charges {encounter.id}")


def written_claim(
    claim: BuiltClaim,
    *,
    paid: Sequence[str],
    adjustments: Sequence[Sequence[WrittenCas]] = (),
    status_code: str = "1",
    patient_control_number: str | None = None,
    payer_claim_number: str = "",
    control_numbers: bool = True,
    crossover_payer: str | None = None,
    interest: Decimal | None = None,
) -> WrittenClaim:
    """Write a claim payment of a built claim: `paid` and `adjustments` per line, in order.

    Without `control_numbers` the service lines carry no REF*6R, so the import matches
    them by code, date and charge. `interest` is written as AMT*I and added to CLP04.
    """
    services = []
    for index, (spec, control) in enumerate(zip(claim.lines, claim.control_numbers, strict=True)):
        line_adjustments = list(adjustments[index]) if index < len(adjustments) else []
        assert spec.service_date is not None
        services.append(
            WrittenService(
                procedure_code=spec.code,
                modifiers=spec.modifiers,
                charge=spec.charge,
                paid=Decimal(paid[index]),
                units=1,
                service_date=spec.service_date,
                line_control_number=control if control_numbers else None,
                adjustments=line_adjustments,
            )
        )
    patient_share = sum(
        (
            cas.amount
            for service in services
            for cas in service.adjustments
            if cas.group_code == "PR"
        ),
        ZERO,
    )
    last, first, member_id = claim.patient
    return WrittenClaim(
        patient_control_number=patient_control_number or claim.claim_number,
        status_code=status_code,
        charge=claim.total_charge,
        paid=sum((service.paid for service in services), interest or ZERO),
        patient_responsibility=patient_share,
        payer_claim_number=payer_claim_number or f"PCN{claim.claim_number}",
        patient_last=last,
        patient_first=first,
        member_id=member_id,
        services=services,
        crossover_payer=crossover_payer,
        interest=interest,
    )


def write_remittance(
    claims: Sequence[WrittenClaim],
    *,
    payer: tuple[str, str],
    trace_number: str,
    paid_on: date = DEFAULT_SERVICE_DAY,
    control_number: int = 1,
    provider_adjustments: Sequence[WrittenPlb] = (),
    payment_amount: Decimal | None = None,
) -> str:
    """Write one remittance from `payer` (name, payer id) as an 835 file's text."""
    remittance = WrittenRemittance(
        payer_name=payer[0],
        payer_identifier=payer[1],
        payee_name="LAKESIDE FAMILY MEDICINE",
        payee_npi="1234567893",
        trace_number=trace_number,
        payment_date=paid_on,
        claims=list(claims),
        provider_adjustments=list(provider_adjustments),
        payment_method="CHK",
        payment_amount=payment_amount,
    )
    return write_835(
        [remittance], control_number=control_number, sender_id="PAYERSIM", receiver_id="LAKESIDE"
    )


def reversal_of(claim: WrittenClaim) -> WrittenClaim:
    """Return the payer's reversal of a claim payment: CLP02 22 with every amount negated."""
    services = [
        replace(
            service,
            charge=-service.charge,
            paid=-service.paid,
            adjustments=[replace(item, amount=-item.amount) for item in service.adjustments],
        )
        for service in claim.services
    ]
    return replace(
        claim,
        status_code="22",
        charge=-claim.charge,
        paid=-claim.paid,
        patient_responsibility=-claim.patient_responsibility,
        interest=-claim.interest if claim.interest is not None else None,
        services=services,
        adjustments=[replace(item, amount=-item.amount) for item in claim.adjustments],
    )
