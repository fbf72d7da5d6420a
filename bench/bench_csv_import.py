"""Measure a CSV patient import: checking and saving N generated rows.

    python bench/bench_csv_import.py --rows 10000

The script makes a new practice database in a temporary folder, with cheap key
derivation and an in-memory keyring. It writes N rows with a name, date of birth, sex,
address and a primary coverage. Then it times validate_rows and apply_plan, each in one
transaction as the Admin screen runs them. It prints a Markdown table row for docs/benchmarks.md.
"""

import argparse
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import keyring

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.db.database import Database  # noqa: E402 (after the path set-up above)
from app.security import keys  # noqa: E402
from app.services import csv_import  # noqa: E402
from tests.helpers.csv_import_data import build_csv_practice, write_csv  # noqa: E402
from tests.helpers.memory_keyring import MemoryKeyring  # noqa: E402

TODAY = date(2026, 1, 10)


def generated_rows(count: int) -> list[str]:
    """Return `count` valid CSV rows in the layout of tests.helpers.csv_import_data.HEADER."""
    return [
        f"B{index},Pat{index},Tester{index},{1 + index % 12}/{1 + index % 28}/19{50 + index % 50},"
        f"{'FMU'[index % 3]},{index} Main St,Evanston,IL,60201,,,Aetna,M{index},"
        for index in range(count)
    ]


def main() -> None:
    """Time one check and one save of the generated file."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000, help="rows to import")
    args = parser.parse_args()

    keyring.set_keyring(MemoryKeyring())
    keys.set_default_kdf(keys.KdfParameters(time_cost=1, memory_cost_kib=1024, parallelism=1))
    with tempfile.TemporaryDirectory() as folder:
        database = Database.create(Path(folder) / "bench.db", "bench passphrase for csv")
        practice = build_csv_practice(database)
        path = write_csv(Path(folder), *generated_rows(args.rows))

        started = time.perf_counter()
        csv_file = csv_import.read_csv_preview(path)
        mapping = csv_import.suggest_mapping(csv_file.headers)
        with database.transaction() as session:
            plan = csv_import.validate_rows(
                session, practice.admin, csv_file, mapping, TODAY, source="bench"
            )
        checked = time.perf_counter()
        with database.transaction() as session:
            report = csv_import.apply_plan(session, practice.admin, plan, plan.default_selection())
        saved = time.perf_counter()
        database.close()

    created = report.count(csv_import.RowResult.CREATED)
    print("| rows | created | read and check | save | per saved row |")
    print("|---:|---:|---:|---:|---:|")
    print(
        f"| {args.rows:,} | {created:,} | {checked - started:.1f} s | {saved - checked:.1f} s "
        f"| {(saved - checked) / max(created, 1) * 1000:.1f} ms |"
    )


if __name__ == "__main__":
    main()
