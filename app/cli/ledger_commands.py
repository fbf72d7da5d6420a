"""The `ledger` commands: check that the ledger is what ClinicDesk posted."""

import argparse
from datetime import date

from app.cli.common import EXIT_USER_ERROR, Outcome, _opened, _sign_in
from app.errors import UserError


def cmd_ledger_verify(args: argparse.Namespace) -> Outcome:
    """Check ledger row hashes, their audit events, reversals, balances and the audit chain."""
    from app.services.ledger_verify import ledger_check

    with _opened(args) as database:
        actor = _sign_in(database, args)
        with database.transaction() as session:
            findings = ledger_check(session, actor)

    found = [
        {
            "check": finding.check,
            "message": finding.message,
            "entry_id": None if finding.entry_id is None else str(finding.entry_id),
            "patient_id": None if finding.patient_id is None else str(finding.patient_id),
        }
        for finding in findings
    ]
    data = {"intact": not findings, "findings": found}
    if not findings:
        return Outcome(data, ["intact: every ledger check passed"])
    text = [f"problems found: {len(findings)} (details below)"]
    text += [f"{finding.check}: {finding.message}" for finding in findings]
    return Outcome(data, text, EXIT_USER_ERROR)


def _lock_date(text: str) -> date | None:
    if text.strip().lower() == "none":
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise UserError(
            f"{text!r} is not a date; give the last day to close as YYYY-MM-DD, "
            "or none to reopen every day."
        ) from None


def cmd_ledger_lock(args: argparse.Namespace) -> Outcome:
    """Show the ledger lock date, or set it (none reopens every day)."""
    from app.services.ledger import ledger_lock_date, set_ledger_lock_date

    with _opened(args) as database:
        actor = _sign_in(database, args)
        with database.transaction() as session:
            if args.date is not None:
                set_ledger_lock_date(session, actor, _lock_date(args.date))
            current = ledger_lock_date(session)

    if current is None:
        return Outcome({"lock_date": None}, ["no lock date: every day is open to posting"])
    return Outcome(
        {"lock_date": current.isoformat()},
        [f"closed through {current:%m/%d/%Y}: nothing posts with an earlier or equal date"],
    )
