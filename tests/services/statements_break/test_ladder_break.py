"""The dunning ladder under attack: runs repeated on one day, waits of zero days, and
holds that end.

A guarantor gets at most one statement or notice dated a given day, whatever the waits:
a second run that day (after a crash, or by a second biller) must not send another.
"""

import uuid
from datetime import date, timedelta
from unittest.mock import patch

from sqlalchemy import select

from app.db.database import Database
from app.models.statements import Statement
from app.services import billing_accounts
from app.services.billing_accounts import set_hold
from app.services.notice_levels import list_levels, save_level
from app.services.statement_ladder import SKIP_HOLD
from app.services.statement_runs import PreviewRow, preview_run, run_statements
from tests.helpers.statement_data import STATEMENT_DATE, StatementPractice
from tests.services.statements_break.flows import account_of


def no_waits(database: Database, practice: StatementPractice) -> None:
    """Let every level follow the one before it without waiting."""
    with database.transaction() as session:
        for level in list_levels(session):
            outcome = save_level(
                session, practice.ledger.admin, level.code, level.label, 0, level.message, True
            )
            assert not outcome.problems, outcome.problems


def preview_of(
    database: Database, practice: StatementPractice, on: date
) -> dict[uuid.UUID, PreviewRow]:
    with database.reading() as session:
        return {row.account_id: row for row in preview_run(session, practice.biller, on)}


def statements_on(database: Database, account_id: uuid.UUID, day: date) -> list[str]:
    with database.reading() as session:
        return list(
            session.scalars(
                select(Statement.level).where(
                    Statement.account_id == account_id, Statement.statement_date == day
                )
            )
        )


def test_rerun_without_waits_sends_nothing(database: Database, practice: StatementPractice) -> None:
    family = account_of(database, practice, practice.parent)
    no_waits(database, practice)
    with database.transaction() as session:
        run_statements(session, practice.biller, STATEMENT_DATE)

    rerun = preview_of(database, practice, STATEMENT_DATE)

    assert statements_on(database, family, STATEMENT_DATE) == ["statement"]
    assert rerun[family].level is None
    assert rerun[family].reason == (
        "Skipped: the statement of 06/30/2026 is dated this day, and an account gets one "
        "statement a day"
    )


def test_next_day_without_waits_climbs(database: Database, practice: StatementPractice) -> None:
    family = account_of(database, practice, practice.parent)
    no_waits(database, practice)
    with database.transaction() as session:
        run_statements(session, practice.biller, STATEMENT_DATE)

    next_day = preview_of(database, practice, STATEMENT_DATE + timedelta(days=1))

    assert next_day[family].level == "second"


def test_hold_ends_after_its_last_day(database: Database, practice: StatementPractice) -> None:
    family = account_of(database, practice, practice.parent)
    last_day = STATEMENT_DATE
    # set_hold accepts no last day before today, so today is the statement date here.
    with (
        patch.object(billing_accounts, "practice_today", return_value=STATEMENT_DATE),
        database.transaction() as session,
    ):
        set_hold(session, practice.biller, family, "dispute", last_day, "Disputes the 99214")

    on_last_day = preview_of(database, practice, last_day)
    day_after = preview_of(database, practice, last_day + timedelta(days=1))

    assert on_last_day[family].skip == SKIP_HOLD
    assert on_last_day[family].reason == "Skipped: on hold (balance disputed) until 06/30/2026"
    assert day_after[family].level == "statement"
