"""The `statements` commands: preview and run patient statements, read an account's history."""

import argparse
import uuid
from datetime import date
from pathlib import Path
from typing import Any

from app.cli.common import EXIT_OK, EXIT_USER_ERROR, Outcome, _database_path, _opened, _sign_in
from app.errors import UserError
from app.validators import shorten_for_message

# Preview rows printed as text; --json always carries all of them.
MAX_TEXT_ROWS = 300


def _run_date(text: str | None, session: Any) -> date:
    """Return the statement date: the one given (YYYY-MM-DD) or the practice's today."""
    from app.services.today import practice_today

    if text is None:
        return practice_today(session)
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise UserError(
            f"{shorten_for_message(text)!r} is not a date: write it as YYYY-MM-DD, "
            "such as 2026-12-01."
        ) from None


def _money(amount: Any) -> str:
    return f"{amount:.2f}"


def _preview_data(row: Any) -> dict[str, Any]:
    return {
        "account": row.account_number,
        "guarantor": row.guarantor_name,
        "level": row.level,
        "level_label": row.level_label,
        "reason": row.reason,
        "channel": row.channel,
        "amount_due": _money(row.amount_due),
        "insurance_pending": _money(row.insurance_pending),
        "balance": _money(row.balance),
        "last_statement_on": None if row.last_statement_on is None else str(row.last_statement_on),
    }


def _preview_line(item: dict[str, Any]) -> str:
    what = item["level_label"] if item["level"] else "skip"
    return (
        f"{item['account']}  {item['guarantor'][:24]:<24}  {what:<14} "
        f"due {item['amount_due']:>10}  pending {item['insurance_pending']:>10}  "
        f"{item['channel']:<5}  {item['reason']}"
    )


def cmd_statements_preview(args: argparse.Namespace) -> Outcome:
    """List which guarantors a run would send which notice, and why the others are skipped."""
    from app.services.statement_runs import preview_run

    with _opened(args) as database:
        actor = _sign_in(database, args)
        with database.transaction() as session:
            run_on = _run_date(args.date, session)
            rows = preview_run(session, actor, run_on)

    # Statements to send first, then the skipped accounts, each by account number.
    ordered = sorted(rows, key=lambda row: (row.level is None, row.account_number))
    items = [_preview_data(row) for row in ordered]
    chosen = [item for item in items if item["level"]]
    data = {"date": str(run_on), "statements": len(chosen), "accounts": items}
    text = [f"statement date {run_on}: {len(chosen)} to send, {len(items) - len(chosen)} skipped"]
    text += [_preview_line(item) for item in items[:MAX_TEXT_ROWS]]
    if len(items) > MAX_TEXT_ROWS:
        text.append(f"... {len(items) - MAX_TEXT_ROWS} more accounts (use --json)")
    return Outcome(data, text)


def _batch_path(args: argparse.Namespace, run_number: str) -> Path:
    """Return where the printed batch goes: --out, or beside the database."""
    if args.out:
        return Path(args.out).expanduser()
    return _database_path(args).parent / "statements" / f"statements-{run_number}.pdf"


def _write_batch(path: Path, pdf: bytes) -> None:
    """Write the batch PDF through a temporary name, so a full disk leaves no half file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".part")
    try:
        partial.write_bytes(pdf)
        partial.replace(path)
    except OSError as error:
        partial.unlink(missing_ok=True)
        raise UserError(
            f"The statements could not be saved to {path} ({error.strerror}). Free some "
            "space or choose another folder with --out; the run is saved and its PDF can "
            "be printed again from the Statements page."
        ) from error


def _send(database: Any, actor: Any) -> Any:
    """Send every queued emailed statement through the practice's SMTP server.

    Returns None when no mail server is set up: the run is saved already, so the command
    reports it and says how to send the emails later instead of failing outright.
    """
    from app.clock import utc_now
    from app.services.mailer import SmtpTransport, smtp_password, smtp_settings
    from app.services.statement_delivery import send_queued_statements

    with database.transaction() as session:
        settings = smtp_settings(session)
        if not settings.configured:
            return None
        transport = SmtpTransport(settings, smtp_password(settings.username))
        return send_queued_statements(session, actor, transport, utc_now())


NO_MAIL_SERVER = (
    "email: not sent, because no mail server is set up. Enter it in Admin → Reminders → "
    "Outgoing email (SMTP), then send the queued statements from the Statements page."
)


def _email_report(sent: Any) -> tuple[dict[str, Any], str]:
    data = {
        "sent": sent.sent,
        "failed": sent.failed,
        "waiting": sent.waiting,
        "cancelled": sent.cancelled,
        "moved_to_print": sent.moved_to_print,
    }
    line = (
        f"email: {sent.sent} sent, {sent.waiting} waiting to retry, {sent.failed} failed, "
        f"{sent.cancelled} canceled, {sent.moved_to_print} moved to print"
    )
    return data, line


def cmd_statements_run(args: argparse.Namespace) -> Outcome:
    """Make the statements the preview lists, save the printed batch, and email with --send."""
    from app.services.statement_runs import run_statements

    with _opened(args) as database:
        actor = _sign_in(database, args)
        with database.transaction() as session:
            run_on = _run_date(args.date, session)
            outcome = run_statements(session, actor, run_on)
        path = None
        if outcome.batch_pdf:
            path = _batch_path(args, outcome.run_number)
            _write_batch(path, outcome.batch_pdf)
        sent = _send(database, actor) if args.send and outcome.queued else None

    data: dict[str, Any] = {
        "run": outcome.run_number,
        "date": str(run_on),
        "printed": outcome.printed,
        "queued": outcome.queued,
        "total_due": _money(outcome.total_due),
        "file": None if path is None else str(path),
        "problems": [
            {"account": problem.account_number, "reason": problem.reason}
            for problem in outcome.problems
        ],
    }
    text = [
        f"run {outcome.run_number} ({run_on}): {outcome.printed} printed, "
        f"{outcome.queued} to email, {_money(outcome.total_due)} due in all"
    ]
    if path is not None:
        text.append(f"printed statements: {path}")
    text += [f"left out {problem.account_number}: {problem.reason}" for problem in outcome.problems]
    code = EXIT_USER_ERROR if outcome.problems else EXIT_OK
    if args.send and outcome.queued:
        if sent is None:
            data["email"] = None
            text.append(NO_MAIL_SERVER)
            code = EXIT_USER_ERROR
        else:
            data["email"], line = _email_report(sent)
            text.append(line)
            if sent.failed or sent.waiting:
                code = EXIT_USER_ERROR
    return Outcome(data, text, code)


def _account_id(session: Any, actor: Any, text: str) -> uuid.UUID:
    """Find the account named by an account number or a patient's chart number."""
    from sqlalchemy import func, select

    from app.models.patients import Patient
    from app.models.statements import BillingAccount
    from app.services.billing_accounts import account_for_patient

    number = text.strip().upper()
    found = session.scalar(
        select(BillingAccount.id).where(func.upper(BillingAccount.account_number) == number)
    )
    if found is not None:
        return uuid.UUID(str(found))
    patient_id = session.scalar(
        select(Patient.id).where(func.upper(Patient.chart_number) == number)
    )
    if patient_id is None:
        raise UserError(
            f"No account or chart is numbered {shorten_for_message(text)!r}. Use the account "
            "number printed on a statement (such as AK7Q-000042) or the patient's chart number."
        )
    return account_for_patient(session, actor, patient_id).id


def cmd_statements_history(args: argparse.Namespace) -> Outcome:
    """List every statement and notice made for a guarantor's account."""
    from app.services.statement_runs import statement_history

    with _opened(args) as database:
        actor = _sign_in(database, args)
        with database.transaction() as session:
            account_id = _account_id(session, actor, args.guarantor)
            rows = statement_history(session, actor, account_id)

    items = [
        {
            "number": row.statement_number,
            "date": str(row.statement_date),
            "level": row.level,
            "level_label": row.level_label,
            "amount_due": _money(row.amount_due),
            "insurance_pending": _money(row.insurance_pending),
            "channel": row.channel,
            "status": row.status,
            "sent_at": None if row.sent_at is None else row.sent_at.isoformat(),
            "error": row.last_error,
        }
        for row in rows
    ]
    text = [f"{len(items)} statement(s) and notice(s)"]
    text += [
        f"{item['date']}  {item['number']}  {item['level_label']:<14} "
        f"due {item['amount_due']:>10}  {item['channel']:<5} {item['status']}"
        for item in items
    ]
    return Outcome({"statements": items}, text)
