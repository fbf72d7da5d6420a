"""The `fees import` and `fees export` commands: fee schedules as CSV files."""

import argparse
from datetime import date
from pathlib import Path
from typing import Any

from app.cli.common import EXIT_OK, EXIT_USER_ERROR, Outcome, _opened, _sign_in, source_path
from app.errors import UserError
from app.validators import shorten_for_message

# Problem lines printed as text; --json always carries all of them.
MAX_TEXT_PROBLEMS = 200


def _parse_day(value: str | None, option: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        shown = shorten_for_message(value)
        raise UserError(f"{option} {shown!r} is not a date. Use YYYY-MM-DD.") from None


def _payer_id(session: Any, name: str | None) -> Any:
    from sqlalchemy import func, select

    from app.models.practice import Payer

    if not name:
        return None
    query = select(Payer.id).where(
        func.lower(Payer.name) == name.strip().lower(), Payer.archived.is_(False)
    )
    payer_id = session.scalars(query).first()
    if payer_id is None:
        raise UserError(
            f"No active payer is named {shorten_for_message(name)!r}. Check the spelling on "
            "Admin > Payers, or leave out --payer for the practice's charges."
        )
    return payer_id


def _target(session: Any, args: argparse.Namespace) -> Any:
    """Return the existing schedule named --schedule, or a new one from the date options."""
    from app.services.fee_csv import ImportTarget
    from app.services.fee_schedules import FeeScheduleForm, ScheduleKind, find_fee_schedule

    existing = find_fee_schedule(session, args.schedule)
    if existing is not None:
        if args.effective_from or args.effective_to or args.payer:
            raise UserError(
                f"The fee schedule {existing.name!r} exists already, so --effective-from, "
                "--effective-to and --payer do not apply. Leave them out to import into it, "
                "or give a new --schedule name."
            )
        return ImportTarget(schedule_id=existing.id)

    starts = _parse_day(args.effective_from, "--effective-from")
    if starts is None:
        raise UserError(
            f"No fee schedule is named {shorten_for_message(args.schedule)!r}. Check the name "
            "on Admin > Fee schedules, or add --effective-from YYYY-MM-DD (and --payer NAME "
            "for allowed amounts) to create it."
        )
    payer_id = _payer_id(session, args.payer)
    kind = ScheduleKind.ALLOWED if payer_id is not None else ScheduleKind.PRACTICE
    ends = _parse_day(args.effective_to, "--effective-to")
    form = FeeScheduleForm(args.schedule, kind.value, payer_id, starts, ends)
    return ImportTarget(new_schedule=form)


def cmd_fees_import(args: argparse.Namespace) -> Outcome:
    """Check a fee schedule CSV file and, unless --dry-run, import it (all rows or none)."""
    from app.services import fee_csv

    path = source_path(args.path, "CSV")
    with _opened(args) as database:
        actor = _sign_in(database, args)
        # One transaction: a failure anywhere rolls every row back.
        with database.transaction() as session:
            preview = fee_csv.preview_fee_import(session, actor, path, _target(session, args))
            result = None
            if preview.can_import and not args.dry_run:
                result = fee_csv.apply_fee_import(session, actor, preview)

    data, text = _preview_output(preview, dry_run=args.dry_run)
    if result is not None:
        data["imported"] = {
            "added": result.added,
            "changed": result.changed,
            "unchanged": result.unchanged,
            "codes_created": result.codes_created,
        }
        text.append(
            f"Imported into {preview.schedule_name}: {result.added:,} prices added, "
            f"{result.changed:,} changed, {result.unchanged:,} unchanged, "
            f"{result.codes_created:,} procedure codes created."
        )
    elif not args.dry_run:
        text.append("Nothing was imported (all or nothing): fix the problems above and retry.")
    return Outcome(data, text, EXIT_OK if preview.can_import else EXIT_USER_ERROR)


def _preview_output(preview: Any, *, dry_run: bool) -> tuple[dict[str, Any], list[str]]:
    from app.services.csv_reading import DELIMITER_NAMES
    from app.services.fee_csv import RowStatus

    problems = preview.problems()
    delimiter = DELIMITER_NAMES.get(preview.delimiter, preview.delimiter)
    data: dict[str, Any] = {
        "file": str(preview.path),
        "schedule": preview.schedule_name,
        "new_schedule": preview.target.schedule_id is None,
        "encoding": preview.encoding,
        "delimiter": delimiter,
        "rows": len(preview.rows),
        **{status.value: preview.count(status) for status in RowStatus},
        "codes_to_create": preview.codes_to_create,
        "dry_run": dry_run,
        "ignored_columns": list(preview.ignored_columns),
        "schedule_problems": [
            {"field": problem.field, "message": problem.message}
            for problem in preview.schedule_problems
        ],
        "problems": [
            {
                "row": problem.row_number,
                "column": problem.column,
                "value": problem.value,
                "message": problem.message,
            }
            for problem in problems
        ],
        "plan": [_row_entry(row) for row in preview.rows],
    }
    text = [
        f"Checked {preview.path} ({preview.encoding}, {delimiter} separated).",
        preview.summary(),
    ]
    if preview.ignored_columns:
        text.append(f"Ignored columns: {', '.join(preview.ignored_columns)}.")
    text += [f"error: {problem.message}" for problem in preview.schedule_problems]
    text += [f"error: {problem.text}" for problem in problems[:MAX_TEXT_PROBLEMS]]
    if len(problems) > MAX_TEXT_PROBLEMS:
        text.append(f"… and {len(problems) - MAX_TEXT_PROBLEMS:,} more; --json lists them all.")
    text += [f"note: Row {row.row_number}: {note}" for row in preview.rows for note in row.notes]
    if dry_run:
        text.append("Dry run: nothing was saved.")
    return data, text


def _row_entry(row: Any) -> dict[str, Any]:
    parsed = row.parsed
    return {
        "row": row.row_number,
        "code": parsed.code,
        "modifier": parsed.modifier,
        "status": row.status.value,
        "old_fee": None if row.old_amount is None else str(row.old_amount),
        "fee": None if parsed.amount is None else str(parsed.amount),
        "creates_code": row.creates_code,
    }


def cmd_fees_export(args: argparse.Namespace) -> Outcome:
    """Write a fee schedule's prices to a CSV file that `fees import` reads back."""
    from app.services.fee_csv import export_fee_schedule
    from app.services.fee_schedules import find_fee_schedule

    target = Path(args.path).expanduser().resolve()
    with _opened(args) as database:
        actor = _sign_in(database, args)
        with database.transaction() as session:
            schedule = find_fee_schedule(session, args.schedule)
            if schedule is None:
                raise UserError(
                    f"No fee schedule is named {shorten_for_message(args.schedule)!r}. Check "
                    "the name on Admin > Fee schedules."
                )
            name = schedule.name
            count = export_fee_schedule(session, actor, schedule.id, target)
    data = {"file": str(target), "schedule": name, "rows": count}
    return Outcome(data, [f"Wrote {count:,} prices of {name} to {target}."])
