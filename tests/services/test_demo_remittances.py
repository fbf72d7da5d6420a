"""The demo practice's remittances: simulated 835 files imported and posted in each ERA mode.

One demo is built for the whole module, because building it takes tens of seconds. The
tests read the 835 files the payers wrote into the demo's inbox and compare each file's
amounts with what posting left in the ledger. The review-mode test approves claim payments,
so the tests after it see those postings too.
"""

import uuid
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import keyring
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.database import Database
from app.models.claims import Claim, ClaimBatchItem, ClaimFinding, ClaimLine, PayerAdjudication
from app.models.ledger import LedgerEntry
from app.models.payments import ProviderAdjustment, Remittance, RemittanceClaim
from app.models.practice import Payer
from app.security import keys
from app.security.permissions import Actor
from app.services import demo_remittances
from app.services.claim_status import ClaimStatus
from app.services.demo import create_demo_database
from app.services.demo_charges import biller_actor
from app.services.era_queue import post_reviewed
from app.services.ledger import RESPONSIBLE_PATIENT, REVERSAL
from app.services.ledger_verify import ledger_check
from app.services.line_balances import Bucket, line_buckets
from app.services.posting_rules import DENIAL, NEXT_PAYER, PATIENT, WRITE_OFF, default_action
from app.x12.reader_835 import ClaimPayment, Remittance835, balance_problems, read_835
from app.x12.validate import pyx12_errors
from tests.conftest import FAST_KDF, PASSPHRASE
from tests.helpers.memory_keyring import MemoryKeyring

PASSWORD = "Lakeside-clinic-2024!"
TODAY = date(2026, 3, 11)  # a Wednesday
# Enough patients that the sent claims include a second coverage, a crossover and a denial.
PATIENTS = 200
SEED = 11
ZERO = Decimal("0.00")
REMITTANCE_SOURCE = "remittance_claim"
BUCKET_PARTIES = {"P": "primary", "S": "secondary", "T": "tertiary"}


@dataclass(frozen=True)
class Demo:
    """The module's demo database, its administrator and the inbox the payers wrote to."""

    database: Database
    admin: Actor
    inbox: Path


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    # The module fixture runs before each test's own keyring and key-cost set-up, so it
    # isolates both itself while the database is created.
    folder = tmp_path_factory.mktemp("demo")
    previous = keyring.get_keyring()
    keyring.set_keyring(MemoryKeyring())
    keys.set_default_kdf(FAST_KDF)
    try:
        database, admin, _ = create_demo_database(
            folder / "demo.db", PASSPHRASE, "admin", PASSWORD, PATIENTS, SEED, TODAY
        )
    finally:
        keyring.set_keyring(previous)
        keys.set_default_kdf(keys.KdfParameters())
    yield Demo(database, admin, folder / demo_remittances.INBOX_FOLDER_NAME)
    database.close()


def _files(demo: Demo) -> list[Path]:
    return sorted(demo.inbox.glob("*.835"))


def _remittances(demo: Demo) -> list[Remittance835]:
    found = [remittance for path in _files(demo) for remittance in read_835(path.read_text())]
    return sorted(found, key=lambda remittance: remittance.payment_date or date.min)


def _final_payments(demo: Demo) -> dict[str, ClaimPayment]:
    """Return each claim number's last payment that is not a reversal, by payment date."""
    final: dict[str, ClaimPayment] = {}
    for remittance in _remittances(demo):
        for payment in remittance.claims:
            if payment.status_code != "22":
                final[payment.patient_control_number] = payment
    return final


def _rows_of_payer(session: Session, payer_code: str) -> list[RemittanceClaim]:
    payer = session.scalars(select(Payer).where(Payer.payer_code == payer_code)).one()
    query = (
        select(RemittanceClaim)
        .join(Remittance, Remittance.id == RemittanceClaim.remittance_id)
        .where(Remittance.payer_id == payer.id)
    )
    return list(session.scalars(query))


def _claim(session: Session, number: str) -> Claim:
    return session.scalars(select(Claim).where(Claim.claim_number == number)).one()


def _charge_line_ids(session: Session, claim: Claim) -> list[uuid.UUID]:
    return list(
        session.scalars(select(ClaimLine.charge_line_id).where(ClaimLine.claim_id == claim.id))
    )


def _bucket_total(session: Session, claim: Claim, bucket: Bucket) -> Decimal:
    balances = line_buckets(session, _charge_line_ids(session, claim))
    return sum((buckets.get(bucket, ZERO) for buckets in balances.values()), ZERO)


def _claim_bucket(claim: Claim) -> Bucket:
    return Bucket(BUCKET_PARTIES[claim.payer_sequence], claim.payer_id)


def _secondary_claims(session: Session) -> list[Claim]:
    return list(session.scalars(select(Claim).where(Claim.payer_sequence == "S")))


def _primary_of(session: Session, secondary: Claim) -> Claim:
    query = select(Claim).where(
        Claim.encounter_id == secondary.encounter_id, Claim.payer_sequence == "P"
    )
    return session.scalars(query).one()


def _adjustments(payment: ClaimPayment) -> list[tuple[str, str, Decimal]]:
    found = [(cas.group_code, cas.reason_code, cas.amount) for cas in payment.adjustments]
    for service in payment.services:
        found += [(cas.group_code, cas.reason_code, cas.amount) for cas in service.adjustments]
    return found


def test_inbox_files_valid(demo: Demo) -> None:
    files = _files(demo)
    remittances = _remittances(demo)

    assert len(files) >= 3
    for path in files:
        assert pyx12_errors(path.read_text()) == [], path.name
    for remittance in remittances:
        assert balance_problems(remittance) == [], remittance.trace_number


def test_every_sent_claim_remitted(demo: Demo) -> None:
    final = _final_payments(demo)
    with demo.database.session() as session:
        sent = set(
            session.scalars(
                select(Claim.claim_number)
                .join(ClaimBatchItem, ClaimBatchItem.claim_id == Claim.id)
                .where(Claim.status != ClaimStatus.REJECTED)
            )
        )

    assert sent
    assert sent == set(final)


def test_auto_mode_posts_everything(demo: Demo) -> None:
    with demo.database.session() as session:
        states = [row.state for row in _rows_of_payer(session, "00952")]

    assert states
    assert set(states) == {"posted", "reversed"}
    assert states.count("reversed") == 1


def test_matched_mode_reviews_denials(demo: Demo) -> None:
    final = _final_payments(demo)
    with demo.database.session() as session:
        rows = _rows_of_payer(session, "00621F")
    posted = [row for row in rows if row.state == "posted"]
    review = [row for row in rows if row.state == "review"]

    assert posted
    assert review
    assert len(posted) + len(review) == len(rows)
    for row in review:
        payment = final[row.patient_control_number]
        actions = {default_action(group, reason) for group, reason, _ in _adjustments(payment)}
        assert payment.status_code == "4" or DENIAL in actions
    for row in posted:
        payment = final[row.patient_control_number]
        actions = {default_action(group, reason) for group, reason, _ in _adjustments(payment)}
        assert payment.status_code == "1"
        assert DENIAL not in actions


def test_review_mode_posts_after_approval(demo: Demo) -> None:
    with demo.database.session() as session:
        rows = _rows_of_payer(session, "TREST")
        row_ids = [row.id for row in rows]
        states = {row.state for row in rows}
        posted_before = session.scalars(
            select(LedgerEntry.id).where(
                LedgerEntry.source_type == REMITTANCE_SOURCE, LedgerEntry.source_id.in_(row_ids)
            )
        ).all()

    assert row_ids
    assert states == {"review"}
    assert posted_before == []

    with demo.database.transaction() as session:
        biller = biller_actor(session, demo.admin.workstation)
        for row_id in row_ids:
            post_reviewed(session, biller, row_id)
    with demo.database.session() as session:
        states_after = {row.state for row in _rows_of_payer(session, "TREST")}
        posted_after = session.scalars(
            select(LedgerEntry.id).where(
                LedgerEntry.source_type == REMITTANCE_SOURCE, LedgerEntry.source_id.in_(row_ids)
            )
        ).all()

    assert states_after == {"posted"}
    assert posted_after


def test_patient_share_in_patient_bucket(demo: Demo) -> None:
    final = _final_payments(demo)
    checked = 0
    with demo.database.session() as session:
        billed_again = {_primary_of(session, claim).id for claim in _secondary_claims(session)}
        for number, payment in sorted(final.items()):
            claim = _claim(session, number)
            if payment.status_code != "1" or payment.patient_responsibility == ZERO:
                continue
            if claim.id in billed_again:
                continue
            patient = _bucket_total(session, claim, Bucket(RESPONSIBLE_PATIENT, None))
            insurance = _bucket_total(session, claim, _claim_bucket(claim))
            assert patient == payment.patient_responsibility, number
            assert insurance == ZERO, number
            checked += 1

    assert checked > 0


def test_secondary_claim_holds_balance(demo: Demo) -> None:
    final = _final_payments(demo)
    with demo.database.session() as session:
        secondaries = _secondary_claims(session)
        assert secondaries
        for secondary in secondaries:
            primary = _primary_of(session, secondary)
            payment = final[primary.claim_number]
            bucket = Bucket("secondary", secondary.payer_id)

            assert secondary.payer_id != primary.payer_id
            assert secondary.total_charge == primary.total_charge
            assert payment.status_code == "1"
            assert _bucket_total(session, primary, bucket) == payment.patient_responsibility
            assert _bucket_total(session, primary, _claim_bucket(primary)) == ZERO


def test_crossover_builds_no_claim(demo: Demo) -> None:
    final = _final_payments(demo)
    crossed = [number for number, payment in final.items() if payment.status_code == "19"]
    with demo.database.session() as session:
        billed_again = {_primary_of(session, claim).id for claim in _secondary_claims(session)}
        assert crossed
        for number in crossed:
            claim = _claim(session, number)
            moved = sum(
                (
                    total
                    for buckets in line_buckets(session, _charge_line_ids(session, claim)).values()
                    for bucket, total in buckets.items()
                    if bucket.responsible_party == "secondary"
                ),
                ZERO,
            )

            assert claim.id not in billed_again
            assert claim.status == ClaimStatus.FORWARDED
            assert moved == final[number].patient_responsibility


def test_denial_becomes_work_item(demo: Demo) -> None:
    final = _final_payments(demo)
    denied = [
        number
        for number, payment in final.items()
        if any(reason == "197" for _, reason, _ in _adjustments(payment))
    ]
    with demo.database.session() as session:
        assert denied
        for number in denied:
            claim = _claim(session, number)
            findings = session.scalars(
                select(ClaimFinding.message).where(ClaimFinding.claim_id == claim.id)
            ).all()

            assert claim.status == ClaimStatus.DENIED
            assert claim.follow_up_on is not None
            assert any("197" in message for message in findings)
            assert _bucket_total(session, claim, _claim_bucket(claim)) == claim.total_charge


def test_reversal_replaces_payment(demo: Demo) -> None:
    reversed_numbers = [
        payment.patient_control_number
        for remittance in _remittances(demo)
        for payment in remittance.claims
        if payment.status_code == "22"
    ]
    final = _final_payments(demo)

    assert len(reversed_numbers) == 1
    with demo.database.session() as session:
        claim = _claim(session, reversed_numbers[0])
        adjudications = session.scalars(
            select(PayerAdjudication).where(PayerAdjudication.claim_id == claim.id)
        ).all()
    current = [adjudication for adjudication in adjudications if not adjudication.voided]

    assert len(adjudications) == 2
    assert len(current) == 1
    assert current[0].paid_amount == final[claim.claim_number].paid


def test_provider_adjustments_linked(demo: Demo) -> None:
    with demo.database.session() as session:
        rows = session.scalars(select(ProviderAdjustment)).all()
    by_code = {row.reason_code: row for row in rows}

    assert {"L6", "WO"} <= set(by_code) <= {"L6", "WO", "FB"}
    assert by_code["L6"].amount < ZERO
    assert by_code["WO"].amount > ZERO
    assert by_code["L6"].claim_id is not None
    assert by_code["WO"].claim_id is not None


def _ledger_by_kind(session: Session, claim: Claim) -> dict[str, Decimal]:
    """Sum the claim's rows in its payer's bucket by kind, each reversal under its target's kind."""
    bucket = _claim_bucket(claim)
    rows = session.scalars(
        select(LedgerEntry).where(
            LedgerEntry.charge_line_id.in_(_charge_line_ids(session, claim)),
            LedgerEntry.responsible_party == bucket.responsible_party,
            LedgerEntry.payer_id == bucket.payer_id,
        )
    ).all()
    by_id = {row.id: row for row in rows}
    sums: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for row in rows:
        target = row
        if row.entry_type == REVERSAL and row.reverses_id in by_id:
            target = by_id[row.reverses_id]
        kind = target.entry_type
        if kind == "transfer" and target.amount > ZERO:
            kind = "transfer in"
        sums[kind] += row.amount
    return sums


def _expected(payment: ClaimPayment) -> dict[str, Decimal]:
    """Return the amounts the 835 requires posting to pay, write off, move and leave open."""
    expected = {"paid": payment.paid, "written off": ZERO, "moved": ZERO, "open": ZERO}
    for group, reason, amount in _adjustments(payment):
        action = default_action(group, reason)
        if action == WRITE_OFF:
            expected["written off"] += amount
        elif action in (PATIENT, NEXT_PAYER):
            expected["moved"] += amount
        else:
            expected["open"] += amount
    return expected


def test_every_claim_balances_to_cent(demo: Demo) -> None:
    final = _final_payments(demo)
    checked = 0
    with demo.database.session() as session:
        posted = session.scalars(
            select(RemittanceClaim.patient_control_number).where(RemittanceClaim.state == "posted")
        ).all()
        for number in sorted(set(posted)):
            payment = final[number]
            if payment.status_code == "4" and payment.paid == ZERO:
                continue
            claim = _claim(session, number)
            ledger = _ledger_by_kind(session, claim)
            expected = _expected(payment)
            left_open = _bucket_total(session, claim, _claim_bucket(claim))

            assert -ledger["payment"] == expected["paid"], number
            assert -ledger["adjustment"] == expected["written off"], number
            assert -ledger["transfer"] == expected["moved"], number
            assert left_open == expected["open"], number
            assert ledger["charge"] == claim.total_charge, number
            assert claim.total_charge == (
                expected["paid"] + expected["written off"] + expected["moved"] + left_open
            ), number
            checked += 1

    assert checked > 10


def test_ledger_check_clean(demo: Demo) -> None:
    with demo.database.transaction() as session:
        findings = ledger_check(session, demo.admin)

    assert findings == []
