"""Every public statement, plan and collections function checks its permission first.

Each function is called as each role. Roles without the function's permission must get
PermissionDeniedError, even with ids that do not exist (so the check comes before any
lookup). Roles with it must get past the check; whatever else the call raises with
these made-up values does not matter here, and its work is rolled back.
"""

import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from app.db.database import Database
from app.errors import PermissionDeniedError
from app.security.permissions import ROLE_PERMISSIONS, Actor, Permission
from app.services import (
    billing_accounts,
    collections,
    collections_export,
    notice_levels,
    payment_plans,
    statement_delivery,
    statement_reports,
    statement_runs,
    statement_settings,
)
from app.services.payment_plans import PlanForm
from tests.helpers.statement_data import STATEMENT_DATE, StatementPractice

UNKNOWN = uuid.UUID("00000000-0000-4000-8000-000000000001")
NOW = datetime(2026, 6, 30, 17, tzinfo=UTC)
OUT = Path("/nonexistent-folder/out.csv")

Call = Callable[[Session, Actor], object]


class NoMail:
    """A transport that must never be reached."""

    def send(self, message: EmailMessage) -> None:
        raise AssertionError("no email may be sent in a permission test")


PLAN_FORM = PlanForm(
    account_id=UNKNOWN,
    total=Decimal("100.00"),
    down_payment=Decimal("0.00"),
    installment_amount=Decimal("50.00"),
    frequency="monthly",
    start_on=date(2026, 7, 15),
)

# (name, permission the statements contract names, call)
CALLS: list[tuple[str, Permission, Call]] = [
    ("ensure_accounts", Permission.PAYMENT_POST,
     lambda s, a: billing_accounts.ensure_accounts(s, a, [UNKNOWN])),
    ("account_for_patient", Permission.PAYMENT_POST,
     lambda s, a: billing_accounts.account_for_patient(s, a, UNKNOWN)),
    ("find_accounts", Permission.PAYMENT_POST,
     lambda s, a: billing_accounts.find_accounts(s, a, "Garcia")),
    ("set_hold", Permission.STATEMENT_RUN,
     lambda s, a: billing_accounts.set_hold(s, a, UNKNOWN, "dispute", None, "")),
    ("release_hold", Permission.STATEMENT_RUN,
     lambda s, a: billing_accounts.release_hold(s, a, UNKNOWN)),
    ("set_email_consent", Permission.PATIENT_EDIT,
     lambda s, a: billing_accounts.set_email_consent(s, a, UNKNOWN, False)),
    ("preview_run", Permission.STATEMENT_RUN,
     lambda s, a: statement_runs.preview_run(s, a, STATEMENT_DATE)),
    ("run_statements", Permission.STATEMENT_RUN,
     lambda s, a: statement_runs.run_statements(s, a, STATEMENT_DATE, [UNKNOWN])),
    ("statement_history", Permission.STATEMENT_RUN,
     lambda s, a: statement_runs.statement_history(s, a, UNKNOWN)),
    ("statement_pdf", Permission.STATEMENT_RUN,
     lambda s, a: statement_runs.statement_pdf(s, a, UNKNOWN)),
    ("run_batch_pdf", Permission.STATEMENT_RUN,
     lambda s, a: statement_runs.run_batch_pdf(s, a, UNKNOWN)),
    ("ensure_default_levels", Permission.PRACTICE_SETUP,
     notice_levels.ensure_default_levels),
    ("save_level", Permission.PRACTICE_SETUP,
     lambda s, a: notice_levels.save_level(s, a, "second", "2nd notice", 30, "Pay.", True)),
    ("save_statement_settings", Permission.PRACTICE_SETUP,
     lambda s, a: statement_settings.save_statement_settings(
         s, a, statement_settings.StatementSettings())),
    ("send_queued_statements", Permission.STATEMENT_RUN,
     lambda s, a: statement_delivery.send_queued_statements(s, a, NoMail(), NOW)),
    ("send_with_practice_smtp", Permission.STATEMENT_RUN,
     lambda s, a: statement_delivery.send_with_practice_smtp(s, a, NOW)),
    ("retry_statement", Permission.STATEMENT_RUN,
     lambda s, a: statement_delivery.retry_statement(s, a, UNKNOWN)),
    ("print_instead", Permission.STATEMENT_RUN,
     lambda s, a: statement_delivery.print_instead(s, a, UNKNOWN, NOW)),
    ("plan_account", Permission.PAYMENT_POST,
     lambda s, a: payment_plans.plan_account(s, a, UNKNOWN)),
    ("create_plan", Permission.PAYMENT_POST,
     lambda s, a: payment_plans.create_plan(s, a, PLAN_FORM)),
    ("refresh_plans", Permission.STATEMENT_RUN,
     lambda s, a: payment_plans.refresh_plans(s, a, STATEMENT_DATE)),
    ("mark_reminded", Permission.STATEMENT_RUN,
     lambda s, a: payment_plans.mark_reminded(s, a, UNKNOWN, STATEMENT_DATE)),
    ("cancel_plan", Permission.STATEMENT_RUN,
     lambda s, a: payment_plans.cancel_plan(s, a, UNKNOWN, "Paid elsewhere")),
    ("list_plans", Permission.STATEMENT_RUN,
     lambda s, a: payment_plans.list_plans(s, a, include_closed=True)),
    ("placement_candidates", Permission.STATEMENT_RUN,
     lambda s, a: collections.placement_candidates(s, a, STATEMENT_DATE)),
    ("place_accounts", Permission.PAYMENT_VOID,
     lambda s, a: collections.place_accounts(s, a, [UNKNOWN], "Acme Recovery", STATEMENT_DATE)),
    ("placement_csv", Permission.PAYMENT_VOID,
     lambda s, a: collections_export.placement_csv(s, a, [UNKNOWN])),
    ("export_placement_csv", Permission.PAYMENT_VOID,
     lambda s, a: collections_export.export_placement_csv(s, a, [UNKNOWN], OUT)),
    ("record_recovery", Permission.PAYMENT_VOID,
     lambda s, a: collections.record_recovery(
         s, a, UNKNOWN, Decimal("10.00"), Decimal("0.00"), STATEMENT_DATE, "")),
    ("recall_placement", Permission.PAYMENT_VOID,
     lambda s, a: collections.recall_placement(s, a, UNKNOWN, "Paid the practice")),
    ("list_placements", Permission.STATEMENT_RUN,
     lambda s, a: collections.list_placements(s, a, include_closed=True)),
    ("notices_in_period", Permission.STATEMENT_RUN,
     lambda s, a: statement_reports.notices_in_period(
         s, a, STATEMENT_DATE, STATEMENT_DATE, ["statement"])),
    ("overdue_without_notice", Permission.STATEMENT_RUN,
     lambda s, a: statement_reports.overdue_without_notice(s, a, STATEMENT_DATE)),
    ("export_notices_csv", Permission.STATEMENT_RUN,
     lambda s, a: statement_reports.export_notices_csv(
         s, a, OUT, start=STATEMENT_DATE, end=STATEMENT_DATE, levels=["statement"])),
    ("export_overdue_csv", Permission.STATEMENT_RUN,
     lambda s, a: statement_reports.export_overdue_csv(s, a, OUT, STATEMENT_DATE)),
]  # fmt: skip


class RollBackError(Exception):
    """Raised to roll back whatever an allowed call wrote."""


def is_denied(database: Database, actor: Actor, call: Call) -> bool:
    """Call as `actor` in a unit of work that is rolled back; True when permission was denied."""
    denied = False
    try:
        with database.transaction() as session:
            try:
                call(session, actor)
            except PermissionDeniedError:
                denied = True
            except Exception:  # noqa: BLE001, S110 (only the permission check is under test)
                pass
            raise RollBackError
    except RollBackError:
        pass
    return denied


def roles(practice: StatementPractice) -> dict[str, Actor]:
    return {
        "front desk": practice.desk,
        "biller": practice.biller,
        "manager": practice.manager,
        "provider": practice.ledger.provider,
        "administrator": practice.ledger.admin,
    }


@pytest.mark.parametrize(("name", "permission", "call"), CALLS, ids=[row[0] for row in CALLS])
def test_permission_checked_per_role(
    database: Database,
    practice: StatementPractice,
    name: str,
    permission: Permission,
    call: Call,
) -> None:
    for role_name, actor in roles(practice).items():
        allowed = permission in ROLE_PERMISSIONS[actor.role]

        denied = is_denied(database, actor, call)

        assert denied != allowed, f"{name} as {role_name}: denied={denied}"
