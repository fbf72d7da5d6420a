"""CDC order-file lines for ICD-10-CM import tests, and the sample file in tests/data.

The sample file contains a few real ICD-10-CM codes in the CDC order-file layout: order
number, code, billable flag, a 60-character short description and the long description.
"""

from datetime import date
from pathlib import Path

from app.db.database import Database
from app.security.permissions import Actor
from app.services.icd10_import import import_icd_edition

SAMPLE_ORDER_FILE = (
    Path(__file__).resolve().parent.parent / "data" / "icd10" / "icd10cm_order_sample.txt"
)
SAMPLE_CODE_COUNT = 11


def order_line(number: int, code: str, billable: bool, description: str) -> str:
    """Return one order-file line, with the short description cut to 60 characters."""
    flag = "1" if billable else "0"
    return f"{number:05d} {code:<7} {flag} {description[:60]:<60} {description}"


def write_order_file(folder: Path, lines: list[str], name: str = "icd10cm_order_2027.txt") -> Path:
    """Write `lines` as an order file in `folder` and return its path."""
    path = folder / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def import_sample(
    database: Database, actor: Actor, name: str, valid_from: date, valid_to: date
) -> None:
    """Import the sample order file as edition `name`."""
    with database.transaction() as session:
        import_icd_edition(session, actor, SAMPLE_ORDER_FILE, name, valid_from, valid_to)
