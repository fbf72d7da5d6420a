"""FHIR import against a real practice database: the Synthea corpus, re-imports, bad files."""

import json
import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.errors import PermissionDeniedError
from app.models.patients import (
    Coverage,
    ExternalReference,
    OutsideProvider,
    Patient,
    PatientAlert,
    VisitHistory,
)
from app.models.practice import Payer
from app.models.security import AuditEvent
from app.services.fhir_import import import_fhir
from app.services.fhir_patients import MEMBER_ID_ALERT
from app.services.fhir_report import write_report_csv
from tests.helpers.duplicate_records import Practice, make_practice

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO.parent / "shared" / "corpus" / "fhir"
SAMPLE = REPO / "tests" / "data" / "fhir" / "synthea-roland-batch.json"
TODAY = date(2025, 6, 1)

needs_corpus = pytest.mark.skipif(
    not CORPUS.is_dir(),
    reason=f"the Synthea FHIR corpus is not at {CORPUS}; the sample bundle tests still run",
)


@pytest.fixture
def practice(tmp_path: Path) -> Iterator[Practice]:
    yield from make_practice(tmp_path / "fhir" / "clinicdesk.db")


def _import(practice: Practice, path: Path):  # type: ignore[no-untyped-def]
    with practice.database.transaction() as session:
        return import_fhir(session, practice.manager, path, TODAY)


def _count(practice: Practice, model: type) -> int:
    with practice.database.reading() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def _sample_copy(tmp_path: Path) -> Path:
    target = tmp_path / "bundles" / SAMPLE.name
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(SAMPLE, target)
    target.chmod(0o600)
    return target


@needs_corpus
def test_corpus_imports_every_patient(practice: Practice) -> None:
    bundles = [path for path in CORPUS.rglob("*.json") if "Information" not in path.name]
    report = _import(practice, CORPUS)

    assert report.failed_files == []
    assert len(report.files) == 24
    assert report.count("Patient", "imported") == len(bundles) == 20
    assert report.count("Patient", "skipped") == 0
    assert _count(practice, Patient) == 20
    assert _count(practice, VisitHistory) == report.count("Encounter", "imported") > 0
    assert _count(practice, OutsideProvider) == report.count("Practitioner", "imported") == 159


@needs_corpus
def test_corpus_reimport_changes_nothing(practice: Practice) -> None:
    _import(practice, CORPUS)
    patients, visits = _count(practice, Patient), _count(practice, VisitHistory)
    references = _count(practice, ExternalReference)

    again = _import(practice, CORPUS)

    assert again.count("Patient", "imported") == 0
    assert again.count("Patient", "unchanged") == 20
    assert again.count("Encounter", "imported") == 0
    assert again.count("Practitioner", "imported") == 0
    assert _count(practice, Patient) == patients
    assert _count(practice, VisitHistory) == visits
    assert _count(practice, ExternalReference) == references


@needs_corpus
def test_corpus_medicare_payer_indicator(practice: Practice) -> None:
    _import(practice, CORPUS)
    with practice.database.reading() as session:
        indicators = dict(session.execute(select(Payer.name, Payer.claim_filing_indicator)).all())
    assert indicators["Medicare"] == "MB"
    assert indicators["Medicaid"] == "MC"


def test_sample_maps_demographics(practice: Practice) -> None:
    report = _import(practice, SAMPLE)

    assert report.count("Patient", "imported") == 1
    with practice.database.reading() as session:
        patient = session.scalars(select(Patient)).one()
        assert (patient.first_name, patient.last_name) == ("Roland", "Nienow")
        assert patient.date_of_birth == date(2009, 8, 6)
        assert patient.sex == "M"
        assert patient.state == "MA"
        assert patient.city == "Templeton"
        assert patient.ssn == "999486785"
        assert patient.marital_status == "single"
        assert patient.preferred_language == "Vietnamese"


def test_sample_coverage_from_claims(practice: Practice) -> None:
    report = _import(practice, SAMPLE)

    with practice.database.reading() as session:
        coverage = session.scalars(select(Coverage)).one()
        payer = session.get(Payer, coverage.payer_id)
        alerts = list(session.scalars(select(PatientAlert.message)))
    assert payer is not None
    assert payer.name == "Medicaid"
    assert coverage.member_id == "UNKNOWN"
    assert coverage.priority == 1
    assert coverage.relationship_code == "18"
    assert alerts == [MEMBER_ID_ALERT]
    patient_row = next(row for row in report.rows if row.resource_type == "Patient")
    assert "phone number was skipped" in patient_row.message


def test_sample_reimport_unchanged(practice: Practice) -> None:
    _import(practice, SAMPLE)
    again = _import(practice, SAMPLE)

    assert again.count("Patient", "unchanged") == 1
    assert again.count("Encounter", "imported") == 0
    assert again.count("Encounter", "unchanged") == 13
    assert _count(practice, Patient) == 1
    assert _count(practice, Coverage) == 1


def test_edited_bundle_updates_patient(practice: Practice, tmp_path: Path) -> None:
    bundle_path = _sample_copy(tmp_path)
    _import(practice, bundle_path)

    document = json.loads(bundle_path.read_text())
    patient = next(
        e["resource"] for e in document["entry"] if e["resource"]["resourceType"] == "Patient"
    )
    patient["name"][0]["family"] = "Nienow-Park652"
    patient["address"][0]["city"] = "Athol"
    bundle_path.write_text(json.dumps(document))
    again = _import(practice, bundle_path)

    assert again.count("Patient", "updated") == 1
    assert _count(practice, Patient) == 1
    with practice.database.reading() as session:
        row = session.scalars(select(Patient)).one()
        assert row.last_name == "Nienow-Park"
        assert row.city == "Athol"


def test_desk_member_id_survives_reimport(practice: Practice) -> None:
    _import(practice, SAMPLE)
    with practice.database.transaction() as session:
        session.scalars(select(Coverage)).one().member_id = "MCD123456"

    _import(practice, SAMPLE)

    with practice.database.reading() as session:
        assert session.scalars(select(Coverage.member_id)).one() == "MCD123456"


def test_bad_files_reported_and_skipped(practice: Practice, tmp_path: Path) -> None:
    folder = _sample_copy(tmp_path).parent
    (folder / "broken.json").write_text('{"resourceType": "Bundle", "entry": [')
    (folder / "lonely-patient.json").write_text('{"resourceType": "Patient", "id": "p1"}')

    report = _import(practice, folder)

    failed = {result.file: result.message for result in report.failed_files}
    assert set(failed) == {"broken.json", "lonely-patient.json"}
    assert "broken.json is not valid JSON" in failed["broken.json"]
    assert "lonely-patient.json is not a FHIR Bundle" in failed["lonely-patient.json"]
    assert "a Patient resource" in failed["lonely-patient.json"]
    assert report.count("Patient", "imported") == 1
    assert _count(practice, Patient) == 1


def test_patient_without_birth_date_skipped(practice: Practice, tmp_path: Path) -> None:
    bundle_path = _sample_copy(tmp_path)
    document = json.loads(bundle_path.read_text())
    for entry in document["entry"]:
        entry["resource"].pop("birthDate", None)
    bundle_path.write_text(json.dumps(document))

    report = _import(practice, bundle_path)

    row = next(row for row in report.rows if row.resource_type == "Patient")
    assert row.outcome == "skipped"
    assert "No birth date" in row.message
    assert _count(practice, Patient) == 0
    assert _count(practice, VisitHistory) == 0


def test_import_needs_import_permission(practice: Practice) -> None:
    with (
        pytest.raises(PermissionDeniedError),
        practice.database.transaction() as session,
    ):
        import_fhir(session, practice.front_desk, SAMPLE, TODAY)
    assert _count(practice, Patient) == 0


def test_import_audited_with_counts(practice: Practice) -> None:
    _import(practice, SAMPLE)

    with practice.database.reading() as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "import")).one()
    assert event.object_type == "fhir_import"
    assert "patients imported=1" in event.detail
    assert "Roland" not in event.detail


def test_report_csv_lists_rows(practice: Practice, tmp_path: Path) -> None:
    report = _import(practice, SAMPLE)
    target = tmp_path / "report.csv"

    write_report_csv(report, target)

    lines = target.read_text().splitlines()
    assert lines[0] == "file,resource_type,resource_id,outcome,message"
    assert len(lines) == len(report.rows) + 1


# ---- export -----------------------------------------------------------------------------


def _only_patient_id(practice: Practice):  # type: ignore[no-untyped-def]
    with practice.database.reading() as session:
        return session.scalars(select(Patient.id)).one()


def test_export_round_trips_patient(practice: Practice, tmp_path: Path) -> None:
    from app.services.fhir_bundle import read_bundle
    from app.services.fhir_export import write_patient_bundle

    _import(practice, SAMPLE)
    patient_id = _only_patient_id(practice)
    target = tmp_path / "referral.json"
    with practice.database.transaction() as session:
        write_patient_bundle(session, practice.manager, patient_id, TODAY, target)

    parsed = read_bundle(target)
    assert parsed.bundle_type == "collection"
    patient = parsed.patients[0]
    assert patient.names[0].family == "Nienow"
    assert patient.names[0].given == ("Roland",)
    assert patient.birth_date == date(2009, 8, 6)
    assert [org.name for org in parsed.organizations] == ["Medicaid"]
    assert parsed.coverages[0].subscriber_id == "UNKNOWN"
    assert parsed.coverages[0].relationship == "self"
    assert len(parsed.encounters) == 13


def test_export_validates_with_fhir_resources(practice: Practice) -> None:
    from fhir.resources.R4B.bundle import Bundle

    from app.services.fhir_export import export_patient_bundle

    _import(practice, SAMPLE)
    with practice.database.transaction() as session:
        bundle = export_patient_bundle(session, practice.manager, _only_patient_id(practice), TODAY)

    parsed = Bundle.model_validate(bundle)
    kinds = [entry.resource.get_resource_type() for entry in parsed.entry or []]
    assert kinds.count("Patient") == 1
    assert kinds.count("Coverage") == 1
    assert kinds.count("Organization") == 1
    assert kinds.count("Encounter") == 13


def test_export_ssn_only_with_permission(practice: Practice) -> None:
    from app.services.fhir_bundle import SSN_SYSTEM
    from app.services.fhir_export import export_patient_bundle

    _import(practice, SAMPLE)
    patient_id = _only_patient_id(practice)
    systems = {}
    for actor in (practice.manager, practice.front_desk):
        with practice.database.transaction() as session:
            bundle = export_patient_bundle(session, actor, patient_id, TODAY)
        patient = bundle["entry"][0]["resource"]
        systems[actor.username] = [item["system"] for item in patient["identifier"]]
    assert SSN_SYSTEM in systems["manager"]
    assert SSN_SYSTEM not in systems["frontdesk"]
    assert "urn:clinicdesk:chart" in systems["frontdesk"]


def test_export_audited(practice: Practice) -> None:
    from app.services.fhir_export import export_patient_bundle

    _import(practice, SAMPLE)
    patient_id = _only_patient_id(practice)
    with practice.database.transaction() as session:
        export_patient_bundle(session, practice.manager, patient_id, TODAY)
    with practice.database.reading() as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "export")).one()
    assert event.patient_id == patient_id
    assert event.detail.startswith("fhir bundle")


def test_export_missing_folder_rejected(practice: Practice, tmp_path: Path) -> None:
    from app.errors import FileWriteError
    from app.services.fhir_export import write_patient_bundle

    _import(practice, SAMPLE)
    patient_id = _only_patient_id(practice)
    target = tmp_path / "missing" / "referral.json"

    with (
        pytest.raises(FileWriteError, match="Choose another folder"),
        practice.database.transaction() as session,
    ):
        write_patient_bundle(session, practice.manager, patient_id, TODAY, target)
    assert not target.parent.exists()


def _patient_resource(document: dict) -> dict:  # type: ignore[type-arg]
    return next(
        entry["resource"]
        for entry in document["entry"]
        if entry["resource"]["resourceType"] == "Patient"
    )


def test_lone_surrogate_skips_patient_not_file(practice: Practice, tmp_path: Path) -> None:
    bundle_path = _sample_copy(tmp_path)
    document = json.loads(bundle_path.read_text())
    _patient_resource(document)["name"][0]["given"] = ["Ro\ud800land"]
    bundle_path.write_text(json.dumps(document))

    report = _import(practice, bundle_path)

    assert report.failed_files == []
    row = next(row for row in report.rows if row.resource_type == "Patient")
    assert row.outcome == "skipped"
    assert "First name contains a broken character (a lone surrogate)" in row.message
    assert _count(practice, Patient) == 0
