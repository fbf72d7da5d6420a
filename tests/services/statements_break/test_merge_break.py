"""Billing accounts when the guarantor's own patient record is merged into a duplicate.

Laura Garcia pays for Sofia and Mateo. Her chart is registered twice, and the manager
keeps the newer record, so the record her billing account names is the merged one.
"""

import uuid
from datetime import date, timedelta

from sqlalchemy import select

from app.db.database import Database
from app.models.statements import BillingAccount, Statement
from app.services.billing_accounts import get_account, set_hold
from app.services.merge import MergeOutcome, merge_patients, undo_merge
from app.services.statement_runs import preview_run
from tests.helpers.statement_data import (
    FAMILY_BALANCE,
    STATEMENT_DATE,
    StatementPractice,
    add_person_patient,
    days_before,
    posted_on,
)
from tests.services.statements_break.flows import account_of, run_at

FIRST_RUN = STATEMENT_DATE - timedelta(days=30)


def register_laura_again(database: Database) -> uuid.UUID:
    with database.transaction() as session:
        return add_person_patient(session, "S-000098", "Laura", "Garcia", date(1984, 9, 2))


def merge_into(database: Database, practice: StatementPractice, newer: uuid.UUID) -> MergeOutcome:
    """Merge Laura's first record into `newer`."""
    with database.transaction() as session, posted_on(days_before(2)):
        return merge_patients(session, practice.manager, newer, practice.parent, {})


def merge_laura_away(database: Database, practice: StatementPractice) -> uuid.UUID:
    """Register Laura again, merge her first record into the new one, return the new id."""
    newer = register_laura_again(database)
    merge_into(database, practice, newer)
    return newer


def guarantor_of(database: Database, account_id: uuid.UUID) -> uuid.UUID | None:
    with database.reading() as session:
        return get_account(session, account_id).guarantor_patient_id


def statement_accounts(database: Database) -> set[uuid.UUID]:
    with database.reading() as session:
        return set(session.scalars(select(Statement.account_id)))


def test_guarantor_merge_keeps_hold(database: Database, practice: StatementPractice) -> None:
    family = account_of(database, practice, practice.parent)
    with database.transaction() as session:
        set_hold(session, practice.biller, family, "bankruptcy", None, "Chapter 7 filed")
    merge_laura_away(database, practice)

    with database.transaction() as session:
        rows = {
            row.account_id: row for row in preview_run(session, practice.biller, STATEMENT_DATE)
        }
    owing = [row for row in rows.values() if row.balance == FAMILY_BALANCE]

    assert [row.level for row in owing] == [None]
    assert [row.reason for row in owing] == ["Skipped: on hold (bankruptcy)"]


def test_guarantor_merge_keeps_account(database: Database, practice: StatementPractice) -> None:
    family = account_of(database, practice, practice.parent)
    run_at(database, practice, FIRST_RUN)
    newer = merge_laura_away(database, practice)

    assert account_of(database, practice, practice.sofia) == family
    assert account_of(database, practice, newer) == family
    assert guarantor_of(database, family) == newer
    assert family in statement_accounts(database)


def test_both_guarantors_fold_history(database: Database, practice: StatementPractice) -> None:
    family = account_of(database, practice, practice.parent)
    run_at(database, practice, FIRST_RUN)
    with database.transaction() as session:
        set_hold(session, practice.biller, family, "dispute", None, "Disputes the 06/20 visit")
    newer = register_laura_again(database)
    own = account_of(database, practice, newer)

    outcome = merge_into(database, practice, newer)

    assert own != family
    assert account_of(database, practice, practice.mateo) == own
    assert family not in statement_accounts(database)
    assert own in statement_accounts(database)
    with database.reading() as session:
        survivor_account = get_account(session, own)
        assert survivor_account.hold_reason == "dispute"
        assert survivor_account.hold_note == "Disputes the 06/20 visit"
        family_number = get_account(session, family).account_number
    assert any(family_number in note for note in outcome.notes)


def test_undo_merge_restores_account(database: Database, practice: StatementPractice) -> None:
    family = account_of(database, practice, practice.parent)
    newer = register_laura_again(database)
    outcome = merge_into(database, practice, newer)

    with database.transaction() as session:
        undo_merge(session, practice.manager, outcome.merge_id)

    assert guarantor_of(database, family) == practice.parent
    assert account_of(database, practice, practice.sofia) == family
    with database.reading() as session:
        newer_account = session.scalar(
            select(BillingAccount.id).where(BillingAccount.guarantor_patient_id == newer)
        )
    assert newer_account is None
