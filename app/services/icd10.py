"""ICD-10-CM diagnosis codes: the edition for a date of service, search and checks.

ICD-10-CM editions follow the US federal fiscal year, October 1 to September 30: FY2027
starts on 2026-10-01. The edition bundled with ClinicDesk comes from the simple-icd-10-cm
package; newer editions are imported from CDC order files (app/services/icd10_import.py)
into icd10_edition and icd10_code. For a date of service, an imported edition that covers
the date wins over the bundled one. When no edition covers the date, the nearest earlier
edition is used and `code_problems` warns that the right one is missing.

Each edition is loaded into memory once per process. Loading the bundled one takes
seconds (3 s measured on 2 vCPUs, three times that when the machine is busy), and after
that a search takes about a millisecond (bench/bench_icd10.py). Codes are stored without
the dot and in upper case ("E119") and shown with it ("E11.9").
"""

import logging
import threading
import uuid
import warnings
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models.charges import IcdCode, IcdEdition
from app.problems import Problem, Severity
from app.services.icd10_index import EditionIndex, Header, IndexedCode, with_dot
from app.validators import echo_for_message, lookalike_note

log = logging.getLogger(__name__)

BUNDLED_EDITION = "FY2026"
BUNDLED_VALID_FROM = date(2025, 10, 1)
BUNDLED_VALID_TO = date(2026, 9, 30)
# The pinned simple-icd-10-cm release carries the CDC files of the April 1, 2026 update.
BUNDLED_SOURCE = "simple-icd-10-cm 1.5.0 (CDC April 1, 2026 update of FY2026)"
IMPORT_HINT = "Admin → Code sets"


@dataclass(frozen=True, slots=True)
class IcdMatch:
    """A code as pickers and chains show it; `code` is stored form, without the dot."""

    code: str  # "E119"
    display_code: str  # "E11.9"
    description: str
    billable: bool


@dataclass(frozen=True, slots=True)
class EditionChoice:
    """The edition used for a date of service.

    `exact` is False when no edition covers the date and the nearest earlier one (or,
    for a date before every edition, the earliest one) is used instead.
    """

    name: str  # such as "FY2026"
    valid_from: date
    valid_to: date
    exact: bool


@dataclass(frozen=True, slots=True)
class _Edition:
    name: str
    valid_from: date
    valid_to: date
    edition_id: uuid.UUID | None  # None for the bundled edition


def normalize_code(text: str) -> str:
    """Return a code in stored form: " e11.9 " becomes "E119"."""
    return "".join(text.split()).replace(".", "").upper()


def display_code(code: str) -> str:
    """Return a stored code as people write it: "E119" becomes "E11.9"."""
    return with_dot(normalize_code(code))


def fiscal_year(service_date: date) -> int:
    """Return the federal fiscal year of a date: October 1, 2026 starts FY2027."""
    return service_date.year + 1 if service_date.month >= 10 else service_date.year


# ---- loading editions ------------------------------------------------------------------

_lock = threading.Lock()
_bundled: EditionIndex | None = None
_imported: dict[uuid.UUID, EditionIndex] = {}


def _is_header_name(name: str) -> bool:
    # Chapters are numbered ("4") and blocks are ranges ("E08-E13"). A block holding a
    # single category has the category's own name (B99) and is skipped as a duplicate.
    return name.isdigit() or "-" in name


def _header(cm: Any, name: str) -> Header:
    description = str(cm.get_description(name, prioritize_blocks=True))
    label = f"Chapter {name}" if name.isdigit() else name
    return Header(key=name, label=label, description=description)


def _read_bundled() -> EditionIndex:
    with warnings.catch_warnings():
        # Release 1.5.0 reads its data with importlib.resources.read_text, deprecated
        # since Python 3.11; the warning concerns the package, not ClinicDesk.
        warnings.simplefilter("ignore", DeprecationWarning)
        import simple_icd_10_cm as cm  # type: ignore[import-untyped]

    codes: list[IndexedCode] = []
    headers: list[Header] = []
    parents: dict[str, str] = {}
    for name in dict.fromkeys(cm.get_all_codes(True)):
        if _is_header_name(name):
            headers.append(_header(cm, name))
            key = name
        else:
            key = name.replace(".", "")
            codes.append(IndexedCode(key, str(cm.get_description(name)), bool(cm.is_leaf(name))))
        parent = cm.get_parent(name)
        if parent == name:
            # The category of a one-category block: its parent is the block's parent.
            parent = cm.get_parent(name, prioritize_blocks=True)
        if parent:
            parents[key] = parent if _is_header_name(parent) else parent.replace(".", "")
    return EditionIndex(codes, parents, headers)


def load_bundled_edition() -> EditionIndex:
    """Return the bundled edition's index, reading the package on the first call.

    Screens that search codes may call this from a background operation at start-up so
    the first search does not wait for the package to load.
    """
    global _bundled  # noqa: PLW0603 (one index per process, built on first use)
    with _lock:
        if _bundled is None:
            _bundled = _read_bundled()
            log.info("loaded the bundled ICD-10-CM edition: %d codes", len(_bundled))
        return _bundled


def _imported_index(session: Session, edition_id: uuid.UUID) -> EditionIndex:
    with _lock:
        index = _imported.get(edition_id)
    if index is not None:
        return index
    rows = session.execute(
        select(IcdCode.code, IcdCode.description, IcdCode.billable).where(
            IcdCode.edition_id == edition_id
        )
    )
    index = EditionIndex(
        IndexedCode(code, description, billable) for code, description, billable in rows
    )
    log.info("loaded imported ICD-10-CM edition %s: %d codes", edition_id, len(index))
    with _lock:
        # Imported editions never change after the import, so the index stays valid.
        _imported[edition_id] = index
    return index


def _editions(session: Session) -> list[_Edition]:
    rows = session.scalars(select(IcdEdition).where(IcdEdition.archived.is_(False)))
    imported = [_Edition(row.name, row.valid_from, row.valid_to, row.id) for row in rows]
    return [*imported, _Edition(BUNDLED_EDITION, BUNDLED_VALID_FROM, BUNDLED_VALID_TO, None)]


def _choose(editions: list[_Edition], service_date: date) -> tuple[_Edition, bool]:
    covering = [e for e in editions if e.valid_from <= service_date <= e.valid_to]
    if covering:
        # Imported editions first, then the one that took effect last (an April update
        # wins over the October edition it corrects).
        return max(covering, key=lambda e: (e.edition_id is not None, e.valid_from)), True
    earlier = [e for e in editions if e.valid_to < service_date]
    if earlier:
        return max(earlier, key=lambda e: (e.valid_to, e.edition_id is not None)), False
    return min(editions, key=lambda e: (e.valid_from, e.edition_id is None)), False


def _resolve(session: Session, service_date: date) -> tuple[EditionChoice, EditionIndex]:
    edition, exact = _choose(_editions(session), service_date)
    choice = EditionChoice(edition.name, edition.valid_from, edition.valid_to, exact)
    if edition.edition_id is None:
        return choice, load_bundled_edition()
    return choice, _imported_index(session, edition.edition_id)


# ---- the API for charge entry ----------------------------------------------------------


def _match(row: IndexedCode | Header) -> IcdMatch:
    if isinstance(row, Header):
        return IcdMatch(row.key, row.label, row.description, billable=False)
    return IcdMatch(row.code, with_dot(row.code), row.description, row.billable)


def edition_for(session: Session, service_date: date) -> EditionChoice:
    """Return the edition for a date of service; `exact` is False for a fallback."""
    edition, exact = _choose(_editions(session), service_date)
    return EditionChoice(edition.name, edition.valid_from, edition.valid_to, exact)


def search_codes(
    session: Session, text: str, service_date: date, limit: int = 50
) -> list[IcdMatch]:
    """Return codes of the date's edition matching a code prefix or description words.

    A code prefix may be typed with or without the dot, in any case ("e11.9", "E119").
    Words must all start a word of the description, in any order ("diab typ 2").
    Billable codes come first.
    """
    _choice, index = _resolve(session, service_date)
    return [_match(row) for row in index.search(text, limit)]


def parent_chain(session: Session, code: str, service_date: date) -> list[IcdMatch]:
    """Return the ancestors of a code, chapter first; empty for an unknown code.

    Chapters appear as "Chapter 4" and blocks as their range ("E08-E13"). Imported
    editions hold no chapters or blocks, so their chains start at the category.
    """
    _choice, index = _resolve(session, service_date)
    return [_match(node) for node in index.parent_chain(normalize_code(code))]


def describe_code(session: Session, code: str, service_date: date) -> str | None:
    """Return the description of a code in the date's edition, or None if it is not there."""
    _choice, index = _resolve(session, service_date)
    row = index.get(normalize_code(code))
    return row.description if row is not None else None


def code_problems(session: Session, code: str, service_date: date, field: str) -> list[Problem]:
    """Check a diagnosis code for a date of service.

    Errors: the code is missing, not in the edition, or a category that is not billable
    (the message names a billable code under it). Warning: no edition covers the date.
    """
    choice, index = _resolve(session, service_date)
    problems = edition_problems(choice, service_date, field)
    stored = normalize_code(code)
    if not stored:
        problems.insert(
            0, Problem(field, "The diagnosis code is missing; type a code or search by words.")
        )
        return problems

    row = index.get(stored)
    if row is None:
        shown = echo_for_message(with_dot(stored))
        problems.insert(
            0,
            Problem(
                field,
                f"{shown} is not an ICD-10-CM code in {choice.name}; check the code or search "
                f"by words of the diagnosis.{lookalike_note(stored)}",
            ),
        )
    elif not row.billable:
        example = index.billable_example(stored)
        hint = f" such as {with_dot(example.code)}" if example is not None else ""
        problems.insert(
            0,
            Problem(
                field,
                f"{with_dot(stored)} is not billable; choose a more specific code{hint}.",
            ),
        )
    return problems


def edition_problems(choice: EditionChoice, service_date: date, field: str) -> list[Problem]:
    """Return a warning when `choice` is a fallback, naming the fiscal year to import."""
    if choice.exact:
        return []
    year = fiscal_year(service_date)
    return [
        Problem(
            field,
            f"No ICD-10-CM edition covers {service_date:%m/%d/%Y} (FY{year}), so the code "
            f"was checked against {choice.name}. Import the CDC code file for FY{year} in "
            f"{IMPORT_HINT}.",
            Severity.WARNING,
        )
    ]
