"""The practice's procedure codes: CPT, HCPCS Level II and the practice's own local codes.

ClinicDesk ships no CPT codes or descriptions, because CPT is copyrighted by the AMA and
distributing it needs a license. Practices type their codes with their own short labels
or import them from their licensed fee schedule (see app/services/fee_csv.py).
Codes are archived, never deleted, because charge lines and fee schedules keep naming them.
"""

import logging
import re
import uuid
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session

from app import validators as v
from app.changes import ChangeKind, Changes
from app.errors import NotFoundError
from app.models.charges import ProcedureCode
from app.problems import Problem, has_errors
from app.security import audit
from app.security.audit import AuditAction
from app.security.permissions import Actor, Permission, require
from app.services.outcomes import SaveOutcome

log = logging.getLogger(__name__)

OBJECT_TYPE = "procedure_code"
DESCRIPTION_MAX_LENGTH = 80
MAX_DEFAULT_UNITS = 999
SOURCE_TYPED = "typed"
SEARCH_LIMIT = 50

# CPT Category I codes are five digits. Category II codes end in F, Category III codes
# in T and Proprietary Laboratory Analyses codes in U, after four digits.
_CPT = re.compile(r"[0-9]{4}[0-9FTU]")
# HCPCS Level II codes are a letter A to V followed by four digits.
_HCPCS = re.compile(r"[A-V][0-9]{4}")
# Local codes never reach a claim (a no-show fee, a copy of records), so any 1 to 5
# letters and digits work, as long as they do not look like a CPT or HCPCS code.
_LOCAL = re.compile(r"[A-Z0-9]{1,5}")


class CodeKind(StrEnum):
    """The code set of a procedure code."""

    CPT = "cpt"
    HCPCS = "hcpcs"
    PRACTICE = "practice"

    @property
    def label(self) -> str:
        """Name shown on screens, such as "HCPCS"."""
        return "Practice" if self is CodeKind.PRACTICE else self.value.upper()


@dataclass(slots=True)
class ProcedureCodeForm:
    """A procedure code as typed; `id` is None for a new code, `kind` blank to infer it."""

    code: str = ""
    description: str = ""
    kind: str = ""
    default_units: int = 1
    requires_ndc: bool = False
    id: uuid.UUID | None = None


@dataclass(frozen=True, slots=True)
class ProcedureCodeSummary:
    """A procedure code as lists show it."""

    id: uuid.UUID
    code: str
    kind: str
    description: str
    default_units: int
    requires_ndc: bool
    source: str
    archived: bool


def normalize_procedure_code(text: str) -> str:
    """Return a code as stored: trimmed and upper case (" j1100 " gives "J1100")."""
    return text.strip().upper()


def infer_kind(code: str) -> CodeKind:
    """Return the code set a normalized code's shape suggests; other shapes are local codes."""
    if _CPT.fullmatch(code):
        return CodeKind.CPT
    if _HCPCS.fullmatch(code):
        return CodeKind.HCPCS
    return CodeKind.PRACTICE


def parse_kind(text: str) -> CodeKind | None:
    """Return the kind named by `text` ("CPT", "hcpcs", "practice", "local"), or None."""
    value = text.strip().casefold()
    if value == "local":
        return CodeKind.PRACTICE
    return next((kind for kind in CodeKind if kind.value == value), None)


def code_shape_problems(code: str, kind: CodeKind | None, field: str) -> list[Problem]:
    """Check a normalized code against the pattern of `kind` (None: any known pattern)."""
    echoed = v.echo_for_message(code)
    if not code:
        return [Problem(field, "Code is missing; enter the 5-character procedure code.")]
    if kind is None:
        # All digits is a CPT code typed short or long, never a local code.
        kind = CodeKind.CPT if code.isdigit() else infer_kind(code)
    if kind is CodeKind.CPT and not _CPT.fullmatch(code):
        message = f"CPT code {echoed} is invalid; CPT codes are 5 digits, such as 12345."
        return [Problem(field, message)]
    if kind is CodeKind.HCPCS and not _HCPCS.fullmatch(code):
        message = (
            f"HCPCS code {echoed} is invalid; HCPCS Level II codes are a letter A to V and "
            "4 digits, such as J1100."
        )
        return [Problem(field, message)]
    if kind is CodeKind.PRACTICE:
        if not _LOCAL.fullmatch(code):
            message = (
                f"Practice code {echoed} is invalid; use 1 to 5 letters and digits with no "
                "spaces or punctuation, such as NOSHW."
            )
            return [Problem(field, message)]
        if infer_kind(code) is not CodeKind.PRACTICE:
            label = infer_kind(code).label
            message = f"Code {echoed} has the shape of a {label} code; choose the kind {label}."
            return [Problem(field, message)]
    return []


def procedure_code_problems(form: ProcedureCodeForm) -> list[Problem]:
    """Return every problem with a procedure code as typed (no database needed)."""
    code = normalize_procedure_code(form.code)
    problems: list[Problem] = []
    kind: CodeKind | None = None
    if form.kind.strip():
        kind = parse_kind(form.kind)
        if kind is None:
            message = (
                f"Kind {v.echo_for_message(form.kind.strip())} is unknown; choose CPT, HCPCS "
                "or Practice."
            )
            problems.append(Problem("kind", message))
    problems += code_shape_problems(code, kind, "code")
    problems += v.text_problems(
        form.description, "description", "Description", DESCRIPTION_MAX_LENGTH
    )
    if not 1 <= form.default_units <= MAX_DEFAULT_UNITS:
        message = (
            f"Default units {form.default_units} is out of range; enter a whole number from 1 "
            f"to {MAX_DEFAULT_UNITS}."
        )
        problems.append(Problem("default_units", message))
    return problems


def _summarize(code: ProcedureCode) -> ProcedureCodeSummary:
    return ProcedureCodeSummary(
        id=code.id,
        code=code.code,
        kind=code.kind,
        description=code.description,
        default_units=code.default_units,
        requires_ndc=code.requires_ndc,
        source=code.source,
        archived=code.archived,
    )


def find_procedure_code(session: Session, code: str) -> ProcedureCode | None:
    """Return the code that is not archived, matching `code` in any case, or None."""
    query = select(ProcedureCode).where(
        ProcedureCode.code == normalize_procedure_code(code), ProcedureCode.archived.is_(False)
    )
    return session.scalars(query).first()


def codes_by_value(session: Session, codes: set[str]) -> dict[str, ProcedureCode]:
    """Return the rows of `codes` (normalized values), archived ones included, by code."""
    found: dict[str, ProcedureCode] = {}
    ordered = sorted(codes)
    # SQLite limits the number of bound parameters in one statement.
    for start in range(0, len(ordered), 500):
        chunk = ordered[start : start + 500]
        rows = session.scalars(select(ProcedureCode).where(ProcedureCode.code.in_(chunk)))
        found.update((row.code, row) for row in rows)
    return found


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _search_query(text: str, include_archived: bool) -> Select[ProcedureCode]:
    query = select(ProcedureCode)
    if not include_archived:
        query = query.where(ProcedureCode.archived.is_(False))
    words = text.split()
    if not words:
        return query.order_by(ProcedureCode.code)

    prefix = ProcedureCode.code.like(_escape_like(text.strip().upper()) + "%", escape="\\")
    description = func.lower(ProcedureCode.description)
    word_matches = [
        description.like("%" + _escape_like(word.casefold()) + "%", escape="\\") for word in words
    ]
    # Code matches come first, then description matches, each in code order.
    return query.where(or_(prefix, and_(*word_matches))).order_by(prefix.desc(), ProcedureCode.code)


def search_procedure_codes(
    session: Session, text: str, limit: int = SEARCH_LIMIT
) -> list[ProcedureCode]:
    """Return active codes starting with `text`, or whose description has every word of it.

    Codes that start with `text` come first. Blank `text` lists every active code in code
    order, up to `limit`.
    """
    query = _search_query(text, include_archived=False)
    return list(session.scalars(query.limit(limit)))


def list_procedure_codes(
    session: Session,
    actor: Actor,
    text: str = "",
    include_archived: bool = False,
    limit: int = 2000,
) -> list[ProcedureCodeSummary]:
    """Return the codes matching `text` as search_procedure_codes does, for the Admin list."""
    del actor  # every signed-in user may read the practice's codes, as charge entry does
    query = _search_query(text, include_archived=include_archived)
    rows = session.scalars(query.limit(limit))
    return [_summarize(row) for row in rows]


def get_procedure_code(session: Session, code_id: uuid.UUID) -> ProcedureCode:
    """Return the procedure code with `code_id` that is not archived, or raise NotFoundError."""
    code = session.get(ProcedureCode, code_id)
    if code is None or code.archived:
        raise NotFoundError(
            f"Procedure code {code_id} was not found or is archived. Refresh the list and "
            "choose it again."
        )
    return code


def _duplicate_problems(session: Session, form: ProcedureCodeForm) -> list[Problem]:
    code = normalize_procedure_code(form.code)
    if form.id is not None:
        saved = get_procedure_code(session, form.id)
        if saved.code != code:
            message = (
                f"The code of {saved.code} cannot change to {code}, because fee schedules and "
                "charges name it; archive it and add the new code instead."
            )
            return [Problem("code", message)]
    existing = session.scalars(select(ProcedureCode).where(ProcedureCode.code == code)).first()
    if existing is None or existing.id == form.id:
        return []
    if existing.archived:
        message = (
            f"Code {code} exists but is archived; tick Show archived, select it and choose "
            "Restore instead of adding it again."
        )
    else:
        message = f"Code {code} already exists; edit that code instead of adding it again."
    return [Problem("code", message)]


def save_procedure_code(session: Session, actor: Actor, form: ProcedureCodeForm) -> SaveOutcome:
    """Create (`form.id` None) or update a procedure code; validates and audits."""
    require(actor, Permission.CODE_SET_EDIT)
    problems = procedure_code_problems(form)
    if not has_errors(problems):
        problems += _duplicate_problems(session, form)
    if has_errors(problems):
        log.info("procedure code save rejected with %d problems", len(problems))
        return SaveOutcome.rejected(problems)

    created = form.id is None
    row = (
        ProcedureCode(source=SOURCE_TYPED)
        if form.id is None
        else get_procedure_code(session, form.id)
    )
    row.code = normalize_procedure_code(form.code)
    row.kind = (parse_kind(form.kind) or infer_kind(row.code)).value
    row.description = form.description.strip()
    row.default_units = form.default_units
    row.requires_ndc = form.requires_ndc
    row.updated_by = actor.user_id
    session.add(row)
    session.flush()

    action = AuditAction.CREATE if created else AuditAction.UPDATE
    audit.record(session, actor, action, OBJECT_TYPE, row.id)
    log.info("%s procedure code %s", "created" if created else "updated", row.id)
    return SaveOutcome(row.id, created, tuple(problems), Changes.of(ChangeKind.CODE_SETS))


def _set_archived(
    session: Session, actor: Actor, code_id: uuid.UUID, archived: bool
) -> SaveOutcome:
    require(actor, Permission.CODE_SET_EDIT)
    row = session.get(ProcedureCode, code_id)
    if row is None or row.archived == archived:
        state = "archived" if archived else "active"
        raise NotFoundError(
            f"Procedure code {code_id} was not found or is already {state}. Refresh the list "
            "and choose it again."
        )
    row.archived = archived
    row.updated_by = actor.user_id
    session.flush()

    action = AuditAction.ARCHIVE if archived else AuditAction.UPDATE
    audit.record(session, actor, action, OBJECT_TYPE, row.id, detail="" if archived else "restored")
    log.info("%s procedure code %s", "archived" if archived else "restored", row.id)
    return SaveOutcome(row.id, changes=Changes.of(ChangeKind.CODE_SETS))


def archive_procedure_code(session: Session, actor: Actor, code_id: uuid.UUID) -> SaveOutcome:
    """Archive a code: charge entry stops offering it; posted lines and fee items keep it."""
    return _set_archived(session, actor, code_id, archived=True)


def restore_procedure_code(session: Session, actor: Actor, code_id: uuid.UUID) -> SaveOutcome:
    """Make an archived code active again."""
    return _set_archived(session, actor, code_id, archived=False)
