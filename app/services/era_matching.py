"""Finding the claim and the claim lines an 835 claim payment settles.

A claim payment (CLP loop) is matched to a claim in this order: the patient control
number (CLP01, which ClinicDesk sends as the claim number in CLM01), the payer's claim
number (CLP07, stored from a 277CA or an earlier remittance), then the patient (NM1*QC
name or member id), date of service and charge. Each service payment (SVC) is matched
to a line of that claim by the line control number (REF*6R, an echo of the 837's
REF*6R), then by the procedure code as billed (SVC06 when the payer changed the code),
modifiers, date and charge, then by looser keys.

A remittance often pays several claims whose codes and amounts are the same, so a
`ClaimMatcher` remembers the claims it has handed out: no two claim payments of one
remittance settle the same claim, except a reversal (CLP02 22) and the correction that
follows it.
"""

import logging
import uuid
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import TypeVar

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from app.models.claims import Claim, ClaimLine, PayerAdjudication
from app.models.patients import Coverage, Patient
from app.money import ZERO, to_money
from app.services.claim_cob import (
    AdjudicationForm,
    AdjustmentForm,
    LineAdjudicationForm,
)
from app.x12.reader_835 import Cas, ClaimPayment, ServicePayment, interest_in_payment

log = logging.getLogger(__name__)

T = TypeVar("T")

# match_method values stored on RemittanceClaim.
BY_CONTROL_NUMBER = "control_number"
BY_PAYER_CLAIM_NUMBER = "payer_claim_number"
BY_PATIENT_SERVICE = "patient_service"
BY_HAND = "manual"
# Methods that name the claim itself; a patient, date and charge only point at it.
EXACT_METHODS = frozenset({BY_CONTROL_NUMBER, BY_PAYER_CLAIM_NUMBER, BY_HAND})

SOURCE_ERA = "era"
# SVC01-1 qualifier of a drug line identified by its NDC.
NDC_QUALIFIER = "N4"
# Values per IN (...) query, well under SQLite's limit on bound parameters.
IN_CHUNK = 500


@dataclass(frozen=True, slots=True)
class ClaimMatch:
    """The claim a claim payment settles, how it was found, and what a biller should know.

    `note` explains why no claim matched, or why the match needs a look; it is empty for a
    plain match.
    """

    claim: Claim | None
    method: str | None
    note: str = ""


@dataclass(frozen=True, slots=True)
class LineMatch:
    """The claim line each service payment settles, by index in `ClaimPayment.services`.

    `lines` is None when a service payment matched no line. `loose` lists the services
    matched by a key weaker than the line control number or the exact code, modifiers,
    date and charge, and `unmatched` those that matched nothing.
    """

    lines: dict[int, ClaimLine] | None
    loose: tuple[int, ...] = ()
    unmatched: tuple[int, ...] = ()

    @property
    def clean(self) -> bool:
        """True when every service matched by line control number or exact keys."""
        return self.lines is not None and not self.loose


@dataclass(slots=True)
class ClaimMatcher:
    """Matches the claim payments of one remittance, each to a claim of its own.

    `prefetch` loads the claims and lines that the payments' CLP01 and CLP07 name in a
    few queries, so a remittance of thousands of claims is not matched one query at a
    time. `payer_id` is the remittance's payer when it is recognized.
    """

    session: Session
    payer_id: uuid.UUID | None
    taken: set[uuid.UUID] = field(default_factory=set)
    _by_number: dict[str, Claim] = field(default_factory=dict)
    _by_payer_number: dict[str, list[Claim]] = field(default_factory=dict)
    _lines: dict[uuid.UUID, list[ClaimLine]] = field(default_factory=dict)

    def prefetch(self, payments: Sequence[ClaimPayment]) -> None:
        """Load the claims named by the payments' control numbers and payer claim numbers."""
        numbers = {
            variant
            for payment in payments
            for variant in _number_variants(payment.patient_control_number)
        }
        payer_numbers = {
            payment.payer_claim_number.strip()
            for payment in payments
            if payment.payer_claim_number and payment.payer_claim_number.strip()
        }
        for chunk in _chunks(sorted(numbers - {""})):
            query = select(Claim).where(Claim.claim_number.in_(chunk), Claim.archived.is_(False))
            for claim in self.session.scalars(query):
                self._by_number[claim.claim_number.upper()] = claim
        for chunk in _chunks(sorted(payer_numbers)):
            query = (
                select(Claim)
                .where(Claim.payer_claim_number.in_(chunk), Claim.archived.is_(False))
                .order_by(Claim.created_at.desc())
            )
            for claim in self.session.scalars(query):
                self._by_payer_number.setdefault(claim.payer_claim_number or "", []).append(claim)
        self._load_lines(
            {claim.id for claim in self._by_number.values()}
            | {claim.id for claims in self._by_payer_number.values() for claim in claims}
        )

    def loaded_claims(self) -> list[Claim]:
        """Return the claims loaded so far, each once."""
        found = {claim.id: claim for claim in self._by_number.values()}
        for claims in self._by_payer_number.values():
            found.update((claim.id, claim) for claim in claims)
        return list(found.values())

    def take(self, claim_id: uuid.UUID) -> None:
        """Mark a claim as settled by a claim payment of this remittance."""
        self.taken.add(claim_id)

    def match_claim(self, payment: ClaimPayment, *, reversal: bool = False) -> ClaimMatch:
        """Find the claim the payment settles, leaving out the claims already taken.

        A reversal (`reversal` True) may name a taken claim by its claim number, because
        it takes back a payment instead of settling the claim.
        """
        number = payment.patient_control_number.strip()
        # Payers echo CLP01 with their own case and padding; claim numbers differ in
        # more than case, so the match ignores both.
        claim = self._by_number.get(number.upper()) or self._claim_by_number(number)
        busy_note = ""
        if claim is not None:
            if reversal or claim.id not in self.taken:
                return ClaimMatch(claim, BY_CONTROL_NUMBER)
            # The remittance pays this claim number twice. Each claim payment settles one
            # claim, so the second one is matched by the payer's number or the patient.
            busy_note = (
                f"Claim {claim.claim_number} is already settled by an earlier claim payment "
                "of this remittance."
            )

        by_payer = self._claim_by_payer_number(payment.payer_claim_number)
        if by_payer is not None:
            return ClaimMatch(by_payer, BY_PAYER_CLAIM_NUMBER, busy_note)

        by_patient = self._claim_by_patient(payment, reversal=reversal)
        if by_patient is not None:
            return ClaimMatch(by_patient, BY_PATIENT_SERVICE, busy_note)
        note = busy_note or (
            f"No claim has the patient control number {number or '(blank)'}"
            + (
                f" or the payer claim number {payment.payer_claim_number}"
                if payment.payer_claim_number
                else ""
            )
            + ", and no claim of the patient has this date of service and charge."
        )
        return ClaimMatch(None, None, note)

    def lines_of(self, claim: Claim) -> list[ClaimLine]:
        """Return the claim's lines in line order (loaded once)."""
        if claim.id not in self._lines:
            self._load_lines({claim.id})
        return self._lines.get(claim.id, [])

    def match_lines(self, claim: Claim, payment: ClaimPayment) -> LineMatch:
        """Match each service payment to a line of `claim`."""
        return match_services(self.lines_of(claim), payment)

    # ---- claim look-ups ----------------------------------------------------------------

    def _claim_by_number(self, number: str) -> Claim | None:
        if not number:
            return None
        query = select(Claim).where(
            Claim.claim_number.in_(_number_variants(number)), Claim.archived.is_(False)
        )
        claim = self.session.scalars(query).first()
        if claim is not None:
            self._by_number[number.upper()] = claim
        return claim

    def _claim_by_payer_number(self, payer_number: str | None) -> Claim | None:
        key = (payer_number or "").strip()
        if not key:
            return None
        if key not in self._by_payer_number:
            query = (
                select(Claim)
                .where(Claim.payer_claim_number == key, Claim.archived.is_(False))
                .order_by(Claim.created_at.desc())
            )
            self._by_payer_number[key] = list(self.session.scalars(query))
        for claim in self._by_payer_number[key]:
            if claim.id in self.taken:
                continue
            if self.payer_id is not None and claim.payer_id != self.payer_id:
                continue
            return claim
        return None

    def _claim_by_patient(self, payment: ClaimPayment, *, reversal: bool) -> Claim | None:
        service_date = first_service_date(payment)
        if service_date is None:
            return None
        patients = _patients_named(self.session, payment, self.payer_id)
        if not patients:
            return None
        query = (
            select(Claim)
            .where(
                Claim.patient_id.in_(patients),
                Claim.service_date_from == service_date,
                # A reversal repeats the charge negated.
                Claim.total_charge == abs(payment.charge),
                Claim.archived.is_(False),
            )
            .order_by(Claim.claim_number)
        )
        if self.payer_id is not None:
            query = query.where(Claim.payer_id == self.payer_id)
        candidates = [claim for claim in self.session.scalars(query) if claim.id not in self.taken]
        if not candidates:
            return None
        # Of twin claims, a payment settles one the payer has not settled yet, and a
        # reversal takes back one it has. Then patients found by both name and member id
        # come first, and among equals the lowest claim number, so a repeated import
        # picks the same claim.
        settled = _settled_claims(self.session, candidates) if len(candidates) > 1 else set()
        candidates.sort(
            key=lambda claim: (
                (claim.id in settled) != reversal,
                -patients[claim.patient_id],
                claim.claim_number,
            )
        )
        return candidates[0]

    def _load_lines(self, claim_ids: Iterable[uuid.UUID]) -> None:
        wanted = [claim_id for claim_id in claim_ids if claim_id not in self._lines]
        for chunk in _chunks(wanted):
            for claim_id in chunk:
                self._lines[claim_id] = []
            query = (
                select(ClaimLine)
                .where(ClaimLine.claim_id.in_(chunk), ClaimLine.archived.is_(False))
                .order_by(ClaimLine.claim_id, ClaimLine.line_number)
            )
            for line in self.session.scalars(query):
                self._lines[line.claim_id].append(line)


def match_claim(
    session: Session,
    claim: ClaimPayment,
    payer_id: uuid.UUID | None,
    *,
    taken: Collection[uuid.UUID] = (),
) -> tuple[Claim | None, str | None]:
    """Return the claim a claim payment settles and the match method, or (None, None).

    `taken` contains the claims that other claim payments of the same remittance settle.
    """
    matcher = ClaimMatcher(session, payer_id, set(taken))
    found = matcher.match_claim(claim)
    return found.claim, found.method


def match_lines(
    session: Session, claim: Claim, payment: ClaimPayment
) -> dict[int, ClaimLine] | None:
    """Map each index of `payment.services` to the claim line it settles.

    Returns None when any service payment matches no line of the claim.
    """
    matcher = ClaimMatcher(session, claim.payer_id)
    return matcher.match_lines(claim, payment).lines


def match_services(lines: Sequence[ClaimLine], payment: ClaimPayment) -> LineMatch:
    """Match each service payment to one of `lines`, strictest key first.

    A line control number may name the same line twice, because a payer that splits
    one billed line into several service payments repeats its REF*6R. Every other key
    gives each line to one service payment only, in line order, so two identical lines
    are settled by two service payments. Last, the parts of a line split without REF*6R
    go to that line when their code and date match it and their charges add up to it.
    """
    services = payment.services
    found: dict[int, ClaimLine] = {}
    used: set[uuid.UUID] = set()
    by_control = {line.line_control_number.strip().upper(): line for line in lines}
    for index, service in enumerate(services):
        control = (service.line_control_number or "").strip().upper()
        line = by_control.get(control) if control else None
        if line is not None:
            found[index] = line
            used.add(line.id)

    claim_date = first_service_date(payment)
    passes = (_exact_keys, _code_date_charge, _code_date)
    loose: list[int] = []
    for level, test in enumerate(passes):
        for index, service in enumerate(services):
            if index in found:
                continue
            for line in lines:
                if line.id not in used and test(service, line, claim_date):
                    found[index] = line
                    used.add(line.id)
                    if level > 0:
                        loose.append(index)
                    break

    if len(found) < len(services):
        loose += _split_parts(services, lines, found, claim_date)
    unmatched = tuple(index for index in range(len(services)) if index not in found)
    if unmatched:
        return LineMatch(None, tuple(sorted(loose)), unmatched)
    return LineMatch(found, tuple(sorted(loose)))


def _split_parts(
    services: Sequence[ServicePayment],
    lines: Sequence[ClaimLine],
    found: dict[int, ClaimLine],
    claim_date: date | None,
) -> list[int]:
    """Give the parts of a line the payer split without REF*6R to that line; return them.

    Each part matches the line by code and date, and the parts' charges add up to the
    line's charge, so a part cannot belong to another line. `found` is updated.
    """
    added: list[int] = []
    for line in lines:
        parts = [
            index
            for index, service in enumerate(services)
            if (index not in found or found[index].id == line.id)
            and _code_date(service, line, claim_date)
        ]
        charges = sum((to_money(services[index].charge) for index in parts), ZERO)
        if len(parts) < 2 or charges != line.charge_amount:
            continue
        for index in parts:
            if index not in found:
                found[index] = line
                added.append(index)
    return added


def adjudication_form(
    claim: Claim,
    payment: ClaimPayment,
    lines: dict[int, ClaimLine],
    *,
    adjudicated_on: date,
    response_id: uuid.UUID | None = None,
) -> AdjudicationForm:
    """Convert a claim payment and its matched lines into the form `record_adjudication` checks.

    Service payments that settle the same line (a payer split one billed line) become
    one line settlement with their charges, payments and adjustments added up. A claim
    payment without service payments settles the claim as a whole, and posting spreads
    it over the lines. The claim interest that CLP04 includes (AMT*I) is left out of
    the paid amount, because it is provider income and not a payment of the lines.
    """
    form = AdjudicationForm(
        claim_id=claim.id,
        claim_status_code=payment.status_code,
        paid_amount=to_money(payment.paid) - interest_in_payment(payment),
        adjudicated_on=adjudicated_on,
        payer_claim_number=(payment.payer_claim_number or "").strip() or None,
        patient_responsibility=to_money(payment.patient_responsibility),
        adjustments=[_adjustment(cas) for cas in payment.adjustments],
        source=SOURCE_ERA,
        response_id=response_id,
    )
    if payment.services:
        form.lines = _line_forms(payment.services, lines)
    return form


def first_service_date(payment: ClaimPayment) -> date | None:
    """Return the claim payment's first date of service: DTM*232, else the earliest SVC date."""
    if payment.service_date_from is not None:
        return payment.service_date_from
    dates = [service.service_date for service in payment.services if service.service_date]
    return min(dates) if dates else None


def service_code(service: ServicePayment) -> tuple[str, tuple[str, ...]]:
    """Return the procedure code and modifiers as billed: SVC06 when present, else SVC01."""
    if service.submitted_code:
        return service.submitted_code.strip().upper(), _upper(service.submitted_modifiers)
    return service.procedure_code.strip().upper(), _upper(service.modifiers)


# ---- helpers ----------------------------------------------------------------------------


def _line_forms(
    services: Sequence[ServicePayment], lines: dict[int, ClaimLine]
) -> list[LineAdjudicationForm]:
    forms: dict[uuid.UUID, LineAdjudicationForm] = {}
    for index, service in enumerate(services):
        line = lines[index]
        existing = forms.get(line.id)
        adjustments = [_adjustment(cas) for cas in service.adjustments]
        if existing is None:
            forms[line.id] = LineAdjudicationForm(
                claim_line_id=line.id,
                paid_amount=to_money(service.paid),
                adjustments=adjustments,
                procedure_code=_adjudicated_code(service, line),
                modifiers=_upper(service.modifiers) if service.procedure_code.strip() else None,
                units=_whole_units(service.units_paid),
                charge_amount=to_money(service.charge),
            )
            continue
        existing.paid_amount += to_money(service.paid)
        existing.adjustments.extend(adjustments)
        existing.charge_amount = (existing.charge_amount or ZERO) + to_money(service.charge)
        # Parts of a split line keep the line's own code and units.
        existing.procedure_code = None
        existing.modifiers = None
        existing.units = None
    return list(forms.values())


def _adjudicated_code(service: ServicePayment, line: ClaimLine) -> str | None:
    code = service.procedure_code.strip().upper()
    if not code or service.qualifier == NDC_QUALIFIER or len(code) > 5:
        # The payer named no procedure, or a drug by NDC: the line keeps its own code.
        return None
    return code if code != line.procedure_code.upper() else None


def _whole_units(units: Decimal | None) -> int | None:
    if units is None:
        return None
    whole = int(units)
    # A fractional or negative count (reversals repeat units negated) is kept as billed.
    return whole if whole == units and whole >= 0 else None


def _adjustment(cas: Cas) -> AdjustmentForm:
    quantity = (
        int(cas.quantity)
        if cas.quantity is not None and cas.quantity == int(cas.quantity)
        else None
    )
    return AdjustmentForm(
        cas.group_code.strip(), cas.reason_code.strip(), to_money(cas.amount), quantity
    )


def _upper(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(value.strip().upper() for value in values if value.strip())


def _line_modifiers(line: ClaimLine) -> tuple[str, ...]:
    slots = (line.modifier1, line.modifier2, line.modifier3, line.modifier4)
    return tuple(modifier.strip().upper() for modifier in slots if modifier and modifier.strip())


def _exact_keys(service: ServicePayment, line: ClaimLine, claim_date: date | None) -> bool:
    return (
        _same_code(service, line, submitted=True)
        and _same_modifiers(service, line)
        and _same_date(service, line, claim_date)
        and service.charge == line.charge_amount
    )


def _code_date_charge(service: ServicePayment, line: ClaimLine, claim_date: date | None) -> bool:
    return (
        _same_code(service, line, submitted=False)
        and _same_date(service, line, claim_date)
        and service.charge == line.charge_amount
    )


def _code_date(service: ServicePayment, line: ClaimLine, claim_date: date | None) -> bool:
    return _same_code(service, line, submitted=False) and _same_date(service, line, claim_date)


def _same_code(service: ServicePayment, line: ClaimLine, *, submitted: bool) -> bool:
    if service.qualifier == NDC_QUALIFIER:
        ndc = service.procedure_code.strip()
        return bool(line.ndc_code) and line.ndc_code == ndc
    code, _ = service_code(service)
    line_code = line.procedure_code.strip().upper()
    if code == line_code:
        return True
    # Past the exact pass, the code the payer adjudicated may be the billed one too.
    return not submitted and service.procedure_code.strip().upper() == line_code


def _same_modifiers(service: ServicePayment, line: ClaimLine) -> bool:
    _, modifiers = service_code(service)
    return modifiers == _line_modifiers(line)


def _same_date(service: ServicePayment, line: ClaimLine, claim_date: date | None) -> bool:
    day = service.service_date or claim_date
    return day is None or day == line.service_date


def _patients_named(
    session: Session, payment: ClaimPayment, payer_id: uuid.UUID | None
) -> dict[uuid.UUID, int]:
    """Return the patients the payment names, each with 2 when name and member id agree, else 1."""
    scores: dict[uuid.UUID, int] = {}
    member_id = payment.member_id.strip()
    if member_id:
        query = select(Coverage.patient_id).where(
            func.upper(Coverage.member_id) == member_id.upper(), Coverage.archived.is_(False)
        )
        if payer_id is not None:
            query = query.where(Coverage.payer_id == payer_id)
        for patient_id in session.scalars(query):
            scores[patient_id] = 1
    last, first = payment.patient_last.strip().upper(), payment.patient_first.strip().upper()
    if last and first:
        query = select(Patient.id).where(
            func.upper(Patient.last_name) == last,
            or_(
                func.upper(Patient.first_name) == first, func.upper(Patient.preferred_name) == first
            ),
            Patient.archived.is_(False),
        )
        for patient_id in session.scalars(query):
            scores[patient_id] = scores.get(patient_id, 0) + 1
    return scores


def _settled_claims(session: Session, claims: Sequence[Claim]) -> set[uuid.UUID]:
    """Return the ids of the claims that have a current adjudication by their own payer."""
    payers = {claim.id: claim.payer_id for claim in claims}
    query = select(PayerAdjudication.claim_id, PayerAdjudication.payer_id).where(
        PayerAdjudication.claim_id.in_(list(payers)),
        PayerAdjudication.voided.is_(False),
        PayerAdjudication.archived.is_(False),
    )
    return {
        claim_id for claim_id, payer_id in session.execute(query) if payers[claim_id] == payer_id
    }


def _number_variants(value: str) -> set[str]:
    """Return a CLP01 as sent and in capitals, the form ClinicDesk gives claim numbers.

    Looking up both keeps the unique index on claim numbers in use, which a comparison
    of upper-cased columns would not.
    """
    number = value.strip()
    return {number, number.upper()} - {""}


def _chunks(values: Iterable[T]) -> Iterable[list[T]]:
    items = list(values)
    for start in range(0, len(items), IN_CHUNK):
        yield items[start : start + IN_CHUNK]
