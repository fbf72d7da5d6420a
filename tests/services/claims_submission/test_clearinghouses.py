"""Clearinghouse settings: validation, the keyring password and the payer's clearinghouse."""

from pathlib import Path
from typing import Any

import keyring
import pytest
from sqlalchemy import select

from app.db.database import Database
from app.errors import NotFoundError, PermissionDeniedError, UserError
from app.ids import new_id
from app.models.claims import Clearinghouse
from app.models.practice import Payer
from app.models.security import AuditEvent
from app.problems import Severity
from app.services import clearinghouses
from app.services.clearinghouses import KEYRING_SERVICE, format_file_name
from tests.helpers.charge_data import ChargePractice, build_charge_practice
from tests.helpers.sftp_server import new_host_key, public_key_of
from tests.services.claims_submission.clearinghouse_data import (
    add_clearinghouse,
    clearinghouse_form,
)


@pytest.fixture
def practice(database: Database) -> ChargePractice:
    return build_charge_practice(database)


def _problems(database: Database, practice: ChargePractice, **changes: Any) -> dict[str, Severity]:
    form = clearinghouse_form(**changes)
    with database.reading() as session:
        found = clearinghouses.check_clearinghouse(session, form)
    return {problem.field: problem.severity for problem in found}


def test_save_and_load_round_trip(database: Database, practice: ChargePractice) -> None:
    key = public_key_of(new_host_key())
    record_id = add_clearinghouse(
        database,
        practice.biller,
        password="s3cret-pass",
        sftp_host="sftp.example.com",
        sftp_username="lakeside",
        sftp_host_key=f"sftp.example.com {key} comment",
    )

    with database.reading() as session:
        form = clearinghouses.load_clearinghouse(session, practice.biller, record_id)

    assert form.id == record_id
    assert form.submitter_phone == "8475550140"
    assert form.sftp_host_key == key
    assert form.password_saved
    assert form.outbox_folder == ""
    assert keyring.get_password(KEYRING_SERVICE, str(record_id)) == "s3cret-pass"


def test_empty_optional_fields_stored_as_null(database: Database, practice: ChargePractice) -> None:
    record_id = add_clearinghouse(database, practice.biller)

    with database.reading() as session:
        row = session.get(Clearinghouse, record_id)
        assert row is not None
        assert row.sftp_host is None
        assert row.sftp_host_key is None
        assert row.outbox_folder is None


def test_save_audits_without_password(database: Database, practice: ChargePractice) -> None:
    record_id = add_clearinghouse(database, practice.biller, password="s3cret-pass")

    with database.reading() as session:
        events = session.scalars(
            select(AuditEvent).where(AuditEvent.object_id == str(record_id))
        ).all()
    assert [event.action for event in events] == ["create"]
    assert events[0].detail == "password changed"
    assert "s3cret" not in events[0].detail


def test_update_keeps_password_when_none(database: Database, practice: ChargePractice) -> None:
    record_id = add_clearinghouse(database, practice.biller, password="first-pass")

    with database.transaction() as session:
        form = clearinghouses.load_clearinghouse(session, practice.biller, record_id)
        changed = clearinghouse_form(id=record_id, name="Renamed Exchange")
        outcome = clearinghouses.save_clearinghouse(session, practice.biller, changed)

    assert form.password_saved
    assert outcome.saved
    assert not outcome.created
    assert keyring.get_password(KEYRING_SERVICE, str(record_id)) == "first-pass"


def test_list_sorted_by_name(database: Database, practice: ChargePractice) -> None:
    add_clearinghouse(database, practice.biller, name="zeta Exchange")
    add_clearinghouse(database, practice.biller, name="Alpha Exchange")

    with database.reading() as session:
        names = [form.name for form in clearinghouses.list_clearinghouses(session, practice.biller)]

    assert names == ["Alpha Exchange", "zeta Exchange"]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": " "}, "name"),
        ({"submitter_id": "X"}, "submitter_id"),
        ({"submitter_id": "A" * 81}, "submitter_id"),
        ({"submitter_name": "B" * 61}, "submitter_name"),
        ({"submitter_contact": ""}, "submitter_contact"),
        ({"submitter_phone": "555-0140"}, "submitter_phone"),
        ({"receiver_id": ""}, "receiver_id"),
        ({"receiver_name": "Exchange*One"}, "receiver_name"),
        ({"isa_sender_id": "A" * 16}, "isa_sender_id"),
        ({"isa_receiver_id": "LCX~001"}, "isa_receiver_id"),
        ({"isa_sender_id": "CAFÉ"}, "isa_sender_id"),
        ({"gs_sender_code": "L"}, "gs_sender_code"),
        ({"gs_receiver_code": "R" * 16}, "gs_receiver_code"),
        ({"isa_sender_qualifier": "XX"}, "isa_sender_qualifier"),
        ({"isa_receiver_qualifier": ""}, "isa_receiver_qualifier"),
        ({"usage_indicator": "X"}, "usage_indicator"),
        ({"sftp_port": 0}, "sftp_port"),
        ({"sftp_port": 65536}, "sftp_port"),
        ({"sftp_host_key": "ssh-ed25519 not-a-key"}, "sftp_host_key"),
        ({"sftp_host": "bad host"}, "sftp_host"),
        ({"upload_folder": ""}, "upload_folder"),
        ({"download_folder": "../etc"}, "download_folder"),
        ({"upload_folder": "in\\bound"}, "upload_folder"),
        ({"outbox_folder": "relative/folder"}, "outbox_folder"),
        ({"file_name_pattern": "{batch"}, "file_name_pattern"),
        ({"file_name_pattern": "{patient}.837"}, "file_name_pattern"),
        ({"file_name_pattern": "{date}.837"}, "file_name_pattern"),
        ({"file_name_pattern": "out/{batch}.837"}, "file_name_pattern"),
        ({"file_name_pattern": "{batch}" + "x" * 120}, "file_name_pattern"),
    ],
)
def test_invalid_setting_is_an_error(
    database: Database, practice: ChargePractice, changes: dict[str, Any], field: str
) -> None:
    found = _problems(database, practice, **changes)

    assert found.get(field) is Severity.ERROR, found


def test_sftp_host_needs_user_and_key(database: Database, practice: ChargePractice) -> None:
    found = _problems(database, practice, sftp_host="sftp.example.com")

    assert found["sftp_username"] is Severity.ERROR
    assert found["sftp_host_key"] is Severity.ERROR
    assert found["password"] is Severity.WARNING


def test_missing_outbox_is_a_warning(database: Database, practice: ChargePractice) -> None:
    found = _problems(database, practice, outbox_folder="/no/such/folder/here")

    assert found == {"outbox_folder": Severity.WARNING}


def test_no_delivery_is_a_warning(database: Database, practice: ChargePractice) -> None:
    assert _problems(database, practice) == {"sftp_host": Severity.WARNING}


def test_valid_settings_have_no_problems(
    database: Database, practice: ChargePractice, tmp_path: Path
) -> None:
    found = _problems(database, practice, outbox_folder=str(tmp_path))

    assert found == {}


def test_duplicate_name_rejected(database: Database, practice: ChargePractice) -> None:
    add_clearinghouse(database, practice.biller)

    with database.transaction() as session:
        form = clearinghouse_form(name="LAKESHORE claims exchange")
        outcome = clearinghouses.save_clearinghouse(session, practice.biller, form)

    errors = [problem.field for problem in outcome.problems if problem.severity is Severity.ERROR]
    assert not outcome.saved
    assert errors == ["name"]


def test_rejected_save_writes_nothing(database: Database, practice: ChargePractice) -> None:
    with database.transaction() as session:
        form = clearinghouse_form(usage_indicator="Q")
        outcome = clearinghouses.save_clearinghouse(session, practice.biller, form, "pass")

    assert outcome.record_id is None
    with database.reading() as session:
        assert session.scalars(select(Clearinghouse)).all() == []


@pytest.mark.usefixtures("no_keyring")
def test_keyring_failure_is_clear(database: Database, practice: ChargePractice) -> None:
    with pytest.raises(UserError, match="could not be stored in the system keyring"):
        add_clearinghouse(database, practice.biller, password="s3cret-pass")

    with database.reading() as session:
        assert session.scalars(select(Clearinghouse)).all() == []


@pytest.mark.usefixtures("no_keyring")
def test_keyring_failure_on_read(database: Database, practice: ChargePractice) -> None:
    with pytest.raises(UserError, match="could not be read from the system keyring"):
        clearinghouses.clearinghouse_password(new_id())


def test_missing_password_is_clear() -> None:
    with pytest.raises(UserError, match="No SFTP password is saved"):
        clearinghouses.clearinghouse_password(new_id())


def test_front_desk_cannot_edit(database: Database, practice: ChargePractice) -> None:
    with pytest.raises(PermissionDeniedError), database.transaction() as session:
        clearinghouses.save_clearinghouse(session, practice.front_desk, clearinghouse_form())


def test_load_unknown_id(database: Database, practice: ChargePractice) -> None:
    with pytest.raises(NotFoundError), database.reading() as session:
        clearinghouses.load_clearinghouse(session, practice.biller, new_id())


def test_payer_uses_its_clearinghouse(database: Database, practice: ChargePractice) -> None:
    first = add_clearinghouse(database, practice.biller, name="First Exchange")
    second = add_clearinghouse(database, practice.biller, name="Second Exchange")

    with database.transaction() as session:
        payer = session.get(Payer, practice.aetna_id)
        assert payer is not None
        assert clearinghouses.clearinghouse_for_payer(session, payer.id) is None
        payer.clearinghouse_id = second
        found = clearinghouses.clearinghouse_for_payer(session, payer.id)

    assert found is not None
    assert found.id == second
    assert found.id != first


def test_only_clearinghouse_is_used(database: Database, practice: ChargePractice) -> None:
    with database.reading() as session:
        assert clearinghouses.clearinghouse_for_payer(session, practice.aetna_id) is None

    only = add_clearinghouse(database, practice.biller)

    with database.reading() as session:
        found = clearinghouses.clearinghouse_for_payer(session, practice.aetna_id)
    assert found is not None
    assert found.id == only


def test_file_name_pattern_fills_fields() -> None:
    name = format_file_name(
        "CD_{date}_{batch}_{control}.837", batch="K7Q-000004", date="20260202", control="000000017"
    )

    assert name == "CD_20260202_K7Q-000004_000000017.837"
