"""Time importing and posting one 835 remittance of 10,000 claims.

    python bench/bench_era.py --claims 10000 --runs 1 --profile 25

Each run makes a new encrypted database in a temporary folder with the practice of
tests/helpers/claim_data.py and a clearinghouse. It reuses bench/bench_claims.py's row
generators to insert 1,000 patients, each with one Aetna coverage, and `--claims`
posted encounters of 1 to 3 service lines in bulk. `build_claims` turns them into one
claim each and the claims are marked accepted by updating their status. None of that
is timed.

The payer simulator (app/services/payer_simulator.py) then adjudicates every claim as
one Aetna remittance, the mix of paid, deductible, copay and denied claims of the demo,
with one PLB interest row, and `write_835` writes it as one file. Aetna's ERA posting
mode is "auto", so every matched claim posts. Two steps are timed:

- simulate and write: `simulate_remittances` and `write_835` (the test payer's side),
- import: `import_835` end to end, in one unit of work with its commit: read, check
  the balance, match claims and lines, record the adjudications and post the ledger rows.

With `--profile N`, one more run imports under cProfile and prints the N functions with
the largest cumulative time (the profiler slows the run, so its times are not the
figures in the table). Prints Markdown tables with wall-clock and CPU seconds of this
process; CPU seconds change less than wall-clock seconds when other programs share the CPU.
"""

import argparse
import cProfile
import io
import pstats
import random
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TypeVar

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # lets `python bench/bench_era.py` find the app package
    sys.path.insert(0, str(ROOT))

import keyring  # noqa: E402
from sqlalchemy import func, insert, select, update  # noqa: E402

from app.db.database import Database  # noqa: E402
from app.models.claims import Claim  # noqa: E402
from app.models.ledger import LedgerEntry  # noqa: E402
from app.models.patients import Coverage, Patient  # noqa: E402
from app.models.practice import Payer  # noqa: E402
from app.services.claim_build import build_claims  # noqa: E402
from app.services.claim_status import ClaimStatus  # noqa: E402
from app.services.era_import import RemittanceImport, import_835  # noqa: E402
from app.services.payer_simulator import SimulationPlan, simulate_remittances  # noqa: E402
from app.x12.writer_835 import write_835  # noqa: E402
from bench.bench_claims import (  # noqa: E402
    FIRST_DAY,
    LAST_DAY,
    PASSPHRASE,
    PATIENTS,
    SERVICES,
    Visits,
    encounter_rows,
    insert_encounters,
    patient_rows,
    weekdays,
)
from tests.helpers.claim_data import (  # noqa: E402
    ClaimPractice,
    add_clearinghouse,
    build_claim_practice,
)
from tests.helpers.memory_keyring import MemoryKeyring  # noqa: E402

SENT_AT = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
PAYMENT_DATE = date(2026, 12, 1)
STEPS = ("simulate and write", "import")
T = TypeVar("T")


@dataclass(frozen=True)
class Timing:
    """Wall-clock and CPU seconds of each step of one run, with the counts it produced."""

    wall: dict[str, float]
    cpu: dict[str, float]
    claims: int
    file_bytes: int
    posted: int
    review: int
    ledger_rows: int


class Clock:
    """Wall-clock and process CPU time since the last mark."""

    def __init__(self) -> None:
        self.wall: dict[str, float] = {}
        self.cpu: dict[str, float] = {}
        self._marks = (time.perf_counter(), time.process_time())

    def mark(self, step: str) -> None:
        """Record the time since the previous mark as `step`."""
        wall, cpu = time.perf_counter(), time.process_time()
        self.wall[step] = wall - self._marks[0]
        self.cpu[step] = cpu - self._marks[1]
        self._marks = (wall, cpu)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--claims", type=int, default=10_000, help="sent claims in the 835")
    parser.add_argument("--runs", type=int, default=1, help="databases to build and time")
    parser.add_argument("--seed", type=int, default=1, help="seed of the data and the payer")
    parser.add_argument(
        "--profile", type=int, default=0, help="functions to list from one profiled run; 0: none"
    )
    return parser.parse_args(argv)


def prepare(folder: Path, claims: int, seed: int) -> tuple[ClaimPractice, list[uuid.UUID]]:
    """Create the practice, insert the encounters, build their claims and mark them sent."""
    database = Database.create(folder / "era.db", PASSPHRASE)
    practice = build_claim_practice(database)
    add_clearinghouse(database)
    patients, coverages = patient_rows(PATIENTS, [practice.aetna_id])
    location_id = practice.charge.location_id
    visits = Visits(
        slots=[
            (provider_id, location_id)
            for provider_id in practice.charge.scheduling.provider_ids[:2]
        ],
        days=weekdays(FIRST_DAY, LAST_DAY),
        user_id=practice.biller.user_id,
        services=SERVICES,
        patients=[(row["patient_id"], row["payer_id"]) for row in coverages],
    )
    rows = encounter_rows(visits, claims, random.Random(seed))
    with database.transaction() as session:
        session.execute(insert(Patient), patients)
        session.execute(insert(Coverage), coverages)
        insert_encounters(session, rows)
    with database.transaction() as session:
        sent = build_claims(session, practice.biller).claim_ids
    with database.transaction() as session:
        # Every claim bills Aetna, the practice's own test visit included.
        session.execute(
            update(Claim)
            .where(Claim.payer_id == practice.aetna_id)
            .values(status=ClaimStatus.ACCEPTED.value, sent_at=SENT_AT)
        )
        session.execute(
            update(Payer).where(Payer.id == practice.aetna_id).values(era_posting_mode="auto")
        )
    return practice, list(sent)


def simulate_and_write(practice: ClaimPractice, claim_ids: list[uuid.UUID], seed: int) -> str:
    with practice.database.session() as session:
        remittances = simulate_remittances(
            session, claim_ids, SimulationPlan(seed=seed, payment_date=PAYMENT_DATE)
        )
    return write_835(
        [simulated.remittance for simulated in remittances],
        control_number=1,
        sender_id="TESTHOUSE",
        receiver_id="LAKESIDE",
        when=datetime.combine(PAYMENT_DATE, datetime.min.time(), tzinfo=UTC),
    )


def import_file(practice: ClaimPractice, text: str) -> RemittanceImport:
    with practice.database.transaction() as session:
        return import_835(session, practice.biller, text, "bench.835")


def ledger_count(database: Database) -> int:
    with database.session() as session:
        return session.scalar(select(func.count()).select_from(LedgerEntry)) or 0


def run_once(folder: Path, claims: int, seed: int) -> Timing:
    practice, claim_ids = prepare(folder, claims, seed)
    database = practice.database
    try:
        rows_before = ledger_count(database)
        clock = Clock()
        text = simulate_and_write(practice, claim_ids, seed)
        clock.mark("simulate and write")
        result = import_file(practice, text)
        clock.mark("import")
        rows_after = ledger_count(database)
    finally:
        database.close()
    return Timing(
        wall=clock.wall,
        cpu=clock.cpu,
        claims=result.claims,
        file_bytes=len(text),
        posted=result.posted,
        review=result.review,
        ledger_rows=rows_after - rows_before,
    )


def profile_once(folder: Path, claims: int, seed: int, top: int) -> str:
    """Import under cProfile and return the `top` functions by cumulative time."""
    practice, claim_ids = prepare(folder, claims, seed)
    try:
        text = simulate_and_write(practice, claim_ids, seed)
        profiler = cProfile.Profile()
        profiler.enable()
        import_file(practice, text)
        profiler.disable()
    finally:
        practice.database.close()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(top)
    stats.sort_stats("tottime").print_stats(top)
    return out.getvalue()


def print_table(timings: list[Timing]) -> None:
    first = timings[0]
    print(
        f"{first.claims:,} claims in one 835 of {first.file_bytes:,} bytes: "
        f"{first.posted:,} posted, {first.review:,} to review, "
        f"{first.ledger_rows:,} ledger rows; median of {len(timings)} runs\n"
    )
    print("| step | wall s (median) | wall s (min) | CPU s of this process (median) |")
    print("|---|---:|---:|---:|")
    for step in STEPS:
        wall = [timing.wall[step] for timing in timings]
        cpu = [timing.cpu[step] for timing in timings]
        print(
            f"| {step} | {statistics.median(wall):.2f} | {min(wall):.2f} | "
            f"{statistics.median(cpu):.2f} |"
        )


def in_temporary_folder(work: Callable[[Path], T]) -> T:
    folder = Path(tempfile.mkdtemp(prefix="clinicdesk-bench-era-"))
    try:
        return work(folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    keyring.set_keyring(MemoryKeyring())
    timings = [
        in_temporary_folder(lambda folder, run=run: run_once(folder, args.claims, args.seed + run))
        for run in range(args.runs)
    ]
    print_table(timings)
    if args.profile:
        report = in_temporary_folder(
            lambda folder: profile_once(folder, args.claims, args.seed, args.profile)
        )
        print("\n```\n" + report.strip() + "\n```")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
