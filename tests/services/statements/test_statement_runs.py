"""Statement runs on the shared statement practice: preview, run, history and PDFs."""

import hashlib
import uuid
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from unittest.mock import patch

import pytest
from sqlalchemy import select

from app.db.database import Database
from app.errors import NotFoundError, PermissionDeniedError, UserError
from app.models.security import AuditEvent
from app.models.statements import BillingAccount, PaymentPlan, Statement, StatementRun
from app.progress import Progress
from app.services import payment_plans
from app.services.billing_accounts import ensure_accounts, set_email_consent
from app.services.notice_levels import PLAN_REMINDER, save_level
from app.services.payment_plans import PlanForm, create_plan
from app.services.statement_delivery import print_instead
from app.services.statement_figures import figures_for_accounts
from app.services.statement_ladder import (
    SKIP_BELOW_MINIMUM,
    SKIP_COLLECTIONS,
    SKIP_CREDIT,
    SKIP_PAYMENT_PLAN,
    SKIP_TOO_SOON,
    SKIP_UNDELIVERED,
)
from app.services.statement_runs import (
    PreviewRow,
    preview_run,
    run_batch_pdf,
    run_statements,
    statement_history,
    statement_pdf,
)
from app.services.today import practice_today
from tests.helpers.pdf_text import placed_text
from tests.helpers.statement_data import (
    FAMILY_BALANCE,
    INSURED_DUE,
    INSURED_PENDING,
    PERSON_DUE,
    STATEMENT_DATE,
    StatementPractice,
    build_statement_practice,
    noon_utc,
    pay,
)

SENT_TOTAL = FAMILY_BALANCE + INSURED_DUE + PERSON_DUE


@pytest.fixture
def practice(database: Database) -> StatementPractice:
    return build_statement_practice(database)


def account_ids(database: Database, practice: StatementPractice) -> dict[str, uuid.UUID]:
    """Return the account id of each account in the practice, by a short name."""
    patients = {
        "family": practice.parent,
        "insured": practice.insured,
        "credit": practice.credit,
        "person": practice.person_patient,
        "small": practice.small,
    }
    with database.transaction() as session:
        accounts = ensure_accounts(session, practice.biller, list(patients.values()))
    return {name: accounts[patient] for name, patient in patients.items()}


def preview_by_account(
    database: Database, practice: StatementPractice, on: date = STATEMENT_DATE
) -> dict[uuid.UUID, PreviewRow]:
    with database.transaction() as session:
        rows = preview_run(session, practice.biller, on)
    return {row.account_id: row for row in rows}


def email_the_person(database: Database, practice: StatementPractice, account: uuid.UUID) -> None:
    with database.transaction() as session:
        set_email_consent(session, practice.ledger.admin, account, True)


def statements_of(database: Database, account: uuid.UUID) -> list[Statement]:
    with database.transaction() as session:
        rows = session.scalars(
            select(Statement)
            .where(Statement.account_id == account)
            .order_by(Statement.statement_date)
        ).all()
        session.expunge_all()
    return list(rows)


# --- preview ------------------------------------------------------------------------


def test_preview_decides_each_account(database: Database, practice: StatementPractice) -> None:
    ids = account_ids(database, practice)

    rows = preview_by_account(database, practice)

    assert set(rows) == set(ids.values())
    assert rows[ids["family"]].level == "statement"
    assert rows[ids["family"]].reason == "First statement for this account"
    assert rows[ids["family"]].guarantor_name == "Laura Garcia"
    assert rows[ids["insured"]].level == "statement"
    assert rows[ids["person"]].level == "statement"
    assert rows[ids["person"]].guarantor_name == "Karen Walsh"
    assert rows[ids["credit"]].level is None
    assert rows[ids["credit"]].skip == SKIP_CREDIT
    assert rows[ids["credit"]].reason == "Skipped: credit balance $20.00; consider a refund"
    assert rows[ids["small"]].skip == SKIP_BELOW_MINIMUM
    assert rows[ids["small"]].reason == "Skipped: balance $3.50 is under the $5.00 minimum"


def test_preview_amounts_match_figures(database: Database, practice: StatementPractice) -> None:
    ids = account_ids(database, practice)

    rows = preview_by_account(database, practice)

    assert rows[ids["family"]].amount_due == FAMILY_BALANCE
    assert rows[ids["insured"]].amount_due == INSURED_DUE
    assert rows[ids["insured"]].insurance_pending == INSURED_PENDING
    assert rows[ids["credit"]].balance == Decimal("-20.00")
    assert rows[ids["credit"]].amount_due == Decimal("0.00")
    with database.transaction() as session:
        figures = figures_for_accounts(session, list(ids.values()), STATEMENT_DATE)
    for account_id, row in rows.items():
        assert row.amount_due == figures[account_id].amount_due
        assert row.balance == figures[account_id].balance


def test_preview_channel_follows_consent(database: Database, practice: StatementPractice) -> None:
    ids = account_ids(database, practice)
    email_the_person(database, practice, ids["person"])

    rows = preview_by_account(database, practice)

    assert rows[ids["person"]].channel == "email"
    assert rows[ids["family"]].channel == "print"


def test_preview_writes_no_statements(database: Database, practice: StatementPractice) -> None:
    preview_by_account(database, practice)

    with database.transaction() as session:
        assert session.scalars(select(Statement)).all() == []
        assert session.scalars(select(StatementRun)).all() == []


def test_front_desk_cannot_preview(database: Database, practice: StatementPractice) -> None:
    with pytest.raises(PermissionDeniedError), database.transaction() as session:
        preview_run(session, practice.desk, STATEMENT_DATE)


# --- running ------------------------------------------------------------------------


def test_run_agrees_with_preview(database: Database, practice: StatementPractice) -> None:
    ids = account_ids(database, practice)
    email_the_person(database, practice, ids["person"])
    preview = preview_by_account(database, practice)

    with database.transaction() as session:
        outcome = run_statements(session, practice.biller, STATEMENT_DATE)
        statements = session.scalars(select(Statement)).all()
        created = {statement.account_id: statement for statement in statements}

    sent = {account for account, row in preview.items() if row.level is not None}
    assert set(created) == sent
    for account, statement in created.items():
        assert statement.level == preview[account].level
        assert statement.channel == preview[account].channel
        assert statement.reason == preview[account].reason
        assert statement.amount_due == preview[account].amount_due
    assert outcome.printed == 2
    assert outcome.queued == 1
    assert outcome.skipped == 2
    assert outcome.total_due == SENT_TOTAL


def test_run_stores_rows_and_pdfs(database: Database, practice: StatementPractice) -> None:
    ids = account_ids(database, practice)
    email_the_person(database, practice, ids["person"])

    with database.transaction() as session:
        outcome = run_statements(session, practice.biller, STATEMENT_DATE)
    with database.transaction() as session:
        run = session.get(StatementRun, outcome.run_id)
        statements = session.scalars(select(Statement)).all()
        pdfs = {statement.account_id: statement.pdf for statement in statements}
        rows = {statement.account_id: statement for statement in statements}
        assert run is not None
        batch = run.batch_pdf
        run_number, count, total = run.run_number, run.statement_count, run.total_due

    assert run_number == outcome.run_number
    assert run_number.startswith("R")
    assert count == 3
    assert total == SENT_TOTAL
    assert batch == outcome.batch_pdf
    assert batch is not None
    assert batch.startswith(b"%PDF")
    for account, row in rows.items():
        pdf = pdfs[account]
        assert pdf is not None
        assert pdf.startswith(b"%PDF")
        assert row.pdf_sha256 == hashlib.sha256(pdf).hexdigest()
        assert row.statement_number.startswith("S")
        assert row.run_id == outcome.run_id
        assert row.statement_date == STATEMENT_DATE
        assert row.due_on == STATEMENT_DATE + timedelta(days=21)
    assert rows[ids["family"]].status == "printed"
    assert rows[ids["person"]].status == "queued"
    assert rows[ids["person"]].next_attempt_at is None
    assert rows[ids["insured"]].insurance_pending == INSURED_PENDING
    assert rows[ids["insured"]].account_balance == INSURED_DUE


def test_batch_holds_printed_statements(
    database: Database, practice: StatementPractice, tmp_path: Path
) -> None:
    ids = account_ids(database, practice)
    email_the_person(database, practice, ids["person"])
    with database.transaction() as session:
        outcome = run_statements(session, practice.biller, STATEMENT_DATE)
        batch = run_batch_pdf(session, practice.biller, outcome.run_id)
    path = tmp_path / "batch.pdf"
    path.write_bytes(batch)

    text = " ".join(piece.text for piece in placed_text(path))

    assert "Laura Garcia" in text
    assert "Daniel Brooks" in text
    assert "Karen Walsh" not in text


def test_run_is_audited_without_names(database: Database, practice: StatementPractice) -> None:
    with database.transaction() as session:
        outcome = run_statements(session, practice.biller, STATEMENT_DATE)
        events = session.scalars(
            select(AuditEvent).where(AuditEvent.object_type == "statement_run")
        ).all()

    assert len(events) == 1
    assert events[0].object_id == str(outcome.run_id)
    assert events[0].detail == (
        f"run {outcome.run_number} dated 2026-06-30: 3 statements (3 printed, 0 queued for "
        "email; statement 3), 2 accounts skipped"
    )
    assert "Garcia" not in events[0].detail


def test_run_of_chosen_accounts(database: Database, practice: StatementPractice) -> None:
    ids = account_ids(database, practice)

    with database.transaction() as session:
        outcome = run_statements(
            session, practice.biller, STATEMENT_DATE, [ids["family"], ids["credit"]]
        )
        created = session.scalars(select(Statement.account_id)).all()

    assert created == [ids["family"]]
    assert outcome.printed == 1
    assert outcome.skipped == 1
    assert outcome.total_due == FAMILY_BALANCE


def test_run_with_nothing_to_send(database: Database, practice: StatementPractice) -> None:
    ids = account_ids(database, practice)

    nothing_sent = "No account gets a statement on 06/30/2026"
    with pytest.raises(UserError, match=nothing_sent), database.transaction() as session:
        run_statements(session, practice.biller, STATEMENT_DATE, [ids["credit"]])
    with database.transaction() as session:
        assert session.scalars(select(StatementRun)).all() == []


def test_run_of_unknown_account(database: Database, practice: StatementPractice) -> None:
    with pytest.raises(NotFoundError), database.transaction() as session:
        run_statements(session, practice.biller, STATEMENT_DATE, [uuid.uuid4()])


def test_run_dated_after_today(database: Database, practice: StatementPractice) -> None:
    with database.transaction() as session:
        future = practice_today(session) + timedelta(days=1)

    with pytest.raises(UserError, match="is after today"), database.transaction() as session:
        run_statements(session, practice.biller, future)


def test_run_reports_progress(database: Database, practice: StatementPractice) -> None:
    progress = Progress()

    with database.transaction() as session:
        run_statements(session, practice.biller, STATEMENT_DATE, progress=progress)

    assert progress.snapshot() == (3, 3, "Making the print batch")


def test_same_day_rerun_sends_nothing(database: Database, practice: StatementPractice) -> None:
    ids = account_ids(database, practice)
    with database.transaction() as session:
        run_statements(session, practice.biller, STATEMENT_DATE)

    rows = preview_by_account(database, practice)

    assert rows[ids["family"]].skip == SKIP_TOO_SOON
    assert rows[ids["family"]].reason == (
        "Skipped: too soon for the 2nd notice (0 of 30 days since the statement of 06/30/2026)"
    )
    assert rows[ids["family"]].last_level == "statement"
    assert rows[ids["family"]].last_statement_on == STATEMENT_DATE


# --- the ladder across runs ---------------------------------------------------------


def run_on(database: Database, practice: StatementPractice, day: date) -> None:
    with database.transaction() as session:
        run_statements(session, practice.biller, day)


def test_unpaid_account_climbs_to_third(database: Database, practice: StatementPractice) -> None:
    ids = account_ids(database, practice)

    for step in range(3):
        run_on(database, practice, STATEMENT_DATE + timedelta(days=30 * step))

    levels = [statement.level for statement in statements_of(database, ids["family"])]
    assert levels == ["statement", "second", "third"]
    third = statements_of(database, ids["family"])[-1]
    assert third.reason == (
        "3rd notice: 30 days since the 2nd notice of 07/30/2026 and no payment since"
    )
    assert third.amount_due == FAMILY_BALANCE


def test_unpaid_account_reaches_collections(
    database: Database, practice: StatementPractice
) -> None:
    ids = account_ids(database, practice)
    for step in range(4):
        run_on(database, practice, STATEMENT_DATE + timedelta(days=30 * step))

    rows = preview_by_account(database, practice, STATEMENT_DATE + timedelta(days=120))

    assert rows[ids["family"]].level is None
    assert rows[ids["family"]].skip == SKIP_COLLECTIONS
    assert rows[ids["family"]].level_label == "Collections"


def test_payment_resets_the_ladder(database: Database, practice: StatementPractice) -> None:
    ids = account_ids(database, practice)
    run_on(database, practice, STATEMENT_DATE)
    run_on(database, practice, STATEMENT_DATE + timedelta(days=30))
    with database.transaction() as session:
        pay(session, practice.ledger, practice.parent, "45.00", -40)

    run_on(database, practice, STATEMENT_DATE + timedelta(days=60))

    family = statements_of(database, ids["family"])
    assert [statement.level for statement in family] == ["statement", "second", "statement"]
    assert family[-1].reason == (
        "Statement: payment received 08/09/2026 since the 2nd notice of 07/30/2026"
    )
    assert family[-1].amount_due == FAMILY_BALANCE - Decimal("45.00")


def test_queued_statement_stops_ladder(database: Database, practice: StatementPractice) -> None:
    ids = account_ids(database, practice)
    email_the_person(database, practice, ids["person"])
    run_on(database, practice, STATEMENT_DATE)
    later = STATEMENT_DATE + timedelta(days=30)

    waiting = preview_by_account(database, practice, later)[ids["person"]]
    (queued,) = statements_of(database, ids["person"])
    with database.transaction() as session:
        assert print_instead(session, practice.biller, queued.id, noon_utc(later)) is not None
    # Printing it on a later day dates it that day, so the next wait starts there.
    printed = preview_by_account(database, practice, later)[ids["person"]]
    next_due = preview_by_account(database, practice, later + timedelta(days=30))[ids["person"]]

    assert queued.status == "queued"
    assert waiting.level is None
    assert waiting.skip == SKIP_UNDELIVERED
    assert waiting.reason == (
        "Skipped: the statement of 06/30/2026 has not been delivered yet (queued for "
        "email); send or print it first"
    )
    assert waiting.last_statement_on is None
    assert printed.skip == SKIP_TOO_SOON
    assert printed.last_statement_on == later
    assert next_due.level == "second"


def test_turned_off_level_is_passed_over(database: Database, practice: StatementPractice) -> None:
    ids = account_ids(database, practice)
    with database.transaction() as session:
        save_level(session, practice.ledger.admin, "second", "2nd notice", 30, "Pay now.", False)

    run_on(database, practice, STATEMENT_DATE)
    run_on(database, practice, STATEMENT_DATE + timedelta(days=30))

    levels = [statement.level for statement in statements_of(database, ids["family"])]
    assert levels == ["statement", "third"]


# --- reading back -------------------------------------------------------------------


def test_history_lists_statements(database: Database, practice: StatementPractice) -> None:
    ids = account_ids(database, practice)
    run_on(database, practice, STATEMENT_DATE)
    run_on(database, practice, STATEMENT_DATE + timedelta(days=30))

    with database.transaction() as session:
        history = statement_history(session, practice.biller, ids["family"])

    assert [row.level for row in history] == ["second", "statement"]
    assert [row.level_label for row in history] == ["2nd notice", "Statement"]
    assert [row.statement_date for row in history] == [
        STATEMENT_DATE + timedelta(days=30),
        STATEMENT_DATE,
    ]
    assert all(row.amount_due == FAMILY_BALANCE for row in history)
    assert all(row.channel == "print" for row in history)
    assert all(row.status == "printed" for row in history)


def test_history_of_unknown_account(database: Database, practice: StatementPractice) -> None:
    with pytest.raises(NotFoundError), database.transaction() as session:
        statement_history(session, practice.biller, uuid.uuid4())


def test_statement_pdf_is_audited(database: Database, practice: StatementPractice) -> None:
    ids = account_ids(database, practice)
    run_on(database, practice, STATEMENT_DATE)
    stored = statements_of(database, ids["family"])[0]

    with database.transaction() as session:
        pdf = statement_pdf(session, practice.biller, stored.id)
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.object_id == str(stored.id))
        ).one()
        account = session.get(BillingAccount, ids["family"])
        assert account is not None
        guarantor = account.guarantor_patient_id

    with database.transaction() as session:
        expected = session.scalars(select(Statement.pdf).where(Statement.id == stored.id)).one()
    assert pdf == expected
    assert event.action == "view"
    assert event.patient_id == guarantor
    assert event.detail == f"statement {stored.statement_number} PDF opened"


def test_batch_of_email_only_run(database: Database, practice: StatementPractice) -> None:
    ids = account_ids(database, practice)
    email_the_person(database, practice, ids["person"])
    with database.transaction() as session:
        outcome = run_statements(session, practice.biller, STATEMENT_DATE, [ids["person"]])

    assert outcome.batch_pdf is None
    with pytest.raises(UserError, match="nothing to print"), database.transaction() as session:
        run_batch_pdf(session, practice.biller, outcome.run_id)


# --- payment plans ------------------------------------------------------------------

PLAN_DAY = date(2026, 6, 1)
FIRST_DUE = date(2026, 6, 15)


def family_plan(database: Database, practice: StatementPractice) -> uuid.UUID:
    """Make a $300.00 plan of three monthly $100.00 installments from 06/15/2026; return its id."""
    with database.transaction() as session:
        account_id = ensure_accounts(session, practice.desk, [practice.parent])[practice.parent]
    form = PlanForm(
        account_id=account_id,
        total=Decimal("300.00"),
        down_payment=Decimal("0.00"),
        installment_amount=Decimal("100.00"),
        frequency="monthly",
        start_on=FIRST_DUE,
    )
    with (
        patch.object(payment_plans, "utc_now", return_value=noon_utc(PLAN_DAY)),
        database.transaction() as session,
    ):
        outcome = create_plan(session, practice.desk, form)
    assert outcome.record_id is not None, outcome.problems
    return outcome.record_id


def test_current_plan_gets_no_notice(database: Database, practice: StatementPractice) -> None:
    ids = account_ids(database, practice)
    family_plan(database, practice)

    rows = preview_by_account(database, practice, date(2026, 6, 10))

    assert rows[ids["family"]].level is None
    assert rows[ids["family"]].reason == "Skipped: payment plan is current"


def test_missed_installment_reminded_once(
    database: Database, practice: StatementPractice, tmp_path: Path
) -> None:
    ids = account_ids(database, practice)
    plan_id = family_plan(database, practice)

    run_on(database, practice, date(2026, 6, 20))
    later = preview_by_account(database, practice, date(2026, 6, 25))

    reminder = statements_of(database, ids["family"])[0]
    assert reminder.level == PLAN_REMINDER
    assert reminder.reason == "Payment plan reminder: the installment due 06/15/2026 is unpaid"
    with database.transaction() as session:
        plan = session.get(PaymentPlan, plan_id)
        assert plan is not None
        assert plan.last_reminder_on == date(2026, 6, 20)
        pdf = statement_pdf(session, practice.biller, reminder.id)
    path = tmp_path / "reminder.pdf"
    path.write_bytes(pdf)
    text = " ".join(piece.text for piece in placed_text(path))
    assert "Payment plan reminder" in text
    assert "past due since 06/15/2026" in text
    assert later[ids["family"]].skip == SKIP_PAYMENT_PLAN
    assert later[ids["family"]].reason.startswith("Skipped: payment plan is late")


def test_broken_plan_resumes_ladder(database: Database, practice: StatementPractice) -> None:
    ids = account_ids(database, practice)
    family_plan(database, practice)
    run_on(database, practice, date(2026, 6, 20))

    rows = preview_by_account(database, practice, date(2026, 7, 5))

    assert rows[ids["family"]].level == "statement"
    assert rows[ids["family"]].last_level == PLAN_REMINDER
    assert rows[ids["family"]].reason == (
        "Statement: 15 days since the payment plan reminder of 06/20/2026 and no payment "
        "since; the payment plan is broken"
    )
