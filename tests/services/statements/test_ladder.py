"""The ladder's pure decisions: every skip reason, each level step, resets and plans."""

import dataclasses
from datetime import date, timedelta
from decimal import Decimal

import pytest

from app.services.notice_levels import DEFAULT_LEVELS, PLAN_REMINDER, NoticeLevelRow
from app.services.statement_ladder import (
    SKIP_BELOW_MINIMUM,
    SKIP_COLLECTIONS,
    SKIP_CREDIT,
    SKIP_HOLD,
    SKIP_INSURANCE_ONLY,
    SKIP_NOTHING_OWED,
    SKIP_PAYMENT_PLAN,
    SKIP_PLACED,
    SKIP_TOO_SOON,
    SKIP_UNDELIVERED,
    AccountFacts,
    Decision,
    UndeliveredStatement,
    decide,
)
from app.services.statement_settings import StatementSettings

RUN_ON = date(2026, 12, 4)
LAST_ON = date(2026, 10, 31)  # 34 days before RUN_ON
SETTINGS = StatementSettings()
LEVELS = list(DEFAULT_LEVELS)


def owing(**changes: object) -> AccountFacts:
    """An account owing $120.00, with the given facts changed."""
    return dataclasses.replace(AccountFacts(balance=Decimal("120.00")), **changes)  # type: ignore[arg-type]


def after(level: str, **changes: object) -> AccountFacts:
    """An account owing $120.00 whose last statement was `level` on LAST_ON, unpaid since."""
    history: dict[str, object] = {
        "last_statement_on": LAST_ON,
        "last_statement_level": level,
        "last_ladder_level": level,
        "last_payment_on": date(2026, 9, 1),
    }
    return owing(**(history | changes))


def with_active(codes: set[str]) -> list[NoticeLevelRow]:
    return [dataclasses.replace(level, active=level.code in codes) for level in LEVELS]


def run(facts: AccountFacts, on: date = RUN_ON, levels: list[NoticeLevelRow] = LEVELS) -> Decision:
    return decide(facts, levels, SETTINGS, on)


# --- skip reasons -------------------------------------------------------------------


def test_nothing_owed_skipped() -> None:
    decision = run(AccountFacts(balance=Decimal("0.00")))

    assert decision.level is None
    assert decision.skip == SKIP_NOTHING_OWED
    assert decision.reason == "Skipped: nothing owed"


def test_credit_balance_listed_for_refund() -> None:
    decision = run(AccountFacts(balance=Decimal("-25.00")))

    assert decision.level is None
    assert decision.skip == SKIP_CREDIT
    assert decision.reason == "Skipped: credit balance $25.00; consider a refund"


def test_credit_with_insurance_pending_waits_for_insurance() -> None:
    decision = run(AccountFacts(balance=Decimal("-25.00"), insurance_pending=Decimal("150.00")))

    assert decision.skip == SKIP_CREDIT
    assert decision.reason == (
        "Skipped: credit balance $25.00; consider a refund once insurance pays ($150.00 pending)"
    )


def test_only_insurance_owes_skipped() -> None:
    decision = run(AccountFacts(balance=Decimal("0.00"), insurance_pending=Decimal("150.00")))

    assert decision.skip == SKIP_INSURANCE_ONLY
    assert decision.reason == "Skipped: only insurance owes ($150.00 pending)"


def test_below_minimum_skipped() -> None:
    decision = run(owing(balance=Decimal("3.20")))

    assert decision.skip == SKIP_BELOW_MINIMUM
    assert decision.reason == "Skipped: balance $3.20 is under the $5.00 minimum"


def test_minimum_itself_is_billed() -> None:
    decision = run(owing(balance=Decimal("5.00")))

    assert decision.level == "statement"


def test_minimum_follows_settings() -> None:
    settings = StatementSettings(minimum_balance=Decimal("150.00"))

    decision = decide(owing(), LEVELS, settings, RUN_ON)

    assert decision.reason == "Skipped: balance $120.00 is under the $150.00 minimum"


def test_hold_with_end_date_skipped() -> None:
    decision = run(owing(hold_label="Dispute", hold_until=date(2027, 1, 15)))

    assert decision.skip == SKIP_HOLD
    assert decision.reason == "Skipped: on hold (dispute) until 01/15/2027"


def test_open_hold_skipped() -> None:
    decision = run(owing(hold_label="Good-faith estimate dispute"))

    assert decision.reason == "Skipped: on hold (good-faith estimate dispute)"


def test_hold_wins_over_minimum() -> None:
    decision = run(owing(balance=Decimal("1.00"), hold_label="Bankruptcy"))

    assert decision.skip == SKIP_HOLD


def test_placed_account_skipped() -> None:
    facts = after("final", placed_on=date(2026, 11, 20), placed_with="Acme Recovery")

    decision = run(facts)

    assert decision.skip == SKIP_PLACED
    assert decision.reason == (
        "Skipped: placed with a collection agency (Acme Recovery) on 11/20/2026"
    )


def test_placed_wins_over_credit() -> None:
    decision = run(AccountFacts(balance=Decimal("-5.00"), placed_on=date(2026, 11, 20)))

    assert decision.skip == SKIP_PLACED


def test_current_plan_skipped() -> None:
    decision = run(after("second", plan_status="current"))

    assert decision.skip == SKIP_PAYMENT_PLAN
    assert decision.reason == "Skipped: payment plan is current"


def test_late_plan_already_reminded_skipped() -> None:
    decision = run(after("second", plan_status="late"))

    assert decision.skip == SKIP_PAYMENT_PLAN
    assert decision.reason.startswith("Skipped: payment plan is late")


def test_too_soon_counts_days() -> None:
    decision = run(after("statement"), on=LAST_ON + timedelta(days=12))

    assert decision.skip == SKIP_TOO_SOON
    assert decision.label == "2nd notice"
    assert decision.reason == (
        "Skipped: too soon for the 2nd notice (12 of 30 days since the statement of 10/31/2026)"
    )


def test_statement_dated_after_run_skipped() -> None:
    decision = run(after("statement"), on=LAST_ON - timedelta(days=1))

    assert decision.skip == SKIP_TOO_SOON
    assert decision.reason == "Skipped: the statement of 10/31/2026 is dated after this run"


@pytest.mark.parametrize(
    ("status", "wording"),
    [
        ("queued", "queued for email"),
        ("failed", "email failed"),
        ("ready", "waiting to be printed"),
    ],
)
def test_undelivered_statement_skipped(status: str, wording: str) -> None:
    waiting = UndeliveredStatement(LAST_ON, "statement", status)

    decision = run(owing(undelivered=waiting))

    assert decision.level is None
    assert decision.skip == SKIP_UNDELIVERED
    assert decision.reason == (
        f"Skipped: the statement of 10/31/2026 has not been delivered yet ({wording}); "
        "send or print it first"
    )


def test_undelivered_notice_not_passed() -> None:
    # The 2nd notice went out and the 3rd is still queued, so no final notice follows it.
    waiting = UndeliveredStatement(LAST_ON + timedelta(days=30), "third", "queued")

    decision = run(after("second", undelivered=waiting), on=LAST_ON + timedelta(days=61))

    assert decision.skip == SKIP_UNDELIVERED
    assert decision.reason.startswith("Skipped: the 3rd notice of 11/30/2026 has not been")


def test_undelivered_plan_reminder_named() -> None:
    waiting = UndeliveredStatement(LAST_ON, PLAN_REMINDER, "failed")

    decision = run(after("second", plan_status="late", undelivered=waiting))

    assert decision.skip == SKIP_UNDELIVERED
    assert decision.reason.startswith("Skipped: the payment plan reminder of 10/31/2026")


def test_nothing_owed_wins_over_undelivered() -> None:
    waiting = UndeliveredStatement(LAST_ON, "statement", "queued")

    decision = run(AccountFacts(balance=Decimal("0.00"), undelivered=waiting))

    assert decision.skip == SKIP_NOTHING_OWED


# --- the ladder ---------------------------------------------------------------------


def test_first_statement_without_history() -> None:
    decision = run(owing())

    assert decision.level == "statement"
    assert decision.label == "Statement"
    assert decision.skip is None
    assert decision.reason == "First statement for this account"


@pytest.mark.parametrize(
    ("last", "expected", "label", "since"),
    [
        ("statement", "second", "2nd notice", "the statement"),
        ("second", "third", "3rd notice", "the 2nd notice"),
        ("third", "final", "Final notice", "the 3rd notice"),
    ],
)
def test_each_level_steps_up(last: str, expected: str, label: str, since: str) -> None:
    decision = run(after(last))

    assert decision.level == expected
    assert decision.label == label
    assert decision.reason == f"{label}: 34 days since {since} of 10/31/2026 and no payment since"


def test_step_waits_exactly_the_level_days() -> None:
    facts = after("statement")

    assert run(facts, on=LAST_ON + timedelta(days=29)).skip == SKIP_TOO_SOON
    assert run(facts, on=LAST_ON + timedelta(days=30)).level == "second"


def test_final_leads_to_collections() -> None:
    decision = run(after("final"))

    assert decision.level is None
    assert decision.skip == SKIP_COLLECTIONS
    assert decision.label == "Collections"
    assert decision.reason == (
        "Collections: 34 days since the final notice of 10/31/2026 and no payment since; "
        "listed for placement with a collection agency, not printed"
    )


def test_collections_waits_its_days() -> None:
    decision = run(after("final"), on=LAST_ON + timedelta(days=10))

    assert decision.skip == SKIP_TOO_SOON
    assert decision.label == "Collections"


def test_payment_since_resets_to_statement() -> None:
    decision = run(after("third", last_payment_on=date(2026, 11, 12)))

    assert decision.level == "statement"
    assert decision.reason == (
        "Statement: payment received 11/12/2026 since the 3rd notice of 10/31/2026"
    )


def test_payment_on_statement_date_does_not_reset() -> None:
    # The statement dated 10/31 already counted a payment posted that day.
    decision = run(after("second", last_payment_on=LAST_ON))

    assert decision.level == "third"


def test_reset_after_final_skips_collections() -> None:
    decision = run(after("final", last_payment_on=date(2026, 11, 2)))

    assert decision.level == "statement"


def test_reset_waits_statement_days() -> None:
    levels = [
        dataclasses.replace(level, days_after_previous=45) if level.code == "statement" else level
        for level in LEVELS
    ]
    facts = after("second", last_payment_on=date(2026, 11, 2))

    decision = run(facts, levels=levels)

    assert decision.skip == SKIP_TOO_SOON
    assert decision.label == "Statement"


def test_inactive_level_is_passed_over() -> None:
    decision = run(after("statement"), levels=with_active({"statement", "final", "collections"}))

    assert decision.level == "final"


def test_highest_active_level_repeats() -> None:
    levels = with_active({"statement", "second", "third", "final"})

    decision = run(after("final"), levels=levels)

    assert decision.level == "final"
    assert decision.reason.startswith("Final notice again: 34 days since the final notice")


def test_plan_reminder_does_not_move_ladder() -> None:
    # The last statement was a plan reminder and the plan then broke. The ladder steps
    # up from the 2nd notice sent before the reminder, and counts days from the reminder.
    facts = after(
        "second",
        last_statement_level=PLAN_REMINDER,
        plan_status="broken",
    )

    decision = run(facts)

    assert decision.level == "third"
    assert decision.reason == (
        "3rd notice: 34 days since the payment plan reminder of 10/31/2026 and no payment "
        "since; the payment plan is broken"
    )


# --- payment plans ------------------------------------------------------------------


def test_missed_installment_gets_reminder() -> None:
    facts = after(
        "second",
        plan_status="late",
        plan_needs_reminder=True,
        plan_missed_since=date(2026, 11, 15),
    )

    decision = run(facts)

    assert decision.level == PLAN_REMINDER
    assert decision.label == "Payment plan reminder"
    assert decision.reason == "Payment plan reminder: the installment due 11/15/2026 is unpaid"


def test_reminder_ignores_ladder_wait() -> None:
    facts = after("statement", plan_status="late", plan_needs_reminder=True)

    decision = run(facts, on=LAST_ON + timedelta(days=3))

    assert decision.level == PLAN_REMINDER


def test_broken_plan_resumes_notices() -> None:
    decision = run(after("statement", plan_status="broken", plan_needs_reminder=True))

    assert decision.level == "second"


@pytest.mark.parametrize("status", ["completed", "cancelled"])
def test_closed_plan_is_ignored(status: str) -> None:
    decision = run(after("statement", plan_status=status))

    assert decision.level == "second"


def test_plan_under_minimum_skipped() -> None:
    facts = owing(balance=Decimal("2.00"), plan_status="late", plan_needs_reminder=True)

    decision = run(facts)

    assert decision.skip == SKIP_BELOW_MINIMUM


# --- a ladder walked run after run ----------------------------------------------------


def test_walk_reaches_collections_without_payment() -> None:
    facts = owing()
    on = date(2026, 1, 5)
    sent = []
    for _ in range(5):
        decision = run(facts, on=on)
        sent.append(decision.level or decision.skip)
        if decision.level is not None:
            facts = dataclasses.replace(
                facts,
                last_statement_on=on,
                last_statement_level=decision.level,
                last_ladder_level=decision.level,
            )
        on += timedelta(days=30)

    assert sent == ["statement", "second", "third", "final", SKIP_COLLECTIONS]
