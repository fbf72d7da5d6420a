"""Claims with recorded adjudications, ready for payment posting, in one shared practice.

Building the claim practice takes seconds, so a test module builds it once
(`module_claim_practice`) and each test makes its own patient, coverages and claim.
"""

import itertools
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import keyring
import pytest
from sqlalchemy import select

from app.db.database import Database
from app.models.claims import ClaimLine
from app.models.payments import Remittance, RemittanceClaim
from app.money import ZERO
from app.security import keys
from app.services import eob_entry
from app.services.claim_build import build_claims
from app.services.claim_cob import AdjudicationForm, AdjustmentForm, record_adjudication
from app.services.encounters import LineForm
from app.services.era_posting import PostingResult, post_adjudication
from app.services.ledger_verify import ledger_check
from app.services.line_balances import Bucket, line_buckets
from tests.conftest import FAST_KDF, PASSPHRASE
from tests.helpers.claim_data import ClaimPractice, build_claim_practice
from tests.helpers.memory_keyring import MemoryKeyring
from tests.helpers.referral_data import add_patient

PAID_ON = date(2026, 3, 2)
_charts = itertools.count(1)
_forwarded_checks = itertools.count(1)


@contextmanager
def module_claim_practice(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ClaimPractice]:
    """Build the claim practice in a database of its own, for a module-scoped fixture.

    The per-test fixtures that isolate the keyring and the environment have not run yet
    at module scope, so this sets up the same isolation while it builds.
    """
    folder = tmp_path_factory.mktemp("posting")
    previous = keyring.get_keyring()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_DATA_HOME", str(folder / "data"))
        patch.setenv("XDG_STATE_HOME", str(folder / "state"))
        for variable in ("CLINICDESK_DB", "CLINICDESK_PASSWORD", "CLINICDESK_PASSPHRASE"):
            patch.delenv(variable, raising=False)
        keys.set_default_kdf(FAST_KDF)
        keyring.set_keyring(MemoryKeyring())
        database = Database.create(Path(folder) / "practice" / "clinicdesk.db", PASSPHRASE)
        try:
            yield build_claim_practice(database)
        finally:
            database.close()
            keyring.set_keyring(previous)
            keys.set_default_kdf(keys.KdfParameters())


def new_patient(practice: ClaimPractice, *payer_ids: uuid.UUID) -> uuid.UUID:
    """Add a patient with one coverage per payer, in the order given (primary first)."""
    with practice.database.transaction() as session:
        patient_id = add_patient(session, f"PST-{next(_charts):05d}", "Posting")
    for priority, payer_id in enumerate(payer_ids, start=1):
        practice.add_coverage(payer_id, priority, patient_id=patient_id)
    return patient_id


def new_claim(
    practice: ClaimPractice, patient_id: uuid.UUID, codes: tuple[str, ...] = ("99213",)
) -> uuid.UUID:
    """Post a visit with one line per procedure code and build its one claim."""
    lines = [LineForm(procedure_code=code) for code in codes]
    encounter_id = practice.post(practice.form(lines, patient_id=patient_id))
    with practice.database.transaction() as session:
        result = build_claims(session, practice.biller, encounter_ids=[encounter_id])
    (claim_id,) = result.claim_ids
    return claim_id


def forwarded_claim(practice: ClaimPractice, *next_payer_ids: uuid.UUID) -> uuid.UUID:
    """Post Aetna's paper EOB that forwards a new $120 visit to the next payer (CLP02 19).

    The patient has Aetna, then `next_payer_ids` in order. Aetna pays 85.00, writes off
    15.00 and moves the 20.00 coinsurance to the next payer's bucket. Returns the claim.
    """
    claim_id = new_claim(practice, new_patient(practice, practice.aetna_id, *next_payer_ids))
    form = paid_template(practice, claim_id, "85.00", ("CO", "45", "15.00"), ("PR", "2", "20.00"))
    form.claim_status_code = "19"
    check = eob_entry.EobForm(
        payer_id=practice.aetna_id,
        check_number=f"FWD{next(_forwarded_checks)}",
        check_date=PAID_ON,
        amount=Decimal("85.00"),
        claims=[form],
    )
    with practice.database.transaction() as session:
        outcome = eob_entry.post_paper_eob(session, practice.biller, check)
    assert outcome.saved, outcome.problems
    return claim_id


def paid_template(
    practice: ClaimPractice, claim_id: uuid.UUID, paid: str, *adjustments: tuple[str, str, str]
) -> AdjudicationForm:
    """Return the paper EOB template of a one-line claim, paid and adjusted as given.

    `adjustments` are (group, reason, amount) on the line. The form is dated PAID_ON.
    """
    with practice.database.transaction() as session:
        form = eob_entry.eob_template(session, practice.biller, claim_id)
    form.adjudicated_on = PAID_ON
    form.lines[0].paid_amount = Decimal(paid)
    form.lines[0].adjustments = [
        AdjustmentForm(group, reason, Decimal(amount)) for group, reason, amount in adjustments
    ]
    form.paid_amount = Decimal(paid)
    return form


def record(practice: ClaimPractice, form: AdjudicationForm) -> uuid.UUID:
    """Record the adjudication and return its id; fails the test when it does not balance."""
    with practice.database.transaction() as session:
        outcome = record_adjudication(session, practice.biller, form)
    assert outcome.record_id is not None, outcome.problems
    return outcome.record_id


def add_source(
    practice: ClaimPractice, claim_id: uuid.UUID, form: AdjudicationForm, segments: str = "{}"
) -> uuid.UUID:
    """Store a remittance with one claim payment for the claim; return the claim payment's id."""
    with practice.database.transaction() as session:
        remittance = Remittance(
            source="era",
            payer_name="Test payer",
            payer_identifier="TEST",
            trace_number=f"TRC{next(_charts)}",
            payment_method="ACH",
            payment_amount=form.paid_amount,
            payment_date=form.adjudicated_on,
            status="posted",
            received_at=datetime(2026, 3, 3, 15, 0, tzinfo=UTC),
        )
        session.add(remittance)
        session.flush()
        source = RemittanceClaim(
            remittance_id=remittance.id,
            position=1,
            claim_id=claim_id,
            patient_control_number="PCN",
            status_code=form.claim_status_code,
            charge_amount=ZERO,
            paid_amount=form.paid_amount,
            patient_responsibility=ZERO,
            state="review",
            segments=segments,
        )
        session.add(source)
        session.flush()
        return source.id


def record_and_post(
    practice: ClaimPractice, form: AdjudicationForm, segments: str = "{}"
) -> tuple[uuid.UUID, PostingResult]:
    """Record the adjudication, store its claim payment and post it; return both ids' result."""
    adjudication_id = record(practice, form)
    source_id = add_source(practice, form.claim_id, form, segments)
    with practice.database.transaction() as session:
        result = post_adjudication(session, practice.biller, adjudication_id, source_id=source_id)
    return adjudication_id, result


def claim_buckets(practice: ClaimPractice, claim_id: uuid.UUID) -> list[dict[Bucket, Decimal]]:
    """Return the balance per bucket of each of the claim's lines, in line order."""
    with practice.database.reading() as session:
        lines = list(
            session.scalars(
                select(ClaimLine)
                .where(ClaimLine.claim_id == claim_id)
                .order_by(ClaimLine.line_number)
            )
        )
        balances = line_buckets(session, [line.charge_line_id for line in lines])
    return [balances[line.charge_line_id] for line in lines]


def ledger_findings(practice: ClaimPractice) -> list[str]:
    """Return the messages of every ledger check finding (empty when the ledger is intact)."""
    with practice.database.transaction() as session:
        return [finding.message for finding in ledger_check(session, practice.charge.manager)]
