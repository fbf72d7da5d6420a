"""A practice with posted encounters, ready for building claims.

Built on the charge practice: encounters are saved and posted through
`app.services.encounters`, the way charge entry does it, so claims are built from real
ledger charges.
"""

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from app.db.database import Database
from app.models.claims import Claim, ClaimLine, Clearinghouse
from app.models.patients import Coverage
from app.models.practice import Payer, Practice
from app.security.permissions import Actor
from app.services import encounters
from app.services.claim_build import BuildResult, build_claims
from app.services.encounters import EncounterForm, LineForm
from tests.helpers.charge_data import VISIT_DAY, ChargePractice, build_charge_practice


@dataclass(frozen=True)
class ClaimPractice:
    """The charge practice, its database, and the encounters posted for it."""

    database: Database
    charge: ChargePractice
    encounter_id: uuid.UUID
    uninsured_encounter_id: uuid.UUID

    @property
    def biller(self) -> Actor:
        """A biller, who may build and correct claims."""
        return self.charge.biller

    @property
    def patient_id(self) -> uuid.UUID:
        """The first patient, with Aetna as primary coverage."""
        return self.charge.patient_id

    @property
    def aetna_id(self) -> uuid.UUID:
        """Aetna, the first patient's primary payer."""
        return self.charge.aetna_id

    @property
    def cigna_id(self) -> uuid.UUID:
        """Cigna, a payer no patient has until a test adds a coverage."""
        return self.charge.scheduling.base.cigna_id

    @property
    def aetna_coverage_id(self) -> uuid.UUID:
        """The first patient's Aetna coverage."""
        return self.charge.scheduling.base.aetna_coverage_id

    def form(
        self,
        lines: list[LineForm] | None = None,
        *,
        diagnoses: list[str] | None = None,
        patient_id: uuid.UUID | None = None,
        day: date = VISIT_DAY,
    ) -> EncounterForm:
        """Build an encounter form: by default one 99213 line pointing at E11.9."""
        return self.charge.form(lines, diagnoses=diagnoses, patient_id=patient_id, day=day)

    def post(self, form: EncounterForm) -> uuid.UUID:
        """Save and post an encounter as a biller; return its id."""
        return post_encounter(self.database, self.charge, form)

    def build(self, encounter_ids: list[uuid.UUID] | None = None) -> BuildResult:
        """Build claims as a biller, for the encounters given or for every posted one."""
        with self.database.transaction() as session:
            return build_claims(session, self.biller, encounter_ids=encounter_ids)

    def claim(self, claim_id: uuid.UUID) -> Claim:
        """Load a claim (detached, for reading its columns)."""
        with self.database.reading() as session:
            claim = session.get(Claim, claim_id)
            assert claim is not None
            return claim

    def claim_lines(self, claim_id: uuid.UUID) -> list[ClaimLine]:
        """Load a claim's lines in line order."""
        with self.database.reading() as session:
            query = (
                select(ClaimLine)
                .where(ClaimLine.claim_id == claim_id)
                .order_by(ClaimLine.line_number)
            )
            return list(session.scalars(query))

    def add_coverage(
        self,
        payer_id: uuid.UUID,
        priority: int,
        *,
        patient_id: uuid.UUID | None = None,
        effective: date | None = None,
        terminated: date | None = None,
    ) -> uuid.UUID:
        """Add a coverage to a patient (the first one by default) and return its id."""
        with self.database.transaction() as session:
            coverage = Coverage(
                patient_id=patient_id or self.patient_id,
                payer_id=payer_id,
                priority=priority,
                member_id=f"M{priority}00{priority}77",
                group_number="GRP-77",
                effective_date=effective,
                termination_date=terminated,
            )
            session.add(coverage)
            session.flush()
            return coverage.id


def post_encounter(database: Database, practice: ChargePractice, form: EncounterForm) -> uuid.UUID:
    """Save and post an encounter as a biller; return its id."""
    with database.transaction() as session:
        outcome = encounters.save_encounter(session, practice.biller, form)
        assert outcome.record_id is not None, outcome.problems
    with database.transaction() as session:
        encounters.post_encounter(session, practice.biller, outcome.record_id)
    return outcome.record_id


def set_practice_zip(database: Database, zip_code: str) -> None:
    """Store the practice's ZIP code as given, such as "60201-4412" or "60201"."""
    with database.transaction() as session:
        practice = session.scalars(select(Practice)).one()
        practice.zip_code = zip_code


def add_clearinghouse(database: Database) -> uuid.UUID:
    """Add a test clearinghouse, send every payer's claims through it, and return its id."""
    with database.transaction() as session:
        clearinghouse = Clearinghouse(
            name="Test clearinghouse",
            submitter_id="SUB01",
            submitter_name="Lakeside Family Medicine",
            submitter_contact="Billing office",
            submitter_phone="(847) 555-0140",
            receiver_id="CH01",
            receiver_name="Test clearinghouse",
            isa_sender_id="LAKESIDE",
            isa_receiver_id="TESTHOUSE",
            gs_sender_code="LAKESIDE",
            gs_receiver_code="TESTHOUSE",
        )
        session.add(clearinghouse)
        session.flush()
        for payer in session.scalars(select(Payer)):
            payer.clearinghouse_id = clearinghouse.id
        return clearinghouse.id


def build_claim_practice(database: Database) -> ClaimPractice:
    """Set up the charge practice and post one visit each for an insured and an uninsured
    patient.
    """
    charge = build_charge_practice(database)
    insured = post_encounter(database, charge, charge.form())
    uninsured = post_encounter(
        database, charge, charge.form(patient_id=charge.uninsured_patient_id)
    )
    return ClaimPractice(database, charge, insured, uninsured)
