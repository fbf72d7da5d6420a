"""The CMS place-of-service codes, read from the bundled resources/code_sets list.

The list is public CMS data with short names written for ClinicDesk; resources/code_sets/
README.md records its source and date. It is read once per process.
"""

import csv
import functools
import logging
import sys
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

CODE_SET_FILE = ("code_sets", "place_of_service.csv")


@dataclass(frozen=True, slots=True)
class PlaceOfService:
    """One CMS place-of-service code with its short name."""

    code: str  # "11"
    name: str  # "Office"


def _resources_dir() -> Path:
    # PyInstaller unpacks bundled data under sys._MEIPASS; from source the folder sits
    # beside the app package. ui/resources.py finds the same folder the same way.
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root is not None:
        return Path(frozen_root) / "resources"
    return Path(__file__).resolve().parents[2] / "resources"


def code_set_path() -> Path:
    """Return the path of the bundled place-of-service list."""
    return _resources_dir().joinpath(*CODE_SET_FILE)


@functools.cache
def _load() -> tuple[PlaceOfService, ...]:
    path = code_set_path()
    with path.open(encoding="utf-8", newline="") as handle:
        rows = [
            PlaceOfService(row["code"].strip(), row["name"].strip())
            for row in csv.DictReader(handle)
        ]
    log.info("read %d place-of-service codes from %s", len(rows), path.name)
    return tuple(sorted(rows, key=lambda place: place.code))


def places_of_service() -> list[PlaceOfService]:
    """Return every place-of-service code in code order."""
    return list(_load())


@functools.cache
def _names() -> dict[str, str]:
    return {place.code: place.name for place in _load()}


def place_name(code: str) -> str | None:
    """Return the short name of a place-of-service code, or None when CMS has not assigned it."""
    return _names().get(code.strip())


def place_label(code: str) -> str:
    """Return a code as pickers show it, such as "11  Office", or the code alone if unknown."""
    name = place_name(code)
    return f"{code}  {name}" if name else code
