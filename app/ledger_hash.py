"""The SHA-256 hash of a posted ledger row, which `clinicdesk ledger verify` recomputes.

Migration 0006 imports this module to fill the hash of rows posted before the column
existed, so the canonical text must never change: a new format needs a new function and
a way to tell which rows use it. Only the standard library is imported, so later changes
to the models or services cannot alter what an old migration computes.
"""

import hashlib
import json
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import lru_cache
from json.encoder import encode_basestring

# The encoder json.dumps uses for these options, made once: json.dumps makes a new one on
# every call, and a large remittance hashes some 70,000 rows.
_CANONICAL_JSON = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)
# The ids of a batch repeat (the poster, the patient, the payer, the claim payment), and
# formatting a UUID as text costs more than looking it up.
_uuid_text = lru_cache(maxsize=4096)(str)


def _text(value: uuid.UUID | None) -> str | None:
    return None if value is None else str(value)


def _cents(amount: Decimal) -> int:
    cents = amount.scaleb(2)
    if cents != cents.to_integral_value():
        raise ValueError(f"{amount} has fractions of a cent; ledger amounts are whole cents")
    return int(cents)


@lru_cache(maxsize=16)
def _instant(value: datetime) -> str:
    # Cached because a batch of rows shares one posted_at.
    if value.tzinfo is None:
        raise ValueError("posted_at must be timezone-aware; ledger instants are UTC")
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def ledger_row_hash(
    *,
    entry_id: uuid.UUID,
    posted_at: datetime,
    posted_by: uuid.UUID,
    entry_type: str,
    amount: Decimal,
    patient_id: uuid.UUID,
    payer_id: uuid.UUID | None,
    responsible_party: str,
    service_date: date | None,
    reverses_id: uuid.UUID | None,
    source_type: str | None,
    source_id: uuid.UUID | None,
    memo: str,
    charge_line_id: uuid.UUID | None = None,
) -> str:
    """Return the hex SHA-256 of the row's canonical text: sorted, compact JSON of every field.

    The amount enters as whole cents and `posted_at` as UTC with microseconds, so the same
    row read back from the database hashes the same. `charge_line_id` enters the text only
    when set, so rows written before the column existed keep their hash. Raises ValueError
    for a naive `posted_at` or an amount with fractions of a cent.
    """
    texts = (entry_type, responsible_party, memo)
    if all(type(text) is str for text in texts) and type(source_type) in (str, type(None)):
        canonical = _canonical_text(
            entry_id=entry_id,
            posted_at=posted_at,
            posted_by=posted_by,
            entry_type=entry_type,
            amount=amount,
            patient_id=patient_id,
            payer_id=payer_id,
            responsible_party=responsible_party,
            service_date=service_date,
            reverses_id=reverses_id,
            source_type=source_type,
            source_id=source_id,
            memo=memo,
            charge_line_id=charge_line_id,
        )
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    fields = {
        "id": str(entry_id),
        "posted_at": _instant(posted_at),
        "posted_by": str(posted_by),
        "entry_type": entry_type,
        "amount_cents": _cents(amount),
        "patient_id": str(patient_id),
        "payer_id": _text(payer_id),
        "responsible_party": responsible_party,
        "service_date": None if service_date is None else service_date.isoformat(),
        "reverses_id": _text(reverses_id),
        "source_type": source_type,
        "source_id": _text(source_id),
        "memo": memo,
    }
    if charge_line_id is not None:
        fields["charge_line_id"] = str(charge_line_id)
    canonical = _CANONICAL_JSON.encode(fields)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _canonical_text(
    *,
    entry_id: uuid.UUID,
    posted_at: datetime,
    posted_by: uuid.UUID,
    entry_type: str,
    amount: Decimal,
    patient_id: uuid.UUID,
    payer_id: uuid.UUID | None,
    responsible_party: str,
    service_date: date | None,
    reverses_id: uuid.UUID | None,
    source_type: str | None,
    source_id: uuid.UUID | None,
    memo: str,
    charge_line_id: uuid.UUID | None,
) -> str:
    """Return the text `_CANONICAL_JSON` makes of the row's fields, built in sorted key order.

    It takes half the time, and tests compare the two on generated rows. Strings are
    quoted with json's own `encode_basestring`, which json.dumps uses without
    ensure_ascii. Ids, instants and dates need no escaping.
    """
    line = "" if charge_line_id is None else f',"charge_line_id":"{_uuid_text(charge_line_id)}"'
    day = "null" if service_date is None else f'"{service_date.isoformat()}"'
    kind = "null" if source_type is None else encode_basestring(source_type)
    return (
        f'{{"amount_cents":{_cents(amount)}{line}'
        f',"entry_type":{encode_basestring(entry_type)}'
        f',"id":"{entry_id}"'
        f',"memo":{encode_basestring(memo)}'
        f',"patient_id":"{_uuid_text(patient_id)}"'
        f',"payer_id":{_quoted_id(payer_id)}'
        f',"posted_at":"{_instant(posted_at)}"'
        f',"posted_by":"{_uuid_text(posted_by)}"'
        f',"responsible_party":{encode_basestring(responsible_party)}'
        f',"reverses_id":{_quoted_id(reverses_id)}'
        f',"service_date":{day}'
        f',"source_id":{_quoted_id(source_id)}'
        f',"source_type":{kind}}}'
    )


def _quoted_id(value: uuid.UUID | None) -> str:
    return "null" if value is None else f'"{_uuid_text(value)}"'
