"""The set-up commands: `init` creates a practice database and `demo` a demo one."""

import argparse
import json
from datetime import date
from pathlib import Path
from typing import Any

from app.cli.common import (
    PASSPHRASE_VAR,
    PASSWORD_VAR,
    Outcome,
    _database_path,
    _interactive,
    _secret,
)
from app.errors import UserError
from app.paths import key_file_path
from app.validators import shorten_for_message


def _required_text(args: argparse.Namespace, names: dict[str, str]) -> dict[str, str]:
    """Return each named option, asking on a terminal for any left out."""
    values: dict[str, str] = {}
    missing: list[str] = []
    for name, prompt in names.items():
        value = getattr(args, name)
        if not value and _interactive():
            value = input(f"{prompt}: ").strip()
        if value:
            values[name] = value
        else:
            missing.append("--" + name.replace("_", "-"))
    if missing:
        raise UserError(f"Missing {', '.join(missing)}. Give each of them and run init again.")
    return values


def _parse_provider(text: str) -> Any:
    from app.services.practice import ProviderInput

    parts = [part.strip() for part in text.split(",")]
    names = parts[0].split() if parts else []
    if len(parts) != 4 or len(names) < 2:
        raise UserError(
            f'The provider {shorten_for_message(text)!r} is not in the form "First Last, '
            "CREDENTIALS, NPI, "
            'TAXONOMY", for example --provider "Ana Diaz, MD, 1234567893, 207Q00000X".'
        )
    return ProviderInput(
        first_name=" ".join(names[:-1]),
        last_name=names[-1],
        credentials=parts[1],
        npi=parts[2],
        taxonomy_code=parts[3],
    )


INIT_FIELDS = {
    "practice_name": "Practice legal name",
    "npi": "Practice billing NPI (10 digits)",
    "ein": "Employer identification number (NN-NNNNNNN)",
    "taxonomy": "Practice taxonomy code",
    "address": "Street address",
    "city": "City",
    "state": "State (two letters)",
    "zip": "ZIP code (ZIP+4)",
    "phone": "Phone number",
    "time_zone": "Time zone (such as America/Chicago)",
    "location_name": "Name of the first location",
    "admin_name": "Administrator's full name",
    "workstation_name": "Name of this computer (such as Front desk 1)",
}


def _practice_setup(args: argparse.Namespace, password: str) -> Any:
    from app.services.practice import AdminAccount, LocationInput, PracticeInfo, PracticeSetup

    text = _required_text(args, INIT_FIELDS)
    practice = PracticeInfo(
        legal_name=text["practice_name"],
        billing_npi=text["npi"],
        ein=text["ein"],
        taxonomy_code=text["taxonomy"],
        address_line1=text["address"],
        address_line2=args.address2 or "",
        city=text["city"],
        state=text["state"],
        zip_code=text["zip"],
        phone=text["phone"],
        time_zone=text["time_zone"],
    )
    location = LocationInput(
        name=text["location_name"],
        address_line1=practice.address_line1,
        address_line2=practice.address_line2,
        city=practice.city,
        state=practice.state,
        zip_code=practice.zip_code,
        phone=practice.phone,
    )
    return PracticeSetup(
        practice=practice,
        locations=(location,),
        providers=tuple(_parse_provider(item) for item in args.provider or ()),
        admin=AdminAccount(args.admin_user, text["admin_name"], password),
        workstation_name=text["workstation_name"],
    )


def _recovery_reminder(path: Path) -> list[str]:
    return [
        f"Key file: {key_file_path(path)}",
        "Write the recovery passphrase on the recovery sheet and keep it locked away. "
        "Without it, a lost keyring or a moved database cannot be opened.",
    ]


def _refuse_existing(path: Path) -> None:
    if path.exists() or key_file_path(path).exists():
        raise UserError(
            f"{path} already exists, so nothing was created. Choose another path with --db, "
            "or open the existing database."
        )


def cmd_init(args: argparse.Namespace) -> Outcome:
    """Create the practice database."""
    from app.setup import create_practice_database

    path = _database_path(args)
    _refuse_existing(path)
    password = _secret(PASSWORD_VAR, f"New password for {args.admin_user}: ", confirm=True)
    setup = _practice_setup(args, password)
    passphrase = _secret(PASSPHRASE_VAR, "New recovery passphrase: ", confirm=True)

    database, admin = create_practice_database(path, setup, passphrase)
    database.close()
    data = {
        "database": str(path),
        "key_file": str(key_file_path(path)),
        "practice": setup.practice.legal_name,
        "admin_user": admin.username,
        "workstation": admin.workstation,
    }
    text = [f"Created the practice {setup.practice.legal_name} in {path}."]
    return Outcome(data, text + _recovery_reminder(path))


def cmd_demo(args: argparse.Namespace) -> Outcome:
    """Create a database filled with made-up patients for training and trials."""
    from app.services.demo import create_demo_database, demo_today

    path = _database_path(args)
    _refuse_existing(path)
    password = _secret(PASSWORD_VAR, f"New password for {args.admin_user}: ", confirm=True)
    passphrase = _secret(PASSPHRASE_VAR, "New recovery passphrase: ", confirm=True)

    # The practice's date, not UTC's: in a US evening UTC is already tomorrow.
    today: date = demo_today()
    database, _admin, summary = create_demo_database(
        path, passphrase, args.admin_user, password, args.patients, args.seed, today
    )
    database.close()
    data = {"database": str(path), "key_file": str(key_file_path(path)), "patients": args.patients}
    data["summary"] = {name: value for name, value in _plain(summary).items() if name != "changes"}
    text = [f"Created a demo practice with {args.patients} made-up patients in {path}."]
    return Outcome(data, text + _recovery_reminder(path))


def _plain(value: Any) -> Any:
    """Return `value` as JSON-ready data (dataclasses become objects)."""
    from dataclasses import asdict, is_dataclass

    if is_dataclass(value) and not isinstance(value, type):
        return json.loads(json.dumps(asdict(value), default=str))
    return json.loads(json.dumps(value, default=str))
