"""Checks that the shared statement builder posts the balances its docstring promises."""

from decimal import Decimal

from sqlalchemy import func, select

from app.db.database import Database
from app.models.ledger import LedgerEntry
from app.services.ledger import RESPONSIBLE_PATIENT
from tests.helpers.statement_data import (
    CREDIT_BALANCE,
    FAMILY_BALANCE,
    INSURED_DUE,
    INSURED_PENDING,
    PERSON_DUE,
    SMALL_DUE,
    STATEMENT_DATE,
    build_statement_practice,
    noon_utc,
)


def _sum(database: Database, patient_ids: tuple, *, patient_bucket: bool) -> Decimal:
    party = LedgerEntry.responsible_party
    bucket = party == RESPONSIBLE_PATIENT if patient_bucket else party != RESPONSIBLE_PATIENT
    with database.transaction() as session:
        total = session.scalar(
            select(func.sum(LedgerEntry.amount)).where(
                LedgerEntry.patient_id.in_(patient_ids), bucket
            )
        )
    return Decimal(total or 0)


def test_builder_balances_match_docstring(database: Database) -> None:
    practice = build_statement_practice(database)

    assert _sum(database, practice.family, patient_bucket=True) == FAMILY_BALANCE
    assert _sum(database, practice.family, patient_bucket=False) == 0
    assert _sum(database, (practice.insured,), patient_bucket=True) == INSURED_DUE
    assert _sum(database, (practice.insured,), patient_bucket=False) == INSURED_PENDING
    assert _sum(database, (practice.credit,), patient_bucket=True) == CREDIT_BALANCE
    assert _sum(database, (practice.person_patient,), patient_bucket=True) == PERSON_DUE
    assert _sum(database, (practice.small,), patient_bucket=True) == SMALL_DUE


def test_builder_posts_before_statement_date(database: Database) -> None:
    build_statement_practice(database)

    with database.transaction() as session:
        newest = session.scalar(select(func.max(LedgerEntry.posted_at)))

    assert newest is not None
    assert newest < noon_utc(STATEMENT_DATE)
