"""Guarantor accounts: who pays for each patient, and the account that statements go to.

A patient's guarantor is the patient named in `guarantor_patient_id`, else the person
in `guarantor_person_id`, else the patient themself. Only one level is followed: when a
parent pays for a child and a grandparent pays for the parent, the child's bills still
go to the parent. Every patient whose guarantor resolves to the same patient or person
is on that guarantor's one BillingAccount. A record merged into another is billed with
the record it was merged into. Accounts are made when first needed, with the number "A"
plus the workstation's next "account" number.

Creating an account needs PAYMENT_POST, held by the front desk (which sets up payment
plans) and by every role that runs statements. Holds need STATEMENT_RUN and the email
consent PATIENT_EDIT, because it is part of the guarantor's contact details.
"""

import logging
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import ColumnElement, Row, Table, and_, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from app.changes import ChangeKind, Changes
from app.contact import display_phone
from app.db.fast_insert import insert_many
from app.errors import NotFoundError, ValidationError
from app.ids import new_id
from app.models.patients import Patient, Person
from app.models.statements import BillingAccount
from app.money import ZERO
from app.problems import Problem
from app.security import audit
from app.security.audit import AuditAction
from app.security.permissions import Actor, Permission, require
from app.services.account_balances import bucket_totals, patient_share
from app.services.claim_build_rows import chunks
from app.services.numbering import next_numbers
from app.services.today import practice_today

log = logging.getLogger(__name__)

HOLD_REASONS = ("dispute", "bankruptcy", "deceased", "estimate_dispute", "other")
HOLD_LABELS: dict[str, str] = {
    "dispute": "Balance disputed",
    "bankruptcy": "Bankruptcy",
    "deceased": "Guarantor deceased",
    "estimate_dispute": "Good-faith estimate dispute",
    "other": "Other",
}

OBJECT_TYPE = "billing_account"
ACCOUNT_PREFIX = "A"
# Account ids listed in one audit event when many accounts are made at once.
AUDIT_CHUNK = 1000
# Rows find_accounts returns at most, so a short search cannot open thousands of accounts.
FIND_LIMIT = 100
# Records merged one into the next that an account lookup follows to the survivor; a
# guard against a damaged store whose merges form a loop.
MAX_MERGE_DEPTH = 10

# A guarantor: ("patient", patient id) or ("person", person id).
GuarantorKey = tuple[str, uuid.UUID]

# The columns a guarantor contact is made from, which Patient and Person both have.
_CONTACT_COLUMNS = (
    "id",
    "first_name",
    "last_name",
    "suffix",
    "address_line1",
    "address_line2",
    "city",
    "state",
    "zip_code",
    "phone",
    "email",
    "date_of_birth",
    "archived",
)


@dataclass(frozen=True, slots=True)
class GuarantorContact:
    """The guarantor's name and contact details, as printed on a statement.

    `archived` is True when the practice archived the guarantor's record, so the
    details may be out of date.
    """

    name: str
    address_lines: tuple[str, ...]
    phone: str | None
    email: str | None
    date_of_birth: date | None
    archived: bool = False


@dataclass(frozen=True, slots=True)
class AccountRow:
    """One account as a search lists it; `balance` is the patients' own share."""

    account_id: uuid.UUID
    account_number: str
    guarantor_name: str
    patient_count: int
    balance: Decimal
    hold: str | None


# --- which account a patient is on ----------------------------------------------------


def guarantor_key(
    patient_id: uuid.UUID,
    guarantor_patient_id: uuid.UUID | None,
    guarantor_person_id: uuid.UUID | None,
) -> GuarantorKey:
    """Return the guarantor of a patient from the patient's two guarantor columns."""
    if guarantor_patient_id is not None and guarantor_patient_id != patient_id:
        return ("patient", guarantor_patient_id)
    if guarantor_person_id is not None:
        return ("person", guarantor_person_id)
    return ("patient", patient_id)


def _account_key(account: BillingAccount) -> GuarantorKey:
    if account.guarantor_patient_id is not None:
        return ("patient", account.guarantor_patient_id)
    if account.guarantor_person_id is not None:
        return ("person", account.guarantor_person_id)
    raise ValueError(f"billing account {account.id} names no guarantor")


def account_for_patient(session: Session, actor: Actor, patient_id: uuid.UUID) -> BillingAccount:
    """Return the account the patient's bills go to, creating it (flushed) when missing.

    Raises NotFoundError for an unknown patient.
    """
    account_id = ensure_accounts(session, actor, [patient_id]).get(patient_id)
    if account_id is None:
        raise NotFoundError(f"Patient {patient_id} was not found; search for the patient again.")
    account = session.get(BillingAccount, account_id)
    assert account is not None, "ensure_accounts returns only stored accounts"
    return account


def ensure_accounts(
    session: Session, actor: Actor, patient_ids: Sequence[uuid.UUID] | None = None
) -> dict[uuid.UUID, uuid.UUID]:
    """Return patient id -> account id, creating the accounts that are missing (flushed).

    `patient_ids` None means every patient with a non-zero ledger bucket. Unknown ids
    are left out of the result. A few queries in all, for statement runs over
    thousands of patients.
    """
    require(actor, Permission.PAYMENT_POST)
    requested = list(bucket_totals(session)) if patient_ids is None else list(patient_ids)
    keys = _guarantor_keys(session, requested)
    accounts = _accounts_by_key(session, set(keys.values()))
    missing = sorted(set(keys.values()) - set(accounts), key=lambda key: (key[0], key[1]))
    accounts.update(_create_accounts(session, actor, missing))
    return {patient_id: accounts[key] for patient_id, key in keys.items()}


def _guarantor_keys(
    session: Session, patient_ids: Sequence[uuid.UUID], depth: int = 0
) -> dict[uuid.UUID, GuarantorKey]:
    """Return each patient's guarantor; a merged record takes its survivor's guarantor.

    A merge moves the record's ledger rows to the survivor, so a chart number or
    search that still finds the merged record must open the survivor's account and
    not make a new one. Merges of merges are followed up to MAX_MERGE_DEPTH records.
    """
    keys: dict[uuid.UUID, GuarantorKey] = {}
    merged_into: dict[uuid.UUID, uuid.UUID] = {}
    for part in chunks(list(dict.fromkeys(patient_ids))):
        rows = session.execute(
            select(
                Patient.id,
                Patient.guarantor_patient_id,
                Patient.guarantor_person_id,
                Patient.merged_into_id,
            ).where(Patient.id.in_(part))
        )
        for patient_id, guarantor_patient_id, guarantor_person_id, survivor_id in rows:
            if survivor_id is not None:
                merged_into[patient_id] = survivor_id
                continue
            keys[patient_id] = guarantor_key(patient_id, guarantor_patient_id, guarantor_person_id)

    if merged_into and depth < MAX_MERGE_DEPTH:
        survivors = _guarantor_keys(session, list(set(merged_into.values())), depth + 1)
        for patient_id, survivor_id in merged_into.items():
            if survivor_id in survivors:
                keys[patient_id] = survivors[survivor_id]
    return keys


def _accounts_by_key(
    session: Session, keys: Iterable[GuarantorKey]
) -> dict[GuarantorKey, uuid.UUID]:
    patients = [key[1] for key in keys if key[0] == "patient"]
    people = [key[1] for key in keys if key[0] == "person"]
    found: dict[GuarantorKey, uuid.UUID] = {}
    for part in chunks(patients):
        rows = session.execute(
            select(BillingAccount.guarantor_patient_id, BillingAccount.id).where(
                BillingAccount.guarantor_patient_id.in_(part)
            )
        )
        found.update(
            {("patient", owner): account_id for owner, account_id in rows if owner is not None}
        )
    for part in chunks(people):
        rows = session.execute(
            select(BillingAccount.guarantor_person_id, BillingAccount.id).where(
                BillingAccount.guarantor_person_id.in_(part)
            )
        )
        found.update(
            {("person", owner): account_id for owner, account_id in rows if owner is not None}
        )
    return found


def _create_accounts(
    session: Session, actor: Actor, keys: Sequence[GuarantorKey]
) -> dict[GuarantorKey, uuid.UUID]:
    """Insert one account per guarantor in `keys` with consecutive account numbers."""
    if not keys:
        return {}
    numbers = next_numbers(session, "account", len(keys))
    rows: list[dict[str, object]] = []
    for key, number in zip(keys, numbers, strict=True):
        rows.append(
            {
                "id": new_id(),
                "account_number": ACCOUNT_PREFIX + number,
                "guarantor_patient_id": key[1] if key[0] == "patient" else None,
                "guarantor_person_id": key[1] if key[0] == "person" else None,
                "updated_by": actor.user_id,
            }
        )
    insert_many(session, cast(Table, BillingAccount.__table__), rows)

    # Ids only: which guarantor an account belongs to is in the table, not in the log.
    for start in range(0, len(rows), AUDIT_CHUNK):
        part_ids = [cast(uuid.UUID, row["id"]) for row in rows[start : start + AUDIT_CHUNK]]
        audit.record(
            session,
            actor,
            AuditAction.CREATE,
            OBJECT_TYPE,
            part_ids[0] if len(part_ids) == 1 else None,
            detail=f"{len(part_ids)} accounts: " + " ".join(str(item) for item in part_ids),
        )
    log.info("created %d billing accounts", len(rows))
    return {key: cast(uuid.UUID, row["id"]) for key, row in zip(keys, rows, strict=True)}


def account_patient_ids(session: Session, account_id: uuid.UUID) -> list[uuid.UUID]:
    """Return the patients billed to the account: the guarantor first, then by name.

    Raises NotFoundError for an unknown account.
    """
    if session.get(BillingAccount, account_id) is None:
        raise NotFoundError(
            f"Billing account {account_id} was not found; refresh the list of accounts."
        )
    return patients_by_account(session, [account_id]).get(account_id, [])


def patients_by_account(
    session: Session, account_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[uuid.UUID]]:
    """Return the patients of each account, as `account_patient_ids` orders them.

    Records merged into another patient are left out (their ledger rows moved to the
    survivor). Accounts without patients, and unknown ids, map to an empty list.
    """
    accounts = _load_accounts(session, account_ids)
    by_key = {_account_key(account): account.id for account in accounts.values()}
    found: dict[uuid.UUID, list[tuple[bool, str, str, uuid.UUID]]] = {
        account_id: [] for account_id in dict.fromkeys(account_ids)
    }
    for patient_id, first, last, guarantor_patient, guarantor_person in _account_patients(
        session, by_key
    ):
        key = guarantor_key(patient_id, guarantor_patient, guarantor_person)
        account_id = by_key.get(key)
        if account_id is not None:
            is_guarantor = key == ("patient", patient_id)
            found[account_id].append((not is_guarantor, last, first, patient_id))
    return {account_id: [entry[3] for entry in sorted(rows)] for account_id, rows in found.items()}


def _load_accounts(
    session: Session, account_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, BillingAccount]:
    accounts: dict[uuid.UUID, BillingAccount] = {}
    for part in chunks(list(dict.fromkeys(account_ids))):
        for account in session.scalars(select(BillingAccount).where(BillingAccount.id.in_(part))):
            accounts[account.id] = account
    return accounts


_PatientRow = tuple[uuid.UUID, str, str, uuid.UUID | None, uuid.UUID | None]


def _account_patients(session: Session, by_key: dict[GuarantorKey, uuid.UUID]) -> list[_PatientRow]:
    """Return every patient who may resolve to one of the guarantors in `by_key`."""
    owners = [key[1] for key in by_key if key[0] == "patient"]
    people = [key[1] for key in by_key if key[0] == "person"]
    columns = (
        Patient.id,
        Patient.first_name,
        Patient.last_name,
        Patient.guarantor_patient_id,
        Patient.guarantor_person_id,
    )
    queries = [
        select(*columns).where(
            Patient.merged_into_id.is_(None),
            or_(Patient.id.in_(part), Patient.guarantor_patient_id.in_(part)),
        )
        for part in chunks(owners)
    ]
    queries += [
        select(*columns).where(
            Patient.merged_into_id.is_(None), Patient.guarantor_person_id.in_(part)
        )
        for part in chunks(people)
    ]
    rows: dict[uuid.UUID, _PatientRow] = {}
    for query in queries:
        for patient_id, first, last, guarantor_patient, guarantor_person in session.execute(query):
            rows[patient_id] = (patient_id, first, last, guarantor_patient, guarantor_person)
    return list(rows.values())


# --- the guarantor's contact details ----------------------------------------------------


def guarantor_contact(session: Session, account: BillingAccount) -> GuarantorContact:
    """Return the name, mailing address, phone, email and birth date of the guarantor.

    Raises NotFoundError when the guarantor's record is missing.
    """
    return guarantor_contacts(session, [account])[account.id]


def guarantor_contacts(
    session: Session, accounts: Sequence[BillingAccount]
) -> dict[uuid.UUID, GuarantorContact]:
    """Return each account's guarantor contact, with one query per 500 guarantors.

    Raises NotFoundError when a guarantor's record is missing.
    """
    contacts = found_guarantor_contacts(session, accounts)
    for account in accounts:
        if account.id not in contacts:
            raise NotFoundError(
                f"The guarantor of billing account {account.account_number} was not found; "
                "choose the guarantor again on the patient's record."
            )
    return contacts


def found_guarantor_contacts(
    session: Session, accounts: Sequence[BillingAccount]
) -> dict[uuid.UUID, GuarantorContact]:
    """Return the guarantor contact of each account whose guarantor record exists.

    An account whose guarantor's row is missing is left out of the result. Reads only
    the contact columns, with one query per 500 guarantors.
    """
    owners = {
        "patient": [a.guarantor_patient_id for a in accounts if a.guarantor_patient_id],
        "person": [a.guarantor_person_id for a in accounts if a.guarantor_person_id],
    }
    records: dict[uuid.UUID, Row[Any]] = {}
    for model, ids in ((Patient, owners["patient"]), (Person, owners["person"])):
        columns = [getattr(model, name) for name in _CONTACT_COLUMNS]
        for part in chunks(ids):
            query = select(*columns).where(model.id.in_(part))
            records.update({record.id: record for record in session.execute(query)})

    contacts: dict[uuid.UUID, GuarantorContact] = {}
    for account in accounts:
        owner_id = account.guarantor_patient_id or account.guarantor_person_id
        record = records.get(owner_id) if owner_id is not None else None
        if record is not None:
            contacts[account.id] = _contact(record)
    return contacts


def _contact(record: Row[Any]) -> GuarantorContact:
    return GuarantorContact(
        name=full_name(record.first_name, record.last_name, record.suffix),
        address_lines=address_lines(
            record.address_line1, record.address_line2, record.city, record.state, record.zip_code
        ),
        phone=display_phone(record.phone) or None,
        email=(record.email or "").strip() or None,
        date_of_birth=record.date_of_birth,
        archived=bool(record.archived),
    )


def full_name(first: str, last: str, suffix: str | None = None) -> str:
    """Return a name as addressed on mail: "First Last", with the suffix when there is one."""
    name = f"{first.strip()} {last.strip()}".strip()
    return f"{name} {suffix.strip()}" if suffix and suffix.strip() else name


def address_lines(
    line1: str | None,
    line2: str | None,
    city: str | None,
    state: str | None,
    zip_code: str | None,
) -> tuple[str, ...]:
    """Return the street lines that are filled in, then "City, ST 12345"."""
    lines = [text.strip() for text in (line1, line2) if text and text.strip()]
    place = ", ".join(text.strip() for text in (city, state) if text and text.strip())
    last_line = " ".join(text for text in (place, (zip_code or "").strip()) if text)
    if last_line:
        lines.append(last_line)
    return tuple(lines)


# --- holds and email consent ------------------------------------------------------------


def active_hold(account: BillingAccount, on: date) -> str | None:
    """Return the hold reason when a hold is in force on `on` (its last day included)."""
    if account.hold_reason is None:
        return None
    if account.hold_until is not None and on > account.hold_until:
        return None
    return account.hold_reason


def get_account(session: Session, account_id: uuid.UUID) -> BillingAccount:
    """Return the account, or raise NotFoundError."""
    account = session.get(BillingAccount, account_id)
    if account is None or account.archived:
        raise NotFoundError(
            f"Billing account {account_id} was not found; refresh the list of accounts."
        )
    return account


def set_hold(  # noqa: PLR0917 (the signature the statements contract fixes)
    session: Session,
    actor: Actor,
    account_id: uuid.UUID,
    reason: str,
    until: date | None,
    note: str,
) -> Changes:
    """Stop statements and notices to the account until `until` (None: until released).

    Raises ValidationError for an unknown reason, a last day before today, or the
    reason "other" without a note.
    """
    require(actor, Permission.STATEMENT_RUN)
    account = get_account(session, account_id)
    problems = _hold_problems(session, reason, until, note)
    if problems:
        raise ValidationError(problems)

    account.hold_reason = reason
    account.hold_until = until
    account.hold_note = note.strip()
    account.updated_by = actor.user_id
    session.flush()
    audit.record(
        session, actor, AuditAction.UPDATE, OBJECT_TYPE, account.id, detail=f"hold {reason}"
    )
    log.info("billing account %s put on hold", account.id)
    return Changes.of(ChangeKind.PAYMENTS)


def _hold_problems(session: Session, reason: str, until: date | None, note: str) -> list[Problem]:
    problems = []
    if reason not in HOLD_REASONS:
        problems.append(
            Problem(
                "reason",
                f"The hold reason {reason!r} is not one of {', '.join(HOLD_REASONS)}; "
                "choose one of them.",
            )
        )
    today = practice_today(session)
    if until is not None and until < today:
        problems.append(
            Problem(
                "until",
                f"The hold's last day {until:%m/%d/%Y} is before today ({today:%m/%d/%Y}); "
                "choose today or a later day, or leave it empty for a hold until released.",
            )
        )
    if reason == "other" and not note.strip():
        problems.append(
            Problem("note", "Say why the account is on hold; the reason Other needs a note.")
        )
    return problems


def release_hold(session: Session, actor: Actor, account_id: uuid.UUID) -> Changes:
    """End the account's hold now; returns no changes when there is none."""
    require(actor, Permission.STATEMENT_RUN)
    account = get_account(session, account_id)
    if account.hold_reason is None:
        return Changes()
    account.hold_reason = None
    account.hold_until = None
    account.hold_note = ""
    account.updated_by = actor.user_id
    session.flush()
    audit.record(
        session, actor, AuditAction.UPDATE, OBJECT_TYPE, account.id, detail="hold released"
    )
    log.info("billing account %s hold released", account.id)
    return Changes.of(ChangeKind.PAYMENTS)


def set_email_consent(
    session: Session, actor: Actor, account_id: uuid.UUID, consent: bool
) -> Changes:
    """Record whether the guarantor agreed to receive statements by email.

    Raises ValidationError when consent is given but the guarantor has no email address.
    """
    require(actor, Permission.PATIENT_EDIT)
    account = get_account(session, account_id)
    if consent and guarantor_contact(session, account).email is None:
        raise ValidationError(
            [
                Problem(
                    "email_statements",
                    f"The guarantor of account {account.account_number} has no email "
                    "address; add one to the guarantor's record first.",
                )
            ]
        )
    if account.email_statements == consent:
        return Changes()
    account.email_statements = consent
    account.updated_by = actor.user_id
    session.flush()
    detail = "email statements on" if consent else "email statements off"
    audit.record(session, actor, AuditAction.UPDATE, OBJECT_TYPE, account.id, detail=detail)
    log.info("billing account %s email consent changed", account.id)
    return Changes.of(ChangeKind.PAYMENTS)


# --- finding accounts -------------------------------------------------------------------


def find_accounts(session: Session, actor: Actor, text: str) -> list[AccountRow]:
    """Find accounts by account number, guarantor name, or a patient's name or chart number.

    Name words match the start of a first or last name in any order ("gar lau" finds
    Laura Garcia). A patient found without an account yet gets one, so every match can
    be opened. At most FIND_LIMIT rows, sorted by guarantor name; fewer than two
    characters find nothing.
    """
    require(actor, Permission.PAYMENT_POST)
    query = text.strip()
    if len(query) < 2:
        return []

    account_ids = set(_accounts_by_number(session, query))
    account_ids.update(_accounts_of_people(session, query))
    patient_ids = _matching_patients(session, query)
    account_ids.update(ensure_accounts(session, actor, patient_ids).values())
    rows = _account_rows(session, list(account_ids))
    rows.sort(key=lambda row: (row.guarantor_name.lower(), row.account_number))
    return rows[:FIND_LIMIT]


def _words(query: str) -> list[str]:
    cleaned = query.replace(",", " ").replace("%", "").replace("_", "")
    return [word for word in cleaned.split() if word]


def _name_filter(
    first: InstrumentedAttribute[str], last: InstrumentedAttribute[str], words: Sequence[str]
) -> ColumnElement[bool]:
    """Match rows where every word starts the first or the last name."""
    return and_(*(or_(first.ilike(f"{word}%"), last.ilike(f"{word}%")) for word in words))


def _accounts_by_number(session: Session, query: str) -> list[uuid.UUID]:
    needle = query.upper().replace("%", "").replace("_", "")
    return list(
        session.scalars(
            select(BillingAccount.id)
            .where(BillingAccount.account_number.like(f"%{needle}%"))
            .limit(FIND_LIMIT)
        )
    )


def _accounts_of_people(session: Session, query: str) -> list[uuid.UUID]:
    words = _words(query)
    if not words:
        return []
    return list(
        session.scalars(
            select(BillingAccount.id)
            .join(Person, Person.id == BillingAccount.guarantor_person_id)
            .where(_name_filter(Person.first_name, Person.last_name, words))
            .limit(FIND_LIMIT)
        )
    )


def _matching_patients(session: Session, query: str) -> list[uuid.UUID]:
    words = _words(query)
    by_name = _name_filter(Patient.first_name, Patient.last_name, words) if words else None
    by_chart = Patient.chart_number.ilike(query.replace("%", "").replace("_", ""))
    condition = by_chart if by_name is None else or_(by_chart, by_name)
    return list(
        session.scalars(
            select(Patient.id).where(Patient.merged_into_id.is_(None), condition).limit(FIND_LIMIT)
        )
    )


def _account_rows(session: Session, account_ids: list[uuid.UUID]) -> list[AccountRow]:
    accounts = _load_accounts(session, account_ids)
    patients = patients_by_account(session, list(accounts))
    all_patients = [patient_id for ids in patients.values() for patient_id in ids]
    totals = bucket_totals(session, all_patients)
    contacts = _list_names(session, list(accounts.values()))
    today = practice_today(session)
    rows = []
    for account in accounts.values():
        ids = patients.get(account.id, [])
        balance = sum((patient_share(totals.get(pid, {})) for pid in ids), ZERO)
        rows.append(
            AccountRow(
                account_id=account.id,
                account_number=account.account_number,
                guarantor_name=contacts.get(account.id, ""),
                patient_count=len(ids),
                balance=balance,
                hold=active_hold(account, today),
            )
        )
    return rows


def _list_names(session: Session, accounts: Sequence[BillingAccount]) -> dict[uuid.UUID, str]:
    """Return each account's guarantor as lists show names: "Last, First"."""
    names: dict[uuid.UUID, str] = {}
    patient_ids = {a.guarantor_patient_id: a.id for a in accounts if a.guarantor_patient_id}
    person_ids = {a.guarantor_person_id: a.id for a in accounts if a.guarantor_person_id}
    for model, owners in ((Patient, patient_ids), (Person, person_ids)):
        for part in chunks(list(owners)):
            rows = session.execute(
                select(model.id, model.first_name, model.last_name).where(model.id.in_(part))
            )
            for owner_id, first, last in rows:
                names[owners[owner_id]] = f"{last}, {first}"
    return names
