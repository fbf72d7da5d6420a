"""Procedure codes: shapes by kind, search, duplicates, archive and restore, permissions."""

from dataclasses import replace

import pytest
from sqlalchemy import select

from app.db.database import Database
from app.errors import NotFoundError, PermissionDeniedError
from app.models.charges import ProcedureCode
from app.models.security import AuditEvent
from app.services import procedure_codes as codes
from app.services.procedure_codes import CodeKind, ProcedureCodeForm
from tests.helpers.fee_data import FeePractice, build_fee_practice


@pytest.fixture
def practice(database: Database) -> FeePractice:
    return build_fee_practice(database)


def problem_fields(form: ProcedureCodeForm) -> list[str]:
    return [problem.field for problem in codes.procedure_code_problems(form)]


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        ("99213", CodeKind.CPT),
        ("0521F", CodeKind.CPT),
        ("J1100", CodeKind.HCPCS),
        ("NOSHW", CodeKind.PRACTICE),
        ("REC", CodeKind.PRACTICE),
    ],
)
def test_kind_inferred_from_shape(code: str, kind: CodeKind) -> None:
    assert codes.infer_kind(code) is kind


@pytest.mark.parametrize(
    ("code", "kind", "fragment"),
    [
        ("9921", "cpt", "CPT codes are 5 digits"),
        ("W1234", "hcpcs", "letter A to V"),
        ("12345", "practice", "shape of a CPT code"),
        ("AB-1", "practice", "1 to 5 letters and digits"),
        ("", "", "Code is missing"),
    ],
)
def test_bad_code_shapes(code: str, kind: str, fragment: str) -> None:
    form = ProcedureCodeForm(code=code, description="Label", kind=kind)
    messages = [problem.message for problem in codes.procedure_code_problems(form)]

    assert len(messages) == 1
    assert fragment in messages[0]


def test_form_limits() -> None:
    form = ProcedureCodeForm(code="99213", description="x" * 81, default_units=0, kind="dental")

    assert problem_fields(form) == ["kind", "description", "default_units"]


def test_save_normalizes_and_audits(database: Database, practice: FeePractice) -> None:
    form = ProcedureCodeForm(code=" j7030 ", description=" Saline infusion ", requires_ndc=True)
    with database.transaction() as session:
        outcome = codes.save_procedure_code(session, practice.manager, form)
    assert outcome.saved

    with database.session() as session:
        row = session.get(ProcedureCode, outcome.record_id)
        assert row is not None
        assert row.code == "J7030"
        assert row.kind == "hcpcs"
        assert row.description == "Saline infusion"
        assert row.requires_ndc is True
        assert row.source == "typed"
        actions = session.scalars(
            select(AuditEvent.action).where(AuditEvent.object_id == str(row.id))
        ).all()
        assert actions == ["create"]


def test_duplicate_code_rejected(database: Database, practice: FeePractice) -> None:
    form = ProcedureCodeForm(code="99213", description="Another label")
    with database.transaction() as session:
        outcome = codes.save_procedure_code(session, practice.manager, form)

    assert not outcome.saved
    assert "already exists" in outcome.problems[0].message


def test_archived_duplicate_points_to_restore(database: Database, practice: FeePractice) -> None:
    with database.transaction() as session:
        row = codes.find_procedure_code(session, "99214")
        assert row is not None
        codes.archive_procedure_code(session, practice.manager, row.id)
        outcome = codes.save_procedure_code(
            session, practice.manager, ProcedureCodeForm(code="99214", description="Again")
        )

    assert not outcome.saved
    assert "choose Restore" in outcome.problems[0].message


def test_archive_and_restore(database: Database, practice: FeePractice) -> None:
    with database.transaction() as session:
        row = codes.find_procedure_code(session, "J1100")
        assert row is not None
        code_id = row.id
        codes.archive_procedure_code(session, practice.manager, code_id)
    with database.session() as session:
        assert codes.find_procedure_code(session, "J1100") is None
        assert [r.code for r in codes.search_procedure_codes(session, "J")] == []

    with database.transaction() as session:
        codes.restore_procedure_code(session, practice.manager, code_id)
    with database.session() as session:
        assert codes.find_procedure_code(session, "j1100") is not None


def test_archive_twice_rejected(database: Database, practice: FeePractice) -> None:
    with database.transaction() as session:
        row = codes.find_procedure_code(session, "J1100")
        assert row is not None
        codes.archive_procedure_code(session, practice.manager, row.id)
        with pytest.raises(NotFoundError):
            codes.archive_procedure_code(session, practice.manager, row.id)


def test_edit_keeps_code(database: Database, practice: FeePractice) -> None:
    with database.transaction() as session:
        row = codes.find_procedure_code(session, "99214")
        assert row is not None
        form = ProcedureCodeForm(code="99214", description="Visit, level 4", id=row.id)
        renamed = codes.save_procedure_code(session, practice.manager, form)
        clash = codes.save_procedure_code(session, practice.manager, replace(form, code="99213"))

    assert renamed.saved
    assert not renamed.created
    assert "cannot change to 99213" in clash.problems[0].message


def test_search_code_prefix_first(database: Database, practice: FeePractice) -> None:
    with database.transaction() as session:
        form = ProcedureCodeForm(code="VISIT", description="Visit 99 follow-up call")
        codes.save_procedure_code(session, practice.manager, form)

    with database.session() as session:
        by_prefix = [row.code for row in codes.search_procedure_codes(session, "992")]
        by_words = [row.code for row in codes.search_procedure_codes(session, "visit level")]
        mixed = [row.code for row in codes.search_procedure_codes(session, "99")]

    assert by_prefix == ["99213", "99214"]
    assert by_words == ["99213", "99214"]
    assert mixed == ["99213", "99214", "VISIT"]


def test_search_escapes_wildcards(database: Database, practice: FeePractice) -> None:
    with database.session() as session:
        assert codes.search_procedure_codes(session, "%") == []
        assert codes.search_procedure_codes(session, "_9213") == []


def test_blank_search_lists_all(database: Database, practice: FeePractice) -> None:
    with database.session() as session:
        found = [row.code for row in codes.search_procedure_codes(session, "  ", limit=2)]

    assert found == ["99213", "99214"]


def test_biller_cannot_edit(database: Database, practice: FeePractice) -> None:
    form = ProcedureCodeForm(code="99215", description="Office visit, est. level 5")
    with database.transaction() as session, pytest.raises(PermissionDeniedError):
        codes.save_procedure_code(session, practice.biller, form)
