"""The dunning ladder's decision for one account: which notice to send, or why none.

Pure: the facts come in as values and nothing is read or written, so every rule can be
tested on its own. The checks run in this order, and the first that applies decides:

1. placed with a collection agency: skipped;
2. credit balance: no statement, listed so someone considers a refund;
3. nothing owed, or only insurance owes: skipped;
4. on hold (dispute, bankruptcy and so on) on the run date: skipped;
5. amount due under the practice's minimum: skipped;
6. newest statement not delivered yet (queued for email, email failed, or moved to
   print and not printed): skipped until someone sends or prints it;
7. open payment plan: a missed installment not yet reminded gets a plan reminder. A
   current plan, or a late one already reminded, is skipped. A broken plan goes on;
8. the ladder. With no statement before, the first level. A patient payment after the
   last statement resets to the first level. Otherwise the next active level above the
   last ladder statement's level, or the highest active level again when none is above.
   The level is sent once its wait (days since the last statement) has passed, and the
   collections level is listed for placement instead of printed.

Only delivered statements (printed or sent) count as the last statement in 8. An
undelivered one would otherwise start the next level's wait, and the guarantor would
get both notices at once when it finally goes out.

Whatever 7 and 8 decide, an account that already has a statement dated the run day gets
no second one.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from app.money import ZERO, format_money
from app.services.notice_levels import (
    COLLECTIONS_LEVEL,
    LEVEL_CODES,
    PLAN_REMINDER,
    PLAN_REMINDER_LABEL,
    NoticeLevelRow,
    level_label,
)
from app.services.statement_settings import StatementSettings

# Skip codes: the reason an account gets no statement (Decision.skip None: one is sent).
SKIP_PLACED = "placed"
SKIP_CREDIT = "credit"
SKIP_NOTHING_OWED = "nothing_owed"
SKIP_INSURANCE_ONLY = "insurance_only"
SKIP_HOLD = "hold"
SKIP_BELOW_MINIMUM = "below_minimum"
SKIP_PAYMENT_PLAN = "payment_plan"
SKIP_TOO_SOON = "too_soon"
SKIP_COLLECTIONS = "collections"
SKIP_UNDELIVERED = "undelivered"

# Statement statuses that mean the guarantor has the statement: printed by the practice,
# or accepted by the mail server. The others are queued, failed, ready (moved to print
# and not printed yet) and cancelled.
DELIVERED_STATUSES = ("printed", "sent")
# Wording of each undelivered status in the SKIP_UNDELIVERED reason.
UNDELIVERED_WORDING = {
    "queued": "queued for email",
    "failed": "email failed",
    "ready": "waiting to be printed",
}

# Plan statuses that mean the plan is still open.
OPEN_PLAN_STATUSES = ("current", "late", "broken")


@dataclass(frozen=True, slots=True)
class UndeliveredStatement:
    """An account's newest statement when it has not reached the guarantor yet.

    `level` is a notice level code or PLAN_REMINDER, and `status` a Statement status
    that is not in DELIVERED_STATUSES (queued, failed or ready).
    """

    statement_date: date
    level: str
    status: str


@dataclass(frozen=True, slots=True)
class AccountFacts:
    """The facts the ladder reads about one account on the run date.

    `balance` is the guarantor's share (negative is a credit). `last_statement_on` and
    `last_statement_level` describe the newest delivered statement (DELIVERED_STATUSES)
    of any level, plan reminders included. `last_ladder_level` is the level of the
    newest delivered statement that was a ladder level (not a plan reminder).
    `undelivered` is the newest statement of the account when it has not been
    delivered yet, and None otherwise. Canceled statements count as neither.
    `last_payment_on` is the newest patient payment's date. `hold_label` is set only
    when a hold is in force on the run date. `placed_on` is set while a collection
    placement is open. The plan fields describe the open payment plan, if any.
    """

    balance: Decimal
    insurance_pending: Decimal = ZERO
    last_statement_on: date | None = None
    last_statement_level: str | None = None
    last_ladder_level: str | None = None
    undelivered: UndeliveredStatement | None = None
    last_payment_on: date | None = None
    hold_label: str | None = None
    hold_until: date | None = None
    placed_on: date | None = None
    placed_with: str | None = None
    plan_status: str | None = None
    plan_needs_reminder: bool = False
    plan_missed_since: date | None = None

    @property
    def amount_due(self) -> Decimal:
        """What the guarantor owes now (zero for a credit)."""
        return max(self.balance, ZERO)

    @property
    def credit(self) -> Decimal:
        """The credit on the account (zero when something is owed)."""
        return max(-self.balance, ZERO)


@dataclass(frozen=True, slots=True)
class Decision:
    """The ladder's result for one account.

    `level` is the level code to send (a notice level or PLAN_REMINDER), None when
    nothing is sent. `label` is that level's printed label, or the label of the level
    that was due but not sent, or "" when no level applies. `reason` is a sentence for
    the biller. `skip` is one of the SKIP_* codes when nothing is sent.
    """

    level: str | None
    label: str
    reason: str
    skip: str | None = None

    @property
    def sends(self) -> bool:
        """True when a statement is made for the account."""
        return self.level is not None


def decide(
    facts: AccountFacts,
    levels: Sequence[NoticeLevelRow],
    settings: StatementSettings,
    on: date,
) -> Decision:
    """Return which notice the account gets on the run date `on`, or why it gets none.

    `levels` are the five ladder levels in ladder order (notice_levels.list_levels).
    """
    for check in (_placement, _nothing_due, _hold):
        decision = check(facts)
        if decision is not None:
            return decision
    if facts.amount_due < settings.minimum_balance:
        return _skip(
            SKIP_BELOW_MINIMUM,
            f"balance {format_money(facts.amount_due)} is under the "
            f"{format_money(settings.minimum_balance)} minimum",
        )
    waiting = _undelivered(facts, levels)
    if waiting is not None:
        return waiting
    decision = _plan(facts) or _ladder(facts, levels, on)
    return _once_a_day(decision, facts, levels, on)


def _once_a_day(
    decision: Decision, facts: AccountFacts, levels: Sequence[NoticeLevelRow], on: date
) -> Decision:
    """Skip a statement when the account already has one dated `on`.

    A wait of 0 days, or a payment that changes a plan's standing, would otherwise let
    a second run on the same day send the account a second statement.
    """
    if not decision.sends or facts.last_statement_on != on:
        return decision
    last = f"the {_lower_first(_last_label(facts, levels))} of {_day(on)}"
    return _skip(
        SKIP_TOO_SOON,
        f"{last} is dated this day, and an account gets one statement a day",
        label=decision.label,
    )


def _skip(code: str, explanation: str, label: str = "") -> Decision:
    return Decision(level=None, label=label, reason=f"Skipped: {explanation}", skip=code)


def _placement(facts: AccountFacts) -> Decision | None:
    if facts.placed_on is None:
        return None
    agency = f" ({facts.placed_with})" if facts.placed_with else ""
    return _skip(SKIP_PLACED, f"placed with a collection agency{agency} on {_day(facts.placed_on)}")


def _nothing_due(facts: AccountFacts) -> Decision | None:
    pending = facts.insurance_pending
    if facts.credit > ZERO:
        after = f" once insurance pays ({format_money(pending)} pending)" if pending else ""
        return _skip(
            SKIP_CREDIT, f"credit balance {format_money(facts.credit)}; consider a refund{after}"
        )
    if facts.amount_due > ZERO:
        return None
    if pending > ZERO:
        return _skip(SKIP_INSURANCE_ONLY, f"only insurance owes ({format_money(pending)} pending)")
    return _skip(SKIP_NOTHING_OWED, "nothing owed")


def _hold(facts: AccountFacts) -> Decision | None:
    if facts.hold_label is None:
        return None
    until = f" until {_day(facts.hold_until)}" if facts.hold_until else ""
    return _skip(SKIP_HOLD, f"on hold ({_lower_first(facts.hold_label)}){until}")


def _undelivered(facts: AccountFacts, levels: Sequence[NoticeLevelRow]) -> Decision | None:
    """Skip an account whose newest statement has not reached the guarantor yet.

    Counting it as sent would start the next level's wait while the guarantor has not
    seen it. Skipping over it would send the next notice together with it.
    """
    waiting = facts.undelivered
    if waiting is None:
        return None
    label = _lower_first(level_label(levels, waiting.level))
    status = UNDELIVERED_WORDING.get(waiting.status, waiting.status)
    return _skip(
        SKIP_UNDELIVERED,
        f"the {label} of {_day(waiting.statement_date)} has not been delivered yet "
        f"({status}); send or print it first",
    )


def _plan(facts: AccountFacts) -> Decision | None:
    """Decide for an account with an open plan; None lets the ladder decide (broken plan)."""
    status = facts.plan_status
    if status not in OPEN_PLAN_STATUSES or status == "broken":
        return None
    if facts.plan_needs_reminder:
        missed = (
            f"the installment due {_day(facts.plan_missed_since)} is unpaid"
            if facts.plan_missed_since
            else "an installment is unpaid"
        )
        return Decision(
            level=PLAN_REMINDER,
            label=PLAN_REMINDER_LABEL,
            reason=f"{PLAN_REMINDER_LABEL}: {missed}",
        )
    if status == "current":
        return _skip(SKIP_PAYMENT_PLAN, "payment plan is current")
    return _skip(
        SKIP_PAYMENT_PLAN,
        "payment plan is late and the reminder was sent; notices resume if the plan breaks",
    )


def _ladder(facts: AccountFacts, levels: Sequence[NoticeLevelRow], on: date) -> Decision:
    suffix = "; the payment plan is broken" if facts.plan_status == "broken" else ""
    last_on = facts.last_statement_on
    if last_on is None:
        first = _first_level(levels)
        return _send(first, f"First statement for this account{suffix}")

    last = f"the {_lower_first(_last_label(facts, levels))} of {_day(last_on)}"
    days = (on - last_on).days
    if days < 0:
        return _skip(SKIP_TOO_SOON, f"{last} is dated after this run")

    paid_since = facts.last_payment_on is not None and facts.last_payment_on > last_on
    if paid_since:
        target = _first_level(levels)
        explanation = f"payment received {_day(facts.last_payment_on)} since {last}"
    else:
        target = _next_level(levels, facts.last_ladder_level)
        explanation = f"{days} days since {last} and no payment since"
    again = " again" if not paid_since and target.code == facts.last_ladder_level else ""

    if days < target.days_after_previous:
        return _skip(
            SKIP_TOO_SOON,
            f"too soon for the {_lower_first(target.label)} ({days} of "
            f"{target.days_after_previous} days since {last})",
            label=target.label,
        )
    if target.code == COLLECTIONS_LEVEL:
        return Decision(
            level=None,
            label=target.label,
            reason=f"{target.label}: {explanation}; listed for placement with a collection agency, "
            "not printed",
            skip=SKIP_COLLECTIONS,
        )
    return _send(target, f"{target.label}{again}: {explanation}{suffix}")


def _send(level: NoticeLevelRow, reason: str) -> Decision:
    return Decision(level=level.code, label=level.label, reason=reason)


def _first_level(levels: Sequence[NoticeLevelRow]) -> NoticeLevelRow:
    # The first level cannot be turned off (notice_levels checks it), so the first
    # active level is the statement level; the fallback covers a damaged store.
    return next((level for level in levels if level.active), levels[0])


def _next_level(levels: Sequence[NoticeLevelRow], last_code: str | None) -> NoticeLevelRow:
    """Return the next active level above `last_code`, else the highest active one."""
    if last_code not in LEVEL_CODES:
        return _first_level(levels)
    last_index = LEVEL_CODES.index(last_code)
    active = [level for level in levels if level.active]
    above = [level for level in active if LEVEL_CODES.index(level.code) > last_index]
    if above:
        return above[0]
    return active[-1] if active else levels[0]


def _last_label(facts: AccountFacts, levels: Sequence[NoticeLevelRow]) -> str:
    if facts.last_statement_level is None:
        return "statement"
    return level_label(levels, facts.last_statement_level)


def _day(value: date | None) -> str:
    return "" if value is None else f"{value:%m/%d/%Y}"


def _lower_first(text: str) -> str:
    """Lower the first letter for use inside a sentence, leaving acronyms ("ABN") alone."""
    if len(text) > 1 and text[:2].isupper():
        return text
    return text[:1].lower() + text[1:]
