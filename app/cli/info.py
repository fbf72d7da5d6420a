"""The `info` command: the database, its key file, schema and record counts."""

import argparse
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from app.cli.common import Outcome, _opened
from app.db.database import Database
from app.paths import key_file_path


def _count(session: Any, model: Any) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def _info_data(database: Database) -> dict[str, Any]:
    from app.db.migrate import current_revision, head_revision
    from app.models import Appointment, Patient, Practice, User
    from app.services.backup import last_verified_backup

    with database.transaction() as session:
        practice = session.scalar(select(Practice).limit(1))
        backup = last_verified_backup(session)
        data: dict[str, Any] = {
            "practice": practice.legal_name if practice else None,
            "users": _count(session, User),
            "patients": _count(session, Patient),
            "appointments": _count(session, Appointment),
            "last_verified_backup": None,
        }
        if backup is not None and backup.finished_at is not None:
            data["last_verified_backup"] = {
                "file": str(Path(backup.folder) / backup.file_name),
                "finished_at": backup.finished_at.isoformat(),
            }
    data["schema_revision"] = current_revision(database.engine)
    data["schema_head"] = head_revision()
    return data


def cmd_info(args: argparse.Namespace) -> Outcome:
    """Show the database path, key file, schema and record counts (no patient data)."""
    with _opened(args) as database:
        data = {
            "database": str(database.path),
            "database_id": str(database.database_id),
            "key_file": str(key_file_path(database.path)),
            "size_bytes": database.path.stat().st_size,
            **_info_data(database),
        }
    backup = data["last_verified_backup"]
    text = [
        f"Database:      {data['database']} ({data['size_bytes']:,} bytes)",
        f"Key file:      {data['key_file']}",
        f"Schema:        {data['schema_revision']} (newest known: {data['schema_head']})",
        f"Practice:      {data['practice'] or '(not set up)'}",
        f"Users:         {data['users']}",
        f"Patients:      {data['patients']}",
        f"Appointments:  {data['appointments']}",
        f"Last backup:   {backup['file'] + ' at ' + backup['finished_at'] if backup else 'none'}",
    ]
    return Outcome(data, text)
