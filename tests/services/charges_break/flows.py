"""Steps the charge attack tests repeat: save, post, reverse and read back the ledger."""

import uuid
from decimal import Decimal

from sqlalchemy import select

from app.db.database import Database
from app.models.charges import ChargeLine
from app.models.ledger import LedgerEntry
from app.security.permissions import Actor
from app.services import encounters, ledger
from app.services.encounters import EncounterForm
from app.services.outcomes import SaveOutcome
from tests.helpers.charge_data import ChargePractice


def save(database: Database, actor: Actor, form: EncounterForm) -> SaveOutcome:
    """Save the form in a unit of work of its own and return the outcome."""
    with database.transaction() as session:
        return encounters.save_encounter(session, actor, form)


def saved(database: Database, actor: Actor, form: EncounterForm) -> uuid.UUID:
    """Save the form and return the encounter id; fails the test when the save is rejected."""
    outcome = save(database, actor, form)
    assert outcome.record_id is not None, [problem.message for problem in outcome.problems]
    return outcome.record_id


def post(database: Database, actor: Actor, encounter_id: uuid.UUID) -> None:
    """Post the encounter in a unit of work of its own."""
    with database.transaction() as session:
        encounters.post_encounter(session, actor, encounter_id)


def posted(database: Database, practice: ChargePractice, form: EncounterForm) -> uuid.UUID:
    """Save and post the form as the biller and return the encounter id."""
    encounter_id = saved(database, practice.biller, form)
    post(database, practice.biller, encounter_id)
    return encounter_id


def line_ids(database: Database, encounter_id: uuid.UUID) -> list[uuid.UUID]:
    """Return the ids of the encounter's lines in position order, archived ones included."""
    with database.reading() as session:
        query = (
            select(ChargeLine.id)
            .where(ChargeLine.encounter_id == encounter_id)
            .order_by(ChargeLine.position)
        )
        return list(session.scalars(query))


def ledger_amounts(database: Database) -> list[Decimal]:
    """Return the amount of every ledger row, in posting order."""
    with database.reading() as session:
        query = select(LedgerEntry.amount).order_by(LedgerEntry.posted_at, LedgerEntry.id)
        return list(session.scalars(query))


def balance(database: Database, patient_id: uuid.UUID) -> Decimal:
    """Return the patient's balance over every bucket."""
    with database.reading() as session:
        return ledger.patient_balance(session, patient_id)
