"""The command-line interface, run in-process and as a real subprocess."""

import csv
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from sqlalchemy import select

from app import cli
from app.db.database import Database
from app.logging_setup import configure_logging, stop_logging
from app.models import AuditEvent
from app.paths import key_file_path
from app.security import keys
from tests.conftest import PASSPHRASE
from tests.helpers.practice_data import ADMIN_PASSWORD

ROOT = Path(__file__).resolve().parents[1]

INIT_FLAGS = [
    "--practice-name", "Lakeside Family Medicine LLC",
    "--npi", "1234567893",
    "--ein", "36-4567890",
    "--taxonomy", "261QP2300X",
    "--address", "1200 Lake Shore Drive",
    "--city", "Evanston",
    "--state", "IL",
    "--zip", "60201-4412",
    "--phone", "(847) 555-0140",
    "--time-zone", "America/Chicago",
    "--location-name", "Main Office",
    "--provider", "Ana Lopez, MD, 1003000126, 207Q00000X",
    "--admin-name", "Office Admin",
    "--workstation-name", "Front desk 1",
]  # fmt: skip


@pytest.fixture(autouse=True)
def _secrets(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("CLINICDESK_PASSWORD", ADMIN_PASSWORD)
    monkeypatch.setenv("CLINICDESK_PASSPHRASE", PASSPHRASE)
    yield
    stop_logging()


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def practice(db_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    code, _out, err = _run(capsys, "--db", str(db_path), "init", *INIT_FLAGS)
    assert code == 0, err
    return db_path


def _info(capsys: pytest.CaptureFixture[str], path: Path) -> dict[str, object]:
    code, out, err = _run(capsys, "--db", str(path), "--json", "info")
    assert code == 0, err
    data: dict[str, object] = json.loads(out)
    return data


def _forget_keyring() -> None:
    keyring.get_keyring().passwords.clear()  # type: ignore[attr-defined]


def test_init_creates_practice(practice: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = _info(capsys, practice)

    assert data["practice"] == "Lakeside Family Medicine LLC"
    assert data["users"] == 1
    assert data["patients"] == 0
    assert data["schema_revision"] == data["schema_head"]
    assert data["key_file"] == str(key_file_path(practice.resolve()))


def test_init_prints_key_reminder(db_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _err = _run(capsys, "--db", str(db_path), "init", *INIT_FLAGS)

    assert code == 0
    assert str(key_file_path(db_path.resolve())) in out
    assert "recovery passphrase" in out


def test_init_lists_missing_flags(db_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _out, err = _run(capsys, "--db", str(db_path), "init", *INIT_FLAGS[:4])

    assert code == 1
    assert "--taxonomy" in err
    assert "--workstation-name" in err
    assert not db_path.exists()


def test_init_invalid_npi(db_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    flags = [*INIT_FLAGS]
    flags[flags.index("1234567893")] = "1234567890"

    code, _out, err = _run(capsys, "--db", str(db_path), "init", *flags)

    assert code == 1
    assert err.count("\n") == 1
    assert "Practice billing NPI (--npi): " in err
    assert not db_path.exists()


def test_init_refuses_existing(practice: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _out, err = _run(capsys, "--db", str(practice), "init", *INIT_FLAGS)

    assert code == 1
    assert "already exists" in err


def test_demo_creates_patients(db_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("app.services.demo")
    code, _out, err = _run(capsys, "--db", str(db_path), "demo", "--patients", "12", "--seed", "3")

    assert code == 0, err
    assert _info(capsys, db_path)["patients"] == 12


def test_demo_refuses_existing(practice: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _out, err = _run(capsys, "--db", str(practice), "demo", "--patients", "5")

    assert code == 1
    assert "already exists" in err


def test_audit_verify_intact(practice: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _err = _run(capsys, "--db", str(practice), "audit", "verify", "--user", "admin")

    assert code == 0
    assert out.startswith("intact: ")


def _tamper_with_audit_row(path: Path) -> None:
    database = Database.open(path)
    raw = database.engine.raw_connection()
    try:
        driver = raw.driver_connection
        driver.execute("DROP TRIGGER audit_event_no_update")
        driver.execute("UPDATE audit_event SET detail = 'edited' WHERE sequence = 2")
    finally:
        raw.close()
        database.close()


def test_audit_verify_tampered(practice: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _tamper_with_audit_row(practice)

    code, out, _err = _run(
        capsys, "--db", str(practice), "audit", "verify", "--user", "admin", "--json"
    )
    data = json.loads(out)

    assert code == 1
    assert data["intact"] is False
    assert data["breaks"][0]["sequence"] == 2


def test_audit_verify_tampered_text(practice: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _tamper_with_audit_row(practice)

    code, out, _err = _run(capsys, "--user", "admin", "--db", str(practice), "audit", "verify")

    assert code == 1
    assert "row 2" in out


def test_audit_needs_user(practice: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _out, err = _run(capsys, "--db", str(practice), "audit", "verify")

    assert code == 1
    assert "--user" in err
    assert err.count("\n") == 1


def test_wrong_password_is_audited(
    practice: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLINICDESK_PASSWORD", "not-the-password-1")

    code, _out, err = _run(capsys, "--db", str(practice), "user", "list", "--user", "admin")

    assert code == 1
    assert err.startswith("clinicdesk: error: ")
    database = Database.open(practice)
    with database.transaction() as session:
        outcomes = session.scalars(
            select(AuditEvent.outcome).where(AuditEvent.action == "sign_in")
        ).all()
    database.close()
    assert outcomes == ["failure"]


def test_audit_export_csv(
    practice: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "audit.csv"

    code, _out, err = _run(
        capsys, "--db", str(practice), "--user", "admin", "audit", "export", "--to", str(target),
        "--action", "create",
    )  # fmt: skip
    with open(target, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))

    assert code == 0, err
    assert rows != []
    assert {row["action"] for row in rows} == {"create"}


def test_backup_restore_info(
    practice: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "backups"
    code, out, err = _run(
        capsys, "--db", str(practice), "--user", "admin", "--json", "backup", "--to", str(folder)
    )
    backup = json.loads(out)
    restored = tmp_path / "restored" / "clinicdesk.db"

    code_restore, _out, err_restore = _run(
        capsys, "restore", backup["backup"], "--db", str(restored)
    )
    info = _info(capsys, restored)

    assert code == 0, err
    assert backup["verified"] is True
    assert code_restore == 0, err_restore
    assert info["practice"] == "Lakeside Family Medicine LLC"
    assert info["users"] == 1


def test_restore_existing_needs_replace(
    practice: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _run(capsys, "--db", str(practice), "--user", "admin", "backup", "--to", str(tmp_path))
    backup = next(tmp_path.glob("clinicdesk-*.db"))
    other = tmp_path / "other.db"
    Database.create(other, PASSPHRASE).close()

    refused, _out, err = _run(capsys, "restore", str(backup), "--db", str(other))
    replaced, _out, err_replace = _run(
        capsys, "restore", str(backup), "--db", str(other), "--replace", "--yes"
    )

    assert refused == 1
    assert "--replace" in err
    assert replaced == 0, err_replace
    assert list(tmp_path.glob("other.db.replaced-*.key")) != []


def test_restore_replace_needs_yes(
    practice: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _run(capsys, "--db", str(practice), "--user", "admin", "backup", "--to", str(tmp_path))
    backup = next(tmp_path.glob("clinicdesk-*.db"))
    other = tmp_path / "other.db"
    Database.create(other, PASSPHRASE).close()

    code, _out, err = _run(capsys, "restore", str(backup), "--db", str(other), "--replace")

    assert code == 1
    assert "--yes" in err


def test_user_add_and_list(
    practice: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLINICDESK_NEW_PASSWORD", "Front-desk-pass-42")
    db = ["--db", str(practice), "--user", "admin"]

    added, _out, err = _run(
        capsys, *db, "user", "add", "jsmith", "--role", "front_desk", "--name", "Jane Smith"
    )
    listed, out, _err = _run(capsys, *db, "--json", "user", "list")
    users = {row["username"]: row["role"] for row in json.loads(out)["users"]}

    assert added == 0, err
    assert listed == 0
    assert users == {"admin": "administrator", "jsmith": "front_desk"}


def test_user_add_bad_role(practice: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _out, err = _run(
        capsys, "--db", str(practice), "user", "add", "x1", "--role", "boss", "--name", "X"
    )

    assert code == 2
    assert err.count("\n") == 1


def test_user_reset_and_unlock(
    practice: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLINICDESK_NEW_PASSWORD", "Front-desk-pass-42")
    db = ["--db", str(practice), "--user", "admin"]
    _run(capsys, *db, "user", "add", "jsmith", "--role", "biller", "--name", "Jane Smith")

    reset, _out, err_reset = _run(capsys, *db, "user", "reset-password", "jsmith")
    unlocked, _out, err_unlock = _run(capsys, *db, "user", "unlock", "jsmith")
    missing, _out, err_missing = _run(capsys, *db, "user", "unlock", "nobody")

    assert reset == 0, err_reset
    assert unlocked == 0, err_unlock
    assert missing == 1
    assert "nobody" in err_missing


def test_key_rotate_then_open(practice: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = key_file_path(practice).read_text()

    code, _out, err = _run(capsys, "--db", str(practice), "--user", "admin", "key", "rotate")

    assert code == 0, err
    assert key_file_path(practice).read_text() != before
    assert _info(capsys, practice)["users"] == 1


def test_key_recover_fills_keyring(practice: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _forget_keyring()
    database_id = keys.read_key_file(key_file_path(practice)).database_id

    code, _out, err = _run(capsys, "--db", str(practice), "key", "recover")

    assert code == 0, err
    assert keys.load_from_keyring(database_id) is not None


def test_bad_db_path_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "no-such-folder" / "clinic.db"

    code, _out, err = _run(capsys, "--db", str(missing), "info")

    assert code == 1
    assert err.count("\n") == 1
    assert str(missing) in err
    assert "Traceback" not in err


def test_wrong_passphrase_message(
    practice: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _forget_keyring()
    monkeypatch.setenv("CLINICDESK_PASSPHRASE", "this is not the passphrase")

    code, _out, err = _run(capsys, "--db", str(practice), "info")

    assert code == 1
    assert "recovery passphrase does not open" in err


def test_missing_passphrase_without_terminal(
    practice: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _forget_keyring()
    monkeypatch.delenv("CLINICDESK_PASSPHRASE")

    code, _out, err = _run(capsys, "--db", str(practice), "info")

    assert code == 1
    assert "CLINICDESK_PASSPHRASE" in err


def test_usage_error_exit_two(capsys: pytest.CaptureFixture[str]) -> None:
    code, _out, err = _run(capsys, "frobnicate")

    assert code == 2
    assert err.count("\n") == 1
    assert err.startswith("clinicdesk: error: ")


def test_unexpected_error_names_log(
    practice: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(_args: object) -> cli.Outcome:
        raise RuntimeError("a bug")

    # build_parser reads the handler from app.cli.parser's namespace, so patch it there.
    monkeypatch.setattr("app.cli.parser.cmd_info", broken)

    code, _out, err = _run(capsys, "--db", str(practice), "info")
    log_file = Path(err.split(" in ", 1)[1].split(";")[0])

    assert code == 3
    assert err.count("\n") == 1
    assert "RuntimeError: a bug" in log_file.read_text(encoding="utf-8")


def test_database_closed_after_error(practice: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _run(capsys, "--db", str(practice), "audit", "verify")

    reopened = Database.open(practice)
    reopened.close()

    assert reopened.path == practice.resolve()


# Real subprocesses: few, because each one pays full Argon2id costs where it hashes.


def _subprocess(
    home: Path, *argv: str, passphrase: str = PASSPHRASE
) -> subprocess.CompletedProcess[str]:
    environment = {
        **os.environ,
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_STATE_HOME": str(home / "state"),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_CACHE_HOME": str(home / "cache"),
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        "CLINICDESK_PASSPHRASE": passphrase,
        "CLINICDESK_PASSWORD": ADMIN_PASSWORD,
    }
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *argv],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


@pytest.mark.slow
def test_subprocess_info_json(practice: Path, tmp_path: Path) -> None:
    result = _subprocess(tmp_path, "--db", str(practice), "info", "--json")

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["practice"] == "Lakeside Family Medicine LLC"


@pytest.mark.slow
def test_subprocess_wrong_passphrase(practice: Path, tmp_path: Path) -> None:
    result = _subprocess(tmp_path, "--db", str(practice), "info", passphrase="wrong words here")

    assert result.returncode == 1
    assert result.stderr.count("\n") == 1
    assert "recovery passphrase does not open" in result.stderr


@pytest.mark.slow
def test_subprocess_bad_db(tmp_path: Path) -> None:
    result = _subprocess(tmp_path, "--db", str(tmp_path / "missing.db"), "info")

    assert result.returncode == 1
    assert result.stderr.count("\n") == 1
    assert "clinicdesk init" in result.stderr


# Error output: one line, JSON on request, values shortened.


def _damage_schema_pages(path: Path) -> None:
    """Overwrite pages 2 to 9, which hold the roots of the first tables created."""
    import sqlcipher3

    database = Database.open(path)
    key = database.raw_key()
    database.close()
    connection = sqlcipher3.connect(str(path))
    connection.execute(f"PRAGMA key = {keys.key_pragma_value(key)}")
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
    connection.close()
    with open(path, "r+b") as handle:
        handle.seek(4096)
        handle.write(b"\xff" * 4096 * 8)


def test_damaged_db_one_line(practice: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _damage_schema_pages(practice)

    code, _out, err = _run(capsys, "--db", str(practice), "info")

    assert code == 1
    assert err.count("\n") == 1
    assert err.startswith("clinicdesk: error: ")
    assert "damaged" in err


def test_verbose_shows_warnings(practice: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _damage_schema_pages(practice)

    code, _out, err = _run(capsys, "--db", str(practice), "-v", "info")

    assert code == 1
    assert "clinicdesk: WARNING: " in err


def test_error_json_on_stdout(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "no-such-folder" / "clinic.db"

    code, out, err = _run(capsys, "--db", str(missing), "--json", "info")
    data = json.loads(out)

    assert code == 1
    assert data["ok"] is False
    assert data["error"] == err.removeprefix("clinicdesk: error: ").rstrip("\n")
    assert str(missing) in data["error"]


def test_usage_error_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, "--json", "frobnicate")

    assert code == 2
    assert json.loads(out)["ok"] is False
    assert err.count("\n") == 1


def test_unknown_user_name_shortened(practice: Path, capsys: pytest.CaptureFixture[str]) -> None:
    long_name = "x" * 5000

    code, _out, err = _run(
        capsys, "--db", str(practice), "--user", "admin", "user", "unlock", long_name
    )

    assert code == 1
    assert "x" * 61 not in err
    assert "\u2026" in err
    assert len(err) < 300


def test_bad_date_shortened(
    practice: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, _out, err = _run(
        capsys, "--db", str(practice), "--user", "admin", "audit", "export",
        "--to", str(tmp_path / "a.csv"), "--from", "9" * 5000,
    )  # fmt: skip

    assert code == 1
    assert "9" * 61 not in err
    assert "YYYY-MM-DD" in err


# Input checks of the commands.


def _export(
    capsys: pytest.CaptureFixture[str], practice: Path, target: Path, *extra: str
) -> tuple[int, str, str]:
    return _run(
        capsys, "--db", str(practice), "--user", "admin", "audit", "export", "--to", str(target),
        *extra,
    )  # fmt: skip


def test_audit_export_keeps_existing(
    practice: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "audit.csv"
    target.write_text("last month's export")

    code, _out, err = _export(capsys, practice, target)

    assert code == 1
    assert str(target) in err
    assert "--overwrite" in err
    assert target.read_text() == "last month's export"


def test_audit_export_overwrite(
    practice: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "audit.csv"
    target.write_text("last month's export")

    code, _out, err = _export(capsys, practice, target, "--overwrite")

    assert code == 0, err
    assert target.read_text().startswith("occurred_at,")


def test_audit_export_key_file_refused(practice: Path, capsys: pytest.CaptureFixture[str]) -> None:
    key_path = key_file_path(practice)
    before = key_path.read_bytes()

    code, _out, err = _export(capsys, practice, key_path, "--overwrite")

    assert code == 1
    assert str(key_path) in err
    assert key_path.read_bytes() == before


def test_audit_export_until_max_date(
    practice: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _out, err = _export(capsys, practice, tmp_path / "a.csv", "--until", "9999-12-31")

    assert code == 0, err
    assert (tmp_path / "a.csv").exists()


def test_audit_export_reversed_dates(
    practice: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _out, err = _export(
        capsys, practice, tmp_path / "a.csv", "--from", "2026-02-01", "--until", "2026-01-01"
    )

    assert code == 1
    assert "--from 2026-02-01 is after --until 2026-01-01" in err
    assert not (tmp_path / "a.csv").exists()


@pytest.mark.parametrize("keep", ["0", "-1", "two"])
def test_backup_keep_invalid(
    practice: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], keep: str
) -> None:
    folder = tmp_path / "backups"

    code, _out, err = _run(
        capsys, "--db", str(practice), "--user", "admin", "backup", "--to", str(folder),
        "--keep", keep,
    )  # fmt: skip

    assert code == 2
    assert "--keep" in err
    assert err.count("\n") == 1
    assert not folder.exists()


@pytest.mark.parametrize("patients", ["-5", "200001"])
def test_demo_patients_invalid(
    db_path: Path, capsys: pytest.CaptureFixture[str], patients: str
) -> None:
    code, _out, err = _run(capsys, "--db", str(db_path), "demo", "--patients", patients)

    assert code == 2
    assert "--patients" in err
    assert "200,000" in err
    assert not db_path.exists()


@pytest.mark.slow
def test_subprocess_closed_stdout(practice: Path, tmp_path: Path) -> None:
    environment = {
        **os.environ,
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        "CLINICDESK_PASSPHRASE": PASSPHRASE,
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "--db", str(practice), "info"],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    # Closing the read end first makes the command's first write fail with EPIPE.
    assert process.stdout is not None
    process.stdout.close()
    _out, err = process.communicate(timeout=120)

    assert process.returncode == 1
    assert err == ""


def test_console_log_errors_only(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import logging

    log_file = configure_logging(log_dir=tmp_path)
    logger = logging.getLogger("tests.console")
    logger.warning("a warning for the file only")
    logger.error("an error for the console too")
    stop_logging()
    err = capsys.readouterr().err

    assert "a warning" not in err
    assert "clinicdesk: ERROR: an error for the console too" in err
    assert "a warning for the file only" in log_file.read_text(encoding="utf-8")


def test_console_log_disabled(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import logging

    log_file = configure_logging(log_dir=tmp_path, console=False)
    logging.getLogger("tests.console").error("an error for the file only")
    stop_logging()

    assert capsys.readouterr().err == ""
    assert "an error for the file only" in log_file.read_text(encoding="utf-8")
