"""Collect Faker's providers for English only.

This replaces the hook in pyinstaller-hooks-contrib, which ships every locale (about 13 MB).
ClinicDesk uses Faker only for its demo practice, always as Faker("en_US"). A provider with
no en_US version falls back to its own default locale, such as en_GB for bank, so every
English locale is kept. Faker finds the locales it offers by listing the provider folders
at run time, so the provider sources are shipped as data files as well.
"""

from pathlib import PurePath

from PyInstaller.utils.hooks import collect_data_files, collect_submodules

KEPT_LANGUAGE = "en"


def _is_locale(part: str) -> bool:
    # Provider folders are lowercase words ("address"). Locales look like "en", "de_CH", "fil_PH".
    language, _, region = part.partition("_")
    return language.islower() and 2 <= len(language) <= 3 and (not region or region.isupper())


def _kept(parts: tuple[str, ...]) -> bool:
    # parts: ("faker", "providers", provider, locale or file, ...)
    if len(parts) < 4 or not _is_locale(parts[3]):
        return True
    return parts[3].partition("_")[0] == KEPT_LANGUAGE


def _kept_module(name: str) -> bool:
    return _kept(tuple(name.split(".")))


def _kept_file(target: str) -> bool:
    return _kept(PurePath(target).parts)


hiddenimports = collect_submodules("faker.providers", filter=_kept_module)
datas = collect_data_files("text_unidecode") + [
    (source, target)
    for source, target in collect_data_files("faker.providers", include_py_files=True)
    if _kept_file(target + "/" + PurePath(source).name)
]
