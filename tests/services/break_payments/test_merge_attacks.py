"""Attacks on merging a guarantor's record, which keeps the family's billing account."""

import re
import uuid
from datetime import date
from decimal import Decimal

import pytest

from app.db.database import Database
from app.errors import PermissionDeniedError, UserError
from app.security.permissions import Actor
from app.services import ledger
from app.services.billing_accounts import get_account, set_hold
from app.services.ledger_verify import ledger_check
from app.services.merge import merge_patients, undo_merge
from app.services.refunds import (
    RefundForm,
    approve_refund,
    credit_balances,
    issue_refund,
    request_refund,
)
from tests.helpers.statement_data import (
    StatementPractice,
    add_person_patient,
    build_statement_practice,
    days_before,
    posted_on,
)
from tests.services.statements_break.flows import account_of, run_at, second_manager
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
    # Dates read as the rest of the app shows them, MM/DD/YYYY.
    assert re.search(r"changed again afterwards on \d\d/\d\d/\d{4}\.", message)
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


def test_pending_refund_follows_merge(database: Database, family: StatementPractice) -> None:
    with database.transaction() as session:
        requested = request_refund(
            session, family.desk, RefundForm(family.credit, Decimal("20.00"), "Overpaid visit")
        )
    assert requested.record_id is not None, requested.problems
    with database.transaction() as session:
        newer = add_person_patient(session, "S-000099", "Olivia", "Park", date(1990, 11, 30))
    with database.transaction() as session, posted_on(days_before(2)):
        merge_patients(session, family.manager, newer, family.credit, {})

    with database.reading() as session:
        (row,) = [row for row in credit_balances(session, family.desk) if row.patient_id == newer]
    with database.transaction() as session:
        again = request_refund(session, family.desk, RefundForm(newer, Decimal("20.00"), "Again"))
    with database.transaction() as session:
        approve_refund(session, second_manager(database, family), requested.record_id)
        issue_refund(session, family.desk, requested.record_id, "check", "5012", date(2026, 6, 30))

    # The refund moved with the credit, so it still reserves it and can be issued.
    assert row.patient_credit == Decimal("20.00")
    assert row.pending_refunds == Decimal("20.00")
    assert not again.saved
    assert _buckets(database, newer) == {}
    _assert_ledger_clean(database, family)


def test_undo_returns_pending_refund(database: Database, family: StatementPractice) -> None:
    with database.transaction() as session:
        requested = request_refund(
            session, family.desk, RefundForm(family.credit, Decimal("20.00"), "Overpaid visit")
        )
        newer = add_person_patient(session, "S-000099", "Olivia", "Park", date(1990, 11, 30))
    assert requested.record_id is not None, requested.problems
    with database.transaction() as session, posted_on(days_before(2)):
        outcome = merge_patients(session, family.manager, newer, family.credit, {})

    with database.transaction() as session:
        undo_merge(session, family.manager, outcome.merge_id)
    with database.transaction() as session:
        approve_refund(session, second_manager(database, family), requested.record_id)
        issue_refund(session, family.desk, requested.record_id, "check", "5013", date(2026, 6, 30))

    assert _buckets(database, family.credit) == {}
    assert _buckets(database, newer) == {}
    _assert_ledger_clean(database, family)
