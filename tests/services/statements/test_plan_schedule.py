"""Payment plan schedules, standings, summary lines and term checks, without a database."""

from datetime import date
from decimal import Decimal

import pytest

from app.problems import Severity
from app.services.plan_schedule import (
    BROKEN,
    COMPLETED,
    CURRENT,
    LATE,
    Installment,
    PlanTerms,
    Standing,
    add_months,
    build_schedule,
    needs_reminder,
    plan_standing,
    summary_line,
    terms_problems,
)

CREATED = date(2027, 1, 2)
TODAY = date(2027, 3, 10)


def terms(
    total: str = "300.00",
    down: str = "0.00",
    installment: str = "100.00",
    frequency: str = "monthly",
    start_on: date = date(2027, 1, 15),
) -> PlanTerms:
    return PlanTerms(Decimal(total), Decimal(down), Decimal(installment), frequency, start_on)


def dates_of(schedule: list[Installment]) -> list[date]:
    return [installment.due_on for installment in schedule]


def amounts_of(schedule: list[Installment]) -> list[Decimal]:
    return [installment.amount for installment in schedule]


# --- schedules ------------------------------------------------------------------------


def test_monthly_clamps_to_month_end() -> None:
    schedule = build_schedule(terms(total="400.00", start_on=date(2027, 1, 31)), CREATED)

    assert dates_of(schedule) == [
        date(2027, 1, 31),
        date(2027, 2, 28),
        date(2027, 3, 31),
        date(2027, 4, 30),
    ]


def test_monthly_clamps_to_leap_day() -> None:
    schedule = build_schedule(terms(total="300.00", start_on=date(2027, 12, 31)), CREATED)

    assert dates_of(schedule) == [date(2027, 12, 31), date(2028, 1, 31), date(2028, 2, 29)]


def test_monthly_keeps_day_of_month() -> None:
    schedule = build_schedule(terms(total="300.00", start_on=date(2027, 11, 15)), CREATED)

    assert dates_of(schedule) == [date(2027, 11, 15), date(2027, 12, 15), date(2028, 1, 15)]


def test_weekly_steps_seven_days() -> None:
    schedule = build_schedule(
        terms(total="150.00", installment="50.00", frequency="weekly", start_on=date(2027, 2, 22)),
        CREATED,
    )

    assert dates_of(schedule) == [date(2027, 2, 22), date(2027, 3, 1), date(2027, 3, 8)]


def test_biweekly_steps_fourteen_days() -> None:
    schedule = build_schedule(
        terms(
            total="150.00", installment="50.00", frequency="biweekly", start_on=date(2027, 2, 22)
        ),
        CREATED,
    )

    assert dates_of(schedule) == [date(2027, 2, 22), date(2027, 3, 8), date(2027, 3, 22)]


def test_last_installment_is_the_rest() -> None:
    schedule = build_schedule(terms(total="500.00", down="100.00", installment="150.00"), CREATED)

    assert [installment.number for installment in schedule] == [0, 1, 2, 3]
    assert amounts_of(schedule) == [
        Decimal("100.00"),
        Decimal("150.00"),
        Decimal("150.00"),
        Decimal("100.00"),
    ]
    assert sum(amounts_of(schedule)) == Decimal("500.00")


def test_down_payment_due_when_made() -> None:
    schedule = build_schedule(terms(down="25.00"), CREATED)

    assert schedule[0] == Installment(0, CREATED, Decimal("25.00"))
    assert schedule[1].due_on == date(2027, 1, 15)
    assert schedule[-1].amount == Decimal("75.00")


def test_no_down_payment_no_number_zero() -> None:
    schedule = build_schedule(terms(), CREATED)

    assert [installment.number for installment in schedule] == [1, 2, 3]


def test_past_start_due_when_made() -> None:
    schedule = build_schedule(terms(start_on=date(2026, 12, 20)), CREATED)

    assert dates_of(schedule) == [CREATED, date(2027, 1, 20), date(2027, 2, 20)]


def test_add_months_across_years() -> None:
    assert add_months(date(2027, 10, 31), 4) == date(2028, 2, 29)
    assert add_months(date(2027, 3, 31), -1) == date(2027, 2, 28)


# --- standing -------------------------------------------------------------------------

# $100 due 01/15, 02/15 and 03/15/2027.
SCHEDULE = build_schedule(terms(), CREATED)


def standing_on(on: date, *payments: tuple[date, str], grace_days: int = 15) -> Standing:
    paid = [(day, Decimal(amount)) for day, amount in payments]
    return plan_standing(SCHEDULE, paid, on, grace_days)


def test_current_before_first_due() -> None:
    standing = standing_on(date(2027, 1, 10))

    assert standing.status == CURRENT
    assert standing.next_due_on == date(2027, 1, 15)
    assert standing.next_amount == Decimal("100.00")
    assert standing.due_to_date == Decimal("0.00")
    assert standing.remaining == Decimal("300.00")
    assert standing.missed_since is None


def test_current_on_the_due_day() -> None:
    standing = standing_on(date(2027, 1, 15))

    assert standing.status == CURRENT
    assert standing.due_to_date == Decimal("100.00")
    assert standing.past_due == Decimal("0.00")


def test_late_day_after_missed_due_date() -> None:
    standing = standing_on(date(2027, 1, 16))

    assert standing.status == LATE
    assert standing.missed_since == date(2027, 1, 15)
    assert standing.past_due == Decimal("100.00")
    assert standing.next_due_on == date(2027, 2, 15)
    # To be current on 02/15 the patient pays the missed $100 and the next $100.
    assert standing.next_amount == Decimal("200.00")


def test_late_through_grace_days_then_broken() -> None:
    assert standing_on(date(2027, 1, 30)).status == LATE
    broken = standing_on(date(2027, 1, 31))

    assert broken.status == BROKEN
    assert broken.missed_since == date(2027, 1, 15)


def test_zero_grace_breaks_next_day() -> None:
    assert standing_on(date(2027, 1, 16), grace_days=0).status == BROKEN


def test_paid_up_back_to_current() -> None:
    late = standing_on(date(2027, 1, 20), (date(2027, 1, 20), "60.00"))
    caught_up = standing_on(
        date(2027, 2, 1), (date(2027, 1, 20), "60.00"), (date(2027, 2, 1), "40.00")
    )

    assert late.status == LATE
    assert late.past_due == Decimal("40.00")
    assert caught_up.status == CURRENT
    assert caught_up.paid_to_date == Decimal("100.00")
    assert caught_up.next_due_on == date(2027, 2, 15)
    assert caught_up.next_amount == Decimal("100.00")


def test_broken_back_to_current_when_paid_up() -> None:
    payments = ((date(2027, 2, 20), "200.00"),)

    assert standing_on(date(2027, 2, 19), *payments).status == BROKEN
    assert standing_on(date(2027, 2, 20), *payments).status == CURRENT


def test_payment_after_the_day_left_out() -> None:
    standing = standing_on(date(2027, 1, 16), (date(2027, 1, 17), "100.00"))

    assert standing.paid_to_date == Decimal("0.00")
    assert standing.status == LATE


def test_paid_ahead_moves_next_due() -> None:
    standing = standing_on(date(2027, 2, 20), (date(2027, 1, 10), "200.00"))

    assert standing.status == CURRENT
    assert standing.next_due_on == date(2027, 3, 15)
    assert standing.next_amount == Decimal("100.00")


def test_partial_installment_next_amount() -> None:
    standing = standing_on(date(2027, 1, 10), (date(2027, 1, 5), "30.00"))

    assert standing.next_due_on == date(2027, 1, 15)
    assert standing.next_amount == Decimal("70.00")


def test_completed_when_total_paid() -> None:
    standing = standing_on(
        date(2027, 1, 20), (date(2027, 1, 5), "250.00"), (date(2027, 1, 20), "50.00")
    )

    assert standing.status == COMPLETED
    assert standing.remaining == Decimal("0.00")
    assert standing.next_due_on is None


def test_late_after_last_installment_names_it() -> None:
    standing = standing_on(date(2027, 3, 20), (date(2027, 2, 10), "200.00"))

    assert standing.status == LATE
    assert standing.missed_since == date(2027, 3, 15)
    assert standing.next_due_on == date(2027, 3, 15)
    assert standing.next_amount == Decimal("100.00")


def test_down_payment_missed_makes_late() -> None:
    schedule = build_schedule(terms(down="50.00", total="350.00"), CREATED)

    standing = plan_standing(schedule, [], date(2027, 1, 3), 15)

    assert standing.status == LATE
    assert standing.missed_since == CREATED


def test_reminder_once_per_missed_installment() -> None:
    missed = date(2027, 1, 15)

    assert needs_reminder(LATE, missed, None)
    assert not needs_reminder(LATE, missed, date(2027, 1, 20))
    assert needs_reminder(LATE, date(2027, 2, 15), date(2027, 1, 20))
    assert not needs_reminder(BROKEN, missed, None)
    assert not needs_reminder(CURRENT, None, None)


def test_reminder_again_after_next_miss() -> None:
    # With a long grace period the plan stays late past a second due date.
    reminded = date(2027, 1, 20)
    first = standing_on(date(2027, 2, 10), grace_days=60)
    second = standing_on(date(2027, 2, 16), grace_days=60)

    assert first.last_missed_on == date(2027, 1, 15)
    assert not needs_reminder(first.status, first.last_missed_on, reminded)
    assert second.status == LATE
    assert second.missed_since == date(2027, 1, 15)
    assert second.last_missed_on == date(2027, 2, 15)
    assert needs_reminder(second.status, second.last_missed_on, reminded)


def test_summary_lines() -> None:
    current = standing_on(date(2027, 1, 10))
    late = standing_on(date(2027, 1, 20))

    assert (
        summary_line(CURRENT, Decimal("100.00"), "monthly", current)
        == "Payment plan: $100.00 monthly, next due 01/15/2027, current"
    )
    assert (
        summary_line(LATE, Decimal("100.00"), "monthly", late)
        == "Payment plan: $100.00 monthly, $100.00 past due since 01/15/2027, late"
    )
    assert (
        summary_line(CURRENT, Decimal("25.00"), "biweekly", current)
        == "Payment plan: $25.00 every two weeks, next due 01/15/2027, current"
    )
    assert summary_line(COMPLETED, Decimal("1"), "weekly", current) == "Payment plan: paid in full"


# --- checks ---------------------------------------------------------------------------


def messages(found: list, field: str) -> list[str]:
    return [problem.message for problem in found if problem.field == field]


def check(plan: PlanTerms, owed: str = "400.00", grace_days: int = 15, note: str = "") -> list:
    return terms_problems(plan, grace_days, note, TODAY, Decimal(owed))


def test_valid_terms_no_problems() -> None:
    assert check(terms(start_on=TODAY)) == []


@pytest.mark.parametrize(
    ("total", "owed", "expected"),
    [
        (
            "0.00",
            "400.00",
            "The total $0.00 is not more than zero; type the amount the plan pays off, up to "
            "the $400.00 the account owes.",
        ),
        (
            "450.00",
            "400.00",
            "The total $450.00 is more than the account owes now ($400.00); type $400.00 or less.",
        ),
        (
            "10.00",
            "0.00",
            "The account owes nothing now, so there is nothing to pay in installments; choose "
            "an account with a balance.",
        ),
        (
            "10.00",
            "-20.00",
            "The account owes nothing (it has a $20.00 credit) now, so there is nothing to pay "
            "in installments; choose an account with a balance.",
        ),
        ("10.005", "400.00", "The total 10.005 has fractions of a cent; round it to cents."),
    ],
)
def test_total_problems(total: str, owed: str, expected: str) -> None:
    found = check(terms(total=total, start_on=TODAY), owed=owed)

    assert messages(found, "total") == [expected]


def test_total_equal_to_owed_accepted() -> None:
    assert messages(check(terms(total="400.00", start_on=TODAY)), "total") == []


def test_down_payment_negative() -> None:
    found = check(terms(down="-5.00", start_on=TODAY))

    assert messages(found, "down_payment") == [
        "The down payment -$5.00 is negative; type 0 for none, or the amount the patient "
        "pays when the plan is made."
    ]


def test_down_payment_not_below_total() -> None:
    found = check(terms(down="300.00", start_on=TODAY))

    assert messages(found, "down_payment") == [
        "The down payment $300.00 is not less than the total $300.00; lower it, or take the "
        "whole amount as a payment instead of a plan."
    ]


def test_installment_not_positive() -> None:
    found = check(terms(installment="0.00", start_on=TODAY))

    assert messages(found, "installment_amount") == [
        "The installment $0.00 is not more than zero; type the amount due each time, such as 50.00."
    ]


def test_installment_too_small_names_minimum() -> None:
    found = check(terms(total="300.00", installment="1.00", start_on=TODAY))

    assert messages(found, "installment_amount") == [
        "An installment of $1.00 makes 300 installments, more than the 240 a plan may have; "
        "type $1.25 or more."
    ]


def test_unknown_frequency() -> None:
    found = check(terms(frequency="daily", start_on=TODAY))

    assert messages(found, "frequency") == [
        "The frequency 'daily' is unknown; choose weekly, biweekly or monthly."
    ]


def test_start_more_than_31_days_past() -> None:
    found = check(terms(start_on=date(2027, 2, 6)))

    assert messages(found, "start_on") == [
        "The first installment's date 02/06/2027 is more than 31 days before today "
        "(03/10/2027); choose 02/07/2027 or later."
    ]


def test_start_in_past_within_31_days_warns() -> None:
    found = check(terms(start_on=date(2027, 2, 7)))

    assert [problem.severity for problem in found] == [Severity.WARNING]
    assert messages(found, "start_on") == [
        "The first installment's date 02/07/2027 is before today, so it is due at once; take "
        "that installment today or the plan starts late."
    ]


@pytest.mark.parametrize("grace_days", [-1, 91])
def test_grace_days_out_of_range(grace_days: int) -> None:
    found = check(terms(start_on=TODAY), grace_days=grace_days)

    assert messages(found, "grace_days") == [
        f"The grace period of {grace_days} days is outside 0 to 90; type a number of days "
        "from 0 to 90."
    ]


@pytest.mark.parametrize("grace_days", [0, 90])
def test_grace_days_limits_accepted(grace_days: int) -> None:
    assert check(terms(start_on=TODAY), grace_days=grace_days) == []


def test_note_with_card_number() -> None:
    found = check(terms(start_on=TODAY), note="Autopay on 4111 1111 1111 1111")

    assert len(messages(found, "note")) == 1
    assert "card number" in messages(found, "note")[0]
