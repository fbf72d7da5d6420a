"""The clinicdesk command: CLI arguments stay free of Qt, no arguments mean the GUI."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ui.launcher import GuiOptions, gui_database_path, gui_options

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import sys
from ui.launcher import main
code = main(sys.argv[1:])
print("PySide6 loaded:", any(name.startswith("PySide6") for name in sys.modules))
print("exit code:", code)
"""


@pytest.mark.slow
def test_cli_args_skip_qt(tmp_path: Path) -> None:
    environment = dict(os.environ, XDG_DATA_HOME=str(tmp_path), XDG_STATE_HOME=str(tmp_path))
    completed = subprocess.run(
        [sys.executable, "-c", PROBE, "--help"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=environment,
        timeout=60,
        check=False,
    )

    assert "PySide6 loaded: False" in completed.stdout
    assert "exit code: 0" in completed.stdout
    assert "usage" in completed.stdout.lower()


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        ([], (True, None)),
        (["--db", "a.db"], (True, Path("a.db"))),
        (["--db=b.db"], (True, Path("b.db"))),
        (["--help"], (False, None)),
        (["--db", "a.db", "info"], (False, None)),
        (["info"], (False, None)),
        (["--db", "a.db", "-v"], (True, Path("a.db"))),
        (["--verbose", "--db=b.db"], (True, Path("b.db"))),
        (["-v"], (True, None)),
        (["--db"], (False, None)),
        (["--json"], (False, None)),
    ],
)
def test_launcher_argument_split(argv: list[str], expected: tuple[bool, Path | None]) -> None:
    assert gui_database_path(argv) == expected


def test_verbose_flag_reaches_gui() -> None:
    assert gui_options(["--db", "a.db", "-v"]) == GuiOptions(Path("a.db"), verbose=True)
    assert gui_options(["--db", "a.db"]) == GuiOptions(Path("a.db"), verbose=False)
    assert gui_options(["-v", "info"]) is None
