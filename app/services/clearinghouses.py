"""Clearinghouse settings: the X12 ids claim files carry and how the files are delivered.

The SFTP password lives in the OS keyring under the service "ClinicDesk clearinghouse"
and the clearinghouse id, so it never enters the database or its backups. Lengths
follow the 837P implementation guide (005010X222A1) and the ISA/GS envelope.
"""

import logging
import re
import string
import uuid
from dataclasses import dataclass, fields
from pathlib import Path, PurePosixPath

import keyring
import keyring.errors
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.changes import ChangeKind, Changes
from app.errors import NotFoundError, UserError
from app.models.claims import Clearinghouse
from app.models.practice import Payer
from app.problems import Problem, Severity, has_errors
from app.security import audit
from app.security.audit import AuditAction
from app.security.permissions import Actor, Permission, require
from app.services.outcomes import SaveOutcome
from app.sftp import normalize_host_key, parse_host_key

log = logging.getLogger(__name__)

KEYRING_SERVICE = "ClinicDesk clearinghouse"
OBJECT_TYPE = "clearinghouse"
USAGE_INDICATORS = ("T", "P")
# ISA05 and ISA07 code values in the 005010 interchange control structure.
ISA_QUALIFIERS = ("01", "14", "20", "27", "28", "29", "30", "33", "ZZ")
FILE_NAME_FIELDS = ("batch", "date", "control")

# X12 delimiters ClinicDesk writes, which may appear in no id (ISA16 ":" and ISA11 "^").
_DELIMITERS = set("*~:^>|")
_PRINTABLE_ASCII = set(string.printable) - set("\t\n\r\x0b\x0c")
_FILE_NAME_FORBIDDEN = set('/\\:*?"<>|') | {chr(code) for code in range(32)}


@dataclass(frozen=True, slots=True)
class ClearinghouseForm:
    """Every editable Clearinghouse column; `id` is None for a new clearinghouse.

    `password_saved` is filled by list and load (True when the keyring has an SFTP
    password for it) and is ignored by save.
    """

    id: uuid.UUID | None
    name: str
    submitter_id: str
    submitter_name: str
    submitter_contact: str
    submitter_phone: str
    receiver_id: str
    receiver_name: str
    isa_sender_qualifier: str
    isa_sender_id: str
    isa_receiver_qualifier: str
    isa_receiver_id: str
    gs_sender_code: str
    gs_receiver_code: str
    usage_indicator: str
    outbox_folder: str
    sftp_host: str
    sftp_port: int
    sftp_username: str
    sftp_host_key: str
    upload_folder: str
    download_folder: str
    file_name_pattern: str
    password_saved: bool = False


# Columns copied between the form and the row, as they are named in both.
_COLUMNS = tuple(
    field.name for field in fields(ClearinghouseForm) if field.name not in {"id", "password_saved"}
)
_OPTIONAL_COLUMNS = ("outbox_folder", "sftp_host", "sftp_username", "sftp_host_key")


def list_clearinghouses(session: Session, actor: Actor) -> list[ClearinghouseForm]:
    """Return every active clearinghouse by name."""
    require(actor, Permission.CLAIM_MANAGE)
    rows = session.scalars(
        select(Clearinghouse)
        .where(Clearinghouse.archived.is_(False))
        .order_by(func.lower(Clearinghouse.name))
    )
    return [_form_of(row) for row in rows]


def load_clearinghouse(
    session: Session, actor: Actor, clearinghouse_id: uuid.UUID
) -> ClearinghouseForm:
    """Return one clearinghouse's settings; raises NotFoundError for an unknown id."""
    require(actor, Permission.CLAIM_MANAGE)
    return _form_of(get_clearinghouse(session, clearinghouse_id))


def get_clearinghouse(session: Session, clearinghouse_id: uuid.UUID) -> Clearinghouse:
    """Return the clearinghouse row; raises NotFoundError for an unknown id."""
    row = session.get(Clearinghouse, clearinghouse_id)
    if row is None:
        raise NotFoundError(
            f"Clearinghouse {clearinghouse_id} was not found. Refresh the list and try again."
        )
    return row


def save_clearinghouse(
    session: Session, actor: Actor, form: ClearinghouseForm, password: str | None = None
) -> SaveOutcome:
    """Create (`form.id` None) or update a clearinghouse; `password` goes to the keyring.

    A None password keeps the stored one. Returns the problems instead of saving when
    any is an error. Raises UserError when the keyring cannot store the password, so
    the caller's unit of work rolls the save back.
    """
    require(actor, Permission.CLAIM_MANAGE)
    problems = check_clearinghouse(session, form, password)
    if has_errors(problems):
        log.info("clearinghouse save rejected with %d problems", len(problems))
        return SaveOutcome.rejected(problems)

    created = form.id is None
    row = Clearinghouse() if form.id is None else get_clearinghouse(session, form.id)
    _copy_form(form, row)
    row.updated_by = actor.user_id
    session.add(row)
    session.flush()
    if password is not None:
        store_password(row.id, password)

    action = AuditAction.CREATE if created else AuditAction.UPDATE
    detail = "password changed" if password is not None else ""
    audit.record(session, actor, action, OBJECT_TYPE, row.id, detail=detail)
    log.info("%s clearinghouse %s", "created" if created else "updated", row.id)
    return SaveOutcome(row.id, created, tuple(problems), Changes.of(ChangeKind.SETTINGS))


def clearinghouse_for_payer(session: Session, payer_id: uuid.UUID) -> Clearinghouse | None:
    """Return where the payer's claims go: its own clearinghouse, or the only one there is.

    None means the payer's claims cannot be sent electronically: it names none and the
    practice has no clearinghouse, or several so none can be picked for it.
    """
    payer = session.get(Payer, payer_id)
    if payer is not None and payer.clearinghouse_id is not None:
        return session.get(Clearinghouse, payer.clearinghouse_id)

    active = session.scalars(
        select(Clearinghouse).where(Clearinghouse.archived.is_(False)).limit(2)
    ).all()
    return active[0] if len(active) == 1 else None


# ---- password -----------------------------------------------------------------------------


def store_password(clearinghouse_id: uuid.UUID, password: str) -> None:
    """Keep the SFTP password in the keyring; raises UserError when the keyring fails."""
    try:
        keyring.set_password(KEYRING_SERVICE, str(clearinghouse_id), password)
    except keyring.errors.KeyringError as error:
        raise UserError(
            f"The clearinghouse SFTP password could not be stored in the system keyring "
            f"({error}). Unlock or set up the keyring, then save again."
        ) from error


def clearinghouse_password(clearinghouse_id: uuid.UUID) -> str:
    """Return the stored SFTP password; raises UserError when there is none or no keyring."""
    try:
        password = keyring.get_password(KEYRING_SERVICE, str(clearinghouse_id))
    except keyring.errors.KeyringError as error:
        raise UserError(
            f"The clearinghouse SFTP password could not be read from the system keyring "
            f"({error}). Unlock or set up the keyring, then try again."
        ) from error
    if password is None:
        raise UserError(
            "No SFTP password is saved for this clearinghouse on this workstation. Enter it "
            "in Admin > Clearinghouses, then try again."
        )
    return password


def _password_saved(clearinghouse_id: uuid.UUID) -> bool:
    try:
        return keyring.get_password(KEYRING_SERVICE, str(clearinghouse_id)) is not None
    except keyring.errors.KeyringError:
        log.warning(
            "the keyring is unavailable, so clearinghouse %s shows no password", clearinghouse_id
        )
        return False


# ---- form and row -------------------------------------------------------------------------


def _form_of(row: Clearinghouse) -> ClearinghouseForm:
    values = {name: getattr(row, name) for name in _COLUMNS}
    for name in _OPTIONAL_COLUMNS:
        values[name] = values[name] or ""
    return ClearinghouseForm(id=row.id, password_saved=_password_saved(row.id), **values)


def _copy_form(form: ClearinghouseForm, row: Clearinghouse) -> None:
    for name in _COLUMNS:
        value = getattr(form, name)
        if isinstance(value, str):
            value = value.strip()
        setattr(row, name, value)
    row.submitter_phone = _digits(form.submitter_phone)
    row.isa_sender_id = form.isa_sender_id.strip().upper()
    row.isa_receiver_id = form.isa_receiver_id.strip().upper()
    row.usage_indicator = form.usage_indicator.strip().upper()
    row.sftp_host_key = (
        normalize_host_key(form.sftp_host_key) if form.sftp_host_key.strip() else None
    )
    for name in _OPTIONAL_COLUMNS:
        if not getattr(row, name):
            setattr(row, name, None)


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


# ---- validation ---------------------------------------------------------------------------


def check_clearinghouse(
    session: Session, form: ClearinghouseForm, password: str | None = None
) -> list[Problem]:
    """Return every problem with the settings; errors block the save, warnings do not."""
    return [
        *_id_problems(form),
        *_envelope_problems(form),
        *_delivery_problems(form, password),
        *_name_problems(session, form),
    ]


# (field, label, minimum, maximum) of the ids sent in the 837P, from the X12 element sizes.
_ID_LENGTHS = (
    ("name", "The name", 1, 60),
    ("submitter_id", "The submitter id (NM1*41 NM109)", 2, 80),
    ("submitter_name", "The submitter name (NM1*41 NM103)", 1, 60),
    ("submitter_contact", "The contact name (PER02)", 1, 60),
    ("receiver_id", "The receiver id (NM1*40 NM109)", 2, 80),
    ("receiver_name", "The receiver name (NM1*40 NM103)", 1, 60),
    ("isa_sender_id", "The ISA sender id (ISA06)", 1, 15),
    ("isa_receiver_id", "The ISA receiver id (ISA08)", 1, 15),
    ("gs_sender_code", "The GS sender code (GS02)", 2, 15),
    ("gs_receiver_code", "The GS receiver code (GS03)", 2, 15),
)


def _id_problems(form: ClearinghouseForm) -> list[Problem]:
    problems = []
    for name, label, minimum, maximum in _ID_LENGTHS:
        value = getattr(form, name).strip()
        if not value:
            problems.append(
                Problem(
                    name, f"{label} is missing. Copy it from the clearinghouse's enrollment papers."
                )
            )
        elif not minimum <= len(value) <= maximum:
            problems.append(
                Problem(
                    name,
                    f"{label} {value!r} has {len(value)} characters; use {minimum} to {maximum}.",
                )
            )
        elif bad := _bad_characters(value):
            problems.append(
                Problem(
                    name,
                    f"{label} {value!r} contains {bad}, which X12 files cannot carry. Remove it.",
                )
            )

    phone = _digits(form.submitter_phone)
    if len(phone) != 10:
        problems.append(
            Problem(
                "submitter_phone",
                f"The contact phone {form.submitter_phone!r} needs 10 digits with the area code.",
            )
        )
    return problems


def _bad_characters(value: str) -> str:
    bad = sorted({char for char in value if char in _DELIMITERS or char not in _PRINTABLE_ASCII})
    return " ".join(repr(char) for char in bad)


def _envelope_problems(form: ClearinghouseForm) -> list[Problem]:
    problems = []
    for name in ("isa_sender_qualifier", "isa_receiver_qualifier"):
        value = getattr(form, name).strip()
        if value not in ISA_QUALIFIERS:
            choices = ", ".join(ISA_QUALIFIERS)
            problems.append(
                Problem(
                    name,
                    f"{value!r} is not an ISA id qualifier; use one of {choices} (usually ZZ).",
                )
            )
    if form.usage_indicator.strip().upper() not in USAGE_INDICATORS:
        problems.append(
            Problem(
                "usage_indicator",
                f"{form.usage_indicator!r}: use T while testing with the clearinghouse, then P "
                "for production.",
            )
        )
    problems.extend(_file_name_problems(form.file_name_pattern))
    return problems


def _file_name_problems(pattern: str) -> list[Problem]:
    field = "file_name_pattern"
    try:
        names = {name for _, name, _, _ in string.Formatter().parse(pattern) if name is not None}
    except ValueError:
        return [Problem(field, f"{pattern!r} has an unmatched brace; write {{batch}} with both.")]

    unknown = names - set(FILE_NAME_FIELDS)
    if unknown:
        listed = ", ".join("{" + name + "}" for name in sorted(unknown))
        return [Problem(field, f"{listed} is not known; use {{batch}}, {{date}} and {{control}}.")]
    if not names & {"batch", "control"}:
        return [
            Problem(
                field,
                f"{pattern!r} would give every file the same name; include {{batch}} or "
                "{control}.",
            )
        ]

    example = format_file_name(pattern, batch="K7Q-000001", date="20260202", control="297910001")
    if set(example) & _FILE_NAME_FORBIDDEN:
        return [
            Problem(
                field, f"{pattern!r} contains a character file names cannot have, such as / or :."
            )
        ]
    if len(example) > 120:
        return [Problem(field, f"{pattern!r} gives names over 120 characters; shorten it.")]
    return []


def format_file_name(pattern: str, *, batch: str, date: str, control: str) -> str:
    """Fill in a file name pattern's {batch}, {date} (YYYYMMDD) and {control} (ISA13)."""
    return pattern.format(batch=batch, date=date, control=control)


def _delivery_problems(form: ClearinghouseForm, password: str | None) -> list[Problem]:
    problems = []
    if not 1 <= form.sftp_port <= 65535:
        problems.append(
            Problem("sftp_port", f"{form.sftp_port}: use a port from 1 to 65535 (usually 22).")
        )
    problems.extend(_outbox_problems(form.outbox_folder.strip()))

    host = form.sftp_host.strip()
    if host and (" " in host or len(host) > 253):
        problems.append(Problem("sftp_host", f"{host!r} is not a host name or address."))
    if form.sftp_host_key.strip():
        try:
            parse_host_key(form.sftp_host_key)
        except ValueError as error:
            problems.append(Problem("sftp_host_key", f"The host key is {error}."))
    if host:
        problems.extend(_sftp_required(form, password))
    if not host and not form.outbox_folder.strip():
        problems.append(
            Problem(
                "sftp_host",
                "Neither an SFTP host nor an outbox folder is set, so claim files can only be "
                "saved to a folder chosen each time.",
                Severity.WARNING,
            )
        )

    for name in ("upload_folder", "download_folder"):
        problems.extend(_remote_folder_problems(name, getattr(form, name)))
    return problems


def _sftp_required(form: ClearinghouseForm, password: str | None) -> list[Problem]:
    problems = []
    if not form.sftp_username.strip():
        problems.append(
            Problem("sftp_username", "The SFTP user name is missing; the clearinghouse assigns it.")
        )
    if not form.sftp_host_key.strip():
        problems.append(
            Problem(
                "sftp_host_key",
                "The server's host key is missing. Ask the clearinghouse for it (a line such as "
                "'ssh-ed25519 AAAA...') and paste it here; ClinicDesk connects to no server "
                "whose key it cannot check.",
            )
        )
    if password is None and not (form.id is not None and _password_saved(form.id)):
        problems.append(
            Problem(
                "password",
                "No SFTP password is saved yet, so uploads will fail until you enter it.",
                Severity.WARNING,
            )
        )
    return problems


def _outbox_problems(folder: str) -> list[Problem]:
    if not folder:
        return []
    path = Path(folder)
    if not path.is_absolute():
        return [
            Problem(
                "outbox_folder", f"{folder!r} is not a full path; choose the folder with Browse."
            )
        ]
    if not path.is_dir():
        return [
            Problem(
                "outbox_folder",
                f"The folder {folder} does not exist on this workstation. Create it, or check "
                "that the network drive is connected.",
                Severity.WARNING,
            )
        ]
    return []


def _remote_folder_problems(name: str, folder: str) -> list[Problem]:
    value = folder.strip()
    if not value:
        return [
            Problem(
                name, "The folder is missing; use the one the clearinghouse named, such as inbound."
            )
        ]
    if len(value) > 255:
        return [Problem(name, "The folder name is over 255 characters; shorten it.")]
    if (
        ".." in PurePosixPath(value).parts
        or "\\" in value
        or set(value) & _FILE_NAME_FORBIDDEN - {"/", ":"}
    ):
        return [
            Problem(
                name,
                f"{value!r} is not a server folder; write it as the clearinghouse gave it, "
                "such as inbound or /home/user/outbound.",
            )
        ]
    return []


def _name_problems(session: Session, form: ClearinghouseForm) -> list[Problem]:
    name = form.name.strip()
    if not name:
        return []
    query = select(Clearinghouse.id).where(func.lower(Clearinghouse.name) == name.lower())
    if form.id is not None:
        query = query.where(Clearinghouse.id != form.id)
    if session.scalar(query) is not None:
        return [
            Problem(
                "name", f"Another clearinghouse is already named {name!r}; choose another name."
            )
        ]
    return []
