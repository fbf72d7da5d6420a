"""Measure cold start of the built bundle to the sign-in window, on a real X server.

    dbus-run-session -- sh -c 'echo bench | gnome-keyring-daemon --unlock \\
        --components=secrets >/dev/null && python bench/bench_frozen_startup.py --runs 7'

The frozen program cannot be patched to report when its window is up, so an outside
observer watches for it. Each run starts the program on Xvfb and polls `xdotool search`
every 10 ms until the "Sign in to ClinicDesk" window is visible, then ends the process. The
time counted runs from just before the process is spawned to the poll that finds the
window, so it reads up to about 15 ms late (poll interval plus one xdotool call).

The key comes from the desktop keyring, as on a normal workstation day: the script creates
a 500-patient demo database without storing its key, then has the bundle's own
`clinicdesk-cli key recover` store it through the Secret Service. That is why it runs
under dbus-run-session with an unlocked gnome-keyring. Needs Debian's xvfb, xdotool,
dbus and gnome-keyring. `--program` times another start command instead, such as a source
install's `.venv/bin/clinicdesk`, under the same conditions.
"""

import argparse
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import keyring
from keyring.backends.fail import Keyring as FailKeyring

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_BUNDLE = ROOT / "dist" / "clinicdesk"
PASSPHRASE = "bench frozen startup passphrase"  # noqa: S105 (a throwaway database made per run)
PASSWORD = "Bench-start-2024!"  # noqa: S105
WINDOW_TITLE = "^Sign in to ClinicDesk$"
DISPLAY = ":97"
POLL_SECONDS = 0.01
TIMEOUT_SECONDS = 60.0
# Absolute paths, found once. main() stops with the install command when either is missing.
XDOTOOL = shutil.which("xdotool") or ""
XVFB = shutil.which("Xvfb") or ""


def make_database(folder: Path) -> Path:
    """Create a 500-patient demo practice whose key is in no keyring yet."""
    from app.services.demo import create_demo_database

    path = folder / "clinicdesk.db"
    previous = keyring.get_keyring()
    keyring.set_keyring(FailKeyring())  # type: ignore[no-untyped-call]
    try:
        database, _actor, _summary = create_demo_database(
            path, PASSPHRASE, "admin", PASSWORD, 500, 1, datetime.now(UTC).date()
        )
        database.close()
    finally:
        keyring.set_keyring(previous)
    return path


def store_key(cli: Path, path: Path, environment: dict[str, str]) -> None:
    """Have the bundle's `clinicdesk-cli key recover` put the key into the desktop keyring."""
    subprocess.run(
        [str(cli), "key", "recover", "--db", str(path)],
        env=dict(environment, CLINICDESK_PASSPHRASE=PASSPHRASE),
        check=True,
    )


def find_window(environment: dict[str, str]) -> str | None:
    """Return the id of the visible sign-in window, or None while it is not shown yet."""
    result = subprocess.run(
        [XDOTOOL, "search", "--onlyvisible", "--name", WINDOW_TITLE],
        env=environment, capture_output=True, text=True, check=False,
    )  # fmt: skip
    found = result.stdout.split()
    return found[0] if found else None


def wait_for_display(environment: dict[str, str]) -> None:
    """Wait until Xvfb accepts clients, raising RuntimeError after 10 seconds."""
    deadline = time.perf_counter() + 10
    while time.perf_counter() < deadline:
        probe = [XDOTOOL, "getdisplaygeometry"]
        if subprocess.run(probe, env=environment, capture_output=True, check=False).returncode == 0:
            return
        time.sleep(0.1)
    raise RuntimeError(f"Xvfb did not start on display {DISPLAY} within 10 s")


def one_run(program: list[str], path: Path, environment: dict[str, str]) -> float:
    """Start the program once and return the seconds from spawn to the sign-in window."""
    started = time.perf_counter()
    process = subprocess.Popen([*program, "--db", str(path)], env=environment)
    window = None
    while window is None:
        elapsed = time.perf_counter() - started
        if process.poll() is not None or elapsed > TIMEOUT_SECONDS:
            process.kill()
            raise RuntimeError(
                f"no sign-in window after {elapsed:.1f} s (exit code {process.returncode})"
            )
        time.sleep(POLL_SECONDS)
        window = find_window(environment)
    elapsed = time.perf_counter() - started

    # The throwaway database needs no clean shutdown, and the OS drops its lock with the
    # process, so the next run can open it at once.
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description="Time frozen cold start to the sign-in window.")
    parser.add_argument("--runs", type=int, default=7, help="number of timed starts")
    parser.add_argument("--bundle", type=Path, default=DEFAULT_BUNDLE, help="bundle folder")
    parser.add_argument("--program", help="start command to time instead of the bundle's")
    args = parser.parse_args()

    if not XDOTOOL or not XVFB:
        print("xdotool and Xvfb are needed: apt-get install xvfb xdotool")
        return 2
    if not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        print("run this under dbus-run-session with gnome-keyring unlocked (see the docstring)")
        return 2
    program = args.program.split() if args.program else [str(args.bundle / "clinicdesk")]
    cli = args.bundle / "clinicdesk-cli"

    with tempfile.TemporaryDirectory() as folder:
        screen = ["-screen", "0", "1600x1000x24", "-nolisten", "tcp", "-noreset"]
        xvfb = subprocess.Popen([XVFB, DISPLAY, *screen])
        environment = dict(
            os.environ, DISPLAY=DISPLAY, QT_QPA_PLATFORM="xcb",
            XDG_DATA_HOME=folder, XDG_STATE_HOME=folder,
        )  # fmt: skip
        try:
            wait_for_display(environment)
            path = make_database(Path(folder))
            store_key(cli, path, environment)
            one_run(program, path, environment)  # warms the OS file cache, like any second start
            samples = [one_run(program, path, environment) for _ in range(args.runs)]
        finally:
            xvfb.terminate()
            xvfb.wait()

    print(f"program: {' '.join(program)}; Xvfb; {os.cpu_count()} cores")
    print(f"cold start to sign-in: median {statistics.median(samples) * 1000:.0f} ms, "
          f"min {min(samples) * 1000:.0f} ms, max {max(samples) * 1000:.0f} ms "
          f"over {args.runs} runs")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
