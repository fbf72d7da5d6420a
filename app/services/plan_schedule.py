"""Payment plan schedules, standings and checks, computed from plain values.

A plan pays off `total`: an optional down payment, due the day the plan is made, then
installments of `installment_amount` every week, every two weeks or every month from
`start_on`. The last installment is whatever is left, so the schedule adds up to the
total exactly. Monthly installments fall on the start date's day of the month, moved to
the month's last day when the month is shorter (a plan starting January 31 is due
February 28 or 29, then March 31).

A plan's standing on a day compares what was paid by then with what was due. It is late
once an installment's due date has passed and the payments so far do not cover every
installment up to it, and broken when it is still late `grace_days` after that date.
Nothing here reads the database, so the payment plan service and the plan dialog's
preview share the same rules.
"""

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_CEILING, Decimal

from app.money import CENT, MAX_DIGITS, ZERO, format_money
from app.problems import Problem, Severity
from app.services.payment_checks import CARD_NUMBER_MESSAGE, looks_like_card_number

FREQUENCIES = ("weekly", "biweekly", "monthly")
FREQUENCY_LABELS = {"weekly": "Weekly", "biweekly": "Every two weeks", "monthly": "Monthly"}
# As printed after an installment amount: "$50.00 monthly".
FREQUENCY_PHRASES = {"weekly": "weekly", "biweekly": "every two weeks", "monthly": "monthly"}
_DAYS_APART = {"weekly": 7, "biweekly": 14}

CURRENT = "current"
LATE = "late"
BROKEN = "broken"
COMPLETED = "completed"
CANCELLED = "cancelled"
OPEN_STATUSES = (CURRENT, LATE, BROKEN)
STATUS_LABELS = {
    CURRENT: "Current",
    LATE: "Late",
    BROKEN: "Broken",
    COMPLETED: "Completed",
    CANCELLED: "Canceled",
}

DEFAULT_GRACE_DAYS = 15
MAX_GRACE_DAYS = 90
# How far before today the first installment may be dated, for a plan agreed a few
# weeks before it is typed in.
MAX_START_DAYS_PAST = 31
# A guard against a mistyped installment amount (cents for dollars), not a policy:
# 240 installments are 20 years of monthly payments or over 4 years of weekly ones.
MAX_INSTALLMENTS = 240
NOTE_MAX_LENGTH = 500


@dataclass(frozen=True, slots=True)
class Installment:
    """One amount due on a plan. Number 0 is the down payment, due when the plan is made."""

    number: int
    due_on: date
    amount: Decimal


@dataclass(frozen=True, slots=True)
class PlanTerms:
    """The agreed terms of a plan: amounts, frequency and the first installment's date."""

    total: Decimal
    down_payment: Decimal
    installment_amount: Decimal
    frequency: str
    start_on: date


@dataclass(frozen=True, slots=True)
class Standing:
    """A plan's standing on one day, from the payments received by the end of it.

    `due_to_date` counts installments due on or before the day; `past_due` only those
    whose date has passed and that the payments do not cover. `next_due_on` is the next
    installment not yet covered, dated on or after the day (or the first uncovered one
    when none is left to come), and `next_amount` is what must be paid by then to be
    current, past-due amounts included. `missed_since` is the due date of the first
    installment that passed unpaid, and `last_missed_on` that of the latest one.
    """

    status: str
    paid_to_date: Decimal
    due_to_date: Decimal
    past_due: Decimal
    remaining: Decimal
    next_due_on: date | None
    next_amount: Decimal
    missed_since: date | None
    last_missed_on: date | None = None


# --- schedules ------------------------------------------------------------------------


def add_months(day: date, months: int) -> date:
    """Return `day` moved by `months` months, on the same day or the month's last day."""
    month_index = day.year * 12 + day.month - 1 + months
    year, month = divmod(month_index, 12)
    last_day = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last_day))


def installment_due_on(start_on: date, frequency: str, number: int) -> date:
    """Return the due date of installment `number` (1 is the first, due on `start_on`).

    Each date is counted from the start date, not from the previous installment, so a
    monthly plan starting on the 31st returns to the 31st after a short month.
    """
    if frequency == "monthly":
        return add_months(start_on, number - 1)
    return start_on + timedelta(days=_DAYS_APART[frequency] * (number - 1))


def installment_count(total: Decimal, down_payment: Decimal, installment_amount: Decimal) -> int:
    """Return how many installments pay what the down payment leaves of the total."""
    rest = total - down_payment
    if rest <= ZERO:
        return 0
    return int((rest / installment_amount).to_integral_value(rounding=ROUND_CEILING))


def build_schedule(terms: PlanTerms, created_on: date) -> list[Installment]:
    """Return the plan's installments by number: the down payment (if any) first.

    An installment dated before `created_on` (a start date in the past) is due on
    `created_on` instead, because a plan cannot be missed before it was made. The caller
    passes valid terms (see `terms_problems`): a known frequency, a positive installment
    and a down payment below the total.
    """
    schedule = []
    if terms.down_payment > ZERO:
        schedule.append(Installment(0, created_on, terms.down_payment))

    count = installment_count(terms.total, terms.down_payment, terms.installment_amount)
    left = terms.total - terms.down_payment
    for number in range(1, count + 1):
        amount = min(terms.installment_amount, left)
        due_on = max(installment_due_on(terms.start_on, terms.frequency, number), created_on)
        schedule.append(Installment(number, due_on, amount))
        left -= amount
    return schedule


# --- standing on a day ------------------------------------------------------------------


def plan_standing(
    schedule: Sequence[Installment],
    payments: Sequence[tuple[date, Decimal]],
    on: date,
    grace_days: int,
) -> Standing:
    """Return the plan's standing on `on`, from (received on, amount) payments.

    Payments received after `on` are left out, so a past day can be replayed. The plan is
    completed once the payments reach its total, even ahead of the schedule.
    """
    total = sum((installment.amount for installment in schedule), ZERO)
    paid = sum((amount for received_on, amount in payments if received_on <= on), ZERO)
    by_date = sorted(schedule, key=lambda installment: (installment.due_on, installment.number))
    due_to_date = sum((item.amount for item in by_date if item.due_on <= on), ZERO)
    passed_due = sum((item.amount for item in by_date if item.due_on < on), ZERO)
    if paid >= total:
        return Standing(COMPLETED, paid, due_to_date, ZERO, ZERO, None, ZERO, None)

    uncovered = _uncovered(by_date, paid)
    first_date, _first_cumulative = uncovered[0]
    missed_since = first_date if first_date < on else None
    passed = [day for day, _cumulative in uncovered if day < on]
    upcoming = next(((day, owed) for day, owed in uncovered if day >= on), uncovered[0])
    return Standing(
        status=_status(missed_since, on, grace_days),
        paid_to_date=paid,
        due_to_date=due_to_date,
        past_due=max(passed_due - paid, ZERO),
        remaining=total - paid,
        next_due_on=upcoming[0],
        next_amount=upcoming[1] - paid,
        missed_since=missed_since,
        last_missed_on=passed[-1] if passed else None,
    )


def _uncovered(by_date: Sequence[Installment], paid: Decimal) -> list[tuple[date, Decimal]]:
    # Each installment the payments do not fully cover, with the cumulative amount due
    # through it. Payments fill installments in date order.
    found = []
    cumulative = ZERO
    for installment in by_date:
        cumulative += installment.amount
        if cumulative > paid:
            found.append((installment.due_on, cumulative))
    return found


def _status(missed_since: date | None, on: date, grace_days: int) -> str:
    if missed_since is None:
        return CURRENT
    if (on - missed_since).days > grace_days:
        return BROKEN
    return LATE


def needs_reminder(status: str, last_missed_on: date | None, last_reminder_on: date | None) -> bool:
    """Return True when a late plan's latest missed installment has had no reminder yet.

    So a late plan gets one reminder per missed installment. A broken plan gets none,
    because the account's usual notices resume instead.
    """
    if status != LATE or last_missed_on is None:
        return False
    return last_reminder_on is None or last_reminder_on < last_missed_on


def summary_line(
    status: str, installment_amount: Decimal, frequency: str, standing: Standing
) -> str:
    """Return the plan's line as a statement prints it.

    Such as "Payment plan: $50.00 monthly, next due 01/15/2027, current".
    """
    if status == COMPLETED:
        return "Payment plan: paid in full"
    if status == CANCELLED:
        return "Payment plan: canceled"

    terms = f"Payment plan: {format_money(installment_amount)} {FREQUENCY_PHRASES[frequency]}"
    if status in (LATE, BROKEN) and standing.missed_since is not None:
        return (
            f"{terms}, {format_money(standing.past_due)} past due since "
            f"{standing.missed_since:%m/%d/%Y}, {status}"
        )
    if standing.next_due_on is None:
        return f"{terms}, {status}"
    return f"{terms}, next due {standing.next_due_on:%m/%d/%Y}, {status}"


# --- checks ---------------------------------------------------------------------------


def terms_problems(
    terms: PlanTerms, grace_days: int, note: str, today: date, owed: Decimal
) -> list[Problem]:
    """Return every problem of a new plan's terms, each naming the value and the fix.

    `owed` is what the account owes now, the most a plan may pay off. A first
    installment dated before today is a warning: it counts as due at once.
    """
    problems = _total_problems(terms.total, owed)
    problems.extend(_down_payment_problems(terms.down_payment, terms.total))
    problems.extend(_installment_problems(terms))
    problems.extend(_frequency_problems(terms.frequency))
    problems.extend(_start_problems(terms.start_on, today))
    problems.extend(grace_problems(grace_days))
    problems.extend(note_problems(note))
    return problems


def _money_problem(field: str, label: str, amount: Decimal) -> Problem | None:
    # Amounts come from typed text, so anything that is not whole cents is rejected here.
    if not isinstance(amount, Decimal) or not amount.is_finite():
        return Problem(field, f"{label} {amount!r} is not a number; type it in dollars.")
    if amount.adjusted() >= MAX_DIGITS:
        return Problem(
            field, f"{label} {amount} has more than {MAX_DIGITS} digits; type it in dollars."
        )
    if amount != amount.quantize(CENT):
        return Problem(field, f"{label} {amount} has fractions of a cent; round it to cents.")
    return None


def _total_problems(total: Decimal, owed: Decimal) -> list[Problem]:
    invalid = _money_problem("total", "The total", total)
    if invalid is not None:
        return [invalid]
    if owed <= ZERO:
        owes = "nothing" if owed == ZERO else f"nothing (it has a {format_money(-owed)} credit)"
        return [
            Problem(
                "total",
                f"The account owes {owes} now, so there is nothing to pay in installments; "
                "choose an account with a balance.",
            )
        ]
    if total <= ZERO:
        return [
            Problem(
                "total",
                f"The total {format_money(total)} is not more than zero; type the amount the "
                f"plan pays off, up to the {format_money(owed)} the account owes.",
            )
        ]
    if total > owed:
        return [
            Problem(
                "total",
                f"The total {format_money(total)} is more than the account owes now "
                f"({format_money(owed)}); type {format_money(owed)} or less.",
            )
        ]
    return []


def _down_payment_problems(down_payment: Decimal, total: Decimal) -> list[Problem]:
    invalid = _money_problem("down_payment", "The down payment", down_payment)
    if invalid is not None:
        return [invalid]
    if down_payment < ZERO:
        return [
            Problem(
                "down_payment",
                f"The down payment {format_money(down_payment)} is negative; type 0 for "
                "none, or the amount the patient pays when the plan is made.",
            )
        ]
    if isinstance(total, Decimal) and total.is_finite() and down_payment >= total > ZERO:
        return [
            Problem(
                "down_payment",
                f"The down payment {format_money(down_payment)} is not less than the total "
                f"{format_money(total)}; lower it, or take the whole amount as a payment "
                "instead of a plan.",
            )
        ]
    return []


def _installment_problems(terms: PlanTerms) -> list[Problem]:
    invalid = _money_problem("installment_amount", "The installment", terms.installment_amount)
    if invalid is not None:
        return [invalid]
    if terms.installment_amount <= ZERO:
        return [
            Problem(
                "installment_amount",
                f"The installment {format_money(terms.installment_amount)} is not more than "
                "zero; type the amount due each time, such as 50.00.",
            )
        ]
    if not _amounts_usable(terms):
        return []

    count = installment_count(terms.total, terms.down_payment, terms.installment_amount)
    if count > MAX_INSTALLMENTS:
        rest = terms.total - terms.down_payment
        smallest = (rest / MAX_INSTALLMENTS).quantize(CENT, rounding=ROUND_CEILING)
        return [
            Problem(
                "installment_amount",
                f"An installment of {format_money(terms.installment_amount)} makes {count:,} "
                f"installments, more than the {MAX_INSTALLMENTS} a plan may have; type "
                f"{format_money(smallest)} or more.",
            )
        ]
    return []


def _amounts_usable(terms: PlanTerms) -> bool:
    # The installment count is only meaningful for whole-cent amounts that leave a rest.
    for amount in (terms.total, terms.down_payment):
        if not isinstance(amount, Decimal) or not amount.is_finite():
            return False
    return terms.total - terms.down_payment > ZERO


def _frequency_problems(frequency: str) -> list[Problem]:
    if frequency in FREQUENCIES:
        return []
    return [
        Problem(
            "frequency",
            f"The frequency {frequency!r} is unknown; choose weekly, biweekly or monthly.",
        )
    ]


def _start_problems(start_on: date, today: date) -> list[Problem]:
    earliest = today - timedelta(days=MAX_START_DAYS_PAST)
    if start_on < earliest:
        return [
            Problem(
                "start_on",
                f"The first installment's date {start_on:%m/%d/%Y} is more than "
                f"{MAX_START_DAYS_PAST} days before today ({today:%m/%d/%Y}); choose "
                f"{earliest:%m/%d/%Y} or later.",
            )
        ]
    if start_on < today:
        return [
            Problem(
                "start_on",
                f"The first installment's date {start_on:%m/%d/%Y} is before today, so it is "
                "due at once; take that installment today or the plan starts late.",
                Severity.WARNING,
            )
        ]
    return []


def grace_problems(grace_days: int) -> list[Problem]:
    """Return a problem unless the grace period is 0 to MAX_GRACE_DAYS days."""
    if 0 <= grace_days <= MAX_GRACE_DAYS:
        return []
    return [
        Problem(
            "grace_days",
            f"The grace period of {grace_days} days is outside 0 to {MAX_GRACE_DAYS}; type "
            f"a number of days from 0 to {MAX_GRACE_DAYS}.",
        )
    ]


def note_problems(note: str) -> list[Problem]:
    """Return a problem for a note that is too long or contains a card number."""
    if len(note) > NOTE_MAX_LENGTH:
        return [
            Problem(
                "note",
                f"The note is {len(note):,} characters; shorten it to {NOTE_MAX_LENGTH}.",
            )
        ]
    if looks_like_card_number(note):
        return [Problem("note", CARD_NUMBER_MESSAGE)]
    return []
