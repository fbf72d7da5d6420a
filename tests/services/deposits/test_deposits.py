"""Deposits: what is not deposited yet, making a deposit, and reconciling it with the bank."""

import re
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.db.database import Database
from app.errors import PermissionDeniedError
from app.models.payments import Deposit, Payment, Remittance
from app.problems import Severity
from app.services import deposits
from app.services.deposits import (
    DepositItem,
    create_deposit,
    deposit_list,
    reconcile_deposit,
    undeposited,
)
from app.services.payments import void_payment
from tests.helpers.deposit_data import (
    DepositPractice,
    add_payment,
    add_remittance,
    assert_ledger_clean,
)

DAY = date(2026, 3, 2)
NEXT_DAY = date(2026, 3, 3)


def _money_in(database: Database, practice: DepositPractice) -> dict[str, uuid.UUID]:
    """Insert one of each kind of money, deposited or not, and return their ids by name."""
    rivera, chen, nguyen = practice.patient_ids
    with database.transaction() as session:
        cash = add_payment(session, practice, rivera, "40.00", method="cash", received_on=DAY)
        check = add_payment(session, practice, chen, "25.50", received_on=DAY, check_number="1042")
        card = add_payment(session, practice, nguyen, "60.00", method="card", received_on=DAY)
        eft_payment = add_payment(session, practice, nguyen, "10.00", method="eft", received_on=DAY)
        voided = add_payment(session, practice, rivera, "5.00", method="cash", received_on=DAY)
        void_payment(session, practice.manager, voided.id, "Taken twice")
        aetna_check = add_remittance(
            session, practice, "310.00", trace_number="CHK778812", payment_date=DAY
        )
        aetna_eft = add_remittance(
            session,
            practice,
            "1250.75",
            trace_number="EFT20260302",
            payment_date=NEXT_DAY,
            payment_method="ACH",
            status="review",
        )
        held = add_remittance(
            session, practice, "99.00", trace_number="HELD1", payment_date=DAY, status="held"
        )
        no_money = add_remittance(
            session,
            practice,
            "0.00",
            trace_number="ZERO1",
            payment_date=DAY,
            payment_method="NON",
        )
        session.flush()
        return {
            "cash": cash.id,
            "check": check.id,
            "card": card.id,
            "eft_payment": eft_payment.id,
            "voided": voided.id,
            "aetna_check": aetna_check.id,
            "aetna_eft": aetna_eft.id,
            "held": held.id,
            "no_money": no_money.id,
        }


def _undeposited(database: Database, practice: DepositPractice) -> list[DepositItem]:
    with database.reading() as session:
        return undeposited(session, practice.front_desk)


def test_undeposited_lists_depositable_money(database: Database, practice: DepositPractice) -> None:
    ids = _money_in(database, practice)

    items = _undeposited(database, practice)

    listed = {item.item_id for item in items}
    expected = {ids[name] for name in ("cash", "check", "card", "aetna_check", "aetna_eft")}
    assert listed == expected
    assert [item.received_on for item in items] == sorted(item.received_on for item in items)


def test_undeposited_item_fields(database: Database, practice: DepositPractice) -> None:
    ids = _money_in(database, practice)

    by_id = {item.item_id: item for item in _undeposited(database, practice)}

    check = by_id[ids["check"]]
    assert check.kind == "payment"
    assert re.fullmatch(r"[2-9A-Z]{3}-\d{6}", check.reference)
    assert check.check_number == "1042"
    assert check.party == "Account T-000002"
    assert check.method_label == "Check"
    assert check.amount == Decimal("25.50")
    eft = by_id[ids["aetna_eft"]]
    assert eft.kind == "remittance"
    assert eft.reference == "EFT20260302"
    assert eft.check_number is None
    assert eft.party == "Aetna"
    assert eft.method == "eft"
    assert eft.received_on == NEXT_DAY
    assert by_id[ids["aetna_check"]].check_number == "CHK778812"


def test_third_party_payment_names_payer(database: Database, practice: DepositPractice) -> None:
    rivera = practice.patient_ids[0]
    with database.transaction() as session:
        payment = add_payment(
            session, practice, rivera, "500.00", received_on=DAY, payer_id=practice.aetna_id
        )

    items = _undeposited(database, practice)

    assert [item.party for item in items if item.item_id == payment.id] == ["Aetna"]


def test_create_deposit_sums_items(database: Database, practice: DepositPractice) -> None:
    ids = _money_in(database, practice)
    chosen = [ids["cash"], ids["check"], ids["aetna_check"]]

    with database.transaction() as session:
        outcome = create_deposit(session, practice.front_desk, chosen, NEXT_DAY, "cash_check")

    assert outcome.saved
    assert outcome.problems == ()
    with database.reading() as session:
        deposit = session.get(Deposit, outcome.record_id)
        assert deposit is not None
        assert deposit.expected_amount == Decimal("375.50")
        assert deposit.status == "open"
        assert deposit.bank_amount is None
        assert re.fullmatch(r"[2-9A-Z]{3}-000001", deposit.deposit_number)
        payment = session.get(Payment, ids["cash"])
        remittance = session.get(Remittance, ids["aetna_check"])
        assert payment is not None and remittance is not None
        assert payment.deposit_id == deposit.id
        assert remittance.deposit_id == deposit.id
    left = {item.item_id for item in _undeposited(database, practice)}
    assert left == {ids["card"], ids["aetna_eft"]}
    assert_ledger_clean(database, practice)


def test_deposit_numbers_increase(database: Database, practice: DepositPractice) -> None:
    ids = _money_in(database, practice)

    with database.transaction() as session:
        first = create_deposit(session, practice.front_desk, [ids["cash"]], DAY, "cash_check")
        second = create_deposit(session, practice.front_desk, [ids["card"]], DAY, "card")

    with database.reading() as session:
        numbers = [
            session.get(Deposit, outcome.record_id).deposit_number  # type: ignore[union-attr]
            for outcome in (first, second)
        ]
    assert [number[-6:] for number in numbers] == ["000001", "000002"]


def test_deposit_of_deposited_item_rejected(database: Database, practice: DepositPractice) -> None:
    ids = _money_in(database, practice)
    with database.transaction() as session:
        first = create_deposit(session, practice.front_desk, [ids["check"]], DAY, "cash_check")
        number = session.get(Deposit, first.record_id).deposit_number  # type: ignore[union-attr]
        receipt = session.get(Payment, ids["check"]).receipt_number  # type: ignore[union-attr]

    with database.transaction() as session:
        outcome = create_deposit(
            session, practice.front_desk, [ids["cash"], ids["check"]], DAY, "cash_check"
        )

    assert not outcome.saved
    assert [problem.message for problem in outcome.problems] == [
        f"Receipt {receipt} is already in deposit {number}; leave it out."
    ]
    with database.reading() as session:
        cash = session.get(Payment, ids["cash"])
        assert cash is not None
        assert cash.deposit_id is None
        assert len(session.scalars(select(Deposit)).all()) == 1


def test_deposit_of_voided_payment_rejected(database: Database, practice: DepositPractice) -> None:
    ids = _money_in(database, practice)
    with database.reading() as session:
        receipt = session.get(Payment, ids["voided"]).receipt_number  # type: ignore[union-attr]

    with database.transaction() as session:
        outcome = create_deposit(session, practice.front_desk, [ids["voided"]], DAY, "cash_check")

    assert not outcome.saved
    assert [problem.message for problem in outcome.problems] == [
        f"Receipt {receipt} is voided, so it cannot be deposited; leave it out."
    ]


def test_deposit_item_problems(database: Database, practice: DepositPractice) -> None:
    ids = _money_in(database, practice)
    unknown = uuid.uuid4()
    chosen = [
        ids["held"],
        ids["no_money"],
        ids["eft_payment"],
        ids["card"],
        ids["aetna_eft"],
        unknown,
    ]
    with database.reading() as session:
        card = session.get(Payment, ids["card"]).receipt_number  # type: ignore[union-attr]
        eft = session.get(Payment, ids["eft_payment"]).receipt_number  # type: ignore[union-attr]

    with database.transaction() as session:
        outcome = create_deposit(session, practice.front_desk, chosen, DAY, "cash_check")

    assert not outcome.saved
    messages = [problem.message for problem in outcome.problems]
    assert messages == [
        "The Aetna remittance with trace number HELD1 is held, so it cannot be deposited; "
        "post or release it first, or leave it out.",
        "The Aetna remittance with trace number ZERO1 carries no money to deposit; leave it out.",
        f"Receipt {eft} was paid by eft, which reaches the bank without a deposit; only cash, "
        "check and card payments are deposited.",
        f"Receipt {card} was paid by card, which does not go into a deposit of cash and "
        "checks; leave it out or choose the mixed method.",
        "The Aetna remittance with trace number EFT20260302 was paid by eft, which does not "
        "go into a deposit of cash and checks; leave it out or choose the mixed method.",
        "The Aetna remittance with trace number EFT20260302 was received on 03/03/2026, "
        "after the deposit date 03/02/2026; leave it out or correct the deposit date.",
        f"Item {unknown} is neither a payment nor a remittance; refresh the list of "
        "undeposited money and choose again.",
    ]
    with database.reading() as session:
        assert session.scalars(select(Deposit)).all() == []


def test_deposit_header_problems(database: Database, practice: DepositPractice) -> None:
    with database.transaction() as session:
        outcome = create_deposit(session, practice.front_desk, [], date(2099, 1, 4), "wire")

    fields = [problem.field for problem in outcome.problems]
    assert fields == ["method", "deposited_on", "items"]
    assert outcome.problems[0].message == (
        "The deposit method 'wire' is not one of cash_check, card, eft, mixed; choose one of them."
    )
    assert outcome.problems[1].message.startswith("The deposit date 01/04/2099 is after today")


def test_mixed_deposit_takes_every_method(database: Database, practice: DepositPractice) -> None:
    ids = _money_in(database, practice)
    chosen = [ids[name] for name in ("cash", "check", "card", "aetna_check", "aetna_eft")]

    with database.transaction() as session:
        outcome = create_deposit(session, practice.front_desk, chosen, NEXT_DAY, "mixed")

    assert outcome.saved
    with database.reading() as session:
        deposit = session.get(Deposit, outcome.record_id)
        assert deposit is not None
        assert deposit.expected_amount == Decimal("1686.25")
    assert _undeposited(database, practice) == []


def test_provider_cannot_deposit(database: Database, practice: DepositPractice) -> None:
    ids = _money_in(database, practice)

    with database.transaction() as session, pytest.raises(PermissionDeniedError):
        create_deposit(session, practice.ledger.provider, [ids["cash"]], DAY, "cash_check")


def _deposit(database: Database, practice: DepositPractice) -> uuid.UUID:
    ids = _money_in(database, practice)
    with database.transaction() as session:
        outcome = create_deposit(
            session, practice.front_desk, [ids["cash"], ids["check"]], DAY, "cash_check"
        )
    assert outcome.record_id is not None
    return outcome.record_id


def test_reconcile_matching_amount(database: Database, practice: DepositPractice) -> None:
    deposit_id = _deposit(database, practice)

    with database.transaction() as session:
        outcome = reconcile_deposit(session, practice.manager, deposit_id, Decimal("65.50"), "")

    assert outcome.saved
    assert outcome.problems == ()
    with database.reading() as session:
        deposit = session.get(Deposit, deposit_id)
        assert deposit is not None
        assert deposit.status == "reconciled"
        assert deposit.bank_amount == Decimal("65.50")
        assert deposit.reconciled_by == practice.manager.user_id
        assert deposit.reconciled_at is not None
        rows = deposit_list(session, practice.front_desk)
    assert [(row.difference, row.status, row.item_count) for row in rows] == [
        (Decimal("0.00"), "reconciled", 2)
    ]


def test_reconcile_difference_needs_note(database: Database, practice: DepositPractice) -> None:
    deposit_id = _deposit(database, practice)

    with database.transaction() as session:
        outcome = reconcile_deposit(session, practice.manager, deposit_id, Decimal("60.50"), " ")

    assert not outcome.saved
    assert [(problem.field, problem.message) for problem in outcome.problems] == [
        (
            "note",
            "The bank amount $60.50 differs from the expected $65.50 by -$5.00; say why in "
            "the note (such as a bank fee or a returned check).",
        )
    ]
    with database.reading() as session:
        deposit = session.get(Deposit, deposit_id)
        assert deposit is not None
        assert deposit.status == "open"
        assert deposit.bank_amount is None


def test_reconcile_difference_with_note(database: Database, practice: DepositPractice) -> None:
    deposit_id = _deposit(database, practice)

    with database.transaction() as session:
        outcome = reconcile_deposit(
            session, practice.manager, deposit_id, Decimal("60.50"), "Bank fee for the deposit"
        )

    assert outcome.saved
    assert [problem.severity for problem in outcome.problems] == [Severity.WARNING]
    assert "-$5.00 against the expected $65.50" in outcome.problems[0].message
    with database.reading() as session:
        rows = deposit_list(session, practice.front_desk)
    assert [(row.bank_amount, row.difference, row.note) for row in rows] == [
        (Decimal("60.50"), Decimal("-5.00"), "Bank fee for the deposit")
    ]


def test_reconcile_twice_rejected(database: Database, practice: DepositPractice) -> None:
    deposit_id = _deposit(database, practice)
    with database.transaction() as session:
        reconcile_deposit(session, practice.manager, deposit_id, Decimal("65.50"), "")

    with database.transaction() as session:
        outcome = reconcile_deposit(session, practice.manager, deposit_id, Decimal("1.00"), "x")

    assert not outcome.saved
    assert "was already reconciled on" in outcome.problems[0].message
    with database.reading() as session:
        deposit = session.get(Deposit, deposit_id)
        assert deposit is not None
        assert deposit.bank_amount == Decimal("65.50")


@pytest.mark.parametrize("amount", ["-1.00", "10.005"])
def test_reconcile_bad_bank_amount(
    database: Database, practice: DepositPractice, amount: str
) -> None:
    deposit_id = _deposit(database, practice)

    with database.transaction() as session:
        outcome = reconcile_deposit(session, practice.manager, deposit_id, Decimal(amount), "x")

    assert not outcome.saved
    assert outcome.problems[0].field == "bank_amount"
    assert outcome.problems[0].message.startswith(f"The bank amount {amount} is not an amount")


@pytest.mark.parametrize("role", ["front_desk", "biller"])
def test_reconcile_needs_manager(database: Database, practice: DepositPractice, role: str) -> None:
    deposit_id = _deposit(database, practice)
    actor = getattr(practice, role)

    with database.transaction() as session, pytest.raises(PermissionDeniedError):
        reconcile_deposit(session, actor, deposit_id, Decimal("65.50"), "")


def test_deposit_list_since(database: Database, practice: DepositPractice) -> None:
    ids = _money_in(database, practice)
    with database.transaction() as session:
        create_deposit(session, practice.front_desk, [ids["cash"]], DAY, "cash_check")
        create_deposit(
            session, practice.front_desk, [ids["card"], ids["aetna_eft"]], NEXT_DAY, "mixed"
        )

    with database.reading() as session:
        every = deposit_list(session, practice.front_desk)
        recent = deposit_list(session, practice.front_desk, since=NEXT_DAY)

    assert [(row.deposited_on, row.item_count, row.expected_amount) for row in every] == [
        (NEXT_DAY, 2, Decimal("1310.75")),
        (DAY, 1, Decimal("40.00")),
    ]
    assert [row.deposited_on for row in recent] == [NEXT_DAY]
    assert all(row.difference is None for row in every)


def test_deposit_items_mark_voided(database: Database, practice: DepositPractice) -> None:
    deposit_id = _deposit(database, practice)
    # void_payment rejects a deposited payment now, so this sets what older releases wrote.
    with database.transaction() as session:
        for payment in session.scalars(select(Payment).where(Payment.deposit_id == deposit_id)):
            if payment.method == "cash":
                payment.voided_at = datetime.now(UTC)

    with database.reading() as session:
        items = deposits.deposit_items(session, deposit_id)

    assert sorted((item.method, item.voided) for item in items) == [
        ("cash", True),
        ("check", False),
    ]
