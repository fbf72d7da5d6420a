"""Measure loading the bundled ICD-10-CM edition and searching it per keystroke.

    python bench/bench_icd10.py
    CLINICDESK_PASSPHRASE='…' python bench/bench_icd10.py --db bench/out/large.db

The first number is the cold load in a fresh process: importing simple-icd-10-cm, which
parses the CDC files, then building ClinicDesk's index. Each query below is then typed one
character at a time, and every prefix is searched `--repeat` times with the GUI's limit of
50. The table reports the median per keystroke, which keeps other processes' bursts out.
With `--db`, every search is one `search_codes` call in its own read-only unit of work, as
the charge-entry picker runs it, which adds picking the edition from the database. The
script prints Markdown tables.
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # lets `python bench/bench_icd10.py` find the app package
    sys.path.insert(0, str(ROOT))

from app.db.database import Database  # noqa: E402
from app.services.icd10 import load_bundled_edition, search_codes  # noqa: E402

LIMIT = 50
SERVICE_DATE = date(2026, 3, 2)
# Queries a biller types: codes with and without the dot, and words, short and long.
QUERIES: dict[str, tuple[str, ...]] = {
    "code": ("E11.9", "s72001a", "I10", "Z00.00", "M54.50", "J45.909", "T36.0X1A"),
    "words": (
        "type 2 diabetes without complications",
        "essential hypertension",
        "low back pain",
        "fracture neck right femur initial",
        "acute upper respiratory infection",
        "encounter general adult exam",
        "mild intermittent asthma",
    ),
    "word prefixes": ("diab typ 2 hyperg", "hypert heart fail", "frac fem rig clos", "copd exac"),
}

_COLD_LOAD = """
import time, warnings
started = time.perf_counter()
from app.services.icd10 import load_bundled_edition
with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import simple_icd_10_cm
imported = time.perf_counter()
load_bundled_edition()
print(imported - started, time.perf_counter() - imported)
"""


def prefixes(text: str) -> list[str]:
    """Return the text as typed: its first character, first two, and so on."""
    return [text[:length] for length in range(1, len(text) + 1)]


def cold_load_seconds(runs: int) -> list[tuple[float, float]]:
    """Return (package import, index build) seconds for each run in a fresh interpreter."""
    results = []
    for _run in range(runs):
        output = subprocess.run(
            [sys.executable, "-c", _COLD_LOAD],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        results.append((float(output[0]), float(output[1])))
    return results


def time_keystrokes(search: Callable[[str], object], repeat: int) -> dict[str, list[float]]:
    """Return milliseconds per keystroke for each query kind: the median of `repeat` runs."""
    timings: dict[str, list[float]] = {}
    for kind, queries in QUERIES.items():
        for query in queries:
            for typed in prefixes(query):
                runs = []
                for _run in range(repeat):
                    started = time.perf_counter()
                    search(typed)
                    runs.append((time.perf_counter() - started) * 1000)
                timings.setdefault(kind, []).append(statistics.median(runs))
    return timings


def table(title: str, timings: dict[str, list[float]]) -> str:
    """Return a Markdown table of p50, p95 and max per query kind and overall."""
    rows = [f"### {title}", "", "| query typed | keystrokes | p50 ms | p95 ms | max ms |"]
    rows.append("|---|---:|---:|---:|---:|")
    every = [value for values in timings.values() for value in values]
    for kind, values in [*timings.items(), ("**all**", every)]:
        ordered = sorted(values)
        p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
        rows.append(
            f"| {kind} | {len(values)} | {statistics.median(values):.3f} | {p95:.3f} | "
            f"{ordered[-1]:.3f} |"
        )
    return "\n".join(rows)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, help="a ClinicDesk database, for search_codes timings")
    parser.add_argument("--runs", type=int, default=3, help="cold loads to time (fresh processes)")
    parser.add_argument(
        "--repeat", type=int, default=5, help="searches per keystroke; the median is reported"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    loads = cold_load_seconds(args.runs)
    print("### Cold load (seconds, fresh process)\n")
    print("| run | import simple-icd-10-cm | build index | total |")
    print("|---:|---:|---:|---:|")
    for run, (imported, built) in enumerate(loads, start=1):
        print(f"| {run} | {imported:.2f} | {built:.2f} | {imported + built:.2f} |")

    index = load_bundled_edition()
    print()
    print(
        table(
            "EditionIndex.search (in memory)",
            time_keystrokes(lambda typed: index.search(typed, LIMIT), args.repeat),
        )
    )

    if args.db is not None:
        passphrase = os.environ.get("CLINICDESK_PASSPHRASE", "")
        database = Database.open(args.db, lambda _path: passphrase)
        try:

            def through_service(typed: str) -> object:
                with database.reading() as session:
                    return search_codes(session, typed, SERVICE_DATE, LIMIT)

            print()
            print(
                table(
                    "search_codes (one read-only unit of work each)",
                    time_keystrokes(through_service, args.repeat),
                )
            )
        finally:
            database.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
