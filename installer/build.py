"""Build the ClinicDesk bundle for the platform this runs on, under dist/.

    python installer/build.py [--self-test] [--skip-package]

Needs the project installed with the `installer` extra (`pip install -e ".[installer]"`).
Steps, in order:

1. Render the application icon from resources/icons/clinicdesk.svg to PNG, ICO and ICNS
   under build/icons/.
2. Run PyInstaller on installer/clinicdesk.spec: dist/clinicdesk/ on Windows and Linux,
   dist/ClinicDesk.app on macOS.
3. Sign the programs when signing is configured (see below).
4. With --self-test, run `clinicdesk-cli --self-test` inside the built bundle and stop on
   failure.
5. Package, unless --skip-package: a tarball on Linux, the Inno Setup installer on Windows
   (ISCC.exe from Inno Setup 6 must be on PATH or in its default folder), a .dmg made
   with dmgbuild on macOS, then notarized when credentials are configured.

Signing is configured through environment variables and skipped when they are unset:

- Windows: WINDOWS_CERTIFICATE_FILE (a .pfx file) and WINDOWS_CERTIFICATE_PASSWORD;
  signtool.exe from the Windows SDK must be on PATH. Each .exe and the installer are
  signed with SHA-256 and an RFC 3161 timestamp from WINDOWS_TIMESTAMP_URL.
- macOS: MACOS_SIGNING_IDENTITY (a "Developer ID Application: ..." identity in the
  keychain) signs the app with the hardened runtime. APPLE_ID, APPLE_TEAM_ID and
  APPLE_APP_PASSWORD (an app-specific password) then notarize and staple the .dmg.
"""

# A build script reports progress on the console, as the bench scripts do.
# ruff: noqa: T201

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tarfile
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
INSTALLER = ROOT / "installer"
DIST = ROOT / "dist"
BUILD = ROOT / "build"
ICONS = BUILD / "icons"
SVG_ICON = ROOT / "resources" / "icons" / "clinicdesk.svg"
SPEC = INSTALLER / "clinicdesk.spec"
BUNDLE_NAME = "clinicdesk"
APP_NAME = "ClinicDesk.app"
ICON_PIXELS = 1024
ICO_SIZES = [(16, 16), (24, 24), (32, 32), (48, 48), (64, 64), (128, 128), (256, 256)]
DEFAULT_TIMESTAMP_URL = "http://timestamp.digicert.com"
INNO_SETUP_DEFAULT = Path(r"C:\Program Files (x86)\Inno Setup 6\ISCC.exe")
XCRUN = "/usr/bin/xcrun"


class BuildError(Exception):
    """A build step failed. The message names the step and what to do next."""


def project_version() -> str:
    """Return the version in pyproject.toml."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return str(project["version"])


def run(command: list[str], **options: object) -> None:
    """Run `command`, echoing it, and raise BuildError when it exits non-zero."""
    print("+ " + " ".join(command), flush=True)
    result = subprocess.run(command, check=False, **options)  # type: ignore[call-overload]
    if result.returncode != 0:
        raise BuildError(f"{Path(command[0]).name} exited with code {result.returncode}")


# ---- icons --------------------------------------------------------------------------------


def render_icons() -> None:
    """Render the SVG icon to a large PNG with Qt, then to ICO and ICNS with Pillow."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PIL import Image
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    _app = QGuiApplication.instance() or QGuiApplication([sys.argv[0]])
    image = QImage(ICON_PIXELS, ICON_PIXELS, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    QSvgRenderer(str(SVG_ICON)).render(painter)
    painter.end()

    ICONS.mkdir(parents=True, exist_ok=True)
    png = ICONS / "clinicdesk.png"
    if not image.save(str(png)):
        raise BuildError(f"could not write {png}; check that {ICONS} is writable")
    with Image.open(png) as picture:
        picture.save(ICONS / "clinicdesk.ico", sizes=ICO_SIZES)
        picture.save(ICONS / "clinicdesk.icns")
    print(f"icons written to {ICONS}", flush=True)


# ---- PyInstaller ------------------------------------------------------------------------


def run_pyinstaller() -> None:
    """Build the bundle from the spec into dist/, replacing an earlier build."""
    run(
        [
            sys.executable, "-m", "PyInstaller", "--noconfirm",
            "--distpath", str(DIST), "--workpath", str(BUILD / "pyinstaller"), str(SPEC),
        ],
        cwd=ROOT,
    )  # fmt: skip


def bundle_folder() -> Path:
    """Return the folder that contains the two programs."""
    if sys.platform == "darwin":
        return DIST / APP_NAME / "Contents" / "MacOS"
    return DIST / BUNDLE_NAME


def cli_program() -> Path:
    """Return the console program inside the bundle."""
    suffix = ".exe" if sys.platform == "win32" else ""
    return bundle_folder() / f"clinicdesk-cli{suffix}"


def folder_size(folder: Path) -> int:
    """Return the bytes of every file below `folder`, counting symbolic links as links."""
    return sum(
        path.lstat().st_size for path in folder.rglob("*") if path.is_file() or path.is_symlink()
    )


def run_self_test() -> None:
    """Run the built bundle's self-test, raising BuildError when a step fails."""
    started = time.perf_counter()
    run([str(cli_program()), "--self-test"])
    print(f"frozen self-test took {time.perf_counter() - started:.1f} s", flush=True)


# ---- signing and packaging ----------------------------------------------------------------


def sign_windows(files: list[Path]) -> None:
    """Sign `files` with signtool when a certificate is configured, else print that it skipped."""
    certificate = os.environ.get("WINDOWS_CERTIFICATE_FILE")
    if not certificate:
        print("signing skipped: WINDOWS_CERTIFICATE_FILE is not set", flush=True)
        return
    timestamp = os.environ.get("WINDOWS_TIMESTAMP_URL", DEFAULT_TIMESTAMP_URL)
    command = [
        "signtool", "sign", "/fd", "SHA256", "/td", "SHA256", "/tr", timestamp,
        "/f", certificate, "/p", os.environ.get("WINDOWS_CERTIFICATE_PASSWORD", ""),
    ]  # fmt: skip
    # The password goes to signtool only, so the echoed command line must not show it.
    print(f"+ signtool sign {' '.join(path.name for path in files)}", flush=True)
    result = subprocess.run([*command, *map(str, files)], check=False)
    if result.returncode != 0:
        raise BuildError(f"signtool exited with code {result.returncode}; check the certificate")


def inno_setup_compiler() -> Path:
    """Return ISCC.exe from PATH or Inno Setup 6's default folder."""
    found = shutil.which("ISCC") or shutil.which("iscc")
    if found:
        return Path(found)
    if INNO_SETUP_DEFAULT.exists():
        return INNO_SETUP_DEFAULT
    raise BuildError(
        "ISCC.exe was not found. Install Inno Setup 6 (https://jrsoftware.org/isinfo.php) "
        "or put ISCC.exe on PATH, or pass --skip-package."
    )


def package_windows(version: str) -> Path:
    """Build the per-machine installer with Inno Setup and sign it."""
    script = INSTALLER / "windows" / "clinicdesk.iss"
    run([
        str(inno_setup_compiler()), f"/DAppVersion={version}", f"/DSourceDir={bundle_folder()}",
        f"/DIconFile={ICONS / 'clinicdesk.ico'}", f"/O{DIST}", str(script),
    ])  # fmt: skip
    installer = DIST / f"ClinicDesk-{version}-setup.exe"
    sign_windows([installer])
    return installer


def package_macos(version: str) -> Path:
    """Build the .dmg with dmgbuild, then notarize and staple it when credentials are set."""
    dmg = DIST / f"ClinicDesk-{version}.dmg"
    dmg.unlink(missing_ok=True)
    run([
        sys.executable, "-m", "dmgbuild", "-s", str(INSTALLER / "macos" / "dmg_settings.py"),
        "-D", f"app={DIST / APP_NAME}", "-D", f"icon={ICONS / 'clinicdesk.icns'}",
        "ClinicDesk", str(dmg),
    ])  # fmt: skip
    credentials = [os.environ.get(name) for name in ("APPLE_ID", "APPLE_TEAM_ID")]
    password = os.environ.get("APPLE_APP_PASSWORD")
    if not all(credentials) or not password or not os.environ.get("MACOS_SIGNING_IDENTITY"):
        print("notarization skipped: signing identity or Apple credentials not set", flush=True)
        return dmg
    apple_id, team_id = credentials
    print(f"+ xcrun notarytool submit {dmg.name} --wait", flush=True)
    result = subprocess.run(
        [
            XCRUN, "notarytool", "submit", str(dmg), "--apple-id", str(apple_id),
            "--team-id", str(team_id), "--password", password, "--wait",
        ],
        check=False,
    )  # fmt: skip
    if result.returncode != 0:
        raise BuildError("notarytool rejected the .dmg; run 'xcrun notarytool log' for why")
    run([XCRUN, "stapler", "staple", str(dmg)])
    return dmg


def package_linux(version: str) -> Path:
    """Pack the bundle folder into a .tar.gz named with the version and machine."""
    archive = DIST / f"clinicdesk-{version}-linux-{platform.machine()}.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(bundle_folder(), arcname=BUNDLE_NAME)
    return archive


def package(version: str) -> Path:
    """Package the built bundle the way this platform installs it."""
    if sys.platform == "win32":
        return package_windows(version)
    if sys.platform == "darwin":
        return package_macos(version)
    return package_linux(version)


def main() -> int:
    """Build, optionally self-test, and package; return the exit code."""
    parser = argparse.ArgumentParser(description="Build the ClinicDesk bundle under dist/.")
    parser.add_argument("--self-test", action="store_true", help="run the built bundle's self-test")
    parser.add_argument(
        "--skip-package", action="store_true", help="stop after the bundle folder is built"
    )
    args = parser.parse_args()

    started = time.perf_counter()
    version = project_version()
    try:
        render_icons()
        run_pyinstaller()
        if sys.platform == "win32":
            sign_windows(sorted(bundle_folder().glob("*.exe")))
        size = folder_size(DIST / (APP_NAME if sys.platform == "darwin" else BUNDLE_NAME))
        print(f"bundle built: {size / 1e6:.0f} MB unpacked", flush=True)
        if args.self_test:
            run_self_test()
        if not args.skip_package:
            print(f"package written: {package(version)}", flush=True)
    except BuildError as error:
        print(f"build failed: {error}", file=sys.stderr)
        return 1
    print(f"build finished in {time.perf_counter() - started:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
