"""Measure the patients' one-box search per keystroke, against a bare FTS5 query.

Run against a database made by bench/generate.py:

    CLINICDESK_PASSPHRASE='…' python bench/bench_search.py --db bench/out/large.db

Queries are real patients' names, dates of birth, phones, chart numbers and member
ids, typed one character at a time. Every prefix is one search through
app.services.patient_search.search_patients in its own transaction, as the GUI's
operation runner calls it. The baseline is the same prefixes as an FTS5 prefix query
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
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # lets `python bench/bench_search.py` find the app package
    sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402

from app.db.database import Database  # noqa: E402
from app.models import Coverage, Patient  # noqa: E402
from app.security.permissions import Actor, Role  # noqa: E402
from app.services.patient_search import search_patients  # noqa: E402

ACTOR = Actor(user_id=None, username="bench", role=Role.FRONT_DESK, workstation="BNCH")
P95_BUDGET_MS = 20.0
P50_BUDGET_MS = 5.0


def _short_date(value: date) -> str:
    return f"{value.month}/{value.day}/{value.year % 100:02d}"


# Each kind of query turns one patient (and the patient's first member id) into the
# text a receptionist would type.
QUERY_KINDS: dict[str, Callable[[Patient, str], str]] = {
    "first last": lambda p, _m: f"{p.first_name} {p.last_name}",
    "last, first": lambda p, _m: f"{p.last_name}, {p.first_name}",
    "last + DOB": lambda p, _m: f"{p.last_name} {_short_date(p.date_of_birth)}",
    "DOB MM/DD/YYYY": lambda p, _m: p.date_of_birth.strftime("%m/%d/%Y"),
    "phone": lambda p, _m: p.phone or "",
    "chart number": lambda p, _m: p.chart_number,
    "member id": lambda _p, member: member,
}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, required=True, help="database from bench/generate.py")
    parser.add_argument("--patients", type=int, default=40, help="patients sampled per query kind")
    parser.add_argument("--limit", type=int, default=25, help="results per search (a page)")
    parser.add_argument("--seed", type=int, default=7, help="random seed for the sample")
    return parser.parse_args(argv)


def sample_queries(database: Database, per_kind: int, seed: int) -> dict[str, list[str]]:
    """Return, per query kind, the full texts typed for `per_kind` random patients."""
    rng = random.Random(seed)
    with database.session() as session:
        ids = list(session.scalars(select(Patient.id).where(Patient.archived.is_(False))))
        chosen = rng.sample(ids, min(per_kind, len(ids)))
        patients = session.scalars(select(Patient).where(Patient.id.in_(chosen))).all()
        members = dict(
            session.execute(
                select(Coverage.patient_id, Coverage.member_id).where(
                    Coverage.patient_id.in_(chosen), Coverage.priority == 1
                )
            ).all()
        )
    return {
        kind: [text for p in patients if (text := build(p, members.get(p.id, "")))]
        for kind, build in QUERY_KINDS.items()
    }


def keystrokes(text: str) -> list[str]:
    """Return the text in the box after each key: "Ann" gives "A", "An", "Ann"."""
    return [text[:end] for end in range(1, len(text) + 1) if text[:end].strip()]


def time_calls(call: Callable[[str], Any], texts: list[str]) -> list[float]:
    """Return the milliseconds each keystroke of each text took."""
    samples: list[float] = []
    for text in texts:
        for typed in keystrokes(text):
            started = time.perf_counter()
            call(typed)
            samples.append((time.perf_counter() - started) * 1000)
    return samples


def service_search(database: Database, limit: int) -> Callable[[str], Any]:
    def run(typed: str) -> Any:
        with database.transaction() as session:
            return search_patients(session, ACTOR, typed, limit=limit)

    return run


def build_fts(connection: Any) -> None:
    """Fill a temporary FTS5 table with every patient's searchable text."""
    connection.execute(
        "CREATE VIRTUAL TABLE temp.patient_fts USING fts5(name, born, phone, chart, "
        "tokenize = 'unicode61 remove_diacritics 2', prefix = '1 2 3')"
    )
    connection.execute(
        "INSERT INTO temp.patient_fts (rowid, name, born, phone, chart) "
        "SELECT rowid, first_name || ' ' || coalesce(middle_name, '') || ' ' || last_name, "
        "substr(date_of_birth, 6, 2) || '/' || substr(date_of_birth, 9, 2) || '/' || "
        "substr(date_of_birth, 1, 4), coalesce(phone, ''), chart_number "
        "FROM patient WHERE archived = 0"
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


def row(kind: str, ours: list[float], fts: list[float]) -> str:
    p50, p95 = statistics.median(ours), percentile(ours, 0.95)
    fts50, fts95 = statistics.median(fts), percentile(fts, 0.95)
    return (
        f"| {kind} | {len(ours)} | {p50:.2f} | {p95:.2f} | {max(ours):.1f} | "
        f"{fts50:.3f} | {fts95:.3f} | {p50 / fts50:.0f}x |"
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    passphrase = os.environ.get("CLINICDESK_PASSPHRASE", "")
    if not passphrase:
        print("Set CLINICDESK_PASSPHRASE to the recovery passphrase of the database.")
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
        print(
            "| query typed | keystrokes | p50 ms | p95 ms | max ms | FTS5 p50 ms "
            "| FTS5 p95 ms | p50 / FTS5 |"
        )
        print("|---|---:|---:|---:|---:|---:|---:|---:|")
        everything: list[float] = []
        everything_fts: list[float] = []
        for kind, texts in queries.items():
            ours, bare = time_calls(search, texts), time_calls(fts, texts)
            everything += ours
            everything_fts += bare
            print(row(kind, ours, bare))
        print(row("**all**", everything, everything_fts))
    finally:
        raw.close()

    p50, p95 = statistics.median(everything), percentile(everything, 0.95)
    within = p50 < P50_BUDGET_MS and p95 < P95_BUDGET_MS
    print(
        f"\nBudget p50 < {P50_BUDGET_MS} ms, p95 < {P95_BUDGET_MS} ms: "
        f"{'met' if within else 'NOT met'}"
    )
    return 0 if within else 1


if __name__ == "__main__":
    sys.exit(main())
