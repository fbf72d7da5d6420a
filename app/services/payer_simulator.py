"""A stand-in payer for the demo, the self-test and benchmarks: it adjudicates sent claims.

Given claims that were sent (status submitted or accepted), the simulator decides how
each payer settles each claim and returns one 835 remittance per payer, written with
`app.x12.writer_835`. Every choice comes from a seed, so the same claims and seed give
the same files. The mix covers what posting must handle:

- most claims paid, with a contractual CO-45 write-off (the allowed amount is 70 to 85
  percent of the charge) and a patient share as PR-1 deductible, PR-2 coinsurance or a
  claim-level PR-3 copay;
- some claims paid nothing because the whole allowed amount went to the deductible;
- a few denials: CO-197 (no authorization, RARC N54) on the lines, or the whole claim
  denied (CLP02 4) with CO-16 and RARC MA130;
- Medicare claims of patients whose supplement plan is in force are crossed over
  (CLP02 19, NM1*TT names the supplement), and other patients with a second coverage
  get the usual patient share, which posting moves to the next payer;
- claims named in `reprocess_claim_ids` come back as a reversal (CLP02 22) of the
  payer's earlier payment followed by a corrected payment;
- PLB: one interest payment (L6) on the first remittance, a recoupment (WO) of part
  of each claim named in `recoup_claim_ids`, and a forwarding balance (FB) when a
  reversal takes back more than the rest of the remittance pays.

The claim's own numbers are echoed: CLP01 is the claim number, REF*6R each line's
control number, and CLP07 the payer claim number from the 277CA or a made-up one.
"""

import logging
import random
import uuid
import zlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models.claims import (
    Claim,
    ClaimLine,
    PayerAdjudication,
    PayerAdjustment,
    PayerLineAdjudication,
)
from app.models.patients import Coverage, Patient
from app.models.practice import Payer, Practice
from app.money import to_money
from app.services.claim_build_rows import chunks, coverages_in_force
from app.services.claim_status import ClaimStatus
from app.x12.writer_835 import (
    WrittenCas,
    WrittenClaim,
    WrittenPlb,
    WrittenRemittance,
    WrittenService,
)

log = logging.getLogger(__name__)

SENT_STATUSES = (ClaimStatus.SUBMITTED.value, ClaimStatus.ACCEPTED.value)
ZERO = Decimal("0.00")
HUNDRED = Decimal(100)

# Claim filing indicators (SBR09) of payers that charge patients no deductible or coinsurance.
NO_PATIENT_SHARE_FILING = frozenset({"MC"})
MEDICARE_FILING = frozenset({"MA", "MB"})
# Payer ids of Medicare supplement plans that Medicare crosses claims over to.
SUPPLEMENT_PAYER_CODES = frozenset({"36273"})
# CLP06 codes of the 5010 835, and the one used for the 837 codes it lacks.
CLP06_CODES = frozenset(
    {"12", "13", "14", "15", "16", "17", "AM", "CH", "DS", "HM", "LM", "MA", "MB", "MC"}
    | {"OF", "TV", "VA", "WC", "ZZ"}
)
COMMERCIAL_FILING = "12"
COPAYS = (Decimal("20.00"), Decimal("25.00"), Decimal("30.00"), Decimal("40.00"))
COINSURANCE = Decimal("0.20")

# CLP02 codes the simulator sends.
PROCESSED_PRIMARY = "1"
DENIED = "4"
CROSSED_OVER_PRIMARY = "19"
REVERSAL = "22"
# RARCs sent in LQ*HE with the denials.
AUTHORIZATION_REMARK = "N54"
MISSING_INFORMATION_REMARK = "MA130"


class Outcome:
    """The kinds of adjudication the simulator chooses among."""

    PAID = "paid"
    DEDUCTIBLE = "deductible"
    COPAY = "copay"
    NO_AUTHORIZATION = "no_authorization"
    DENIED = "denied"


@dataclass(frozen=True, slots=True)
class SimulationPlan:
    """Settings of one payer run: its seed, payment date, and any reversals and recoupments."""

    seed: int
    payment_date: date
    reprocess_claim_ids: tuple[uuid.UUID, ...] = ()
    recoup_claim_ids: tuple[uuid.UUID, ...] = ()
    interest: bool = True


@dataclass(frozen=True, slots=True)
class SimulatedRemittance:
    """One payer's remittance of a run, ready for `write_835`."""

    payer_id: uuid.UUID
    remittance: WrittenRemittance
    outcomes: dict[str, str]  # claim number → Outcome value, or "reversal"/"crossover"


@dataclass(frozen=True, slots=True)
class _SentClaim:
    """A claim with what the payer needs to adjudicate it, loaded in bulk."""

    claim: Claim
    lines: list[ClaimLine]
    patient_last: str
    patient_first: str
    member_id: str
    payer: Payer
    next_payer: Payer | None


def simulate_remittances(
    session: Session, claim_ids: Sequence[uuid.UUID], plan: SimulationPlan
) -> list[SimulatedRemittance]:
    """Adjudicate the sent claims among `claim_ids` and return one remittance per payer.

    Claims in other statuses are skipped (they were never sent, or a payer already
    settled them), except those in `plan.reprocess_claim_ids`, which must have a
    current adjudication to reverse. A recoupment goes on its payer's remittance, so
    that payer needs a claim in the run. Payers come in name order and claims in claim
    number order, so the result depends only on the claims and the plan.
    """
    practice = session.scalars(select(Practice)).one()
    sent = _load_claims(session, claim_ids, only_sent=True)
    reprocessed = _load_claims(session, plan.reprocess_claim_ids, only_sent=False)
    by_payer: dict[uuid.UUID, list[WrittenClaim]] = defaultdict(list)
    outcomes: dict[uuid.UUID, dict[str, str]] = defaultdict(dict)
    payers: dict[uuid.UUID, Payer] = {}
    picks = _pick_outcomes(sent, plan.seed)

    for item in sent:
        payers[item.payer.id] = item.payer
        outcome = picks[item.claim.id]
        written, label = _adjudicate(item, outcome, plan.seed, correction=False)
        by_payer[item.payer.id].append(written)
        outcomes[item.payer.id][item.claim.claim_number] = label

    for item in reprocessed:
        reversal = _reversal(session, item)
        if reversal is None:
            log.warning("claim %s has no adjudication to reverse; left out", item.claim.id)
            continue
        payers[item.payer.id] = item.payer
        correction, _ = _adjudicate(item, Outcome.PAID, plan.seed, correction=True)
        by_payer[item.payer.id] += [reversal, correction]
        outcomes[item.payer.id][item.claim.claim_number] = "reversal"

    recoupments = _recoupments(session, plan.recoup_claim_ids)
    for payer_id in recoupments.keys() - payers.keys():
        log.warning("payer %s has no claim in this run, so its recoupment is left out", payer_id)
    results = []
    interest_due = plan.interest
    for payer in sorted(payers.values(), key=lambda payer: payer.name):
        claims = by_payer[payer.id]
        adjustments = list(recoupments.get(payer.id, []))
        interest = _interest(claims, plan.seed) if interest_due else []
        if interest:
            adjustments = [*interest, *adjustments]
            interest_due = False
        adjustments += _forward_balance(claims, adjustments)
        remittance = WrittenRemittance(
            payer_name=payer.name,
            payer_identifier=payer.payer_code,
            payee_name=practice.legal_name,
            payee_npi=practice.billing_npi,
            trace_number=_trace_number(plan, payer),
            payment_date=plan.payment_date,
            claims=claims,
            provider_adjustments=adjustments,
        )
        results.append(SimulatedRemittance(payer.id, remittance, outcomes[payer.id]))
    log.info(
        "simulated %d remittances for %d claims (%d reprocessed)",
        len(results),
        len(sent),
        len(reprocessed),
    )
    return results


def _load_claims(
    session: Session, claim_ids: Sequence[uuid.UUID], *, only_sent: bool
) -> list[_SentClaim]:
    """Load claims with their lines, patient, member id, payer and next payer, in bulk."""
    rows: list[tuple[Claim, Patient, Coverage]] = []
    for part in chunks(list(claim_ids)):
        query = (
            select(Claim, Patient, Coverage)
            .join(Patient, Patient.id == Claim.patient_id)
            .join(Coverage, Coverage.id == Claim.coverage_id)
            .where(Claim.id.in_(part), Claim.archived.is_(False))
        )
        if only_sent:
            query = query.where(Claim.status.in_(SENT_STATUSES))
        rows.extend(
            (claim, patient, coverage) for claim, patient, coverage in session.execute(query)
        )
    rows.sort(key=lambda row: row[0].claim_number)

    lines = _lines_by_claim(session, [claim.id for claim, _, _ in rows])
    coverages = _coverages_by_patient(session, {patient.id for _, patient, _ in rows})
    payers = {payer.id: payer for payer in session.scalars(select(Payer))}
    loaded = []
    for claim, patient, coverage in rows:
        loaded.append(
            _SentClaim(
                claim=claim,
                lines=lines.get(claim.id, []),
                patient_last=patient.last_name,
                patient_first=patient.first_name,
                member_id=coverage.member_id,
                payer=payers[claim.payer_id],
                next_payer=_next_payer(claim, coverages.get(patient.id, []), payers),
            )
        )
    return loaded


def _lines_by_claim(
    session: Session, claim_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[ClaimLine]]:
    found: dict[uuid.UUID, list[ClaimLine]] = defaultdict(list)
    for part in chunks(claim_ids):
        query = (
            select(ClaimLine)
            .where(ClaimLine.claim_id.in_(part), ClaimLine.archived.is_(False))
            .order_by(ClaimLine.claim_id, ClaimLine.line_number)
        )
        for line in session.scalars(query):
            found[line.claim_id].append(line)
    return found


def _coverages_by_patient(
    session: Session, patient_ids: set[uuid.UUID]
) -> dict[uuid.UUID, list[Coverage]]:
    found: dict[uuid.UUID, list[Coverage]] = defaultdict(list)
    for part in chunks(sorted(patient_ids)):
        query = select(Coverage).where(Coverage.patient_id.in_(part), Coverage.archived.is_(False))
        for coverage in session.scalars(query):
            found[coverage.patient_id].append(coverage)
    return found


def _next_payer(
    claim: Claim, coverages: list[Coverage], payers: dict[uuid.UUID, Payer]
) -> Payer | None:
    in_force = [coverage.id for coverage in coverages_in_force(coverages, claim.service_date_from)]
    if claim.coverage_id not in in_force:
        return None
    place = in_force.index(claim.coverage_id)
    if place + 1 >= len(in_force):
        return None
    following = next(item for item in coverages if item.id == in_force[place + 1])
    return payers[following.payer_id]


def _pick_outcomes(claims: Sequence[_SentClaim], seed: int) -> dict[uuid.UUID, str]:
    """Choose each claim's outcome: at least one of each denial and one all-deductible claim.

    The special outcomes go to claims chosen by the seed; Medicaid-like payers (no
    patient share) only get denials, and crossed-over claims are always paid.
    """
    rng = random.Random(f"outcomes:{seed}")  # noqa: S311 (reproducible, not secret)
    picks = {item.claim.id: Outcome.PAID for item in claims}
    open_claims = [item for item in claims if not _crosses_over(item)]
    rng.shuffle(open_claims)
    count = len(open_claims)
    denials = max(1, count // 30)
    for index, item in enumerate(open_claims[: 2 * denials]):
        picks[item.claim.id] = Outcome.NO_AUTHORIZATION if index % 2 == 0 else Outcome.DENIED
    shared = [
        item
        for item in open_claims[2 * denials :]
        if item.payer.claim_filing_indicator not in NO_PATIENT_SHARE_FILING
    ]
    deductibles = max(1, count // 12)
    copays = max(1, count // 10)
    for item in shared[:deductibles]:
        picks[item.claim.id] = Outcome.DEDUCTIBLE
    for item in shared[deductibles : deductibles + copays]:
        picks[item.claim.id] = Outcome.COPAY
    return picks


def _crosses_over(item: _SentClaim) -> bool:
    return (
        item.claim.payer_sequence == "P"
        and item.payer.claim_filing_indicator in MEDICARE_FILING
        and item.next_payer is not None
        and item.next_payer.payer_code in SUPPLEMENT_PAYER_CODES
    )


def _adjudicate(
    item: _SentClaim, outcome: str, seed: int, *, correction: bool
) -> tuple[WrittenClaim, str]:
    """Return the claim payment for `outcome` and the label the run reports for it."""
    claim = item.claim
    key = f"claim:{seed}:{claim.claim_number}:{correction}"
    rng = random.Random(key)  # noqa: S311 (reproducible, not secret)
    percent = Decimal(rng.randint(70, 85)) / HUNDRED
    if correction:
        # The corrected payment allows more than the first one, as a repriced claim does.
        percent = min(percent + Decimal("0.05"), Decimal("0.90"))
    patient_share = item.payer.claim_filing_indicator not in NO_PATIENT_SHARE_FILING
    deductible = _deductible(rng, outcome, patient_share)

    services = []
    for line in item.lines:
        allowed = to_money(line.charge_amount * percent)
        service, deductible = _service(line, allowed, outcome, deductible, patient_share)
        services.append(service)

    claim_adjustments: list[WrittenCas] = []
    lines_paid = sum((service.paid for service in services), ZERO)
    if outcome == Outcome.COPAY and lines_paid > ZERO:
        claim_adjustments.append(WrittenCas("PR", "3", min(rng.choice(COPAYS), lines_paid)))

    status = PROCESSED_PRIMARY
    label = outcome
    crossover = None
    if outcome == Outcome.DENIED:
        status = DENIED
    elif _crosses_over(item) and item.next_payer is not None:
        status = CROSSED_OVER_PRIMARY
        crossover = item.next_payer.name
        label = "crossover"

    patient_responsibility = sum(
        (
            adjustment.amount
            for adjustment in _all_adjustments(services, claim_adjustments)
            if adjustment.group_code == "PR"
        ),
        ZERO,
    )
    written = WrittenClaim(
        patient_control_number=claim.claim_number,
        status_code=status,
        charge=claim.total_charge,
        paid=lines_paid - sum((cas.amount for cas in claim_adjustments), ZERO),
        patient_responsibility=patient_responsibility,
        payer_claim_number=_payer_claim_number(claim, seed, correction=correction),
        patient_last=item.patient_last,
        patient_first=item.patient_first,
        member_id=item.member_id,
        services=services,
        adjustments=claim_adjustments,
        filing_indicator=_filing_indicator(item.payer),
        crossover_payer=crossover,
    )
    return written, label


def _deductible(rng: random.Random, outcome: str, patient_share: bool) -> Decimal:
    """Return how much of the claim's allowed amount the deductible takes, at most."""
    if outcome == Outcome.DEDUCTIBLE:
        # Larger than any claim, so every line's allowed amount goes to the deductible.
        return Decimal("1000000.00")
    if patient_share and rng.random() < 0.3:
        return Decimal(rng.randint(10, 60))
    return ZERO


def _service(
    line: ClaimLine, allowed: Decimal, outcome: str, deductible: Decimal, patient_share: bool
) -> tuple[WrittenService, Decimal]:
    """Return the line's payment and what is left of the deductible after it."""
    charge = line.charge_amount
    adjustments: list[WrittenCas] = []
    remarks: tuple[str, ...] = ()
    if outcome == Outcome.NO_AUTHORIZATION:
        adjustments.append(WrittenCas("CO", "197", charge))
        remarks = (AUTHORIZATION_REMARK,)
        allowed = ZERO
    elif outcome == Outcome.DENIED:
        adjustments.append(WrittenCas("CO", "16", charge))
        remarks = (MISSING_INFORMATION_REMARK,)
        allowed = ZERO
    else:
        if charge > allowed:
            adjustments.append(WrittenCas("CO", "45", charge - allowed))
        applied = min(deductible, allowed)
        deductible -= applied
        if applied > ZERO:
            adjustments.append(WrittenCas("PR", "1", applied))
        coinsurance = to_money((allowed - applied) * COINSURANCE) if patient_share else ZERO
        if coinsurance > ZERO:
            adjustments.append(WrittenCas("PR", "2", coinsurance))

    paid = charge - sum((cas.amount for cas in adjustments), ZERO)
    service = WrittenService(
        procedure_code=line.procedure_code,
        modifiers=_modifiers(line),
        charge=charge,
        paid=paid,
        units=line.units,
        service_date=line.service_date,
        line_control_number=line.line_control_number,
        adjustments=adjustments,
        allowed=allowed if allowed > ZERO else None,
        remarks=remarks,
    )
    return service, deductible


def _all_adjustments(
    services: Sequence[WrittenService], claim_adjustments: Sequence[WrittenCas]
) -> list[WrittenCas]:
    found = list(claim_adjustments)
    for service in services:
        found.extend(service.adjustments)
    return found


def _modifiers(line: ClaimLine) -> tuple[str, ...]:
    values = (line.modifier1, line.modifier2, line.modifier3, line.modifier4)
    return tuple(value for value in values if value)


def _filing_indicator(payer: Payer) -> str:
    """Return CLP06: the payer's SBR09 code where the 835 allows it, else 12 (PPO).

    The 835 list lacks the 837's BL, CI and FI, so those payers report a commercial plan type.
    """
    code = payer.claim_filing_indicator
    return code if code in CLP06_CODES else COMMERCIAL_FILING


def _payer_claim_number(claim: Claim, seed: int, *, correction: bool) -> str:
    """Return the payer's number for the claim: the 277CA's, else one made from the seed.

    A corrected payment gets a new number, as payers issue a new one for a reprocessed claim.
    """
    if claim.payer_claim_number and not correction:
        return claim.payer_claim_number
    digest = zlib.crc32(f"{seed}:{claim.claim_number}:{correction}".encode())
    return f"SIM{digest:010d}"


def _reversal(session: Session, item: _SentClaim) -> WrittenClaim | None:
    """Return a CLP02 22 payment that takes back the payer's current adjudication of a claim.

    Every amount is the negative of the original, with the original group and reason codes.
    """
    adjudication = session.scalars(
        select(PayerAdjudication)
        .where(
            PayerAdjudication.claim_id == item.claim.id,
            PayerAdjudication.payer_id == item.claim.payer_id,
            PayerAdjudication.voided.is_(False),
            PayerAdjudication.archived.is_(False),
        )
        .order_by(PayerAdjudication.created_at.desc())
    ).first()
    if adjudication is None:
        return None
    line_rows = session.execute(
        select(PayerLineAdjudication, ClaimLine)
        .join(ClaimLine, ClaimLine.id == PayerLineAdjudication.claim_line_id)
        .where(PayerLineAdjudication.adjudication_id == adjudication.id)
        .order_by(ClaimLine.line_number)
    ).all()
    adjustments = list(
        session.scalars(
            select(PayerAdjustment).where(PayerAdjustment.adjudication_id == adjudication.id)
        )
    )
    services = []
    for line_adjudication, line in line_rows:
        line_cas = [
            WrittenCas(row.group_code, row.reason_code, -row.amount)
            for row in adjustments
            if row.line_adjudication_id == line_adjudication.id
        ]
        services.append(
            WrittenService(
                procedure_code=line_adjudication.procedure_code,
                modifiers=tuple(line_adjudication.modifiers.split()),
                charge=-line_adjudication.charge_amount,
                paid=-line_adjudication.paid_amount,
                units=line_adjudication.units,
                service_date=line.service_date,
                line_control_number=line.line_control_number,
                adjustments=line_cas,
            )
        )
    claim_cas = [
        WrittenCas(row.group_code, row.reason_code, -row.amount)
        for row in adjustments
        if row.line_adjudication_id is None
    ]
    return WrittenClaim(
        patient_control_number=item.claim.claim_number,
        status_code=REVERSAL,
        charge=-adjudication.charge_amount,
        paid=-adjudication.paid_amount,
        patient_responsibility=-adjudication.patient_responsibility,
        payer_claim_number=adjudication.payer_claim_number or item.claim.claim_number,
        patient_last=item.patient_last,
        patient_first=item.patient_first,
        member_id=item.member_id,
        services=services,
        adjustments=claim_cas,
        filing_indicator=_filing_indicator(item.payer),
    )


def _recoupments(
    session: Session, claim_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[WrittenPlb]]:
    """Return PLB WO rows withholding a tenth of each named claim's paid amount, by payer."""
    found: dict[uuid.UUID, list[WrittenPlb]] = defaultdict(list)
    for claim_id in claim_ids:
        claim = session.get(Claim, claim_id)
        if claim is None:
            continue
        adjudication = session.scalars(
            select(PayerAdjudication)
            .where(
                PayerAdjudication.claim_id == claim.id,
                PayerAdjudication.voided.is_(False),
                PayerAdjudication.paid_amount > ZERO,
            )
            .order_by(PayerAdjudication.created_at.desc())
        ).first()
        if adjudication is None:
            log.warning("claim %s has no paid adjudication to recoup from; left out", claim_id)
            continue
        amount = max(to_money(adjudication.paid_amount / 10), Decimal("0.01"))
        reference = adjudication.payer_claim_number or claim.claim_number
        found[adjudication.payer_id].append(WrittenPlb("WO", reference, amount))
    return found


def _forward_balance(
    claims: Sequence[WrittenClaim], adjustments: Sequence[WrittenPlb]
) -> list[WrittenPlb]:
    """Return a PLB FB carrying a negative total forward, so BPR02 is zero and not negative.

    A reversal or a recoupment can take back more than the rest of the remittance pays.
    Payers then send a forwarding balance (negative, so it raises BPR02) and withhold it
    from a later payment.
    """
    total = sum((claim.paid for claim in claims), ZERO)
    total -= sum((adjustment.amount for adjustment in adjustments), ZERO)
    if total >= ZERO:
        return []
    reversals = [claim for claim in claims if claim.status_code == REVERSAL]
    reference = reversals[0].payer_claim_number if reversals else ""
    return [WrittenPlb("FB", reference, total)]


def _interest(claims: Sequence[WrittenClaim], seed: int) -> list[WrittenPlb]:
    """Return one PLB L6 interest payment on the first paid claim (negative adds money)."""
    paid = [claim for claim in claims if claim.paid > ZERO and claim.status_code != REVERSAL]
    if not paid:
        return []
    rng = random.Random(f"interest:{seed}")  # noqa: S311 (reproducible, not secret)
    amount = Decimal(rng.randint(100, 499)) / HUNDRED
    return [WrittenPlb("L6", paid[0].payer_claim_number, -amount)]


def _trace_number(plan: SimulationPlan, payer: Payer) -> str:
    # Stable for a payer, seed and date, so importing the same run twice is a duplicate.
    digest = zlib.crc32(f"{plan.seed}:{payer.payer_code}:{plan.payment_date}".encode())
    return f"{plan.payment_date:%y%m%d}{digest:010d}"
