"""No patient or guarantor detail in the logs over a whole statements cycle.

One test runs everything a billing office does in a month at DEBUG level: accounts,
holds, previews and runs, email sending with a failure, history and PDFs, a payment
plan, collections from placement to recall, and both reports. ClinicDesk's own log
records (loggers under "app.") may name ids and counts, never a name, birth date,
email, address, phone, chart number or a balance.
"""

import logging
from datetime import timedelta
from decimal import Decimal
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import select

from app.db.database import Database
from app.models.patients import Patient, Person
from app.models.statements import BillingAccount, Statement
from app.services import collections, collections_export, statement_reports
from app.services.billing_accounts import (
    find_accounts,
    release_hold,
    set_email_consent,
    set_hold,
)
from app.services.mailer import MailError
from app.services.notice_levels import list_levels, save_level
from app.services.payment_plans import (
    PlanForm,
    cancel_plan,
    create_plan,
    list_plans,
    refresh_plans,
)
from app.services.statement_delivery import send_queued_statements
from app.services.statement_runs import (
    preview_run,
    run_batch_pdf,
    run_statements,
    statement_history,
    statement_pdf,
)
from app.services.today import practice_today
from tests.helpers.statement_data import STATEMENT_DATE, StatementPractice, noon_utc
from tests.services.statements_break.flows import account_of


class FlakyTransport:
    """A mail server that rejects the first message and accepts the rest."""

    def __init__(self) -> None:
        self.calls = 0

    def send(self, message: EmailMessage) -> None:
        self.calls += 1
        if self.calls == 1:
            raise MailError("Sending failed: the server replied 451.")


def _private_texts(database: Database) -> list[str]:
    """Return every name, birth date, email, address part, phone and chart number stored."""
    texts: list[str] = []
    with database.reading() as session:
        for model in (Patient, Person):
            for record in session.scalars(select(model)):
                texts += [record.first_name, record.last_name, record.email or ""]
                texts += [record.address_line1 or "", record.city or "", record.phone or ""]
                born = record.date_of_birth
                if born is not None:
                    texts += [f"{born:%m/%d/%Y}", f"{born:%m%d%Y}", born.isoformat()]
                if isinstance(record, Patient):
                    texts.append(record.chart_number)
    return [text for text in texts if len(text) > 2]


def _one_day_ladder(database: Database, practice: StatementPractice) -> None:
    with database.transaction() as session:
        for level in list_levels(session)[1:]:
            save_level(
                session, practice.ledger.admin, level.code, level.label, 1, level.message, True
            )


def _statements_and_email(database: Database, practice: StatementPractice) -> None:
    family = account_of(database, practice, practice.parent)
    person = account_of(database, practice, practice.person_patient)
    with database.transaction() as session:
        set_email_consent(session, practice.desk, person, True)
        find_accounts(session, practice.desk, "Garcia")
        set_hold(session, practice.biller, family, "dispute", None, "Questions the 99214")
        release_hold(session, practice.biller, family)
    transport = FlakyTransport()
    for offset in range(4):
        day = STATEMENT_DATE + timedelta(days=offset)
        with database.transaction() as session:
            preview_run(session, practice.biller, day)
            outcome = run_statements(session, practice.biller, day)
        with database.transaction() as session:
            for hour in (12, 14):
                now = noon_utc(day) + timedelta(hours=hour - 12)
                send_queued_statements(session, practice.biller, transport, now)
            statement_history(session, practice.biller, family)
            if outcome.printed:
                run_batch_pdf(session, practice.biller, outcome.run_id)
    with database.transaction() as session:
        first = session.scalars(select(Statement.id).where(Statement.account_id == family)).first()
        assert first is not None
        statement_pdf(session, practice.biller, first)


def _plan(database: Database, practice: StatementPractice) -> None:
    insured = account_of(database, practice, practice.insured)
    with database.reading() as session:
        practice_day = practice_today(session)
    form = PlanForm(
        account_id=insured,
        total=Decimal("30.00"),
        down_payment=Decimal("0.00"),
        installment_amount=Decimal("10.00"),
        frequency="monthly",
        start_on=practice_day + timedelta(days=10),
    )
    with database.transaction() as session:
        outcome = create_plan(session, practice.desk, form)
        assert outcome.record_id is not None, outcome.problems
        list_plans(session, practice.biller, include_closed=True)
        refresh_plans(session, practice.biller, STATEMENT_DATE + timedelta(days=60))
        cancel_plan(session, practice.biller, outcome.record_id, "Paid in full by phone")


def _collections(database: Database, practice: StatementPractice, tmp_path: Path) -> None:
    placed_on = STATEMENT_DATE + timedelta(days=4)
    with database.transaction() as session:
        candidates = collections.placement_candidates(session, practice.manager, placed_on)
        chosen = [row.account_id for row in candidates]
        assert chosen
        outcome = collections.place_accounts(
            session, practice.manager, chosen, "Acme Recovery", placed_on
        )
    with database.transaction() as session:
        collections_export.export_placement_csv(
            session, practice.manager, list(outcome.placement_ids), tmp_path / "agency.csv"
        )
        first = outcome.placement_ids[0]
        collections.record_recovery(
            session,
            practice.manager,
            first,
            Decimal("12.34"),
            Decimal("4.11"),
            placed_on + timedelta(days=5),
            "7001",
        )
        collections.list_placements(session, practice.manager, include_closed=True)
        collections.recall_placement(session, practice.manager, first, "Guarantor disputes")


def _reports(database: Database, practice: StatementPractice, tmp_path: Path) -> None:
    end = STATEMENT_DATE + timedelta(days=10)
    with database.transaction() as session:
        statement_reports.export_notices_csv(
            session,
            practice.biller,
            tmp_path / "notices.csv",
            start=STATEMENT_DATE,
            end=end,
            levels=["statement", "second", "third", "final"],
        )
        path = tmp_path / "overdue.csv"
        statement_reports.export_overdue_csv(session, practice.biller, path, end)


def test_cycle_logs_no_patient_details(
    database: Database,
    practice: StatementPractice,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    _one_day_ladder(database, practice)
    caplog.set_level(logging.DEBUG)

    _statements_and_email(database, practice)
    _plan(database, practice)
    _collections(database, practice, tmp_path)
    _reports(database, practice, tmp_path)

    ours = "\n".join(
        record.getMessage() for record in caplog.records if record.name.startswith("app.")
    )
    with database.reading() as session:
        numbers = list(session.scalars(select(BillingAccount.account_number)))
    assert "statement run" in ours
    assert "failed" in ours
    for text in [*_private_texts(database), *numbers]:
        assert text not in ours, text
    for amount in ("395.00", "175.00", "150.00", "12.34", "4.11", "8.23"):
        assert amount not in ours, amount
