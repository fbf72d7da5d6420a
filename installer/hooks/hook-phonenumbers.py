"""Collect the phone-number metadata ClinicDesk uses, without the geocoder and carrier data.

This replaces the hook in pyinstaller-hooks-contrib, which collects every submodule. The app
only parses, checks and formats numbers (app/contact.py). That needs the per-region metadata
modules, which phonenumbers imports by name on first use of a region. The offline geocoder,
carrier and time-zone tables (about 40 MB of source) are never imported.
"""

from PyInstaller.utils.hooks import collect_submodules

UNUSED_TABLES = ("phonenumbers.geodata", "phonenumbers.carrierdata", "phonenumbers.tzdata")


def _used(name: str) -> bool:
    return not name.startswith(UNUSED_TABLES)


hiddenimports = collect_submodules("phonenumbers", filter=_used)
