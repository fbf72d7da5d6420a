"""The `backup` and `restore` commands."""

import argparse
from pathlib import Path

from app.cli.common import (
    EXIT_USER_ERROR,
    Outcome,
    _ask_passphrase,
    _confirm,
    _database_path,
    _opened,
    _sign_in,
)


def cmd_backup(args: argparse.Namespace) -> Outcome:
    """Write a verified, encrypted backup."""
    from app.services.backup import backup_database

    folder = Path(args.to).expanduser() if args.to else None
    with _opened(args) as database:
        actor = _sign_in(database, args)
        result = backup_database(database, actor, folder=folder, keep_last=args.keep)
    data = {
        "backup": str(result.path),
        "key_file": str(result.key_path),
        "verified": result.verified,
        "size_bytes": result.size_bytes,
        "rows": sum(result.table_counts.values()),
        "tables": result.table_counts,
    }
    text = [
        f"Backup written and verified: {result.path} ({result.size_bytes:,} bytes, "
        f"{sum(result.table_counts.values()):,} rows).",
        f"Its key file: {result.key_path}",
    ]
    return Outcome(data, text)


def cmd_restore(args: argparse.Namespace) -> Outcome:
    """Restore a backup into a database file."""
    from app.services.restore import restore_backup

    target = _database_path(args)
    if args.replace and target.exists():
        question = f"This replaces {target}; the old file is kept beside it as .replaced-DATE."
        if not _confirm(question, args.yes):
            return Outcome({"restored": False}, ["Nothing was restored."], EXIT_USER_ERROR)

    result = restore_backup(Path(args.file), target, _ask_passphrase, replace=args.replace)
    data = {
        "database": str(result.path),
        "key_file": str(result.key_path),
        "verified": result.verified,
        "rows": sum(result.table_counts.values()),
        "replaced": str(result.replaced_path) if result.replaced_path else None,
    }
    text = [f"Restored {args.file} into {result.path} and verified it."]
    if result.replaced_path:
        data["audit_recorded"] = result.audit_recorded
        text.append(f"The replaced database is kept as {result.replaced_path}.")
        text.append("Audit events recorded after the backup was made are in that file.")
    if result.replaced_path and not result.audit_recorded:
        text.append(
            "The restore could not be written to the audit log; the log file has the reason."
        )
    return Outcome(data, text)
