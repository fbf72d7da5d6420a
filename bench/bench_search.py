"""Measure the patients' one-box search per keystroke, against a bare FTS5 query.

Run against a database made by bench/generate.py:

    CLINICDESK_PASSPHRASE='…' python bench/bench_search.py --db bench/out/large.db

Queries are real patients' names (current, preferred and previous), dates of birth,
phones, SSN last fours, chart numbers and member ids, typed one character at a time.
Every prefix is one search through app.services.patient_search.search_patients in its
own transaction, as the GUI's operation runner calls it. The searching actor is a
manager, who may search SSN last fours, so every four-digit word reads one index range
more than for the front desk. The baseline is the same prefixes as an FTS5 prefix query
(`MATCH '"word"* "word"*' LIMIT n`, no ranking, no row details) over a temporary FTS5
table of the same patients. The script prints a Markdown table.
"""

import argparse
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # lets `python bench/bench_search.py` find the app package
    sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from app.db.database import Database  # noqa: E402
from app.models import Coverage, Patient, PatientPhone, PatientPreviousName  # noqa: E402
from app.search.folding import digits  # noqa: E402
from app.security.permissions import Actor, Role  # noqa: E402
from app.services.patient_search import search_patients  # noqa: E402

ACTOR = Actor(user_id=None, username="bench", role=Role.MANAGER, workstation="BNCH")
P95_BUDGET_MS = 20.0
P50_BUDGET_MS = 5.0


@dataclass(frozen=True)
class Sample:
    """One patient and the details typed about them."""

    patient: Patient
    member_id: str
    phones: list[str]  # E.164, in the patient's order
    previous_last: str


def _short_date(value: date) -> str:
    return f"{value.month}/{value.day}/{value.year % 100:02d}"


def national(phone: str) -> str:
    """Return an E.164 US number as typed from a card, such as "(312) 555-0142"."""
    number = digits(phone)[-10:]
    return f"({number[:3]}) {number[3:6]}-{number[6:]}" if len(number) == 10 else phone


# Each kind of query turns one sampled patient into the text a receptionist would type;
# an empty text means the patient has no such detail.
QUERY_KINDS: dict[str, Callable[[Sample], str]] = {
    "first last": lambda s: f"{s.patient.first_name} {s.patient.last_name}",
    "last, first": lambda s: f"{s.patient.last_name}, {s.patient.first_name}",
    "last + DOB": lambda s: f"{s.patient.last_name} {_short_date(s.patient.date_of_birth)}",
    "DOB MM/DD/YYYY": lambda s: s.patient.date_of_birth.strftime("%m/%d/%Y"),
    "phone": lambda s: national(s.phones[0]) if s.phones else "",
    "second phone": lambda s: digits(s.phones[1])[1:] if len(s.phones) > 1 else "",
    "first + previous last": lambda s: (
        f"{s.patient.first_name} {s.previous_last}" if s.previous_last else ""
    ),
    "SSN last four": lambda s: (s.patient.ssn or "")[-4:],
    "chart number": lambda s: s.patient.chart_number,
    "member id": lambda s: s.member_id,
}
# Kinds sampled only among the patients who have that detail, so each gets a full sample.
SAMPLE_POOLS = {
    "second phone": select(PatientPhone.patient_id).where(PatientPhone.position >= 1),
    "first + previous last": select(PatientPreviousName.patient_id),
}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, required=True, help="database from bench/generate.py")
    parser.add_argument("--patients", type=int, default=40, help="patients sampled per query kind")
    parser.add_argument("--limit", type=int, default=25, help="results per search (a page)")
    parser.add_argument("--seed", type=int, default=7, help="random seed for the sample")
    return parser.parse_args(argv)


def load_samples(session: Session, chosen: list[Any]) -> list[Sample]:
    """Return the patients with ids `chosen` and their details, in id order."""
    patients = session.scalars(
        select(Patient).where(Patient.id.in_(chosen)).order_by(Patient.id)
    ).all()
    members = dict(
        session.execute(
            select(Coverage.patient_id, Coverage.member_id).where(
                Coverage.patient_id.in_(chosen), Coverage.priority == 1
            )
        ).all()
    )
    phones: dict[Any, list[str]] = {}
    for patient_id, number in session.execute(
        select(PatientPhone.patient_id, PatientPhone.number)
        .where(PatientPhone.patient_id.in_(chosen), PatientPhone.archived.is_(False))
        .order_by(PatientPhone.position)
    ):
        phones.setdefault(patient_id, []).append(number)
    previous = dict(
        session.execute(
            select(PatientPreviousName.patient_id, PatientPreviousName.last_name).where(
                PatientPreviousName.patient_id.in_(chosen)
            )
        ).all()
    )
    return [
        Sample(p, members.get(p.id, ""), phones.get(p.id, []), previous.get(p.id, ""))
        for p in patients
    ]


def sample_queries(database: Database, per_kind: int, seed: int) -> dict[str, list[str]]:
    """Return, per query kind, the full texts typed for `per_kind` random patients."""
    rng = random.Random(seed)
    queries: dict[str, list[str]] = {}
    with database.session() as session:
        everyone = list(session.scalars(select(Patient.id).where(Patient.archived.is_(False))))
        for kind, build in QUERY_KINDS.items():
            pool = everyone
            if kind in SAMPLE_POOLS:
                pool = sorted(set(session.scalars(SAMPLE_POOLS[kind])))
            chosen = rng.sample(pool, min(per_kind, len(pool)))
            samples = load_samples(session, chosen)
            queries[kind] = [text for sample in samples if (text := build(sample))]
    return queries


def keystrokes(text: str) -> list[str]:
    """Return the text in the box after each key: "Ann" gives "A", "An", "Ann"."""
    return [text[:end] for end in range(1, len(text) + 1) if text[:end].strip()]


@dataclass
class Timings:
    """Milliseconds per keystroke: wall clock, and CPU time of this process.

    SQLite runs inside the process, so the CPU time is the work itself. It varies much
    less than the wall clock when other processes load the machine.
    """

    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)

    def extend(self, other: "Timings") -> None:
        self.wall += other.wall
        self.cpu += other.cpu


def time_calls(call: Callable[[str], Any], texts: list[str]) -> Timings:
    """Return the milliseconds each keystroke of each text took."""
    timings = Timings()
    for text in texts:
        for typed in keystrokes(text):
            started, started_cpu = time.perf_counter(), time.process_time()
            call(typed)
            timings.cpu.append((time.process_time() - started_cpu) * 1000)
            timings.wall.append((time.perf_counter() - started) * 1000)
    return timings


def service_search(database: Database, limit: int) -> Callable[[str], Any]:
    def run(typed: str) -> Any:
        with database.transaction() as session:
            return search_patients(session, ACTOR, typed, limit=limit)

    return run


# Every phone in the national form the benchmark types, such as "(312) 555-0142".
_FTS_PHONES = (
    "coalesce((SELECT group_concat('(' || substr(number, 3, 3) || ') ' || "
    "substr(number, 6, 3) || '-' || substr(number, 9), ' ') FROM patient_phone "
    "WHERE patient_id = p.id AND archived = 0), '')"
)
_FTS_PREVIOUS_NAMES = (
    "coalesce((SELECT group_concat(first_name || ' ' || last_name, ' ') "
    "FROM patient_previous_name WHERE patient_id = p.id AND archived = 0), '')"
)


def build_fts(connection: Any) -> None:
    """Fill a temporary FTS5 table with every patient's searchable text."""
    connection.execute(
        "CREATE VIRTUAL TABLE temp.patient_fts USING fts5(name, born, phone, chart, ssn, "
        "tokenize = 'unicode61 remove_diacritics 2', prefix = '1 2 3')"
    )
    connection.execute(
        "INSERT INTO temp.patient_fts (rowid, name, born, phone, chart, ssn) "
        "SELECT p.rowid, p.first_name || ' ' || coalesce(p.middle_name, '') || ' ' || "
        f"p.last_name || ' ' || coalesce(p.preferred_name, '') || ' ' || {_FTS_PREVIOUS_NAMES}, "
        "substr(p.date_of_birth, 6, 2) || '/' || substr(p.date_of_birth, 9, 2) || '/' || "
        f"substr(p.date_of_birth, 1, 4), {_FTS_PHONES}, p.chart_number, "
        "coalesce(substr(p.ssn, 6), '') FROM patient AS p WHERE p.archived = 0"
    )


def fts_match(typed: str) -> str:
    """Return an FTS5 query matching every word of `typed` as a prefix."""
    words = typed.replace(",", " ").split()
    return " ".join('"' + word.replace('"', '""') + '"*' for word in words)


def fts_search(connection: Any, limit: int) -> Callable[[str], Any]:
    def run(typed: str) -> Any:
        return connection.execute(
            "SELECT rowid FROM temp.patient_fts WHERE patient_fts MATCH ? LIMIT ?",
            (fts_match(typed), limit),
        ).fetchall()

    return run


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


HEADER = (
    "| query typed | keystrokes | p50 ms | p95 ms | max ms | CPU p50 ms | CPU p95 ms "
    "| FTS5 p50 ms | FTS5 p95 ms | p50 / FTS5 | CPU p50 / FTS5 CPU p50 |\n"
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
)


def row(kind: str, ours: Timings, fts: Timings) -> str:
    p50, p95 = statistics.median(ours.wall), percentile(ours.wall, 0.95)
    cpu50, cpu95 = statistics.median(ours.cpu), percentile(ours.cpu, 0.95)
    fts50, fts95 = statistics.median(fts.wall), percentile(fts.wall, 0.95)
    fts_cpu50 = max(statistics.median(fts.cpu), 1e-6)
    return (
        f"| {kind} | {len(ours.wall)} | {p50:.2f} | {p95:.2f} | {max(ours.wall):.1f} | "
        f"{cpu50:.2f} | {cpu95:.2f} | {fts50:.3f} | {fts95:.3f} | {p50 / fts50:.0f}x | "
        f"{cpu50 / fts_cpu50:.0f}x |"
    )


def environment_passphrase() -> str:
    """Return CLINICDESK_PASSPHRASE, or print how to set it and return ""."""
    passphrase = os.environ.get("CLINICDESK_PASSPHRASE", "")
    if not passphrase:
        print("Set CLINICDESK_PASSPHRASE to the recovery passphrase of the database.")
    return passphrase


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    passphrase = environment_passphrase()
    if not passphrase:
        return 2
    database = Database.open(args.db, lambda _path: passphrase)
    try:
        return run_benchmark(database, args)
    finally:
        database.close()


def run_benchmark(database: Database, args: argparse.Namespace) -> int:
    queries = sample_queries(database, args.patients, args.seed)
    search = service_search(database, args.limit)
    time_calls(search, [texts[0] for texts in queries.values()])  # warm the page cache

    raw = database.engine.raw_connection()
    try:
        build_fts(raw.driver_connection)
        fts = fts_search(raw.driver_connection, args.limit)
        print(HEADER)
        everything, everything_fts = Timings(), Timings()
        for kind, texts in queries.items():
            ours, bare = time_calls(search, texts), time_calls(fts, texts)
            everything.extend(ours)
            everything_fts.extend(bare)
            print(row(kind, ours, bare), flush=True)
        print(row("**all**", everything, everything_fts))
    finally:
        raw.close()

    p50, p95 = statistics.median(everything.wall), percentile(everything.wall, 0.95)
    cpu50, cpu95 = statistics.median(everything.cpu), percentile(everything.cpu, 0.95)
    within = p50 < P50_BUDGET_MS and p95 < P95_BUDGET_MS
    print(
        f"\nBudget p50 < {P50_BUDGET_MS} ms, p95 < {P95_BUDGET_MS} ms: "
        f"{'met' if within else 'NOT met'} (CPU time: p50 {cpu50:.2f} ms, p95 {cpu95:.2f} ms)"
    )
    return 0 if within else 1


if __name__ == "__main__":
    sys.exit(main())
