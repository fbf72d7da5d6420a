"""The demo practice's statement runs, checked against the ledger after its remittances post.

One demo is built for the module, because building it takes tens of seconds. The tests
compare the preview and the runs with sums taken straight from the ledger rows, and read
the stored PDFs back. The last test makes three runs 30 days apart, moving the clock
forward, so an account that never pays reaches its 3rd notice.
"""

import io
import uuid
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import keyring
import pytest
from pypdf import PdfReader
from sqlalchemy import func, select
from sqlalchemy.orm import Session, undefer

from app.clock import utc_now
from app.db.database import Database
from app.models.ledger import LedgerEntry
from app.models.statements import BillingAccount, Statement, StatementRun
from app.security import keys
from app.security.permissions import Actor
from app.services.billing_accounts import account_patient_ids
from app.services.demo import create_demo_database
from app.services.demo_charges import biller_actor
from app.services.demo_statements import StatementCases
from app.services.ledger import RESPONSIBLE_PATIENT
from app.services.ledger_verify import ledger_check
from app.services.statement_runs import PreviewRow, preview_run, run_statements, statement_history
from app.services.today import practice_today
from tests.conftest import FAST_KDF, PASSPHRASE
from tests.helpers.memory_keyring import MemoryKeyring

PASSWORD = "Lakeside-clinic-2024!"
TODAY = date(2026, 3, 11)
PATIENTS = 200
SEED = 11
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Demo:
    """The module's demo database, its administrator and biller, and its statement cases."""

    database: Database
    admin: Actor
    biller: Actor
    cases: StatementCases


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
    with database.transaction() as session:
        biller = biller_actor(session, _workstation(session))
        cases = _cases(session)
    yield Demo(database, admin, biller, cases)
    database.close()


def _workstation(session: Session) -> str:
    from app.services.numbering import local_workstation

    return local_workstation(session).code


def _cases(session: Session) -> StatementCases:
    """Find the accounts the demo set up, from what it stored."""
    from app.models.payments import Payment
    from app.models.statements import PaymentPlan

    plan = session.scalar(select(PaymentPlan.account_id))
    email = session.scalar(
        select(BillingAccount.id).where(BillingAccount.email_statements.is_(True))
    )
    prepaid = session.scalar(select(Payment.patient_id).where(Payment.kind == "prepayment"))
    credit = session.scalar(
        select(BillingAccount.id).where(BillingAccount.guarantor_patient_id == prepaid)
    )
    return StatementCases(plan, credit, email)


def _ledger_figures(session: Session, account_id: uuid.UUID) -> tuple[Decimal, Decimal]:
    """Return the account's patient share and insurance pending, summed from ledger rows."""
    patient_ids = account_patient_ids(session, account_id)
    rows = session.execute(
        select(
            LedgerEntry.patient_id,
            LedgerEntry.responsible_party,
            LedgerEntry.payer_id,
            func.sum(LedgerEntry.amount),
        )
        .where(LedgerEntry.patient_id.in_(patient_ids))
        .group_by(LedgerEntry.patient_id, LedgerEntry.responsible_party, LedgerEntry.payer_id)
    )
    share = ZERO
    pending: dict[tuple[object, ...], Decimal] = defaultdict(lambda: ZERO)
    for patient_id, party, payer_id, total in rows:
        amount = Decimal(str(total)).quantize(Decimal("0.01"))
        if party == RESPONSIBLE_PATIENT:
            share += amount
        else:
            pending[(patient_id, party, payer_id)] += amount
    return share, sum((amount for amount in pending.values() if amount > 0), ZERO)


def _preview(demo: Demo) -> dict[uuid.UUID, PreviewRow]:
    with demo.database.transaction() as session:
        rows = preview_run(session, demo.biller, practice_today(session))
    return {row.account_id: row for row in rows}


def test_demo_sets_up_each_case(demo: Demo) -> None:
    assert demo.cases.payment_plan is not None
    assert demo.cases.email is not None
    assert demo.cases.credit is not None
    assert len({demo.cases.credit, demo.cases.payment_plan, demo.cases.email}) == 3


def test_preview_levels_and_reasons(demo: Demo) -> None:
    preview = _preview(demo)

    plan = preview[demo.cases.payment_plan]
    email = preview[demo.cases.email]
    assert plan.level is None
    assert "payment plan" in plan.reason.lower()
    assert email.channel == "email"
    assert email.level == "statement"


def test_preview_credit_and_pending(demo: Demo) -> None:
    preview = _preview(demo)

    in_credit = [row for row in preview.values() if row.balance < 0]
    pending = [row for row in preview.values() if row.level and row.insurance_pending > 0]
    assert preview[demo.cases.credit] in in_credit
    assert all(row.level is None for row in in_credit)
    assert all("credit" in row.reason.lower() for row in in_credit)
    assert pending


def test_preview_amounts_match_ledger(demo: Demo) -> None:
    preview = _preview(demo)

    with demo.database.transaction() as session:
        for account_id, row in preview.items():
            share, pending = _ledger_figures(session, account_id)
            assert row.balance == share, row.account_number
            assert row.amount_due == max(share, ZERO), row.account_number
            assert row.insurance_pending == pending, row.account_number


def _run(demo: Demo, run_on: date) -> list[tuple[Statement, Decimal, Decimal]]:
    """Run statements dated `run_on`; return each statement with the ledger's figures."""
    with demo.database.transaction() as session:
        outcome = run_statements(session, demo.biller, run_on)
        statements = session.scalars(
            select(Statement).where(Statement.run_id == outcome.run_id).options(undefer("*"))
        ).all()
        batch = session.scalar(
            select(StatementRun.batch_pdf).where(StatementRun.id == outcome.run_id)
        )
        checks = [(row, *_ledger_figures(session, row.account_id)) for row in statements]

    assert outcome.printed + outcome.queued == len(statements)
    assert batch is not None
    assert len(PdfReader(io.BytesIO(batch)).pages) >= outcome.printed
    return checks


def _check_against_ledger(checks: list[tuple[Statement, Decimal, Decimal]]) -> None:
    for statement, share, pending in checks:
        text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(statement.pdf)).pages)
        assert statement.amount_due == max(share, ZERO), statement.statement_number
        assert statement.insurance_pending == pending, statement.statement_number
        assert f"${statement.amount_due:,.2f}" in text
        assert statement.statement_number in text


def test_three_runs_reach_third_notice(demo: Demo, monkeypatch: pytest.MonkeyPatch) -> None:
    with demo.database.reading() as session:
        today = practice_today(session)

    first = _run(demo, today)
    _check_against_ledger(first)
    assert any(statement.channel == "email" for statement, _, _ in first)
    # An emailed statement that is never sent stops its account's ladder, so follow a printed one.
    never_pays = next(
        statement.account_id for statement, _, _ in first if statement.channel == "print"
    )

    # The clock moves 30 and then 60 days on; nobody pays in between.
    now = utc_now()
    for days, level in ((30, "second"), (60, "third")):
        later = now + timedelta(days=days)
        monkeypatch.setattr("app.services.today.utc_now", lambda later=later: later)
        checks = _run(demo, today + timedelta(days=days))
        _check_against_ledger(checks)
        levels = {statement.account_id: statement.level for statement, _, _ in checks}
        assert levels[never_pays] == level

    with demo.database.transaction() as session:
        history = statement_history(session, demo.biller, never_pays)
        findings = ledger_check(session, demo.admin)
    assert [row.level for row in history] == ["third", "second", "statement"]
    assert findings == []
