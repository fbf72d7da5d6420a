"""Entry script of the bundled `clinicdesk-cli` console program.

It runs the same commands as `clinicdesk-cli` from a Python install. `--self-test` is
passed to the launcher as well, because on Windows the windowed `clinicdesk.exe` has no
console and its self-test report would not be seen.
"""

import sys

from ui.launcher import SELF_TEST_FLAG


def main() -> int:
    """Run the self-test or a command-line command; return the exit code."""
    arguments = sys.argv[1:]
    if SELF_TEST_FLAG in arguments:
        from ui.launcher import main as launcher_main

        return launcher_main(arguments)

    from app.cli import main as cli_main

    return cli_main(arguments)


if __name__ == "__main__":
    sys.exit(main())
