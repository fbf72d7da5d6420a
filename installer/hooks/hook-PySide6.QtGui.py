"""Collect QtGui's plug-ins except those a desktop front-office app never loads.

This replaces PyInstaller's own hook for PySide6.QtGui, which collects every plug-in of
each type QtGui uses. Dropping plug-ins here, before PyInstaller resolves their shared
libraries, also keeps out the libraries only they need (GTK's cairo and pango for the
GTK platform theme). The rest of the collection is PyInstaller's own helper.
"""

from pathlib import PurePath

from PyInstaller.utils.hooks.qt import add_qt6_dependencies

# Plug-in folders dropped whole: touch-screen and kiosk input, and embedded displays.
UNUSED_FOLDERS = {"generic", "egldeviceintegrations"}
# Platform plug-ins for embedded Linux (framebuffer, EGL full screen, VNC, Vulkan display),
# and the GTK 3 theme, which needs GTK and has Qt fall back to its own dialogs without it.
UNUSED_PREFIXES = (
    "libqeglfs",
    "libqlinuxfb",
    "libqminimalegl",
    "libqvnc",
    "libqvkkhrdisplay",
    "libqgtk3",
)


def _kept(source: str) -> bool:
    path = PurePath(source)
    if path.parent.name in UNUSED_FOLDERS:
        return False
    return not path.name.startswith(UNUSED_PREFIXES)


hiddenimports, binaries, datas = add_qt6_dependencies(__file__)
binaries = [(source, target) for source, target in binaries if _kept(source)]
