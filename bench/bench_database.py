"""Measure database open time and SQLCipher's cost relative to plain SQLite.

Run against a database made by bench/generate.py:

    python bench/bench_database.py --db bench/out/large.db

The recovery passphrase comes from CLINICDESK_PASSPHRASE. The script prints a Markdown
table for docs/benchmarks.md.
"""

import argparse
import os
import random
import sqlite3
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import keyring
import sqlcipher3

from app.db.database import CACHE_KIB, Database
from app.security import keys
from tests.helpers.memory_keyring import MemoryKeyring

ROOT = Path(__file__).resolve().parents[1]
LOOKUPS = 2000


def _median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def measure_open(path: Path, passphrase: str, runs: int) -> dict[str, float]:
    """Time Database.open with the key from the keyring and from the passphrase."""
    by_passphrase, by_keyring = [], []
    for _ in range(runs):
        # An empty keyring forces the passphrase path; that open stores the key, so the
        # next open takes the keyring path.
        keyring.set_keyring(MemoryKeyring())
        started = time.perf_counter()
        database = Database.open(path, lambda _path: passphrase)
        by_passphrase.append(time.perf_counter() - started)
        database.close()

        started = time.perf_counter()
        database = Database.open(path, None)
        by_keyring.append(time.perf_counter() - started)
        database.close()
    return {"keyring": _median_ms(by_keyring), "passphrase": _median_ms(by_passphrase)}


def export_plaintext(path: Path, key: bytes, target: Path) -> None:
    """Copy the encrypted database into an unencrypted file for the comparison."""
    target.unlink(missing_ok=True)
    connection = sqlcipher3.connect(str(path))
    connection.execute(f"PRAGMA key = {keys.key_pragma_value(key)}")
    connection.execute(f"ATTACH DATABASE '{target}' AS plain KEY ''")
    connection.execute("SELECT sqlcipher_export('plain')")
    connection.execute("DETACH DATABASE plain")
    connection.close()


def _samples(connection: Any, seed: int) -> dict[str, list[Any]]:
    """Pick the keys each workload looks up, the same for both databases."""
    rng = random.Random(seed)
    charts = [row[0] for row in connection.execute("SELECT chart_number FROM patient")]
    patients = [row[0] for row in connection.execute("SELECT id FROM patient")]
    providers = [row[0] for row in connection.execute("SELECT id FROM provider")]
    days = [f"2026-{rng.randint(1, 11):02d}-{rng.randint(1, 28):02d}" for _ in range(LOOKUPS)]
    return {
        "charts": rng.sample(charts, LOOKUPS),
        "patients": rng.sample(patients, LOOKUPS),
        "provider_days": [(rng.choice(providers), day) for day in days[: LOOKUPS // 10]],
    }


def _workloads(connection: Any, sample: dict[str, list[Any]]) -> dict[str, Callable[[], None]]:
    def chart_lookup() -> None:
        for chart in sample["charts"]:
            connection.execute("SELECT * FROM patient WHERE chart_number = ?", (chart,)).fetchall()

    def provider_day() -> None:
        for provider, day in sample["provider_days"]:
            connection.execute(
                "SELECT * FROM appointment"
                " WHERE provider_id = ? AND starts_at >= ? AND starts_at < ?",
                (provider, f"{day} 00:00:00", f"{day} 23:59:59"),
            ).fetchall()

    def patient_balance() -> None:
        for patient in sample["patients"]:
            connection.execute(
                "SELECT sum(amount) FROM ledger_entry WHERE patient_id = ?", (patient,)
            ).fetchone()

    return {
        "patient by chart number": chart_lookup,
        "provider's day": provider_day,
        "patient balance": patient_balance,
    }


def _time(workload: Callable[[], None], runs: int) -> float:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        workload()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def time_queries(connection: Any, runs: int) -> dict[str, tuple[float, float]]:
    """Return (warm, cold) median seconds per workload.

    Warm repeats one set of keys after a first pass, as a day's work repeats the same
    patients; cold draws fresh keys for every run, so most pages come from the OS file
    cache and must be decrypted again.
    """
    warm_sample = _samples(connection, seed=7)
    warm = _workloads(connection, warm_sample)
    for workload in warm.values():
        workload()
    results = {name: (_time(workload, runs), 0.0) for name, workload in warm.items()}

    for name in results:
        cold_runs = []
        for run in range(runs):
            workload = _workloads(connection, _samples(connection, seed=100 + run))[name]
            cold_runs.append(_time(workload, 1))
        results[name] = (results[name][0], statistics.median(cold_runs))
    return results


def _keyed(path: Path, key: bytes) -> Any:
    connection = sqlcipher3.connect(str(path))
    connection.execute(f"PRAGMA key = {keys.key_pragma_value(key)}")
    connection.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
    return connection


def _plain(path: Path) -> Any:
    connection = sqlite3.connect(str(path))
    connection.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
    return connection


def compare(path: Path, key: bytes, runs: int) -> list[tuple[str, str, float, float]]:
    """Return (workload, warm or cold, SQLCipher ms, SQLite ms) rows."""
    plain_path = path.with_name(path.stem + "-plain.db")
    export_plaintext(path, key, plain_path)

    encrypted, plain = _keyed(path, key), _plain(plain_path)
    try:
        enc_times = time_queries(encrypted, runs)
        plain_times = time_queries(plain, runs)
    finally:
        encrypted.close()
        plain.close()
        plain_path.unlink(missing_ok=True)

    rows = []
    for name, (enc_warm, enc_cold) in enc_times.items():
        plain_warm, plain_cold = plain_times[name]
        rows.append((name, "warm", enc_warm * 1000, plain_warm * 1000))
        rows.append((name, "cold", enc_cold * 1000, plain_cold * 1000))
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True, help="database made by bench/generate.py")
    parser.add_argument("--runs", type=int, default=5, help="repetitions per measurement")
    args = parser.parse_args()
    passphrase = os.environ.get("CLINICDESK_PASSPHRASE", "")

    size = args.db.stat().st_size
    opened = measure_open(args.db, passphrase, args.runs)
    database = Database.open(args.db, lambda _path: passphrase)
    key = database.raw_key()
    database.close()
    rows = compare(args.db, key, args.runs)

    print(f"Database: {size / 1e9:.2f} GB; {os.cpu_count()} cores; Python {sys.version.split()[0]}")
    print(f"Open (key from keyring): {opened['keyring']:.1f} ms median of {args.runs}")
    print(
        f"Open (key from passphrase, Argon2id): {opened['passphrase']:.1f} ms median of {args.runs}"
    )
    print()
    print(f"| workload ({LOOKUPS:,} lookups) | cache | SQLCipher ms | SQLite ms | ratio |")
    print("|---|---|---:|---:|---:|")
    for name, cache, enc_ms, plain_ms in rows:
        print(f"| {name} | {cache} | {enc_ms:.1f} | {plain_ms:.1f} | {enc_ms / plain_ms:.2f}x |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
