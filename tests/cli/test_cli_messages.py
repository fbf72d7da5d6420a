"""Command-line messages, help text, JSON results and the key passphrase command."""

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest

from app import cli
from app.logging_setup import stop_logging
from app.paths import key_file_path
from tests.conftest import PASSPHRASE
from tests.helpers.practice_data import ADMIN_PASSWORD
from tests.test_cli import INIT_FLAGS

NEW_PASSPHRASE = "lantern orchard pebble violin"
Result = tuple[int, str, str]


@pytest.fixture(autouse=True)
def _secrets(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("CLINICDESK_PASSWORD", ADMIN_PASSWORD)
    monkeypatch.setenv("CLINICDESK_PASSPHRASE", PASSPHRASE)
    monkeypatch.delenv("CLINICDESK_NEW_PASSPHRASE", raising=False)
    yield
    stop_logging()


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> Result:
    code = cli.main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def practice(db_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    code, _out, err = _run(capsys, "--db", str(db_path), "init", *INIT_FLAGS)
    assert code == 0, err
    return db_path


def _as_admin(practice: Path) -> list[str]:
    return ["--db", str(practice), "--user", "admin"]


# Demo passwords and field labels.


def test_demo_password_names_users(
    db_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLINICDESK_PASSWORD", "a long manager password")

    code, _out, err = _run(capsys, "--db", str(db_path), "demo", "--patients", "0")

    assert code == 1
    assert "users frontdesk, biller, manager and provider with this password" in err
    assert not db_path.exists()
    assert not key_file_path(db_path).exists()


def test_demo_admin_password_label(
    db_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLINICDESK_PASSWORD", "Admin-pass-9876")

    code, _out, err = _run(capsys, "--db", str(db_path), "demo", "--patients", "0")

    assert code == 1
    assert "Administrator password: Do not include the user name" in err
    assert "admin.password" not in err


def test_failure_log_names_fields(
    db_path: Path, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    flags = [*INIT_FLAGS]
    flags[flags.index("1234567893")] = "1234567890"

    with caplog.at_level(logging.INFO, logger="app.cli"):
        _run(capsys, "--db", str(db_path), "init", *flags)

    assert "invalid practice.billing_npi" in caplog.text


@pytest.mark.parametrize(
    ("field", "label"),
    [
        ("admin.password", "Administrator password"),
        ("practice.billing_npi", "Practice billing NPI (--npi)"),
        ("providers[1].npi", "Provider 2 NPI"),
        ("locations[0].rooms[2]", "Location 1 room 3"),
        ("some_new.field_name", "Some new field name"),
    ],
)
def test_field_label(field: str, label: str) -> None:
    assert cli.field_label(field) == label


# Argument checks and help text.


def test_role_lists_valid_roles(practice: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _out, err = _run(
        capsys, *_as_admin(practice), "user", "add", "jsmith", "--role", "frontdesk",
        "--name", "Jane Smith",
    )  # fmt: skip

    assert code == 2
    assert "front_desk, biller, provider, manager or administrator" in err
    assert err.count("\n") == 1


def test_audit_action_lists_actions(
    practice: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _out, err = _run(
        capsys, *_as_admin(practice), "audit", "export", "--to", str(tmp_path / "a.csv"),
        "--action", "signin",
    )  # fmt: skip

    assert code == 2
    assert "'signin' is not an audit action" in err
    assert "sign_in, sign_out" in err
    assert not (tmp_path / "a.csv").exists()


def test_init_help_marks_required(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _err = _run(capsys, "init", "--help")

    assert code == 0
    assert "required practice details" in out
    assert "required: Practice legal name" in out


def test_user_add_help_names_variable(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _err = _run(capsys, "user", "add", "--help")

    assert code == 0
    assert "CLINICDESK_NEW_PASSWORD" in out


def test_usage_names_clinicdesk(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _err = _run(capsys, "--help")

    assert code == 0
    assert out.startswith("usage: clinicdesk [")


def test_rotate_help_names_passphrase(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _err = _run(capsys, "key", "rotate", "--help")

    assert code == 0
    assert "'clinicdesk key passphrase' changes it" in " ".join(out.split())


# Results.


def test_unlock_not_locked_says_so(practice: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, *_as_admin(practice), "user", "unlock", "admin")

    assert code == 0, err
    assert "admin was not locked" in out


def test_json_has_ok_true(practice: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, "--db", str(practice), "--json", "info")

    assert code == 0, err
    assert json.loads(out)["ok"] is True


@pytest.mark.parametrize("order", [("key", "recover", "--json"), ("key", "--json", "recover")])
def test_key_recover_json(
    practice: Path, capsys: pytest.CaptureFixture[str], order: tuple[str, ...]
) -> None:
    keyring.get_keyring().passwords.clear()  # type: ignore[attr-defined]

    code, out, err = _run(capsys, "--db", str(practice), *order)
    data = json.loads(out)

    assert code == 0, err
    assert data["ok"] is True
    assert data["recovered"] is True


def test_restore_replace_json_audited(
    practice: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _run(capsys, *_as_admin(practice), "backup", "--to", str(tmp_path / "backups"))
    backup = next((tmp_path / "backups").glob("clinicdesk-*.db"))

    code, out, err = _run(
        capsys, "--json", "restore", str(backup), "--db", str(practice), "--replace", "--yes"
    )
    data = json.loads(out)

    assert code == 0, err
    assert data["ok"] is True
    assert data["audit_recorded"] is True


# The key passphrase command.


def test_key_passphrase_changes_it(
    practice: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLINICDESK_NEW_PASSPHRASE", NEW_PASSPHRASE)

    code, out, err = _run(capsys, *_as_admin(practice), "--json", "key", "passphrase")
    keyring.get_keyring().passwords.clear()  # type: ignore[attr-defined]
    monkeypatch.setenv("CLINICDESK_PASSPHRASE", NEW_PASSPHRASE)
    opened, _out, open_err = _run(capsys, "--db", str(practice), "info")

    assert code == 0, err
    assert json.loads(out)["changed"] is True
    assert opened == 0, open_err


def test_key_passphrase_needs_new_value(practice: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = key_file_path(practice).read_text()

    code, _out, err = _run(capsys, *_as_admin(practice), "key", "passphrase")

    assert code == 1
    assert "CLINICDESK_NEW_PASSPHRASE" in err
    assert key_file_path(practice).read_text() == before


def test_key_passphrase_needs_user(
    practice: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLINICDESK_NEW_PASSPHRASE", NEW_PASSPHRASE)

    code, _out, err = _run(capsys, "--db", str(practice), "key", "passphrase")

    assert code == 1
    assert "--user" in err
