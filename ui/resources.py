"""Where bundled files (style sheet, icons, word list) live, from source or frozen."""

import sys
from pathlib import Path


def resources_dir() -> Path:
    """Return the `resources` folder: beside the packages from source, or PyInstaller's."""
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root is not None:
        return Path(frozen_root) / "resources"
    return Path(__file__).resolve().parent.parent / "resources"


def resource_path(*parts: str) -> Path:
    """Return the path of a bundled file such as resource_path("icons", "clinicdesk.svg")."""
    return resources_dir().joinpath(*parts)
