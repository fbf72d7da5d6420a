"""The `import fhir` command: load FHIR R4 bundles into the practice database."""

import argparse
import sys
from pathlib import Path

from app.cli.common import EXIT_USER_ERROR, Outcome, _opened, _sign_in, source_path
from app.errors import FileWriteError
from app.files import check_target
from app.progress import Progress


class _TerminalProgress(Progress):
    """Progress that rewrites one line on stderr, shown only when stderr is a terminal."""

    def report(self, done: int, total: int, message: str = "") -> None:
        super().report(done, total, message)
        if sys.stderr.isatty():
            sys.stderr.write(f"\r\033[K{done}/{total} {message}")
            if done >= total:
                sys.stderr.write("\n")
            sys.stderr.flush()


def cmd_import_fhir(args: argparse.Namespace) -> Outcome:
    """Import a FHIR bundle file, or every bundle in a folder."""
    from app.services.fhir_import import import_fhir
    from app.services.fhir_report import write_report_csv
    from app.services.today import practice_today

    source = source_path(args.path, "FHIR")
    report_path = Path(args.report).expanduser().resolve() if args.report else None
    if report_path is not None:
        # Checked first: once the import commits, a report that cannot be written
        # could only be lost.
        check_target(report_path)

    with _opened(args) as database:
        actor = _sign_in(database, args)
        with database.transaction() as session:
            today = practice_today(session)
            report = import_fhir(session, actor, source, today, _TerminalProgress())
    if report_path is not None:
        try:
            write_report_csv(report, report_path)
        except FileWriteError as error:
            raise FileWriteError(
                f"The import was saved, but the report was not. {error}"
            ) from error

    text = [report.summary()]
    text += [f"{kind}: {counts}" for kind, counts in report.totals().items()]
    text += [f"failed: {result.message}" for result in report.failed_files]
    if args.report:
        text.append(f"Report written to {args.report}.")
    code = EXIT_USER_ERROR if report.failed_files else 0
    return Outcome(report.to_dict(), text, code)
