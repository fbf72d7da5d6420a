"""Row-level bookkeeping for merges: every update is recorded so an undo can put it back.

Rows are read and written through SQLAlchemy Core by table and id, so one code path
serves every table a merge touches. Values are stored in the merge snapshot as JSON:
ids, money, dates and instants as text, decoded again by the column's type. Large
binary columns (document content) are never read or written, because a merge does not
change them.
"""

import json
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Column, Date, DateTime, LargeBinary, Table, select, update
from sqlalchemy.orm import Session

from app.db.base import Base
from app.db.types import MoneyCents, UTCDateTime, UUIDBlob, WallClock

JsonValue = str | int | bool | None
RowValues = dict[str, JsonValue]

SNAPSHOT_VERSION = 1


def table_named(name: str) -> Table:
    """Return the mapped table called `name`."""
    return Base.metadata.tables[name]


def _columns(table: Table) -> list[Column[Any]]:
    return [column for column in table.columns if not isinstance(column.type, LargeBinary)]


def encode(value: object) -> JsonValue:
    """Return a column value in its JSON form."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"cannot store a {type(value).__name__} in a merge snapshot")


def decode(column: Column[Any], value: JsonValue) -> object:
    """Return the Python value of `column` from its JSON form."""
    if value is None:
        return None
    kind = column.type
    if isinstance(kind, UUIDBlob):
        return uuid.UUID(str(value))
    if isinstance(kind, MoneyCents):
        return Decimal(str(value))
    if isinstance(kind, UTCDateTime | WallClock | DateTime):
        return datetime.fromisoformat(str(value))
    if isinstance(kind, Date):
        return date.fromisoformat(str(value))
    return value


def read_row(session: Session, table: Table, row_id: uuid.UUID) -> RowValues | None:
    """Return every column of one row except binary content, in JSON form."""
    columns = _columns(table)
    row = session.execute(select(*columns).where(table.c.id == row_id)).one_or_none()
    if row is None:
        return None
    return {column.name: encode(value) for column, value in zip(columns, row, strict=True)}


def write_row(session: Session, table: Table, row_id: uuid.UUID, values: RowValues) -> None:
    """Set the columns in `values` (JSON form) on one row."""
    decoded = {name: decode(table.c[name], value) for name, value in values.items() if name != "id"}
    session.execute(update(table).where(table.c.id == row_id).values(decoded))


@dataclass
class RowChange:
    """One row a merge changed: its values before and right after the merge."""

    table: str
    row_id: uuid.UUID
    before: RowValues
    after: RowValues


@dataclass
class RowRecorder:
    """Applies a merge's updates and remembers each row's values before and after.

    Every update also stamps `updated_at` with the merge's instant and `updated_by` with
    the user, so a later edit of the row shows as a difference from `after`.
    """

    session: Session
    user_id: uuid.UUID
    instant: datetime
    changes: dict[tuple[str, uuid.UUID], RowChange] = field(default_factory=dict)
    created: list[tuple[str, uuid.UUID]] = field(default_factory=list)

    def update(self, table_name: str, row_id: uuid.UUID, values: dict[str, object]) -> None:
        """Update one row, keeping its first "before" when a merge changes it twice."""
        table = table_named(table_name)
        key = (table_name, row_id)
        if key not in self.changes:
            before = read_row(self.session, table, row_id)
            if before is None:
                raise LookupError(f"{table_name} row {row_id} disappeared during the merge")
            self.changes[key] = RowChange(table_name, row_id, before, before)
        stamped = {**values, "updated_at": self.instant, "updated_by": self.user_id}
        self.session.execute(update(table).where(table.c.id == row_id).values(stamped))
        after = read_row(self.session, table, row_id)
        assert after is not None
        self.changes[key].after = after

    def note_created(self, table_name: str, row_id: uuid.UUID) -> None:
        """Remember a row the merge inserted, so an undo archives it."""
        self.created.append((table_name, row_id))


@dataclass(frozen=True, slots=True)
class Snapshot:
    """What an undo needs: changed rows in the order changed, rows added, ledger rows posted."""

    changes: list[RowChange]
    created: list[tuple[str, uuid.UUID]]
    ledger_rows: list[uuid.UUID]
    notes: list[str]

    def to_json(self) -> str:
        """Return the snapshot as the JSON text stored in patient_merge.snapshot."""
        return json.dumps(
            {
                "version": SNAPSHOT_VERSION,
                "changes": [
                    {"table": c.table, "id": str(c.row_id), "before": c.before, "after": c.after}
                    for c in self.changes
                ],
                "created": [{"table": table, "id": str(row_id)} for table, row_id in self.created],
                "ledger_rows": [str(row_id) for row_id in self.ledger_rows],
                "notes": self.notes,
            },
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str) -> "Snapshot":
        """Read a snapshot written by `to_json`."""
        data = json.loads(text)
        if data.get("version") != SNAPSHOT_VERSION:
            raise ValueError(f"merge snapshot version {data.get('version')!r} is not supported")
        return cls(
            changes=[
                RowChange(c["table"], uuid.UUID(c["id"]), c["before"], c["after"])
                for c in data["changes"]
            ],
            created=[(c["table"], uuid.UUID(c["id"])) for c in data["created"]],
            ledger_rows=[uuid.UUID(row_id) for row_id in data["ledger_rows"]],
            notes=list(data["notes"]),
        )
