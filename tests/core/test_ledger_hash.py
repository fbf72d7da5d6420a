"""The ledger row hash: the text built field by field is the sorted, compact JSON."""

import hashlib
import json
import uuid
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from enum import StrEnum
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.ledger_hash import ledger_row_hash

# Hypothesis takes naive bounds and adds the time zones itself.
EARLIEST = datetime(2000, 1, 1)  # noqa: DTZ001 (a bound for generated instants)
LATEST = datetime(2100, 1, 1)  # noqa: DTZ001 (a bound for generated instants)
POSTED = datetime(2026, 12, 5, 14, 0, 0, 123456, tzinfo=UTC)


class EntryType(StrEnum):
    """A str subclass, which takes the JSON path of the hash."""

    PAYMENT = "payment"


def reference_hash(**row: Any) -> str:
    """Hash the row with json.dumps, as the hash was first defined."""
    fields = {
        "id": str(row["entry_id"]),
        "posted_at": row["posted_at"].astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "posted_by": str(row["posted_by"]),
        "entry_type": row["entry_type"],
        "amount_cents": int(row["amount"].scaleb(2)),
        "patient_id": str(row["patient_id"]),
        "payer_id": None if row["payer_id"] is None else str(row["payer_id"]),
        "responsible_party": row["responsible_party"],
        "service_date": None if row["service_date"] is None else row["service_date"].isoformat(),
        "reverses_id": None if row["reverses_id"] is None else str(row["reverses_id"]),
        "source_type": row["source_type"],
        "source_id": None if row["source_id"] is None else str(row["source_id"]),
        "memo": row["memo"],
    }
    if row["charge_line_id"] is not None:
        fields["charge_line_id"] = str(row["charge_line_id"])
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


rows = st.fixed_dictionaries(
    {
        "entry_id": st.uuids(),
        "posted_at": st.datetimes(
            min_value=EARLIEST,
            max_value=LATEST,
            timezones=st.sampled_from([UTC, timezone(timedelta(hours=-7, minutes=-30))]),
        ),
        "posted_by": st.uuids(),
        "entry_type": st.text(),
        "amount": st.integers(min_value=-(10**12), max_value=10**12).map(
            lambda cents: Decimal(cents).scaleb(-2)
        ),
        "patient_id": st.uuids(),
        "payer_id": st.none() | st.uuids(),
        "responsible_party": st.text(),
        "service_date": st.none() | st.dates(),
        "reverses_id": st.none() | st.uuids(),
        "source_type": st.none() | st.text(),
        "source_id": st.none() | st.uuids(),
        "memo": st.text(),
        "charge_line_id": st.none() | st.uuids(),
    }
)


@given(rows)
def test_hash_matches_json_reference(row: dict[str, Any]) -> None:
    assert ledger_row_hash(**row) == reference_hash(**row)


def test_hash_of_escaped_memo() -> None:
    row = {
        "entry_id": uuid.UUID("0190f0f0-0000-7000-8000-000000000001"),
        "posted_at": POSTED,
        "posted_by": uuid.UUID("0190f0f0-0000-7000-8000-000000000002"),
        "entry_type": "adjustment",
        "amount": Decimal("-12.30"),
        "patient_id": uuid.UUID("0190f0f0-0000-7000-8000-000000000003"),
        "payer_id": None,
        "responsible_party": "patient",
        "service_date": date(2026, 12, 1),
        "reverses_id": None,
        "source_type": None,
        "source_id": None,
        "memo": 'Quote " back\\slash\ttab\nline \u00e9 \u2028 \x01',
        "charge_line_id": None,
    }

    assert ledger_row_hash(**row) == reference_hash(**row)


def test_str_subclass_hashes_as_text() -> None:
    row = {
        "entry_id": uuid.UUID("0190f0f0-0000-7000-8000-000000000004"),
        "posted_at": POSTED,
        "posted_by": uuid.UUID("0190f0f0-0000-7000-8000-000000000005"),
        "entry_type": EntryType.PAYMENT,
        "amount": Decimal("5.00"),
        "patient_id": uuid.UUID("0190f0f0-0000-7000-8000-000000000006"),
        "payer_id": None,
        "responsible_party": "patient",
        "service_date": None,
        "reverses_id": None,
        "source_type": "payment",
        "source_id": None,
        "memo": "",
        "charge_line_id": None,
    }

    assert ledger_row_hash(**row) == ledger_row_hash(**{**row, "entry_type": "payment"})
    assert ledger_row_hash(**row) == reference_hash(**row)


def test_naive_posted_at_rejected() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        ledger_row_hash(
            entry_id=uuid.uuid4(),
            posted_at=EARLIEST,
            posted_by=uuid.uuid4(),
            entry_type="payment",
            amount=Decimal("1.00"),
            patient_id=uuid.uuid4(),
            payer_id=None,
            responsible_party="patient",
            service_date=None,
            reverses_id=None,
            source_type=None,
            source_id=None,
            memo="",
        )
