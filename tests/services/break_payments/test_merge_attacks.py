"""Attacks on merging a guarantor's record, which keeps the family's billing account."""

import uuid
from decimal import Decimal

import pytest

from app.db.database import Database
from app.errors import PermissionDeniedError, UserError
from app.security.permissions import Actor
from app.services import ledger
from app.services.billing_accounts import get_account, set_hold
from app.services.ledger_verify import ledger_check
from app.services.merge import merge_patients, undo_merge
from tests.helpers.statement_data import (
    StatementPractice,
    build_statement_practice,
    days_before,
    posted_on,
)
from tests.services.statements_break.flows import account_of, run_at
from tests.services.statements_break.test_merge_break import (
    FIRST_RUN,
    merge_into,
    register_laura_again,
    statement_accounts,
)


@pytest.fixture
def family(database: Database) -> StatementPractice:
    """Laura Garcia pays for Sofia and Mateo; other accounts owe, insure or hold credit."""
    return build_statement_practice(database)


def _buckets(database: Database, patient_id: uuid.UUID) -> dict[str, Decimal]:
    with database.reading() as session:
        found = ledger.balances_by_bucket(session, patient_id)
    return {bucket: amount for bucket, amount in found.items() if amount != Decimal("0")}


def _assert_ledger_clean(database: Database, family: StatementPractice) -> None:
    with database.transaction() as session:
        findings = ledger_check(session, family.manager)
    assert [finding.message for finding in findings] == []


def test_merge_and_undo_keep_money(database: Database, family: StatementPractice) -> None:
    before = {patient: _buckets(database, patient) for patient in family.family}
    newer = register_laura_again(database)

    outcome = merge_into(database, family, newer)

    assert _buckets(database, newer) == before[family.parent]
    assert _buckets(database, family.parent) == {}
    assert _buckets(database, family.sofia) == before[family.sofia]
    _assert_ledger_clean(database, family)

    with database.transaction() as session:
        undo_merge(session, family.manager, outcome.merge_id)

    assert {patient: _buckets(database, patient) for patient in family.family} == before
    assert _buckets(database, newer) == {}
    _assert_ledger_clean(database, family)


def test_undo_after_hold_names_account(database: Database, family: StatementPractice) -> None:
    account_id = account_of(database, family, family.parent)
    newer = register_laura_again(database)
    outcome = merge_into(database, family, newer)
    with database.transaction() as session:
        set_hold(session, family.biller, account_id, "dispute", None, "Disputes the 06/20 visit")

    with database.transaction() as session, pytest.raises(UserError) as raised:
        undo_merge(session, family.manager, outcome.merge_id)

    message = str(raised.value)
    assert message.startswith("A billing account that this merge changed was changed again")
    assert "Review the billing account on the surviving record" in message
    assert "billing_account" not in message
    with database.reading() as session:
        kept = get_account(session, account_id)
        assert kept.guarantor_patient_id == newer
        assert kept.hold_reason == "dispute"


def test_undo_fold_restores_both(database: Database, family: StatementPractice) -> None:
    account_id = account_of(database, family, family.parent)
    run_at(database, family, FIRST_RUN)
    with database.transaction() as session:
        set_hold(session, family.biller, account_id, "bankruptcy", None, "Chapter 7 filed")
    newer = register_laura_again(database)
    own = account_of(database, family, newer)
    outcome = merge_into(database, family, newer)
    assert account_id not in statement_accounts(database)

    with database.transaction() as session:
        undo_merge(session, family.manager, outcome.merge_id)

    assert account_id in statement_accounts(database)
    assert own not in statement_accounts(database)
    with database.reading() as session:
        assert get_account(session, own).hold_reason is None
        assert get_account(session, account_id).hold_reason == "bankruptcy"
    assert account_of(database, family, family.sofia) == account_id
    _assert_ledger_clean(database, family)


@pytest.mark.parametrize("role", ["biller", "desk"])
def test_merge_needs_permission(database: Database, family: StatementPractice, role: str) -> None:
    actor: Actor = getattr(family, role)
    account_id = account_of(database, family, family.parent)
    newer = register_laura_again(database)

    with (
        database.transaction() as session,
        posted_on(days_before(2)),
        pytest.raises(PermissionDeniedError),
    ):
        merge_patients(session, actor, newer, family.parent, {})

    with database.reading() as session:
        assert get_account(session, account_id).guarantor_patient_id == family.parent
