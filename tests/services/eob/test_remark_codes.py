"""Importing the wording of CARC and RARC codes from a practice's CSV file."""

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.db.database import Database
from app.errors import PermissionDeniedError, ValidationError
from app.models.payments import RemarkCode
from app.models.security import AuditEvent
from app.security.permissions import Actor, Role
from app.services import remark_codes
from app.services.practice import initialize_practice
from app.services.users import create_user
from tests.helpers.practice_data import ADMIN_PASSWORD, sample_setup

# Made-up wording: the real lists may not be copied into the repository.
CARC_CSV = "Code,Description\n45,Sample wording for code 45\nB7,Sample wording for B7\n"


@dataclass(frozen=True)
class Office:
    database: Database
    admin: Actor
    front_desk: Actor


@pytest.fixture
def office(database: Database) -> Iterator[Office]:
    with database.transaction() as session:
        admin = initialize_practice(session, sample_setup()).admin
        written = create_user(
            session, admin, "frontdesk1", "Front Desk", Role.FRONT_DESK, ADMIN_PASSWORD
        )
    front_desk = Actor(written.user.id, "frontdesk1", Role.FRONT_DESK, admin.workstation)
    yield Office(database, admin, front_desk)


def write(tmp_path: Path, text: str, name: str = "carc.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def run_import(office: Office, path: Path, kind: str = "carc") -> None:
    with office.database.transaction() as session:
        remark_codes.import_remark_codes(session, office.admin, path, kind)


def describe(office: Office, kind: str, code: str) -> str | None:
    with office.database.reading() as session:
        return remark_codes.describe(session, kind, code)


def stored_count(office: Office, kind: str) -> int:
    with office.database.reading() as session:
        count = session.scalar(
            select(func.count()).select_from(RemarkCode).where(RemarkCode.kind == kind)
        )
        return int(count or 0)


def import_problems(office: Office, path: Path, kind: str = "carc") -> list[str]:
    with pytest.raises(ValidationError) as raised:
        run_import(office, path, kind)
    return [problem.message for problem in raised.value.problems]


def test_import_stores_wording(office: Office, tmp_path: Path) -> None:
    run_import(office, write(tmp_path, CARC_CSV))

    assert describe(office, "carc", "45") == "Sample wording for code 45"
    assert describe(office, "carc", " b7 ") == "Sample wording for B7"
    assert describe(office, "carc", "97") is None
    assert describe(office, "rarc", "45") is None


def test_import_replaces_only_its_kind(office: Office, tmp_path: Path) -> None:
    run_import(office, write(tmp_path, CARC_CSV))
    run_import(office, write(tmp_path, "N130,Sample remark\n", "rarc.csv"), "rarc")
    run_import(office, write(tmp_path, "97,Sample wording for 97\n", "carc2.csv"))

    assert describe(office, "carc", "45") is None
    assert describe(office, "carc", "97") == "Sample wording for 97"
    assert describe(office, "rarc", "N130") == "Sample remark"
    assert stored_count(office, "carc") == 1


def test_import_records_source_and_audit(office: Office, tmp_path: Path) -> None:
    run_import(office, write(tmp_path, CARC_CSV))

    with office.database.reading() as session:
        lists = {item.kind: item for item in remark_codes.remark_code_lists(session, office.admin)}
        events = session.scalars(
            select(AuditEvent.detail).where(AuditEvent.object_type == remark_codes.OBJECT_TYPE)
        ).all()
    assert lists["carc"].code_count == 2
    assert lists["carc"].source.startswith("carc.csv sha256:")
    assert lists["rarc"].code_count == 0
    assert events == ["2 codes replaced 0"]


def test_import_reads_cp1252_and_quotes(office: Office, tmp_path: Path) -> None:
    text = '45,"Charge exceeds fee, see \u2019schedule\u2019"\n'
    run_import(office, write(tmp_path, text, encoding="cp1252"))

    assert describe(office, "carc", "45") == "Charge exceeds fee, see \u2019schedule\u2019"


def test_import_rejects_bad_lines(office: Office, tmp_path: Path) -> None:
    run_import(office, write(tmp_path, CARC_CSV))
    bad = "45,First\n45,Again\nB7\nTOOLONGCODE,Wording\n"

    messages = import_problems(office, write(tmp_path, bad, "bad.csv"))

    assert messages[0] == "Line 2: code 45 is already on line 1; each code may appear once."
    assert messages[1].startswith("Line 3: code B7 has no description")
    assert messages[2].startswith("Line 4: TOOLONGCODE in the first column is not a code")
    assert describe(office, "carc", "B7") == "Sample wording for B7"


def test_import_rejects_empty_file(office: Office, tmp_path: Path) -> None:
    messages = import_problems(office, write(tmp_path, "Code,Description\n", "empty.csv"))

    assert messages == [
        "empty.csv contains no codes; choose a CSV file with the code in the first column "
        "and its description in the second."
    ]


def test_import_rejects_unknown_kind(office: Office, tmp_path: Path) -> None:
    messages = import_problems(office, write(tmp_path, CARC_CSV), "cpt")

    assert messages[0].startswith("List kind cpt is not known")


def test_import_rejects_missing_file(office: Office, tmp_path: Path) -> None:
    messages = import_problems(office, tmp_path / "nowhere.csv")

    assert "could not be read" in messages[0]


def test_import_needs_code_set_permission(office: Office, tmp_path: Path) -> None:
    path = write(tmp_path, CARC_CSV)

    with pytest.raises(PermissionDeniedError), office.database.transaction() as session:
        remark_codes.import_remark_codes(session, office.front_desk, path, "carc")
    assert stored_count(office, "carc") == 0
