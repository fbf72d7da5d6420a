"""Time the upgrade that adds registration keys to the patient search index (0004 onward).

    CLINICDESK_PASSPHRASE='…' python bench/bench_search_upgrade.py --db /tmp/search.db

Works on a copy of a database made by bench/generate.py, so the original is not
changed: the copy is taken back to revision 0003 (not timed), then `Database.open`
upgrades it to the newest revision, which is timed, as a workstation's first start
after installing the new version would do. The script prints the wall-clock seconds,
the CPU seconds of this process (SQLite runs inside it, so these vary less with other
load on the machine) and the number of index rows.
"""

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # lets `python bench/bench_search_upgrade.py` find the app
    sys.path.insert(0, str(ROOT))

from alembic import command  # noqa: E402

from app.db.database import Database  # noqa: E402
from app.db.migrate import _config, stored_revision  # noqa: E402
from bench.bench_search import environment_passphrase  # noqa: E402

FROM_REVISION = "0003"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, required=True, help="database from bench/generate.py")
    return parser.parse_args(argv)


def copy_database(source: Path, folder: Path) -> Path:
    """Copy the database file and its key file into `folder`; return the new path."""
    target = folder / source.name
    shutil.copyfile(source, target)
    shutil.copyfile(source.with_name(source.name + ".key"), target.with_name(target.name + ".key"))
    return target


def downgrade(database: Database, revision: str) -> None:
    config = _config()
    with database.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def index_rows(database: Database) -> int:
    with database.engine.connect() as connection:
        rows = connection.exec_driver_sql("SELECT count(*) FROM patient_search_key").scalar()
    return int(rows or 0)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    passphrase = environment_passphrase()
    if not passphrase:
        return 2

    with tempfile.TemporaryDirectory(prefix="clinicdesk-upgrade-") as folder:
        path = copy_database(args.db, Path(folder))
        database = Database.open(path, lambda _path: passphrase)
        try:
            downgrade(database, FROM_REVISION)
        finally:
            database.close()

        started, started_cpu = time.perf_counter(), time.process_time()
        database = Database.open(path, lambda _path: passphrase)
        seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - started_cpu
        try:
            revision = stored_revision(database.engine)
            rows = index_rows(database)
        finally:
            database.close()

    print(
        f"Upgrade from {FROM_REVISION} to {revision}: {seconds:.1f} s wall clock, "
        f"{cpu_seconds:.1f} s CPU, {rows:,} index rows"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
