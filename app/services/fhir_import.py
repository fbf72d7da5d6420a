"""Importing FHIR R4 bundles: patients, payers, coverages, outside providers and visits.

`import_fhir` takes one bundle file or a folder of them (Synthea writes one file per
patient plus hospitalInformation*.json and practitionerInformation*.json). Every file
is read first, so references between files resolve whatever their order. Each file is
then written inside its own savepoint: a file that fails is rolled back and reported,
and the others are kept. Patients go through the registration service, so an imported
patient passes the same checks as one typed at the desk. Re-importing the same data
finds every row by its `ExternalReference` and updates it instead of adding another.
"""

import logging
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TypeVar

from sqlalchemy.orm import Session

from app.changes import ChangeKind, Changes
from app.errors import UserError
from app.progress import OperationCancelledError, Progress
from app.security import audit
from app.security.audit import AuditAction
from app.security.permissions import Actor, Permission, require
from app.services.fhir_bundle import (
    FhirEncounter,
    FhirFormatError,
    FhirOrganization,
    FhirPatient,
    FhirPractitioner,
    Identifier,
    ParsedBundle,
    Reference,
    Resource,
    read_bundle,
)
from app.services.fhir_mapping import (
    PayerKey,
    PlannedCoverage,
    coverage_from_claims,
    coverage_from_resource,
    resource_identity,
    strip_synthea_digits,
)
from app.services.fhir_patients import PatientWriter
from app.services.fhir_records import RecordWriter, RowOutcome, VisitValues
from app.services.fhir_report import FileResult, ImportReport, ReportRow

log = logging.getLogger(__name__)

# Organization.type codes (HL7 organization-type) of an insurer.
PAYER_TYPES = frozenset({"pay", "ins"})

Indexed = TypeVar("Indexed", FhirOrganization, FhirPractitioner)


class ResourceIndex:
    """Organizations and practitioners of every file, found by any reference form.

    A reference may be a full URL ("urn:uuid:…"), a relative one ("Organization/123") or
    a conditional one ("Organization?identifier=https://github.com/synthetichealth/synthea|…").
    """

    def __init__(self, bundles: Iterable[ParsedBundle]) -> None:
        self.organizations: dict[str, FhirOrganization] = {}
        self.practitioners: dict[str, FhirPractitioner] = {}
        for bundle in bundles:
            for organization in bundle.organizations:
                self._add(self.organizations, organization, organization.base)
            for practitioner in bundle.practitioners:
                self._add(self.practitioners, practitioner, practitioner.base)

    @staticmethod
    def _add(table: dict[str, Indexed], resource: Indexed, base: Resource) -> None:
        keys = [base.full_url, f"{base.resource_type}/{base.id}"]
        keys += [
            f"{base.resource_type}?identifier={item.system}|{item.value}"
            for item in base.identifiers
        ]
        for key in keys:
            if key:
                table.setdefault(key, resource)

    def organization(self, reference: Reference | None) -> FhirOrganization | None:
        """Return the Organization a reference points to, if any file has it."""
        return self.organizations.get(reference.reference) if reference else None

    def practitioner(self, reference: Reference | None) -> FhirPractitioner | None:
        """Return the Practitioner a reference points to, if any file has it."""
        return self.practitioners.get(reference.reference) if reference else None


@dataclass
class _FileRun:
    """The rows and counts of one file, kept only when the file's savepoint commits."""

    name: str
    rows: list[ReportRow] = field(default_factory=list)
    kinds: set[ChangeKind] = field(default_factory=set)

    def add(self, resource_type: str, resource_id: str, outcome: str, message: str = "") -> None:
        self.rows.append(ReportRow(self.name, resource_type, resource_id, outcome, message))


def bundle_files(path: Path) -> list[Path]:
    """Return the JSON files to import: `path` itself, or the *.json files under a folder."""
    if path.is_dir():
        files = sorted(item for item in path.rglob("*.json") if item.is_file())
        if not files:
            raise UserError(f"Folder {path} contains no .json files. Choose a folder of bundles.")
        return files
    if not path.exists():
        raise UserError(f"{path} was not found. Check the path and try again.")
    return [path]


def import_fhir(
    session: Session, actor: Actor, path: Path, today: date, progress: Progress | None = None
) -> ImportReport:
    """Import every bundle at `path` (a file or folder) and return the report; audited."""
    require(actor, Permission.PATIENT_IMPORT)
    started = time.perf_counter()
    progress = progress or Progress()
    report = ImportReport()

    files = bundle_files(path)
    bundles: list[ParsedBundle] = []
    for done, file in enumerate(files):
        progress.report(done, len(files) * 2, f"Reading {file.name}")
        try:
            bundles.append(read_bundle(file))
        except FhirFormatError as exc:
            log.warning("FHIR bundle %s not imported: %s", file.name, type(exc).__name__)
            report.files.append(FileResult(file.name, False, str(exc)))

    # Provider and payer files first, so patients' references find the rows they name.
    bundles.sort(key=lambda bundle: bool(bundle.patients))
    importer = _Importer(session, actor, today, ResourceIndex(bundles))
    kinds: set[ChangeKind] = set()
    for done, bundle in enumerate(bundles, start=len(files)):
        progress.report(done, len(files) * 2, f"Importing {bundle.path.name}")
        run = importer.import_file(bundle)
        report.files.append(FileResult(bundle.path.name, run is not None, importer.failure))
        if run is not None:
            report.rows.extend(run.rows)
            kinds |= run.kinds
            report.skipped_types.update(bundle.skipped_types)
    progress.report(len(files) * 2, len(files) * 2, "Finished")

    report.seconds = time.perf_counter() - started
    report.changes = Changes(frozenset(kinds))
    _audit(session, actor, report)
    return report


def _audit(session: Session, actor: Actor, report: ImportReport) -> None:
    patients = [report.count("Patient", outcome.value) for outcome in RowOutcome]
    detail = (
        f"fhir: files={len(report.files)} failed={len(report.failed_files)} "
        f"patients imported={patients[0]} updated={patients[1]} unchanged={patients[2]} "
        f"skipped={patients[3]} rows={len(report.rows)}"
    )
    audit.record(session, actor, AuditAction.IMPORT, "fhir_import", detail=detail)
    log.info("FHIR import finished in %.2f s: %s", report.seconds, detail)


class _Importer:
    """Writes parsed bundles, one savepoint per file."""

    def __init__(self, session: Session, actor: Actor, today: date, index: ResourceIndex) -> None:
        self.session = session
        self.index = index
        self.records = RecordWriter(session, actor)
        self.patients = PatientWriter(session, actor, today, self.records)
        self.failure = ""

    def import_file(self, bundle: ParsedBundle) -> _FileRun | None:
        """Write one bundle; on failure roll it back, set `failure` and return None."""
        run = _FileRun(bundle.path.name)
        self.failure = ""
        savepoint = self.session.begin_nested()
        try:
            self._write(bundle, run)
        except OperationCancelledError:
            savepoint.rollback()
            raise
        except Exception as exc:
            savepoint.rollback()
            self.records.forget_lookups()
            log.exception("FHIR bundle %s failed and was rolled back", bundle.path.name)
            self.failure = (
                f"{bundle.path.name} failed and nothing from it was saved: {exc}"
                if isinstance(exc, UserError)
                else f"{bundle.path.name} failed and nothing from it was saved "
                f"({type(exc).__name__}); the log file has the details."
            )
            return None
        savepoint.commit()
        return run

    def _write(self, bundle: ParsedBundle, run: _FileRun) -> None:
        for organization in bundle.organizations:
            self._organization(organization, run)
        for practitioner in bundle.practitioners:
            self._practitioner(practitioner, bundle, run)
        for patient in bundle.patients:
            self._patient(patient, bundle, run)

    def _organization(self, organization: FhirOrganization, run: _FileRun) -> None:
        if not PAYER_TYPES.intersection(organization.type_codes) or not organization.name:
            run.add("Organization", organization.base.id, RowOutcome.SKIPPED.value,
                    "Not an insurer; its name is used for visit locations.")  # fmt: skip
            return
        written = self.records.ensure_payer(self._payer_key(organization), organization.type_codes)
        run.add("Organization", organization.base.id, written.outcome.value, "Payer")
        run.kinds.add(ChangeKind.PAYERS)

    @staticmethod
    def _payer_key(organization: FhirOrganization) -> PayerKey:
        identifier = next(iter(organization.base.identifiers), None)
        return PayerKey(organization.name, identifier)

    def _practitioner(
        self, practitioner: FhirPractitioner, bundle: ParsedBundle, run: _FileRun
    ) -> None:
        name = next(iter(practitioner.names), None)
        if name is None or not name.family:
            run.add("Practitioner", practitioner.base.id, RowOutcome.SKIPPED.value, "No name.")
            return
        first = name.given[0] if name.given else ""
        last = name.family
        if bundle.synthea_names:
            first, last = strip_synthea_digits(first), strip_synthea_digits(last)
        identity = resource_identity(practitioner.base, bundle.path.name)
        written = self.records.ensure_outside_provider(
            identity, practitioner.base.identifiers, (first, last)
        )
        run.add("Practitioner", practitioner.base.id, written.outcome.value, "Outside provider")

    def _patient(self, patient: FhirPatient, bundle: ParsedBundle, run: _FileRun) -> None:
        coverages, notes = self._plan_coverages(patient, bundle)
        saved = self.patients.save(
            patient, bundle.path.name, coverages, notes, bundle.synthea_names
        )
        run.add("Patient", patient.base.id, saved.outcome.value, " ".join(saved.notes))
        if saved.patient_id is None:
            return
        run.kinds.update(saved.changes.kinds)
        references = {patient.base.full_url, f"Patient/{patient.base.id}"}
        for encounter in bundle.encounters:
            if encounter.subject.reference in references:
                self._encounter(encounter, saved.patient_id, bundle, run)

    def _plan_coverages(
        self, patient: FhirPatient, bundle: ParsedBundle
    ) -> tuple[list[PlannedCoverage], list[str]]:
        references = {patient.base.full_url, f"Patient/{patient.base.id}"}
        planned: list[PlannedCoverage] = []
        notes: list[str] = []
        for coverage in bundle.coverages:
            if coverage.beneficiary.reference not in references or coverage.status == "cancelled":
                continue
            payer = self._coverage_payer(coverage.payors)
            if payer is None:
                notes.append(f"Coverage {coverage.base.id} names no payer; not imported.")
                continue
            source = resource_identity(coverage.base, bundle.path.name)
            item, item_notes = coverage_from_resource(coverage, payer, source)
            planned.append(item)
            notes += item_notes
        if not planned:
            uses = [use for use in bundle.insurance_uses if use.patient.reference in references]
            item_or_none, claim_notes = coverage_from_claims(uses)
            planned += [item_or_none] if item_or_none else []
            notes += claim_notes
        return planned, notes

    def _coverage_payer(self, payors: tuple[Reference, ...]) -> PayerKey | None:
        for payor in payors:
            organization = self.index.organization(payor)
            if organization is not None and organization.name:
                return self._payer_key(organization)
            if payor.display:
                return PayerKey(payor.display)
        return None

    def _encounter(
        self, encounter: FhirEncounter, patient_id: uuid.UUID, bundle: ParsedBundle, run: _FileRun
    ) -> None:
        if encounter.period.start is None:
            run.add("Encounter", encounter.base.id, RowOutcome.SKIPPED.value, "No start time.")
            return
        values = VisitValues(
            started_at=encounter.period.start,
            ended_at=encounter.period.end,
            visit_type=encounter.type_text,
            reason=encounter.reason,
            provider_name=self._practitioner_name(encounter.practitioner, bundle.synthea_names),
            location_name=self._organization_name(encounter.service_provider),
        )
        identity = resource_identity(encounter.base, bundle.path.name)
        written = self.records.save_visit(identity, patient_id, values)
        run.add("Encounter", encounter.base.id, written.outcome.value, "Visit history")
        if written.outcome is not RowOutcome.UNCHANGED:
            run.kinds.add(ChangeKind.PATIENTS)

    def _practitioner_name(self, reference: Reference | None, synthea_names: bool) -> str:
        practitioner = self.index.practitioner(reference)
        name = next(iter(practitioner.names), None) if practitioner else None
        if name is not None:
            parts = [*name.given[:1], name.family]
        else:
            parts = (reference.display if reference else "").split()
        if synthea_names:
            parts = [strip_synthea_digits(part) for part in parts]
        return " ".join(part for part in parts if part)

    def _organization_name(self, reference: Reference | None) -> str:
        organization = self.index.organization(reference)
        if organization is not None and organization.name:
            return organization.name
        return reference.display if reference else ""


__all__ = ["Identifier", "ImportReport", "bundle_files", "import_fhir"]
