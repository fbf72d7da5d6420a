"""Rows the FHIR importer writes beside the patient: payers, outside providers, visits.

Each imported resource is tied to its local row by an `ExternalReference`, so importing
the same data again finds and updates the row instead of adding a second one. The
caller (`app.services.fhir_import`) checks the permission and owns the transaction.
"""

import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models.patients import ExternalReference, OutsideProvider, VisitHistory
from app.models.practice import Payer
from app.security import audit
from app.security.audit import AuditAction
from app.security.permissions import Actor
from app.services.fhir_bundle import NPI_SYSTEM, Identifier
from app.services.fhir_mapping import PayerKey, claim_filing_indicator, payer_code_from_name
from app.validators import npi_problems

log = logging.getLogger(__name__)

# Identifier system of a payer known only by its name, as on Synthea's claims.
PAYER_NAME_SYSTEM = "urn:clinicdesk:fhir:payer-name"
_PAYER_CODE_CHARACTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-")


class RowOutcome(StrEnum):
    """The result of importing one resource."""

    IMPORTED = "imported"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    SKIPPED = "skipped"


@dataclass(frozen=True, slots=True)
class Written:
    """The local row a resource went to and whether it was new, changed or the same."""

    local_id: uuid.UUID
    outcome: RowOutcome


@dataclass(frozen=True, slots=True)
class VisitValues:
    """One imported visit, ready to store."""

    started_at: datetime
    ended_at: datetime | None
    visit_type: str
    reason: str
    provider_name: str
    location_name: str


class RecordWriter:
    """Writes the rows of one import, remembering lookups so each is queried once."""

    def __init__(self, session: Session, actor: Actor) -> None:
        self.session = session
        self.actor = actor
        self._payers: dict[PayerKey, uuid.UUID] = {}
        self._references: dict[tuple[str, str, str], uuid.UUID | None] = {}

    def find_reference(self, identifier: Identifier, resource_type: str) -> uuid.UUID | None:
        """Return the local id an identifier was imported into before, or None."""
        key = (identifier.system, identifier.value, resource_type)
        if key not in self._references:
            self._references[key] = self.session.scalar(
                select(ExternalReference.local_id).where(
                    ExternalReference.system == identifier.system,
                    ExternalReference.value == identifier.value,
                    ExternalReference.resource_type == resource_type,
                    ExternalReference.archived.is_(False),
                )
            )
        return self._references[key]

    def remember_reference(
        self, identifier: Identifier, resource_type: str, local: tuple[str, uuid.UUID]
    ) -> None:
        """Record that `identifier` was imported into the row `local` (table name, id)."""
        if self.find_reference(identifier, resource_type) is not None:
            return
        self.session.add(
            ExternalReference(
                system=identifier.system[:200],
                value=identifier.value[:200],
                resource_type=resource_type,
                local_table=local[0],
                local_id=local[1],
                updated_by=self.actor.user_id,
            )
        )
        self._references[(identifier.system, identifier.value, resource_type)] = local[1]

    def forget_lookups(self) -> None:
        """Drop remembered lookups after a rollback, which may have undone their rows."""
        self._payers.clear()
        self._references.clear()

    # ---- payers -------------------------------------------------------------------------

    def ensure_payer(self, key: PayerKey, type_codes: tuple[str, ...] = ()) -> Written:
        """Return the payer for `key`: imported before, an existing payer of that name, or new."""
        if key in self._payers:
            return Written(self._payers[key], RowOutcome.UNCHANGED)
        identity = _payer_identity(key)
        payer_id = self.find_reference(identity, "Organization")
        outcome = RowOutcome.UNCHANGED
        if payer_id is None:
            payer_id = self.session.scalar(
                select(Payer.id)
                .where(func.upper(Payer.name) == key.name.strip().upper()[:60])
                .where(Payer.archived.is_(False))
                .limit(1)
            )
        if payer_id is None:
            payer_id = self._add_payer(key, type_codes)
            outcome = RowOutcome.IMPORTED
        self.remember_reference(identity, "Organization", ("payer", payer_id))
        self._payers[key] = payer_id
        return Written(payer_id, outcome)

    def _add_payer(self, key: PayerKey, type_codes: tuple[str, ...]) -> uuid.UUID:
        payer = Payer(
            name=key.name.strip()[:60],
            payer_code=_payer_code(key),
            claim_filing_indicator=claim_filing_indicator(key.name, type_codes),
            updated_by=self.actor.user_id,
        )
        self.session.add(payer)
        self.session.flush()
        audit.record(
            self.session, self.actor, AuditAction.CREATE, "payer", payer.id, detail="fhir import"
        )
        return payer.id

    # ---- outside providers --------------------------------------------------------------

    def ensure_outside_provider(
        self, identity: Identifier, identifiers: tuple[Identifier, ...], name: tuple[str, str]
    ) -> Written:
        """Create or update the outside provider for a Practitioner, found by NPI or identity.

        `name` is (first, last). An NPI that fails the CMS check digit (Synthea writes
        numbers starting with 9) is not stored, so it cannot reach a claim.
        """
        keys = _practitioner_identities(identity, identifiers)
        found = next(
            (local for key in keys if (local := self.find_reference(key, "Practitioner"))), None
        )
        provider = self.session.get(OutsideProvider, found) if found else None
        outcome = RowOutcome.UNCHANGED
        if provider is None:
            provider = OutsideProvider(last_name="")
            self.session.add(provider)
            outcome = RowOutcome.IMPORTED
        npi = next((key.value for key in keys if key.system == NPI_SYSTEM), None)
        values = {
            "first_name": name[0][:35] or None,
            "last_name": name[1][:60] or "(no name)",
            "npi": npi or provider.npi,
        }
        outcome = _apply(provider, values, outcome)
        provider.updated_by = self.actor.user_id
        self.session.flush()
        for key in keys:
            self.remember_reference(key, "Practitioner", ("outside_provider", provider.id))
        return Written(provider.id, outcome)

    # ---- visits -------------------------------------------------------------------------

    def save_visit(
        self, identity: Identifier, patient_id: uuid.UUID, values: VisitValues
    ) -> Written:
        """Create or update the visit_history row of one Encounter."""
        found = self.find_reference(identity, "Encounter")
        visit = self.session.get(VisitHistory, found) if found else None
        outcome = RowOutcome.UNCHANGED
        if visit is None:
            visit = VisitHistory(patient_id=patient_id, source="fhir")
            self.session.add(visit)
            outcome = RowOutcome.IMPORTED
        columns = {
            "patient_id": patient_id,
            "started_at": values.started_at,
            "ended_at": values.ended_at,
            "visit_type": values.visit_type[:120],
            "reason": values.reason or None,
            "provider_name": values.provider_name[:120] or None,
            "location_name": values.location_name[:120] or None,
        }
        outcome = _apply(visit, columns, outcome)
        if outcome is not RowOutcome.UNCHANGED:
            visit.updated_by = self.actor.user_id
            self.session.flush()
        self.remember_reference(identity, "Encounter", ("visit_history", visit.id))
        return Written(visit.id, outcome)


def _apply(row: object, columns: Mapping[str, object], outcome: RowOutcome) -> RowOutcome:
    """Set `columns` on `row`; an unchanged row that differed becomes UPDATED."""
    if outcome is RowOutcome.UNCHANGED and any(
        getattr(row, column) != value for column, value in columns.items()
    ):
        outcome = RowOutcome.UPDATED
    for column, value in columns.items():
        if getattr(row, column) != value:
            setattr(row, column, value)
    return outcome


def _payer_identity(key: PayerKey) -> Identifier:
    if key.identifier is not None:
        return key.identifier
    return Identifier(PAYER_NAME_SYSTEM, key.name.strip().upper())


def _payer_code(key: PayerKey) -> str:
    """Return the payer's own identifier when it can be a payer id, else one from the name."""
    if key.identifier is not None:
        code = key.identifier.value.strip().upper()
        if 0 < len(code) <= 80 and set(code) <= _PAYER_CODE_CHARACTERS:
            return code
    return payer_code_from_name(key.name)


def _practitioner_identities(
    identity: Identifier, identifiers: tuple[Identifier, ...]
) -> list[Identifier]:
    """Return the keys a practitioner is found by: its valid NPIs, then its own identity.

    An NPI that fails the check digit is no real NPI and is not a key: two Synthea runs
    give the same made-up number (such as 9999999559) to different people.
    """
    npis = [
        Identifier(NPI_SYSTEM, item.value)
        for item in identifiers
        if item.system == NPI_SYSTEM and not npi_problems(item.value, "npi")
    ]
    return [*npis, identity]
