"""The `clinicdesk` command: the GUI with no arguments, the command line otherwise.

Command-line use must stay light, so this module imports neither PySide6 nor the GUI
until it knows the GUI is wanted.
"""

import sys
from dataclasses import dataclass
from pathlib import Path

VERBOSE_FLAGS = frozenset({"-v", "--verbose"})
# The flag that runs the built-in end-to-end check (ui/self_test_window.py) instead of the GUI.
SELF_TEST_FLAG = "--self-test"
EXIT_USAGE = 2


@dataclass(frozen=True, slots=True)
class GuiOptions:
    """The global options the GUI takes: the database file and verbose logging."""

    database_path: Path | None = None
    verbose: bool = False


def gui_options(argv: list[str]) -> GuiOptions | None:
    """Return the GUI's options, or None when `argv` names a command (or asks for help).

    The GUI runs when every argument is a global option it understands: `--db PATH`
    (also `--db=PATH`) and `-v`/`--verbose`, in any order.
    """
    database_path: Path | None = None
    verbose = False
    remaining = list(argv)
    while remaining:
        argument = remaining.pop(0)
        if argument in VERBOSE_FLAGS:
            verbose = True
        elif argument == "--db" and remaining:
            database_path = Path(remaining.pop(0))
        elif argument.startswith("--db="):
            database_path = Path(argument.removeprefix("--db="))
        else:
            return None
    return GuiOptions(database_path, verbose)


def gui_database_path(argv: list[str]) -> tuple[bool, Path | None]:
    """Return (wants the GUI, database path) for the arguments after the program name."""
    options = gui_options(argv)
    if options is None:
        return False, None
    return True, options.database_path


def run_self_test(arguments: list[str]) -> int:
    """Run the self-test, which accepts no arguments but the flag itself and -v/--verbose."""
    unknown = [word for word in arguments if word != SELF_TEST_FLAG and word not in VERBOSE_FLAGS]
    if unknown:
        sys.stderr.write(
            f"clinicdesk: {SELF_TEST_FLAG} takes only -v/--verbose, not {' '.join(unknown)}\n"
        )
        return EXIT_USAGE

    from ui.self_test_window import main as self_test_main

    return self_test_main(verbose=bool(VERBOSE_FLAGS.intersection(arguments)))


def main(argv: list[str] | None = None) -> int:
    """Start the GUI, run the self-test, or hand the arguments to the command line."""
    arguments = sys.argv[1:] if argv is None else argv
    if SELF_TEST_FLAG in arguments:
        return run_self_test(arguments)
    options = gui_options(arguments)
    if options is None:
        from app.cli import main as cli_main

        return cli_main(arguments)

    from ui.application import run

    return run(options.database_path, verbose=options.verbose)


if __name__ == "__main__":
    sys.exit(main())
