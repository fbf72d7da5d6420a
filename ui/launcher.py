"""The `clinicdesk` command: the GUI with no arguments, the command line otherwise.

Command-line use must stay light, so this module imports neither PySide6 nor the GUI
until it knows the GUI is wanted.
"""

import sys
from pathlib import Path


def gui_database_path(argv: list[str]) -> tuple[bool, Path | None]:
    """Return (wants the GUI, database path) for the arguments after the program name.

    The GUI runs with no arguments, or with only `--db PATH` (also `--db=PATH`).
    """
    if not argv:
        return True, None
    if len(argv) == 2 and argv[0] == "--db":
        return True, Path(argv[1])
    if len(argv) == 1 and argv[0].startswith("--db="):
        return True, Path(argv[0].removeprefix("--db="))
    return False, None


def main(argv: list[str] | None = None) -> int:
    """Start the GUI or hand the arguments to the command-line interface."""
    arguments = sys.argv[1:] if argv is None else argv
    wants_gui, database_path = gui_database_path(arguments)
    if not wants_gui:
        from app.cli import main as cli_main

        return cli_main(arguments)

    from ui.application import run

    return run(database_path)


if __name__ == "__main__":
    sys.exit(main())
