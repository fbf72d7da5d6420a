"""The `audit` commands: check the audit hash chain and export audit rows to CSV."""

import argparse
from datetime import date
from pathlib import Path
from typing import Any

from app.cli.common import EXIT_USER_ERROR, Outcome, _opened, _sign_in
from app.errors import UserError
from app.validators import shorten_for_message


def cmd_audit_verify(args: argparse.Namespace) -> Outcome:
    """Check the hash chain of the audit log."""
    from app.security.audit import count_events
    from app.services.audit_log import verify

    with _opened(args) as database:
        actor = _sign_in(database, args)
        with database.transaction() as session:
            breaks = verify(session, actor)
            rows = count_events(session)

    found = [
        {"workstation": item.workstation, "sequence": item.sequence, "reason": item.reason}
        for item in breaks
    ]
    data = {"intact": not breaks, "rows": rows, "breaks": found}
    if not breaks:
        return Outcome(data, [f"intact: {rows} rows"])
    text = [f"broken: the audit log was changed ({len(breaks)} workstation chains affected)"]
    text += [f"workstation {b.workstation}, row {b.sequence}: {b.reason}" for b in breaks]
    return Outcome(data, text, EXIT_USER_ERROR)


def _parse_day(value: str | None, option: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        shown = shorten_for_message(value)
        raise UserError(f"{option} {shown!r} is not a date. Use YYYY-MM-DD.") from None


def _audit_filter(args: argparse.Namespace) -> Any:
    from app.services.audit_log import AuditFilter

    first = _parse_day(args.date_from, "--from")
    last = _parse_day(args.until, "--until")
    if first is not None and last is not None and first > last:
        raise UserError(
            f"--from {first.isoformat()} is after --until {last.isoformat()}, so no day "
            "matches. Swap the two dates."
        )
    return AuditFilter(username=args.by_user, action=args.action, date_from=first, date_to=last)


def cmd_audit_export(args: argparse.Namespace) -> Outcome:
    """Write matching audit rows to a CSV file."""
    from app.services.audit_log import export_csv

    audit_filter = _audit_filter(args)
    target = Path(args.to).expanduser().resolve()
    with _opened(args) as database:
        actor = _sign_in(database, args)
        with database.transaction() as session:
            count = export_csv(session, actor, audit_filter, target, overwrite=args.overwrite)
    return Outcome({"file": str(target), "rows": count}, [f"Wrote {count} audit rows to {target}."])
