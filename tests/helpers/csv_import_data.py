"""A practice with two payers, CSV files written for a test, and the Synthea sample path."""

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select

from app.db.database import Database
from app.models.patients import Patient
from app.security.permissions import Actor
from app.services import admin_records
from app.services.admin_records import PayerInput
from app.services.practice import initialize_practice
from tests.helpers.practice_data import sample_setup

ROOT = Path(__file__).resolve().parents[2]
# Synthea's sample export (27 made-up patients), beside the repository when it is checked out.
SYNTHEA_PATIENTS = ROOT.parent / "shared" / "corpus" / "synthea-csv" / "patients.csv"

HEADER = (
    "Chart,First Name,Last Name,DOB,Sex,Address,City,State,Zip,Phone,Cell,Insurance,Member ID,Group"
)
GOOD_ROWS = (
    "A100,Ana,Ruiz,03/14/1980,F,12 Oak St,Evanston,IL,60201,(847) 555-0142,,Aetna,W123456789,G1",
    "A101,Bo,Lee,1/2/1990,male,9 Elm St,Boston,Massachusetts,2155,,617-555-0199,60054,W987,",
    "A102,Cy,Diaz,1975-07-04,U,,,,,,,,,",
)


@dataclass(frozen=True)
class CsvPractice:
    """The administrator of a set-up practice with the payers Aetna (60054) and Cigna (62308)."""

    admin: Actor


def build_csv_practice(database: Database) -> CsvPractice:
    """Set up the practice and its payers."""
    with database.transaction() as session:
        admin = initialize_practice(session, sample_setup()).admin
        for name, code in (("Aetna", "60054"), ("Cigna", "62308")):
            admin_records.save_payer(session, admin, None, PayerInput(name, code, "CI"))
    return CsvPractice(admin)


def write_csv(folder: Path, *rows: str, header: str = HEADER, name: str = "patients.csv") -> Path:
    """Write a CSV file of `header` and `rows` (UTF-8, CRLF line ends as Excel writes them)."""
    path = folder / name
    path.write_bytes(("\r\n".join((header, *rows)) + "\r\n").encode("utf-8"))
    return path


def patient_count(database: Database) -> int:
    """Return how many patient rows the database holds."""
    with database.reading() as session:
        return session.scalar(select(func.count()).select_from(Patient)) or 0
