"""The `import csv` command: check and import patients from another system's CSV export."""

import argparse
from pathlib import Path
from typing import Any

from app.cli.common import EXIT_OK, EXIT_USER_ERROR, Outcome, _opened, _sign_in, source_path

# Problem lines printed as text; --json always carries all of them.
MAX_TEXT_PROBLEMS = 200


def cmd_import_csv(args: argparse.Namespace) -> Outcome:
    """Check a CSV file of patients and, unless --dry-run, import the rows without errors."""
    from app.services import csv_import
    from app.services.csv_import import ImportMode
    from app.services.csv_mapping import complete_mapping, load_mapping
    from app.services.today import practice_today

    csv_file = csv_import.read_csv_preview(source_path(args.path, "CSV"))
    if args.mapping:
        mapping = complete_mapping(load_mapping(Path(args.mapping).expanduser()))
    else:
        mapping = csv_import.suggest_mapping(csv_file.headers)
    mode = ImportMode.ALL_OR_NOTHING if args.all_or_nothing else ImportMode.SKIP_ERRORS

    with _opened(args) as database:
        actor = _sign_in(database, args)
        # One transaction: an all-or-nothing refusal or any failure rolls every row back.
        with database.transaction() as session:
            today = practice_today(session)
            plan = csv_import.validate_rows(
                session, actor, csv_file, mapping, today, source=args.source
            )
            selected = _selection(plan, include_duplicates=args.include_duplicates)
            report = None
            if not args.dry_run:
                report = csv_import.apply_plan(session, actor, plan, selected, mode=mode)

    data, text = _plan_output(plan, dry_run=args.dry_run)
    data["plan"] = _row_plan(plan, set(selected))
    if report is not None:
        _add_report(report, data, text)
    code = EXIT_USER_ERROR if plan.error_count else EXIT_OK
    return Outcome(data, text, code)


def _selection(plan: Any, *, include_duplicates: bool) -> list[int]:
    if include_duplicates:
        return [row.row_number for row in plan.rows if not row.has_errors]
    selected: list[int] = plan.default_selection()
    return selected


def _row_plan(plan: Any, selected: set[int]) -> list[dict[str, Any]]:
    """Return one entry per row: what importing would do with it and its problems.

    The action is "skip" for a row with errors and for a likely duplicate left out of
    the selection (--include-duplicates selects those).
    """
    return [
        {
            "row": row.row_number,
            "action": row.action.value if row.row_number in selected else "skip",
            "likely_duplicate": row.likely_duplicate,
            "problems": [
                {
                    "column": problem.column,
                    "severity": problem.severity.value,
                    "message": problem.message,
                }
                for problem in row.problems
            ],
        }
        for row in plan.rows
    ]


def _plan_output(plan: Any, *, dry_run: bool) -> tuple[dict[str, Any], list[str]]:
    csv_file = plan.csv_file
    problems = plan.problems()
    data: dict[str, Any] = {
        "file": str(csv_file.path),
        "source": plan.source,
        "encoding": csv_file.encoding,
        "delimiter": csv_file.delimiter_name,
        "rows": len(plan.rows),
        "new": plan.new_count,
        "updates": plan.update_count,
        "errors": plan.error_count,
        "dry_run": dry_run,
        "mapping": {key: header for key, header in plan.mapping.items() if header},
        "notes": list(plan.notes),
        "problems": [
            {
                "row": problem.row_number,
                "column": problem.column,
                "severity": problem.severity.value,
                "message": problem.message,
            }
            for problem in problems
        ],
    }
    text = [
        f"Checked {len(plan.rows):,} rows of {csv_file.path} ({csv_file.encoding}, "
        f"{csv_file.delimiter_name} separated): {plan.new_count:,} new, "
        f"{plan.update_count:,} updates, {plan.error_count:,} with errors.",
        *plan.notes,
        *(f"{problem.severity.value}: {problem.text}" for problem in problems[:MAX_TEXT_PROBLEMS]),
    ]
    if len(problems) > MAX_TEXT_PROBLEMS:
        text.append(f"… and {len(problems) - MAX_TEXT_PROBLEMS:,} more; --json lists them all.")
    if dry_run:
        text.append("Dry run: nothing was saved.")
    return data, text


def _add_report(report: Any, data: dict[str, Any], text: list[str]) -> None:
    from app.services.csv_import import RowResult

    counts = {result.value: report.count(result) for result in RowResult}
    data.update(counts)
    data["outcomes"] = [
        {
            "row": outcome.row_number,
            "result": outcome.result.value,
            "chart_number": outcome.chart_number,
            "message": outcome.message,
        }
        for outcome in report.outcomes
    ]
    text.append(
        f"Imported: {counts['created']:,} created, {counts['updated']:,} updated, "
        f"{counts['skipped']:,} skipped, {counts['failed']:,} failed."
    )
    text.extend(
        f"Row {outcome.row_number}: {outcome.message}"
        for outcome in report.outcomes
        if outcome.result is RowResult.FAILED
    )
