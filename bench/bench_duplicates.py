"""Time the practice-wide duplicates report on a database made by bench/generate.py.

    CLINICDESK_PASSPHRASE='…' python bench/bench_duplicates.py --db bench/out/large.db

Each run calls app.services.duplicates.duplicate_pairs in its own read-only unit of
work, as the Duplicates page does, and the script prints a Markdown table row with the
patient count, the pairs listed, the median, minimum and maximum wall-clock seconds, and
the median CPU seconds of this process (steadier than wall time on a shared machine).
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # lets `python bench/bench_duplicates.py` find the app package
    sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402

from app.db.database import Database  # noqa: E402
from app.models import Patient  # noqa: E402
from app.security.permissions import Actor, Role  # noqa: E402
from app.services.duplicates import DEFAULT_MIN_SCORE, duplicate_pairs  # noqa: E402

ACTOR = Actor(user_id=None, username="bench", role=Role.FRONT_DESK, workstation="BNCH")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, required=True, help="database from bench/generate.py")
    parser.add_argument("--runs", type=int, default=3, help="timed runs after one warm-up run")
    parser.add_argument("--min-score", type=int, default=DEFAULT_MIN_SCORE, help="0 to 100")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    passphrase = os.environ.get("CLINICDESK_PASSPHRASE", "")
    database = Database.open(args.db, lambda _path: passphrase)
    try:
        with database.reading() as session:
            patients = session.scalar(
                select(func.count()).select_from(Patient).where(Patient.archived.is_(False))
            )
        seconds: list[float] = []
        cpu_seconds: list[float] = []
        listed = 0
        for run in range(args.runs + 1):
            started, cpu_started = time.perf_counter(), time.process_time()
            with database.reading() as session:
                listed = len(duplicate_pairs(session, ACTOR, min_score=args.min_score))
            if run:  # the first run only warms the page cache
                seconds.append(time.perf_counter() - started)
                cpu_seconds.append(time.process_time() - cpu_started)
    finally:
        database.close()

    print("| patients | pairs listed | median s | min s | max s | median CPU s |")
    print("|---:|---:|---:|---:|---:|---:|")
    print(
        f"| {patients:,} | {listed:,} | {statistics.median(seconds):.2f} | "
        f"{min(seconds):.2f} | {max(seconds):.2f} | {statistics.median(cpu_seconds):.2f} |"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
