"""Measure a fee schedule import: previewing and saving N generated rows.

    python bench/bench_fee_import.py --rows 5000

The script makes a new practice database in a temporary folder, with cheap key
derivation and an in-memory keyring, and a practice schedule with no prices. It writes
N rows of made-up codes (five-digit codes with local labels, no CPT descriptions), none
of them in Procedure codes yet, so the import also creates each distinct code. It times the
preview and the import, each in one transaction as the Fee schedules tab runs them, and
a second preview of the same file, in which every row is unchanged. It prints a Markdown
table row for docs/benchmarks.md.
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
from app.services import fee_csv  # noqa: E402
from app.services.fee_csv import ImportTarget, RowStatus  # noqa: E402
from app.services.practice import initialize_practice  # noqa: E402
from tests.helpers.fee_data import add_schedule  # noqa: E402
from tests.helpers.memory_keyring import MemoryKeyring  # noqa: E402
from tests.helpers.practice_data import sample_setup  # noqa: E402

TODAY = date(2026, 1, 10)
FIRST_CODE = 10_000


def write_fee_file(folder: Path, count: int) -> Path:
    """Write `count` rows of distinct made-up codes; every tenth row has modifier 25 too."""
    lines = ["code,description,fee,modifier,units,requires_ndc,kind"]
    for index in range(count):
        code = FIRST_CODE + index // 2 if index % 10 == 9 else FIRST_CODE + index
        modifier = "25" if index % 10 == 9 else ""
        lines.append(
            f'{code:05d},"Local service {index}","${index % 900 + 10:,}.50",{modifier},1,no,'
        )
    path = folder / "fees.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def main() -> None:
    """Time one preview, one import, and a preview of the imported file."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5_000, help="rows in the fee file")
    args = parser.parse_args()

    keyring.set_keyring(MemoryKeyring())
    keys.set_default_kdf(keys.KdfParameters(time_cost=1, memory_cost_kib=1024, parallelism=1))
    with tempfile.TemporaryDirectory() as folder:
        database = Database.create(Path(folder) / "bench.db", "bench passphrase for fees")
        with database.transaction() as session:
            admin = initialize_practice(session, sample_setup()).admin
        schedule_id = add_schedule(database, admin, "Charges 2026", date(2026, 1, 1))
        path = write_fee_file(Path(folder), args.rows)
        target = ImportTarget(schedule_id=schedule_id)

        started = time.perf_counter()
        with database.session() as session:
            preview = fee_csv.preview_fee_import(session, admin, path, target)
        checked = time.perf_counter()
        with database.transaction() as session:
            result = fee_csv.apply_fee_import(session, admin, preview, TODAY)
        saved = time.perf_counter()
        with database.session() as session:
            again = fee_csv.preview_fee_import(session, admin, path, target)
        rechecked = time.perf_counter()
        database.close()

    assert preview.can_import, preview.problems()[:3]
    assert again.count(RowStatus.UNCHANGED) == args.rows
    print("| rows | codes created | preview | import | preview again |")
    print("|---:|---:|---:|---:|---:|")
    print(
        f"| {args.rows:,} | {result.codes_created:,} | {checked - started:.2f} s "
        f"| {saved - checked:.2f} s | {rechecked - saved:.2f} s |"
    )


if __name__ == "__main__":
    main()
