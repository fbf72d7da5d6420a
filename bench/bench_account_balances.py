"""Time the small-balance list, the small-balance write-off and the credit-balance list.

    python bench/bench_account_balances.py --patients 20000

Makes a new encrypted database in a temporary folder with the practice of
tests/helpers/ledger_data.py, inserts `--patients` patients and posts up to three ledger
rows each with `ledger_bulk.post_entries` (not timed): a patient charge between $1 and
$300, a payment of none, part or all of it, and for one patient in ten an overpayment, so
the ledger has small balances, larger balances and credits. Then three steps are timed,
each in its own unit of work:

- candidates: `small_balance_candidates` at the default $5.00 threshold,
- write-off: `write_off_small_balances` of every candidate found, with its commit,
- credits: `credit_balances`.

Prints a Markdown table with wall-clock and CPU seconds of this process; CPU seconds
change less than wall-clock seconds when other programs share the CPU.
"""

import argparse
import random
import sys
import tempfile
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # lets `python bench/bench_account_balances.py` find the app
    sys.path.insert(0, str(ROOT))

import keyring  # noqa: E402
from sqlalchemy import insert  # noqa: E402

from app.db.database import Database  # noqa: E402
from app.ids import new_id  # noqa: E402
from app.models.patients import Patient  # noqa: E402
from app.security import keys  # noqa: E402
from app.services.account_adjustments import (  # noqa: E402
    DEFAULT_SMALL_BALANCE_THRESHOLD,
    small_balance_candidates,
    write_off_small_balances,
)
from app.services.ledger_bulk import NewEntry, post_entries  # noqa: E402
from app.services.refunds import credit_balances  # noqa: E402
from tests.helpers.ledger_data import LedgerPractice, build_ledger_practice  # noqa: E402
from tests.helpers.memory_keyring import MemoryKeyring  # noqa: E402

PASSPHRASE = "bench balances passphrase"  # noqa: S105 (throwaway test database)
SERVICE_DAY = date(2026, 6, 1)
CENT = Decimal("0.01")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--patients", type=int, default=20_000, help="patients with a ledger")
    parser.add_argument("--seed", type=int, default=1, help="seed of the amounts")
    return parser.parse_args(argv)


def ledger_rows(practice: LedgerPractice, patient_id: object, rng: random.Random) -> list[NewEntry]:
    """Return a charge, a payment of part of it and, one time in ten, an overpayment."""
    charge = Decimal(rng.randint(100, 30_000)) * CENT
    paid = (charge * Decimal(rng.choice((0, 50, 90, 98, 100))) / 100).quantize(CENT)
    common = {"patient_id": patient_id, "responsible_party": "patient"}
    rows = [
        NewEntry("charge", charge, service_date=SERVICE_DAY, **common),  # type: ignore[arg-type]
    ]
    if paid:
        rows.append(NewEntry("payment", -paid, service_date=SERVICE_DAY, **common))  # type: ignore[arg-type]
    if rng.random() < 0.1:
        rows.append(NewEntry("payment", -Decimal(rng.randint(100, 5_000)) * CENT, **common))  # type: ignore[arg-type]
    return rows


def prepare(folder: Path, patients: int, seed: int) -> tuple[Database, LedgerPractice, int]:
    database = Database.create(folder / "balances.db", PASSPHRASE)
    practice = build_ledger_practice(database)
    rng = random.Random(seed)
    rows = [
        {
            "id": new_id(),
            "chart_number": f"B-{index:06d}",
            "first_name": "Pat",
            "last_name": f"Bench{index}",
            "date_of_birth": date(1950 + index % 50, 1 + index % 12, 1 + index % 28),
            "sex": "FM"[index % 2],
        }
        for index in range(patients)
    ]
    entries = [entry for row in rows for entry in ledger_rows(practice, row["id"], rng)]
    with database.transaction() as session:
        session.execute(insert(Patient), rows)
        post_entries(session, practice.biller, entries, detail="bench")
    return database, practice, len(entries)


def timed(step: str, results: dict[str, tuple[float, float]], work: object) -> object:
    wall, cpu = time.perf_counter(), time.process_time()
    value = work()  # type: ignore[operator]
    results[step] = (time.perf_counter() - wall, time.process_time() - cpu)
    return value


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    keys.set_default_kdf(keys.KdfParameters(time_cost=1, memory_cost_kib=1024, parallelism=1))
    keyring.set_keyring(MemoryKeyring())
    results: dict[str, tuple[float, float]] = {}
    with tempfile.TemporaryDirectory() as folder:
        database, practice, row_count = prepare(Path(folder), args.patients, args.seed)
        try:

            def candidates() -> list[object]:
                with database.reading() as session:
                    return list(small_balance_candidates(session, practice.biller))

            found = timed("candidates", results, candidates)
            patient_ids = [row.patient_id for row in found]  # type: ignore[attr-defined]

            def write_off() -> None:
                with database.transaction() as session:
                    write_off_small_balances(
                        session, practice.biller, patient_ids, DEFAULT_SMALL_BALANCE_THRESHOLD
                    )

            timed("write-off", results, write_off)

            def credit_list() -> int:
                with database.reading() as session:
                    return len(credit_balances(session, practice.biller))

            credit_count = timed("credits", results, credit_list)
        finally:
            database.close()

    print(
        f"{args.patients:,} patients, {row_count:,} ledger rows, "
        f"{len(patient_ids):,} small balances, {credit_count:,} credit balances\n"
    )
    print("| step | wall s | CPU s |")
    print("|---|---:|---:|")
    for step, (wall, cpu) in results.items():
        print(f"| {step} | {wall:.2f} | {cpu:.2f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
