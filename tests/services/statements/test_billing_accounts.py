"""Guarantor accounts: which account a patient is on, contacts, holds, consent and search."""

import uuid
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from app.changes import ChangeKind
from app.db.database import Database
from app.errors import NotFoundError, PermissionDeniedError, ValidationError
from app.models.patients import Patient, Person
from app.models.security import AuditEvent
from app.models.statements import BillingAccount
from app.services.billing_accounts import (
    HOLD_LABELS,
    HOLD_REASONS,
    account_for_patient,
    account_patient_ids,
    active_hold,
    ensure_accounts,
    find_accounts,
    guarantor_contact,
    release_hold,
    set_email_consent,
    set_hold,
)
from app.services.today import practice_today
from tests.helpers.statement_data import (
    FAMILY_BALANCE,
    StatementPractice,
    build_statement_practice,
)


@pytest.fixture
def practice(database: Database) -> StatementPractice:
    return build_statement_practice(database)


def uuid_from_int(value: int) -> uuid.UUID:
    """Return an id no row has."""
    return uuid.UUID(int=value)


def _account_count(database: Database) -> int:
    with database.transaction() as session:
        return session.scalar(select(func.count()).select_from(BillingAccount)) or 0


# --- which account a patient is on ----------------------------------------------------------


def test_family_shares_parent_account(database: Database, practice: StatementPractice) -> None:
    with database.transaction() as session:
        parent = account_for_patient(session, practice.biller, practice.parent)
        sofia = account_for_patient(session, practice.desk, practice.sofia)
        mateo = account_for_patient(session, practice.biller, practice.mateo)

        assert sofia.id == parent.id
        assert mateo.id == parent.id
        assert parent.guarantor_patient_id == practice.parent
        assert parent.guarantor_person_id is None
        assert parent.account_number.startswith("A")
    assert _account_count(database) == 1


def test_account_made_once(database: Database, practice: StatementPractice) -> None:
    with database.transaction() as session:
        first = account_for_patient(session, practice.biller, practice.insured)
    with database.transaction() as session:
        again = account_for_patient(session, practice.biller, practice.insured)

    assert again.id == first.id
    assert again.account_number == first.account_number
    assert _account_count(database) == 1


def test_person_guarantor_account(database: Database, practice: StatementPractice) -> None:
    with database.transaction() as session:
        account = account_for_patient(session, practice.biller, practice.person_patient)

        assert account.guarantor_person_id == practice.person_guarantor
        assert account.guarantor_patient_id is None
        assert account_patient_ids(session, account.id) == [practice.person_patient]


def test_unknown_patient_not_found(database: Database, practice: StatementPractice) -> None:
    with database.transaction() as session, pytest.raises(NotFoundError):
        account_for_patient(session, practice.biller, uuid_from_int(999))


def test_provider_may_not_create_account(database: Database, practice: StatementPractice) -> None:
    with database.transaction() as session, pytest.raises(PermissionDeniedError):
        account_for_patient(session, practice.ledger.provider, practice.parent)


def test_ensure_accounts_every_balance(database: Database, practice: StatementPractice) -> None:
    with database.transaction() as session:
        mapping = ensure_accounts(session, practice.biller)

    expected_patients = {
        *practice.family,
        practice.insured,
        practice.credit,
        practice.person_patient,
        practice.small,
    }
    assert set(mapping) == expected_patients
    assert len(set(mapping.values())) == 5
    assert mapping[practice.sofia] == mapping[practice.parent]
    assert mapping[practice.mateo] == mapping[practice.parent]
    assert _account_count(database) == 5


def test_ensure_accounts_numbers_distinct(database: Database, practice: StatementPractice) -> None:
    with database.transaction() as session:
        ensure_accounts(session, practice.biller)
        numbers = list(session.scalars(select(BillingAccount.account_number)))

    assert len(numbers) == 5
    assert len(set(numbers)) == 5
    assert all(number.startswith("A") for number in numbers)


def test_ensure_accounts_keeps_existing(database: Database, practice: StatementPractice) -> None:
    with database.transaction() as session:
        existing = account_for_patient(session, practice.biller, practice.credit).id
    with database.transaction() as session:
        mapping = ensure_accounts(session, practice.biller)

    assert mapping[practice.credit] == existing
    assert _account_count(database) == 5


def test_ensure_accounts_named_patients(database: Database, practice: StatementPractice) -> None:
    rivera = practice.ledger.patient_ids[0]
    with database.transaction() as session:
        mapping = ensure_accounts(session, practice.biller, [rivera, uuid_from_int(998)])

    assert list(mapping) == [rivera]
    assert _account_count(database) == 1


def test_account_creation_audited(database: Database, practice: StatementPractice) -> None:
    with database.transaction() as session:
        mapping = ensure_accounts(session, practice.biller)
    with database.transaction() as session:
        details = list(
            session.scalars(
                select(AuditEvent.detail).where(AuditEvent.object_type == "billing_account")
            )
        )

    assert len(details) == 1
    assert details[0].startswith("5 accounts: ")
    for account_id in set(mapping.values()):
        assert str(account_id) in details[0]


def test_patient_ids_guarantor_first(database: Database, practice: StatementPractice) -> None:
    with database.transaction() as session:
        account = account_for_patient(session, practice.biller, practice.sofia)
        patient_ids = account_patient_ids(session, account.id)

    # The guarantor first, then Mateo before Sofia by first name.
    assert patient_ids == [practice.parent, practice.mateo, practice.sofia]


def test_one_level_of_guarantors(database: Database, practice: StatementPractice) -> None:
    with database.transaction() as session:
        parent = session.get(Patient, practice.parent)
        assert parent is not None
        parent.guarantor_person_id = practice.person_guarantor
        session.flush()

        children = account_for_patient(session, practice.biller, practice.sofia)
        parent_bills = account_for_patient(session, practice.biller, practice.parent)

        assert children.guarantor_patient_id == practice.parent
        assert parent_bills.guarantor_person_id == practice.person_guarantor
        assert account_patient_ids(session, children.id) == [practice.mateo, practice.sofia]
        assert account_patient_ids(session, parent_bills.id) == [
            practice.parent,
            practice.person_patient,
        ]


def test_self_guarantor_is_own_account(database: Database, practice: StatementPractice) -> None:
    with database.transaction() as session:
        patient = session.get(Patient, practice.small)
        assert patient is not None
        patient.guarantor_patient_id = practice.small
        session.flush()
        account = account_for_patient(session, practice.biller, practice.small)

        assert account.guarantor_patient_id == practice.small
        assert account_patient_ids(session, account.id) == [practice.small]


def test_merged_record_left_out(database: Database, practice: StatementPractice) -> None:
    with database.transaction() as session:
        account = account_for_patient(session, practice.biller, practice.parent)
        mateo = session.get(Patient, practice.mateo)
        assert mateo is not None
        mateo.merged_into_id = practice.sofia
        session.flush()

        assert account_patient_ids(session, account.id) == [practice.parent, practice.sofia]


def test_unknown_account_not_found(database: Database, practice: StatementPractice) -> None:
    with database.transaction() as session, pytest.raises(NotFoundError):
        account_patient_ids(session, uuid_from_int(997))


# --- the guarantor's contact details ----------------------------------------------------------


def test_person_contact(database: Database, practice: StatementPractice) -> None:
    with database.transaction() as session:
        account = account_for_patient(session, practice.biller, practice.person_patient)
        contact = guarantor_contact(session, account)

    assert contact.name == "Karen Walsh"
    assert contact.address_lines == ("910 Maple Avenue", "Skokie, IL 60076")
    assert contact.phone == "(847) 555-0199"
    assert contact.email == "karen.walsh@example.com"
    assert contact.date_of_birth == date(1975, 3, 14)


def test_patient_contact(database: Database, practice: StatementPractice) -> None:
    with database.transaction() as session:
        account = account_for_patient(session, practice.biller, practice.mateo)
        contact = guarantor_contact(session, account)

    assert contact.name == "Laura Garcia"
    assert contact.address_lines == ("48 Elm Street", "Apt 2", "Evanston, IL 60201")
    assert contact.phone == "(847) 555-0188"
    assert contact.email == "laura.garcia@example.com"
    assert contact.date_of_birth == date(1984, 9, 2)


def test_contact_without_address(database: Database, practice: StatementPractice) -> None:
    with database.transaction() as session:
        person = session.get(Person, practice.person_guarantor)
        assert person is not None
        person.address_line1 = None
        person.city = None
        person.phone = None
        person.email = "  "
        person.suffix = "Jr"
        session.flush()
        account = account_for_patient(session, practice.biller, practice.person_patient)
        contact = guarantor_contact(session, account)

    assert contact.name == "Karen Walsh Jr"
    assert contact.address_lines == ("IL 60076",)
    assert contact.phone is None
    assert contact.email is None


# --- holds ------------------------------------------------------------------------------------


def test_hold_labels_cover_reasons() -> None:
    assert set(HOLD_LABELS) == set(HOLD_REASONS)
    assert HOLD_LABELS["estimate_dispute"] == "Good-faith estimate dispute"


def test_active_hold_last_day_included() -> None:
    account = BillingAccount(hold_reason="dispute", hold_until=date(2026, 7, 31))

    assert active_hold(account, date(2026, 7, 31)) == "dispute"
    assert active_hold(account, date(2026, 8, 1)) is None


def test_active_hold_open_ended() -> None:
    account = BillingAccount(hold_reason="bankruptcy", hold_until=None)

    assert active_hold(account, date(2040, 1, 1)) == "bankruptcy"
    assert active_hold(BillingAccount(hold_reason=None), date(2026, 1, 1)) is None


def test_set_and_release_hold(database: Database, practice: StatementPractice) -> None:
    with database.transaction() as session:
        account_id = account_for_patient(session, practice.biller, practice.parent).id
        until = practice_today(session) + timedelta(days=30)
        changes = set_hold(session, practice.biller, account_id, "dispute", until, " Called in ")

    assert changes.touches(ChangeKind.PAYMENTS)
    with database.transaction() as session:
        account = session.get(BillingAccount, account_id)
        assert account is not None
        assert account.hold_reason == "dispute"
        assert account.hold_until == until
        assert account.hold_note == "Called in"
        assert active_hold(account, until) == "dispute"

        released = release_hold(session, practice.biller, account_id)

        assert released.touches(ChangeKind.PAYMENTS)
        assert account.hold_reason is None
        assert account.hold_until is None
        assert account.hold_note == ""


def test_release_without_hold_no_changes(database: Database, practice: StatementPractice) -> None:
    with database.transaction() as session:
        account_id = account_for_patient(session, practice.biller, practice.parent).id
        changes = release_hold(session, practice.biller, account_id)

    assert not changes.kinds


def test_hold_unknown_reason_rejected(database: Database, practice: StatementPractice) -> None:
    with database.transaction() as session:
        account_id = account_for_patient(session, practice.biller, practice.parent).id
        with pytest.raises(ValidationError) as caught:
            set_hold(session, practice.biller, account_id, "lost", None, "")

    assert [problem.field for problem in caught.value.problems] == ["reason"]
    assert "'lost'" in caught.value.problems[0].message


def test_hold_past_day_rejected(database: Database, practice: StatementPractice) -> None:
    with database.transaction() as session:
        account_id = account_for_patient(session, practice.biller, practice.parent).id
        yesterday = practice_today(session) - timedelta(days=1)
        with pytest.raises(ValidationError) as caught:
            set_hold(session, practice.biller, account_id, "dispute", yesterday, "")

    assert [problem.field for problem in caught.value.problems] == ["until"]


def test_hold_other_needs_note(database: Database, practice: StatementPractice) -> None:
    with database.transaction() as session:
        account_id = account_for_patient(session, practice.biller, practice.parent).id
        with pytest.raises(ValidationError) as caught:
            set_hold(session, practice.biller, account_id, "other", None, "  ")

    assert [problem.field for problem in caught.value.problems] == ["note"]


def test_desk_may_not_hold(database: Database, practice: StatementPractice) -> None:
    with database.transaction() as session:
        account_id = account_for_patient(session, practice.desk, practice.parent).id
        with pytest.raises(PermissionDeniedError):
            set_hold(session, practice.desk, account_id, "dispute", None, "")


# --- email consent ----------------------------------------------------------------------------


def test_email_consent_stored(database: Database, practice: StatementPractice) -> None:
    with database.transaction() as session:
        account_id = account_for_patient(session, practice.desk, practice.person_patient).id
        changes = set_email_consent(session, practice.desk, account_id, True)
        again = set_email_consent(session, practice.desk, account_id, True)
        account = session.get(BillingAccount, account_id)

        assert changes.touches(ChangeKind.PAYMENTS)
        assert not again.kinds
        assert account is not None
        assert account.email_statements is True


def test_email_consent_needs_address(database: Database, practice: StatementPractice) -> None:
    with database.transaction() as session:
        person = session.get(Person, practice.person_guarantor)
        assert person is not None
        person.email = None
        session.flush()
        account_id = account_for_patient(session, practice.desk, practice.person_patient).id
        with pytest.raises(ValidationError) as caught:
            set_email_consent(session, practice.desk, account_id, True)

    assert [problem.field for problem in caught.value.problems] == ["email_statements"]


# --- finding accounts ---------------------------------------------------------------------------


def test_find_by_child_name(database: Database, practice: StatementPractice) -> None:
    with database.transaction() as session:
        rows = find_accounts(session, practice.desk, "sofia garcia")

    assert len(rows) == 1
    row = rows[0]
    assert row.guarantor_name == "Garcia, Laura"
    assert row.patient_count == 3
    assert row.balance == FAMILY_BALANCE
    assert row.hold is None
    assert row.account_number.startswith("A")


def test_find_by_words_any_order(database: Database, practice: StatementPractice) -> None:
    with database.transaction() as session:
        rows = find_accounts(session, practice.biller, "Garcia, Mat")

    assert [row.guarantor_name for row in rows] == ["Garcia, Laura"]


def test_find_by_person_guarantor(database: Database, practice: StatementPractice) -> None:
    with database.transaction() as session:
        account_for_patient(session, practice.biller, practice.person_patient)
    with database.transaction() as session:
        rows = find_accounts(session, practice.biller, "walsh kar")

    assert [row.guarantor_name for row in rows] == ["Walsh, Karen"]
    assert rows[0].patient_count == 1


def test_find_by_chart_number(database: Database, practice: StatementPractice) -> None:
    with database.transaction() as session:
        rows = find_accounts(session, practice.biller, "S-000005")

    assert [row.guarantor_name for row in rows] == ["Park, Olivia"]
    assert rows[0].balance == -20


def test_find_by_account_number(database: Database, practice: StatementPractice) -> None:
    with database.transaction() as session:
        account = account_for_patient(session, practice.biller, practice.insured)
        set_hold(session, practice.biller, account.id, "bankruptcy", None, "")
        number = account.account_number
    with database.transaction() as session:
        rows = find_accounts(session, practice.biller, number.lower())

    assert [row.account_id for row in rows] == [account.id]
    assert rows[0].hold == "bankruptcy"


def test_find_short_text_nothing(database: Database, practice: StatementPractice) -> None:
    with database.transaction() as session:
        rows = find_accounts(session, practice.biller, " G ")

    assert rows == []
    assert _account_count(database) == 0


def test_provider_may_not_find(database: Database, practice: StatementPractice) -> None:
    with database.transaction() as session, pytest.raises(PermissionDeniedError):
        find_accounts(session, practice.ledger.provider, "Garcia")
