"""The `ledger` commands: check that the ledger is what ClinicDesk posted."""

import argparse

from app.cli.common import EXIT_USER_ERROR, Outcome, _opened, _sign_in


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
