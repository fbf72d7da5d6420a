"""Measure cold start from source to the sign-in window.

    python bench/bench_startup.py --runs 7

Each run starts a fresh Python process that opens a demo database (key from the keyring,
as on a normal workstation day) and stops the moment the sign-in dialog is on screen. The
time counted runs from just before the process is spawned to that moment, less the time
the child spends filling its stand-in keyring, which a real keyring does not cost.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PASSPHRASE = "bench startup passphrase"  # noqa: S105 (a throwaway database made per run)

CHILD = """
import sys, time
setup_started = time.perf_counter()
from pathlib import Path
import keyring
from app.security import keys
from tests.helpers.memory_keyring import MemoryKeyring

path = Path(sys.argv[1])
key_file = keys.read_key_file(path.with_name(path.name + ".key"))
backend = MemoryKeyring()
keyring.set_keyring(backend)
keys.store_in_keyring(key_file.database_id, keys.unwrap_key(key_file, sys.argv[2], path))
setup_seconds = time.perf_counter() - setup_started

from PySide6.QtCore import QTimer
import ui.application as application

show_sign_in = application.DeskController.show_sign_in

def shown(self):
    dialog = show_sign_in(self)
    def report():
        print(f"READY {setup_seconds:.6f}", flush=True)
        self.app.exit(0)
    QTimer.singleShot(0, report)
    return dialog

application.DeskController.show_sign_in = shown
sys.exit(application.run(path))
"""


def make_database(folder: Path) -> Path:
    """Create a 500-patient demo practice to start against."""
    from app.services.demo import create_demo_database

    path = folder / "clinicdesk.db"
    database, _actor, _summary = create_demo_database(
        path, PASSPHRASE, "admin", "Bench-start-2024!", 500, 1, datetime.now(UTC).date()
    )
    database.close()
    return path


def one_run(path: Path, environment: dict[str, str]) -> float:
    """Start the app once; return seconds from spawn to the sign-in dialog."""
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-c", CHILD, str(path), PASSPHRASE],
        cwd=ROOT, env=environment, capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip
    elapsed = time.perf_counter() - started
    ready = [line for line in result.stdout.splitlines() if line.startswith("READY ")]
    if result.returncode != 0 or not ready:
        raise RuntimeError(f"start-up run failed:\n{result.stdout}\n{result.stderr}")
    return elapsed - float(ready[0].split()[1])


def main() -> int:
    parser = argparse.ArgumentParser(description="Time cold start to the sign-in window.")
    parser.add_argument("--runs", type=int, default=7, help="number of timed starts")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        environment = dict(os.environ, XDG_DATA_HOME=folder, XDG_STATE_HOME=folder)
        environment.setdefault("QT_QPA_PLATFORM", "offscreen")
        path = make_database(Path(folder))
        one_run(path, environment)  # warms the OS file cache, like any second start
        samples = [one_run(path, environment) for _ in range(args.runs)]

    print(f"platform: {environment['QT_QPA_PLATFORM']}; {os.cpu_count()} cores")
    print(f"cold start to sign-in: median {statistics.median(samples) * 1000:.0f} ms, "
          f"min {min(samples) * 1000:.0f} ms, max {max(samples) * 1000:.0f} ms "
          f"over {args.runs} runs")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
