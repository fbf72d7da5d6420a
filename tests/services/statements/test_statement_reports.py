"""The statement reports: notices sent in a period, and balances overdue without a notice.

Statements, accounts, plans and placements are inserted as rows, so these tests depend
only on the ledger histories of tests/helpers/statement_data.py and on the report.
"""

import csv
import itertools
import uuid
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.database import Database
from app.errors import PermissionDeniedError, ValidationError
from app.models.patients import Person
from app.models.security import AuditEvent
from app.models.statements import (
    BillingAccount,
    CollectionPlacement,
    PaymentPlan,
    Statement,
)
from app.services import statement_reports
from app.services.statement_reports import (
    OverdueRow,
    export_notices_csv,
    export_overdue_csv,
    notices_in_period,
    overdue_without_notice,
)
from tests.helpers.statement_data import (
    FAMILY_BALANCE,
    INSURED_DUE,
    PERSON_DUE,
    SMALL_DUE,
    STATEMENT_DATE,
    StatementPractice,
    build_statement_practice,
    days_before,
)

_numbers = itertools.count(1)


@pytest.fixture
def practice(database: Database) -> StatementPractice:
    return build_statement_practice(database)


def add_account(
    session: Session,
    *,
    patient_id: uuid.UUID | None = None,
    person_id: uuid.UUID | None = None,
    number: str,
) -> BillingAccount:
    account = BillingAccount(
        account_number=number, guarantor_patient_id=patient_id, guarantor_person_id=person_id
    )
    session.add(account)
    session.flush()
    return account


def add_statement(
    session: Session,
    practice: StatementPractice,
    account: BillingAccount,
    day: date,
    *,
    level: str = "statement",
    status: str = "printed",
    channel: str = "print",
    amount_due: str = "100.00",
) -> Statement:
    statement = Statement(
        statement_number=f"S{next(_numbers):06d}",
        account_id=account.id,
        statement_date=day,
        level=level,
        channel=channel,
        status=status,
        amount_due=Decimal(amount_due),
        insurance_pending=Decimal("0.00"),
        account_balance=Decimal(amount_due),
        due_on=day + timedelta(days=21),
        created_by=practice.biller.user_id,
    )
    session.add(statement)
    session.flush()
    return statement


def overdue_by_number(rows: list[OverdueRow]) -> dict[str, OverdueRow]:
    return {row.account_number: row for row in rows}


# Overdue balances without a notice


def test_overdue_lists_never_billed_guarantors(
    database: Database, practice: StatementPractice
) -> None:
    with database.transaction() as session:
        rows = overdue_without_notice(session, practice.biller, STATEMENT_DATE)

    # Oldest open service first; Olivia Park's credit is not a balance.
    assert [row.guarantor_name for row in rows] == [
        "Laura Garcia",
        "Daniel Brooks",
        "Henry Cole",
        "Karen Walsh",
    ]
    assert [row.balance for row in rows] == [FAMILY_BALANCE, INSURED_DUE, SMALL_DUE, PERSON_DUE]
    assert [row.days_outstanding for row in rows] == [150, 60, 50, 35]
    assert rows[0].oldest_service_date == days_before(150)
    assert rows[0].patient_names == ("Laura Garcia", "Mateo Garcia", "Sofia Garcia")
    assert set(rows[0].patient_ids) == set(practice.family)
    assert rows[3].patient_names == ("Ethan Walsh",)
    assert all(row.account_id is None for row in rows)
    assert all(row.account_number == "" for row in rows)
    assert all(row.last_statement_on is None for row in rows)
    assert rows[0].reasons == ("never billed (no account yet)",)
    assert rows[2].reasons == ("below the minimum balance", "never billed (no account yet)")


def test_overdue_cutoff_days(database: Database, practice: StatementPractice) -> None:
    with database.transaction() as session:
        rows = overdue_without_notice(session, practice.biller, STATEMENT_DATE, days=55)

    # Only services more than 55 days old count: the family's and Daniel's.
    assert [row.guarantor_name for row in rows] == ["Laura Garcia", "Daniel Brooks"]


def test_recent_statement_excludes_account(database: Database, practice: StatementPractice) -> None:
    with database.transaction() as session:
        family = add_account(session, patient_id=practice.parent, number="A100")
        insured = add_account(session, patient_id=practice.insured, number="A101")
        walsh = add_account(session, person_id=practice.person_guarantor, number="A102")
        # 30 days before still falls inside the last 30 days, so the family is covered.
        add_statement(session, practice, family, days_before(30), level="second")
        add_statement(session, practice, insured, days_before(31), level="statement")
        add_statement(session, practice, insured, days_before(45), level="statement")
        # A statement dated after the report date is not counted.
        add_statement(session, practice, walsh, STATEMENT_DATE + timedelta(days=1))

    with database.transaction() as session:
        rows = overdue_by_number(overdue_without_notice(session, practice.biller, STATEMENT_DATE))

    assert set(rows) == {"A101", "A102", ""}
    assert rows["A101"].last_statement_on == days_before(31)
    assert rows["A101"].last_level == "Statement"
    assert rows["A101"].reasons == ()
    assert rows["A101"].account_id is not None
    assert rows["A102"].guarantor_name == "Karen Walsh"
    assert rows["A102"].reasons == ("never billed",)
    assert rows[""].guarantor_name == "Henry Cole"


def test_failed_and_cancelled_are_not_notices(
    database: Database, practice: StatementPractice
) -> None:
    with database.transaction() as session:
        family = add_account(session, patient_id=practice.parent, number="A200")
        insured = add_account(session, patient_id=practice.insured, number="A201")
        add_statement(session, practice, family, days_before(70), level="statement")
        add_statement(session, practice, family, days_before(5), status="failed", channel="email")
        add_statement(session, practice, insured, days_before(3), status="cancelled")

    with database.transaction() as session:
        rows = overdue_by_number(overdue_without_notice(session, practice.biller, STATEMENT_DATE))

    assert rows["A200"].last_statement_on == days_before(70)
    assert rows["A200"].reasons == ("last email failed",)
    assert rows["A201"].last_statement_on is None
    assert rows["A201"].reasons == ("never billed", "last statement canceled")


def test_overdue_reason_hints(database: Database, practice: StatementPractice) -> None:
    with database.transaction() as session:
        family = add_account(session, patient_id=practice.parent, number="A300")
        family.hold_reason = "dispute"
        family.hold_note = "Disputes the 99214 visit"
        insured = add_account(session, patient_id=practice.insured, number="A301")
        session.add(
            PaymentPlan(
                account_id=insured.id,
                total=Decimal("30.00"),
                down_payment=Decimal("0.00"),
                installment_amount=Decimal("10.00"),
                frequency="monthly",
                start_on=days_before(20),
                grace_days=15,
                status="current",
                created_by=practice.biller.user_id,
            )
        )
        walsh = add_account(session, person_id=practice.person_guarantor, number="A302")
        session.add(
            CollectionPlacement(
                account_id=walsh.id,
                agency="Lakeside Recovery",
                placed_on=days_before(1),
                placed_amount=PERSON_DUE,
                status="placed",
                created_by=practice.manager.user_id,
            )
        )
        add_statement(session, practice, walsh, days_before(90), level="final")
        # A hold that ended before the report date gives no hint.
        small = add_account(session, patient_id=practice.small, number="A303")
        small.hold_reason = "other"
        small.hold_until = days_before(1)
        session.flush()

    with database.transaction() as session:
        rows = overdue_by_number(overdue_without_notice(session, practice.biller, STATEMENT_DATE))

    assert rows["A300"].reasons == ("on hold: Balance disputed", "never billed")
    assert rows["A301"].reasons == ("payment plan", "never billed")
    assert rows["A302"].reasons == ("placed with collections",)
    assert rows["A302"].last_level == "Final notice"
    assert rows["A303"].reasons == ("below the minimum balance", "never billed")
    assert rows["A300"].reason_text == "; ".join(rows["A300"].reasons)


def test_overdue_rejects_bad_cutoff(database: Database, practice: StatementPractice) -> None:
    with database.transaction() as session, pytest.raises(ValidationError) as raised:
        overdue_without_notice(session, practice.biller, STATEMENT_DATE, days=0)
    assert raised.value.problems[0].field == "days"
    assert "0 days" in raised.value.problems[0].message


def test_reports_need_statement_permission(database: Database, practice: StatementPractice) -> None:
    with database.transaction() as session, pytest.raises(PermissionDeniedError):
        overdue_without_notice(session, practice.desk, STATEMENT_DATE)
    with database.transaction() as session, pytest.raises(PermissionDeniedError):
        notices_in_period(session, practice.desk, STATEMENT_DATE, STATEMENT_DATE, ["second"])


# Notices in a period


def add_notices(database: Database, practice: StatementPractice) -> None:
    """Give the family three notices and the Walsh account two, over two months."""
    with database.transaction() as session:
        family = add_account(session, patient_id=practice.parent, number="A400")
        walsh = add_account(session, person_id=practice.person_guarantor, number="A401")
        add_statement(session, practice, family, days_before(60), level="statement")
        add_statement(
            session, practice, family, days_before(30), level="second", amount_due="395.00"
        )
        add_statement(session, practice, family, STATEMENT_DATE, level="third", amount_due="395.00")
        add_statement(
            session,
            practice,
            walsh,
            days_before(10),
            level="second",
            channel="email",
            status="failed",
            amount_due="175.00",
        )
        add_statement(session, practice, walsh, days_before(5), level="plan_reminder")


def test_notices_in_period_by_level(database: Database, practice: StatementPractice) -> None:
    add_notices(database, practice)
    with database.transaction() as session:
        rows = notices_in_period(
            session, practice.biller, days_before(30), STATEMENT_DATE, ["second", "third"]
        )

    assert [(row.account_number, row.level_label) for row in rows] == [
        ("A400", "2nd notice"),
        ("A401", "2nd notice"),
        ("A400", "3rd notice"),
    ]
    assert [row.guarantor_name for row in rows] == ["Laura Garcia", "Karen Walsh", "Laura Garcia"]
    assert [row.statement_date for row in rows] == [
        days_before(30),
        days_before(10),
        STATEMENT_DATE,
    ]
    assert [row.amount_due for row in rows] == [
        Decimal("395.00"),
        Decimal("175.00"),
        Decimal("395.00"),
    ]
    assert [(row.channel, row.status) for row in rows] == [
        ("print", "printed"),
        ("email", "failed"),
        ("print", "printed"),
    ]


def test_notices_period_bounds_and_plan_reminders(
    database: Database, practice: StatementPractice
) -> None:
    add_notices(database, practice)
    with database.transaction() as session:
        rows = notices_in_period(
            session,
            practice.biller,
            days_before(29),
            days_before(1),
            ["second", "third", "plan_reminder"],
        )

    # The family's second notice (30 days before) and third (the statement date) fall outside.
    assert [(row.account_number, row.level) for row in rows] == [
        ("A401", "second"),
        ("A401", "plan_reminder"),
    ]
    assert rows[1].level_label == "Payment plan reminder"


def test_notices_reject_bad_period(database: Database, practice: StatementPractice) -> None:
    with database.transaction() as session, pytest.raises(ValidationError) as raised:
        notices_in_period(session, practice.biller, STATEMENT_DATE, days_before(1), [])
    fields = [problem.field for problem in raised.value.problems]
    assert fields == ["start", "levels"]

    with database.transaction() as session, pytest.raises(ValidationError) as raised:
        notices_in_period(session, practice.biller, days_before(1), STATEMENT_DATE, ["fourth"])
    assert "fourth" in raised.value.problems[0].message


def test_notices_are_audited(database: Database, practice: StatementPractice) -> None:
    add_notices(database, practice)
    with database.transaction() as session:
        notices_in_period(session, practice.biller, days_before(60), STATEMENT_DATE, ["second"])
    with database.reading() as session:
        details = session.scalars(
            select(AuditEvent.detail).where(AuditEvent.object_type == "notice_report")
        ).all()
    assert details == [
        f"{days_before(60).isoformat()} to {STATEMENT_DATE.isoformat()}: 2 statements"
    ]


# CSV exports


def read_csv(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def test_notices_csv(database: Database, practice: StatementPractice, tmp_path: Path) -> None:
    add_notices(database, practice)
    with database.transaction() as session:
        walsh = session.get(Person, practice.person_guarantor)
        assert walsh is not None
        walsh.first_name = "=HYPERLINK(1)"
    target = tmp_path / "notices.csv"

    with database.transaction() as session:
        count = export_notices_csv(
            session,
            practice.biller,
            target,
            start=days_before(30),
            end=STATEMENT_DATE,
            levels=["second"],
        )

    assert count == 2
    family_number = statement_number(database, "A400", "second")
    walsh_number = statement_number(database, "A401", "second")
    assert read_csv(target) == [
        ["Account", "Guarantor", "Date", "Level", "Statement", "Amount due", "Channel",
         "Status"],
        ["A400", "Laura Garcia", days_before(30).isoformat(), "2nd notice", family_number,
         "395.00", "Print", "Printed"],
        ["A401", "'=HYPERLINK(1) Walsh", days_before(10).isoformat(), "2nd notice",
         walsh_number, "175.00", "Email", "Failed"],
    ]  # fmt: skip
    with database.reading() as session:
        exported = session.scalars(
            select(AuditEvent.detail).where(
                AuditEvent.object_type == "notice_report", AuditEvent.action == "export"
            )
        ).all()
    assert exported == ["2 statements"]


def statement_number(database: Database, account_number: str, level: str) -> str:
    """Return the statement number of the account's statement of `level`."""
    with database.reading() as session:
        return session.scalars(
            select(Statement.statement_number)
            .join(BillingAccount, BillingAccount.id == Statement.account_id)
            .where(BillingAccount.account_number == account_number, Statement.level == level)
        ).one()


def test_overdue_csv(database: Database, practice: StatementPractice, tmp_path: Path) -> None:
    with database.transaction() as session:
        family = add_account(session, patient_id=practice.parent, number="A500")
        add_statement(session, practice, family, days_before(40), level="second")
    target = tmp_path / "overdue.csv"

    with database.transaction() as session:
        count = export_overdue_csv(session, practice.biller, target, STATEMENT_DATE, 30)

    rows = read_csv(target)
    assert count == 4
    assert rows[0] == [
        "Account", "Guarantor", "Patients", "Balance", "Oldest service", "Days",
        "Last statement", "Last level", "Why no notice",
    ]  # fmt: skip
    assert rows[1] == [
        "A500",
        "Laura Garcia",
        "Laura Garcia; Mateo Garcia; Sofia Garcia",
        "395.00",
        days_before(150).isoformat(),
        "150",
        days_before(40).isoformat(),
        "2nd notice",
        "",
    ]
    assert rows[3][0:2] == ["", "Henry Cole"]
    assert rows[3][8] == "below the minimum balance; never billed (no account yet)"


def test_level_labels_include_plan_reminder(
    database: Database, practice: StatementPractice
) -> None:
    with database.reading() as session:
        labels = statement_reports.level_labels(session)
    assert labels["second"] == "2nd notice"
    assert labels["plan_reminder"] == "Payment plan reminder"
