"""Steps the remittance tests share: payers, claims, importing a file and reading results."""

import itertools
import uuid
from collections.abc import Sequence
from dataclasses import replace
from decimal import Decimal

from sqlalchemy import func, select

from app.models.claims import Claim, ClaimEvent, ClaimLine, PayerAdjudication
from app.models.ledger import LedgerEntry
from app.models.patients import Coverage
from app.models.payments import Remittance, RemittanceClaim
from app.money import ZERO
from app.security.permissions import Actor
from app.services.era_import import RemittanceImport, import_835
from app.services.ledger_verify import ledger_check
from app.services.line_balances import line_balances
from app.x12.writer_835 import WrittenCas, WrittenClaim, WrittenPlb
from tests.helpers.era_data import (
    DEFAULT_SERVICE_DAY,
    BuiltClaim,
    EraPractice,
    LineSpec,
    add_claim,
    add_payer,
    reversal_of,
    write_remittance,
    written_claim,
)

_numbers = itertools.count(1)


def cas(group_code: str, reason_code: str, amount: str) -> WrittenCas:
    """Return one adjustment to write."""
    return WrittenCas(group_code, reason_code, Decimal(amount))


# The usual payment of a `new_claim` with its default lines. 99213 at 120.00: paid 70,
# 40 written off, 10 deductible. 97110 at 40.00: paid 30, 10 off.
PAID = ["70.00", "30.00"]
ADJUSTED = [[cas("CO", "45", "40.00"), cas("PR", "1", "10.00")], [cas("CO", "45", "10.00")]]
# The secondary's payment after `PAID`: 8.00 of the 10.00 deductible, 2.00 coinsurance
# left to the patient, and OA 23 repeating what the primary paid and wrote off.
SECONDARY_PAID = ["8.00", "0.00"]
SECONDARY_ADJUSTED = [
    [cas("OA", "23", "110.00"), cas("PR", "2", "2.00")],
    [cas("OA", "23", "40.00")],
]


def new_payer(practice: EraPractice, mode: str = "auto") -> tuple[uuid.UUID, tuple[str, str]]:
    """Add a payer of its own for one test; return its id and (name, payer id)."""
    number = next(_numbers)
    name, code = f"TEST PAYER {number}", f"TP{number:05d}"
    with practice.database.transaction() as session:
        payer_id = add_payer(session, name, code, mode)
    return payer_id, (name, code)


def new_claim(
    practice: EraPractice,
    payer_id: uuid.UUID,
    lines: Sequence[tuple[str, str]] = (("99213", "120.00"), ("97110", "40.00")),
    *,
    patient: tuple[str, str, str] | None = None,
    claim_number: str | None = None,
    modifiers: Sequence[tuple[str, ...]] = (),
) -> BuiltClaim:
    """Add a sent claim with one line per (code, charge) for a patient of its own."""
    number = next(_numbers)
    last, first, member_id = patient or (f"TESTER{number}", "ANA", f"M{number:07d}")
    specs = [
        LineSpec(code, Decimal(charge), modifiers[index] if index < len(modifiers) else ())
        for index, (code, charge) in enumerate(lines)
    ]
    with practice.database.transaction() as session:
        return add_claim(
            session,
            practice,
            payer_id,
            last=last,
            first=first,
            member_id=member_id,
            service_date=DEFAULT_SERVICE_DAY,
            lines=specs,
            claim_number=claim_number or f"TC{number:06d}",
        )


def trace() -> str:
    """Return a trace number no other test uses."""
    return f"CHK{next(_numbers):08d}"


def control() -> int:
    """Return an interchange control number no other test uses, so each file is new."""
    return 100 + next(_numbers)


def import_text(
    practice: EraPractice, text: str, name: str = "remit.835", actor: Actor | None = None
) -> RemittanceImport:
    """Import an 835's text as a biller (or `actor`) in a unit of work of its own."""
    with practice.database.transaction() as session:
        return import_835(session, actor or practice.biller, text, name)


def claim_payments(practice: EraPractice, response_id: uuid.UUID | None) -> list[RemittanceClaim]:
    """Return the file's claim payments in order (detached, for reading columns)."""
    with practice.database.reading() as session:
        query = (
            select(RemittanceClaim)
            .join(Remittance, Remittance.id == RemittanceClaim.remittance_id)
            .where(Remittance.response_id == response_id)
            .order_by(Remittance.created_at, RemittanceClaim.position)
        )
        return list(session.scalars(query))


def remittances(practice: EraPractice, response_id: uuid.UUID | None) -> list[Remittance]:
    """Return the file's remittances (detached)."""
    with practice.database.reading() as session:
        query = select(Remittance).where(Remittance.response_id == response_id)
        return list(session.scalars(query))


def balance(practice: EraPractice, claim: BuiltClaim) -> Decimal:
    """Return what the claim's lines still owe, every bucket together."""
    return sum(buckets(practice, claim).values(), ZERO)


def buckets(practice: EraPractice, claim: BuiltClaim) -> dict[str, Decimal]:
    """Return what the claim's lines owe per bucket ("patient" or the payer's name)."""
    with practice.database.reading() as session:
        by_line = line_balances(session, list(claim.charge_line_ids))
    total: dict[str, Decimal] = {}
    for line in by_line.values():
        for key, amount in line.items():
            total[key] = total.get(key, ZERO) + amount
    return {key: amount for key, amount in total.items() if amount != ZERO}


def ledger_rows(practice: EraPractice) -> int:
    """Return the number of ledger rows."""
    with practice.database.reading() as session:
        return session.scalar(select(func.count()).select_from(LedgerEntry)) or 0


def claim_status(practice: EraPractice, claim: BuiltClaim) -> str:
    """Return the claim's status now."""
    with practice.database.reading() as session:
        found = session.get(Claim, claim.claim_id)
        assert found is not None
        return found.status


def claim_notes(practice: EraPractice, claim: BuiltClaim) -> list[str]:
    """Return the details of the claim's events, oldest first."""
    with practice.database.reading() as session:
        query = (
            select(ClaimEvent.detail)
            .where(ClaimEvent.claim_id == claim.claim_id)
            .order_by(ClaimEvent.occurred_at)
        )
        return [detail or "" for detail in session.scalars(query)]


def adjudications(practice: EraPractice, claim: BuiltClaim) -> list[PayerAdjudication]:
    """Return the claim's adjudications, oldest first (detached)."""
    with practice.database.reading() as session:
        query = (
            select(PayerAdjudication)
            .where(PayerAdjudication.claim_id == claim.claim_id)
            .order_by(PayerAdjudication.created_at)
        )
        return list(session.scalars(query))


def ledger_findings(practice: EraPractice) -> list[str]:
    """Return the messages of what ledger verify finds (empty when the ledger is intact)."""
    with practice.database.transaction() as session:
        return [finding.message for finding in ledger_check(session, practice.manager)]


def add_secondary_coverage(practice: EraPractice, claim: BuiltClaim, payer_id: uuid.UUID) -> None:
    """Give the claim's patient a second coverage with `payer_id`, the crossover payer."""
    with practice.database.transaction() as session:
        session.add(
            Coverage(patient_id=claim.patient_id, payer_id=payer_id, priority=2, member_id="SEC1")
        )


def forwarded_claim(
    claim: BuiltClaim,
    crossover_payer: str,
    *,
    payer_claim_number: str = "PRI-ICN-1",
    interest: Decimal | None = None,
) -> WrittenClaim:
    """Return the primary payer's `PAID` payment that forwards the claim (CLP02 19)."""
    return written_claim(
        claim,
        paid=PAID,
        adjustments=ADJUSTED,
        status_code="19",
        payer_claim_number=payer_claim_number,
        crossover_payer=crossover_payer,
        interest=interest,
    )


def reversal_remittance(
    paid: WrittenClaim, payer: tuple[str, str], carried_forward: str, reference: str = ""
) -> str:
    """Return a new 835 from `payer` that reverses `paid`.

    The payer carries the negative total forward as a PLB FB of `carried_forward` with
    `reference`, so callers pass the reversal's total and the check pays zero.
    """
    return write_remittance(
        [reversal_of(paid)],
        payer=payer,
        trace_number=trace(),
        control_number=control(),
        provider_adjustments=[WrittenPlb("FB", reference, Decimal(carried_forward))],
    )


def claim_to(practice: EraPractice, primary: BuiltClaim, payer_id: uuid.UUID) -> BuiltClaim:
    """Return the claim built to `payer_id` for the primary claim's services."""
    with practice.database.reading() as session:
        built = session.scalars(select(Claim).where(Claim.payer_id == payer_id)).one()
        lines = list(
            session.scalars(
                select(ClaimLine)
                .where(ClaimLine.claim_id == built.id)
                .order_by(ClaimLine.line_number)
            )
        )
    return replace(
        primary,
        claim_id=built.id,
        claim_number=built.claim_number,
        payer_id=payer_id,
        line_ids=tuple(line.id for line in lines),
        control_numbers=tuple(line.line_control_number for line in lines),
    )
