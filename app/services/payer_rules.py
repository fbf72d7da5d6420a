"""Payer-specific claim rules, read from TOML files instead of code.

ClinicDesk ships resources/payer_rules/: default.toml applies to every claim, and other
files apply when their [match] table names the payer's code (NM109) or the claim filing
indicator (SBR09). An administrator can put files of the same format in the
payer_rules folder of the user data folder: a file there replaces the bundled file of
the same name, and a new name adds a file.

For one claim, the rules of every file that applies are combined in this order:
default.toml, the files matched by claim filing indicator, then the files matched by
payer code, each group in file-name order. Code lists add up (a code listed in any
applying file is checked), and the single settings `timely_filing` and `taxonomy`
take the value of the last applying file that sets them.
"""

import functools
import logging
import re
import sys
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, NoReturn

from app.errors import UserError
from app.paths import data_dir

log = logging.getLogger(__name__)

RULES_FOLDER = "payer_rules"
DEFAULT_FILE = "default.toml"

_CODE = re.compile(r"[0-9A-Z]{5}")
_PREFIX = re.compile(r"[0-9A-Z]{1,4}\*")
_RANGE = re.compile(r"([0-9A-Z]{5})-([0-9A-Z]{5})")
_MODIFIER = re.compile(r"[0-9A-Z]{2}")

_TOP_KEYS = frozenset({
    "name", "match", "timely_filing", "taxonomy", "referring_provider",
    "prior_authorization", "ndc", "max_units", "required_modifiers",
})  # fmt: skip


class PayerRulesError(UserError):
    """A payer rule file cannot be read; the message names the file, the key and the fix."""


class TimelyFiling(StrEnum):
    """Method of counting the filing deadline from the date of service."""

    PAYER_DAYS = "payer_days"  # the payer record's timely_filing_days
    ONE_CALENDAR_YEAR = "one_calendar_year"  # same date next year; February 29 -> February 28


@dataclass(frozen=True, slots=True)
class CodeSet:
    """Procedure codes given as exact codes ("97110"), prefixes ("J*") or ranges ("70010-79999").

    A range matches codes of five characters that sort between its ends, inclusive.
    """

    patterns: tuple[str, ...]

    def matches(self, code: str) -> bool:
        """Return True when `code` is listed by any pattern."""
        code = code.strip().upper()
        return any(_pattern_matches(pattern, code) for pattern in self.patterns)


def _pattern_matches(pattern: str, code: str) -> bool:
    if pattern.endswith("*"):
        return code.startswith(pattern[:-1])
    ends = _RANGE.fullmatch(pattern)
    if ends is not None:
        return len(code) == 5 and ends.group(1) <= code <= ends.group(2)
    return code == pattern


@dataclass(frozen=True, slots=True)
class CodeRule:
    """Codes a rule applies to, why payers reject a claim that breaks it, and its file."""

    codes: CodeSet
    why: str
    source: str


@dataclass(frozen=True, slots=True)
class UnitLimit:
    """Maximum units of the listed codes a payer pays for one patient on one day."""

    codes: CodeSet
    max_units: int
    why: str
    source: str


@dataclass(frozen=True, slots=True)
class ModifierRequirement:
    """Lines with the listed codes must carry at least one of `modifiers`."""

    codes: CodeSet
    modifiers: frozenset[str]
    why: str
    source: str


@dataclass(frozen=True, slots=True)
class PayerRules:
    """The combined rules for one payer's claims."""

    sources: tuple[str, ...] = ()
    timely_filing: TimelyFiling = TimelyFiling.PAYER_DAYS
    timely_filing_why: str = ""
    taxonomy_required: bool = False
    taxonomy_why: str = ""
    referring_provider: tuple[CodeRule, ...] = ()
    prior_authorization: tuple[CodeRule, ...] = ()
    ndc: tuple[CodeRule, ...] = ()
    unit_limits: tuple[UnitLimit, ...] = ()
    required_modifiers: tuple[ModifierRequirement, ...] = ()


@dataclass(frozen=True, slots=True)
class RuleFile:
    """One parsed rule file: what it matches and the rules it adds."""

    file_name: str
    name: str
    claim_filing_indicators: frozenset[str]
    payer_codes: frozenset[str]
    settings: Mapping[str, Any]  # the validated tables other than name and match


@dataclass(frozen=True, slots=True)
class PayerRuleBook:
    """Every rule file that was read, ready to combine per payer."""

    files: tuple[RuleFile, ...] = field(default=())

    def rules_for(self, payer_code: str, claim_filing_indicator: str) -> PayerRules:
        """Combine default.toml with the files that match this payer code or indicator."""
        indicator = claim_filing_indicator.strip().upper()
        code = payer_code.strip().upper()
        default = [rule for rule in self.files if rule.file_name == DEFAULT_FILE]
        by_indicator = [rule for rule in self.files if indicator in rule.claim_filing_indicators]
        by_payer = [
            rule for rule in self.files if code in rule.payer_codes and rule not in by_indicator
        ]
        return _combine([*default, *by_indicator, *by_payer])


def _combine(files: Sequence[RuleFile]) -> PayerRules:
    combined: dict[str, Any] = {"sources": tuple(rule.file_name for rule in files)}
    lists: dict[str, list[Any]] = {
        "referring_provider": [],
        "prior_authorization": [],
        "ndc": [],
        "unit_limits": [],
        "required_modifiers": [],
    }
    for rule in files:
        settings = rule.settings
        if "timely_filing" in settings:
            combined["timely_filing"], combined["timely_filing_why"] = settings["timely_filing"]
        if "taxonomy" in settings:
            combined["taxonomy_required"], combined["taxonomy_why"] = settings["taxonomy"]
        for key, values in lists.items():
            values.extend(settings.get(key, ()))
    combined.update({key: tuple(values) for key, values in lists.items()})
    return PayerRules(**combined)


# ---- reading files ----------------------------------------------------------------------


def bundled_rules_folder() -> Path:
    """Return resources/payer_rules, from source or from the PyInstaller bundle."""
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root is not None:
        return Path(frozen_root) / "resources" / RULES_FOLDER
    return Path(__file__).resolve().parents[2] / "resources" / RULES_FOLDER


def local_rules_folder() -> Path:
    """Return the administrator's folder of rule files, which may not exist."""
    return data_dir() / RULES_FOLDER


def load_payer_rules(folders: Sequence[Path] | None = None) -> PayerRuleBook:
    """Read every *.toml file in `folders`; a later folder's file replaces an earlier namesake.

    The default folders are the bundled one, then the administrator's. Raises
    PayerRulesError naming the file and the problem when a file is not valid.
    """
    chosen = (bundled_rules_folder(), local_rules_folder()) if folders is None else folders
    paths: dict[str, Path] = {}
    for folder in chosen:
        if folder.is_dir():
            paths.update({path.name: path for path in sorted(folder.glob("*.toml"))})
    files = tuple(_read_file(paths[name]) for name in sorted(paths))
    log.info("read %d payer rule files", len(files))
    return PayerRuleBook(files)


@functools.lru_cache(maxsize=8)
def _parse_cached(path: Path, modified_ns: int, size: int) -> RuleFile:
    # The cache key includes the modification time and size, so an edited file is read again.
    del modified_ns, size
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise PayerRulesError(
            f"Payer rule file {path} is not valid TOML ({error}); fix that line and scrub again."
        ) from error
    except (OSError, UnicodeDecodeError) as error:
        raise PayerRulesError(
            f"Payer rule file {path} could not be read ({error}); check that it is a UTF-8 "
            "text file ClinicDesk may read."
        ) from error
    return parse_rule_file(path.name, data)


def _read_file(path: Path) -> RuleFile:
    stat = path.stat()
    return _parse_cached(path, stat.st_mtime_ns, stat.st_size)


def parse_rule_file(file_name: str, data: Mapping[str, Any]) -> RuleFile:
    """Validate one file's parsed TOML and return it, or raise PayerRulesError."""
    reader = _Reader(file_name)
    unknown = sorted(set(data) - _TOP_KEYS)
    if unknown:
        reader.fail(
            unknown[0],
            f"is not a rule this version knows; use one of {', '.join(sorted(_TOP_KEYS))}",
        )

    match = reader.table(data, "match")
    if file_name != DEFAULT_FILE and not match:
        reader.fail(
            "match", "is missing; say which claim_filing_indicators or payer_codes it is for"
        )
    reader.only_keys(match, "match", {"claim_filing_indicators", "payer_codes"})

    settings: dict[str, Any] = {}
    if "timely_filing" in data:
        settings["timely_filing"] = reader.timely_filing(data["timely_filing"])
    if "taxonomy" in data:
        settings["taxonomy"] = reader.taxonomy(data["taxonomy"])
    for key in ("referring_provider", "prior_authorization", "ndc"):
        if key in data:
            settings[key] = [reader.code_rule(data[key], key)]
    settings["unit_limits"] = [
        reader.unit_limit(entry, index)
        for index, entry in enumerate(reader.array(data, "max_units"))
    ]
    settings["required_modifiers"] = [
        reader.modifier_requirement(entry, index)
        for index, entry in enumerate(reader.array(data, "required_modifiers"))
    ]

    return RuleFile(
        file_name=file_name,
        name=reader.text(data, "name", required=False) or file_name,
        claim_filing_indicators=frozenset(reader.words(match, "claim_filing_indicators")),
        payer_codes=frozenset(reader.words(match, "payer_codes")),
        settings=settings,
    )


@dataclass(frozen=True, slots=True)
class _Reader:
    """Validators for one file's values; each failure names the file and the key."""

    file_name: str

    def fail(self, key: str, problem: str) -> NoReturn:
        raise PayerRulesError(
            f"Payer rule file {self.file_name}: {key} {problem}. Fix the file and scrub again."
        )

    def table(self, data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
        value = data.get(key, {})
        if not isinstance(value, dict):
            self.fail(key, "must be a table, such as [" + key + "]")
        return value

    def array(self, data: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
        value = data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(entry, dict) for entry in value):
            self.fail(key, f"must be an array of tables, written [[{key}]]")
        return value

    def only_keys(self, table: Mapping[str, Any], name: str, allowed: set[str]) -> None:
        unknown = sorted(set(table) - allowed)
        if unknown:
            self.fail(f"{name}.{unknown[0]}", f"is not known; use {', '.join(sorted(allowed))}")

    def text(self, table: Mapping[str, Any], key: str, *, required: bool = True) -> str:
        value = table.get(key, "")
        if not isinstance(value, str):
            self.fail(key, "must be text in quotes")
        if required and not value.strip():
            self.fail(key, "is missing")
        return str(value).strip()

    def words(self, table: Mapping[str, Any], key: str) -> list[str]:
        value = table.get(key, [])
        if not isinstance(value, list) or not all(isinstance(word, str) for word in value):
            self.fail(key, 'must be a list of quoted values, such as ["MB"]')
        return [word.strip().upper() for word in value]

    def codes(self, table: Mapping[str, Any], name: str) -> CodeSet:
        patterns = self.words(table, "codes")
        if not patterns:
            self.fail(f"{name}.codes", "is empty; list at least one procedure code")
        for pattern in patterns:
            if not (
                _CODE.fullmatch(pattern) or _PREFIX.fullmatch(pattern) or _valid_range(pattern)
            ):
                self.fail(
                    f"{name}.codes",
                    f'contains "{pattern}", which is not a code ("97110"), a prefix ("J*") '
                    'or a range with the lower code first ("70010-79999")',
                )
        return CodeSet(tuple(patterns))

    def timely_filing(self, value: Any) -> tuple[TimelyFiling, str]:
        if not isinstance(value, dict):
            self.fail("timely_filing", "must be a table with rule and why")
        self.only_keys(value, "timely_filing", {"rule", "why"})
        rule = self.text(value, "rule")
        if rule not in set(TimelyFiling):
            self.fail(
                "timely_filing.rule", f'must be "payer_days" or "one_calendar_year", not "{rule}"'
            )
        return TimelyFiling(rule), self.text(value, "why")

    def taxonomy(self, value: Any) -> tuple[bool, str]:
        if not isinstance(value, dict) or not isinstance(value.get("required"), bool):
            self.fail("taxonomy", "must be a table with required = true or false, and why")
        self.only_keys(value, "taxonomy", {"required", "why"})
        return bool(value["required"]), self.text(value, "why")

    def code_rule(self, value: Any, name: str) -> CodeRule:
        if not isinstance(value, dict):
            self.fail(name, "must be a table with codes and why")
        self.only_keys(value, name, {"codes", "why"})
        return CodeRule(self.codes(value, name), self.text(value, "why"), self.file_name)

    def unit_limit(self, value: Mapping[str, Any], index: int) -> UnitLimit:
        name = f"max_units[{index}]"
        self.only_keys(value, name, {"codes", "units", "why"})
        units = value.get("units")
        if not isinstance(units, int) or isinstance(units, bool) or units < 1:
            self.fail(f"{name}.units", "must be a whole number of 1 or more")
        return UnitLimit(
            self.codes(value, name), int(units), self.text(value, "why"), self.file_name
        )

    def modifier_requirement(self, value: Mapping[str, Any], index: int) -> ModifierRequirement:
        name = f"required_modifiers[{index}]"
        self.only_keys(value, name, {"codes", "modifiers", "why"})
        modifiers = self.words(value, "modifiers")
        if not modifiers or not all(_MODIFIER.fullmatch(modifier) for modifier in modifiers):
            self.fail(f"{name}.modifiers", 'must list two-character modifiers, such as ["GP"]')
        return ModifierRequirement(
            self.codes(value, name), frozenset(modifiers), self.text(value, "why"), self.file_name
        )


def _valid_range(pattern: str) -> bool:
    ends = _RANGE.fullmatch(pattern)
    return ends is not None and ends.group(1) <= ends.group(2)


def matching_rules(rules: Iterable[CodeRule], code: str) -> list[CodeRule]:
    """Return the rules whose code set lists `code`."""
    return [rule for rule in rules if rule.codes.matches(code)]
