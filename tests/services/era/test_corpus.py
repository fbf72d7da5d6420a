"""Import every 835 of the shared corpus, when it sits beside the repository.

A balanced remittance imports against claims built from its own content and leaves
each claim's ledger balance at what the remittance leaves open. An unbalanced one is
held and posts nothing. A file the reader rejects stores nothing, and its message names
the segment.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models.claims import X12Response
from app.models.ledger import LedgerEntry
from app.models.payments import Remittance, RemittanceClaim
from app.money import ZERO, to_money
from app.services.era_import import import_835
from app.services.era_posting_plan import SOURCE_TYPE
from app.services.ledger_verify import ledger_check
from app.services.line_balances import line_balances
from app.services.posting_rules import WRITE_OFF, default_action
from app.x12.reader_835 import Cas, ClaimPayment, Remittance835, balance_problems, read_835
from app.x12.segments import X12FormatError, read_x12_file
from tests.helpers.era_data import BuiltClaim, EraPractice, claims_for_remittance

CORPUS = Path(__file__).resolve().parents[3].parent / "shared" / "corpus" / "x12"

pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason="the X12 corpus is not present")

DENIED_CODE = "4"
REVERSAL_CODE = "22"
# How a rejected file's message starts: the segment number and id, or the ISA header.
NAMES_SEGMENT = re.compile(r"^(Segment \d+ \([A-Z0-9]{2,3}\)|ISA header)")


def _read(path: Path) -> list[Remittance835] | None:
    try:
        return read_835(read_x12_file(path))
    except X12FormatError:
        return None


def _corpus_835s() -> dict[str, list[Remittance835] | None]:
    if not CORPUS.is_dir():
        return {}
    paths = sorted((CORPUS / "835").iterdir()) + sorted((CORPUS / "malformed").glob("*.835"))
    return {f"{path.parent.name}/{path.name}": _read(path) for path in paths}


FILES = _corpus_835s()
BALANCED = [
    name
    for name, read in FILES.items()
    if read is not None and not any(balance_problems(remittance) for remittance in read)
]
UNBALANCED = [name for name, read in FILES.items() if read is not None and name not in BALANCED]
REJECTED = [name for name, read in FILES.items() if read is None]


@dataclass
class PracticePool:
    """Practices for the corpus files, each file in one whose claims it cannot mistake.

    Sample files reuse claim numbers such as PATIENT ACCOUNT NUMBER and member ids, which
    a practice never does, so a file goes to a practice where none of its claim numbers
    and member ids is taken yet.
    """

    make: Callable[[], EraPractice]
    practices: list[tuple[EraPractice, set[str]]] = field(default_factory=list)

    def practice_for(self, remittances: list[Remittance835]) -> EraPractice:
        keys = _keys(remittances)
        for practice, used in self.practices:
            if not used & keys:
                used.update(keys)
                return practice
        practice = self.make()
        self.practices.append((practice, keys))
        return practice


def _keys(remittances: list[Remittance835]) -> set[str]:
    keys = set()
    for remittance in remittances:
        keys.add(f"payment {remittance.payer_identifier} {remittance.trace_number}")
        for payment in remittance.claims:
            keys.add(f"claim {payment.patient_control_number}")
            keys.add(f"member {remittance.payer_identifier} {payment.member_id}")
    return keys


@pytest.fixture(scope="module")
def pool(new_practice: Callable[[], EraPractice]) -> PracticePool:
    return PracticePool(new_practice)


def _expected_open(claim: BuiltClaim) -> Decimal:
    """Return what the remittance leaves open on the claim: charge minus paid and write-offs.

    Patient responsibility moves to the patient and stays owed; a denial and an
    adjustment held for review stay with the payer. A reversal whose payment was never
    posted leaves the whole charge.
    """
    payment = claim.payment
    assert payment is not None
    if payment.status_code == REVERSAL_CODE:
        return claim.total_charge
    paid = to_money(payment.paid)
    if payment.status_code == DENIED_CODE:
        return claim.total_charge - paid
    written_off = sum(
        (
            to_money(cas.amount)
            for cas in _every_cas(payment)
            if _writes_off(cas.group_code, cas.reason_code)
        ),
        ZERO,
    )
    return claim.total_charge - paid - written_off


def _every_cas(payment: ClaimPayment) -> list[Cas]:
    return list(payment.adjustments) + [
        cas for service in payment.services for cas in service.adjustments
    ]


def _writes_off(group_code: str, reason_code: str) -> bool:
    return default_action(group_code, reason_code) == WRITE_OFF


def _claim_balance(practice: EraPractice, claim: BuiltClaim) -> Decimal:
    with practice.database.reading() as session:
        balances = line_balances(session, list(claim.charge_line_ids))
    return sum((amount for buckets in balances.values() for amount in buckets.values()), ZERO)


@pytest.mark.parametrize("name", BALANCED)
def test_balanced_file_posts(name: str, pool: PracticePool) -> None:
    remittances = FILES[name]
    assert remittances is not None
    practice = pool.practice_for(remittances)
    with practice.database.transaction() as session:
        built = [
            claim
            for remittance in remittances
            for claim in claims_for_remittance(session, practice, remittance)
        ]

    with practice.database.transaction() as session:
        result = import_835(session, practice.biller, read_x12_file(CORPUS / name), Path(name).name)

    assert result.remittances == len(remittances)
    assert result.held == 0
    assert result.duplicates == 0
    assert result.review == 0, result.messages
    assert result.unapplied == 0, result.messages
    for claim in built:
        assert _claim_balance(practice, claim) == _expected_open(claim), claim.claim_number
    with practice.database.transaction() as session:
        assert ledger_check(session, practice.manager) == []


@pytest.mark.parametrize("name", UNBALANCED)
def test_unbalanced_file_is_held(name: str, pool: PracticePool) -> None:
    remittances = FILES[name]
    assert remittances is not None
    practice = pool.practice_for(remittances)
    with practice.database.transaction() as session:
        for remittance in remittances:
            claims_for_remittance(session, practice, remittance)
    held_count = sum(1 for remittance in remittances if balance_problems(remittance))

    with practice.database.transaction() as session:
        result = import_835(session, practice.biller, read_x12_file(CORPUS / name), Path(name).name)

    assert result.held == held_count
    with practice.database.reading() as session:
        held = list(
            session.scalars(
                select(Remittance.id).where(
                    Remittance.response_id == result.response_id, Remittance.status == "held"
                )
            )
        )
        held_claims = list(
            session.scalars(select(RemittanceClaim).where(RemittanceClaim.remittance_id.in_(held)))
        )
        posted_rows = session.scalar(
            select(func.count())
            .select_from(LedgerEntry)
            .where(
                LedgerEntry.source_type == SOURCE_TYPE,
                LedgerEntry.source_id.in_([claim.id for claim in held_claims]),
            )
        )
    assert len(held) == held_count
    assert held_claims
    assert {claim.state for claim in held_claims} == {"review"}
    assert posted_rows == 0
    with practice.database.transaction() as session:
        assert ledger_check(session, practice.manager) == []


@pytest.mark.parametrize("name", REJECTED)
def test_rejected_file_stores_nothing(name: str, era_practice: EraPractice) -> None:
    text = read_x12_file(CORPUS / name)
    with era_practice.database.reading() as session:
        before = _stored_counts(session)

    with (
        pytest.raises(X12FormatError) as raised,
        era_practice.database.transaction() as session,
    ):
        import_835(session, era_practice.biller, text, Path(name).name)

    assert NAMES_SEGMENT.match(str(raised.value)), str(raised.value)
    with era_practice.database.reading() as session:
        assert _stored_counts(session) == before


def _stored_counts(session: Session) -> list[int | None]:
    return [
        session.scalar(select(func.count()).select_from(model))
        for model in (X12Response, Remittance, LedgerEntry)
    ]


def test_corpus_has_every_kind() -> None:
    assert BALANCED
    assert UNBALANCED
    assert REJECTED
