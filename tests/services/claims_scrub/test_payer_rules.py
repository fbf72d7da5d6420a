"""Payer rule files: the bundled files, matching, combining, local files and invalid files."""

import os
import tomllib
from datetime import date
from pathlib import Path

import pytest

from app.services.claim_scrub_business import add_years, filing_days_left, filing_deadline
from app.services.payer_rules import (
    CodeSet,
    PayerRulesError,
    TimelyFiling,
    bundled_rules_folder,
    load_payer_rules,
    local_rules_folder,
    parse_rule_file,
)

AETNA_RULES = """
name = "Aetna"
[match]
payer_codes = ["60054"]
[prior_authorization]
codes = ["99213"]
why = "Aetna wants approval first."
[taxonomy]
required = true
why = "Aetna matches the specialty."
"""


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_bundled_files_all_parse() -> None:
    names = sorted(path.name for path in bundled_rules_folder().glob("*.toml"))

    book = load_payer_rules([bundled_rules_folder()])

    assert names == ["default.toml", "medicaid.toml", "medicare.toml"]
    assert [rule.file_name for rule in book.files] == names


def test_commercial_payer_gets_default_only() -> None:
    rules = load_payer_rules([bundled_rules_folder()]).rules_for("60054", "CI")

    assert rules.sources == ("default.toml",)
    assert rules.timely_filing is TimelyFiling.PAYER_DAYS
    assert rules.taxonomy_required is False


def test_medicare_by_filing_indicator() -> None:
    rules = load_payer_rules([bundled_rules_folder()]).rules_for("ANY", "mb")

    assert rules.sources == ("default.toml", "medicare.toml")
    assert rules.timely_filing is TimelyFiling.ONE_CALENDAR_YEAR
    assert rules.referring_provider[0].codes.matches("85025")
    assert rules.required_modifiers[0].modifiers == frozenset({"GP", "GO", "GN"})


def test_medicaid_turns_taxonomy_on() -> None:
    rules = load_payer_rules([bundled_rules_folder()]).rules_for("ILMCD", "MC")

    assert rules.sources == ("default.toml", "medicaid.toml")
    assert rules.taxonomy_required is True
    assert rules.ndc[0].codes.matches("J1100")
    assert rules.prior_authorization[0].codes.matches("97110")


def test_payer_code_file_adds_rules(tmp_path: Path) -> None:
    write(tmp_path, "aetna.toml", AETNA_RULES)

    book = load_payer_rules([bundled_rules_folder(), tmp_path])
    aetna = book.rules_for(" 60054 ", "CI")
    other = book.rules_for("62308", "CI")

    assert aetna.sources == ("default.toml", "aetna.toml")
    assert aetna.taxonomy_required is True
    assert aetna.taxonomy_why == "Aetna matches the specialty."
    assert [rule.source for rule in aetna.prior_authorization] == ["aetna.toml"]
    assert other.prior_authorization == ()
    # The default file's daily limit still applies to Aetna's claims.
    assert [limit.source for limit in aetna.unit_limits] == ["default.toml"]


def test_local_file_replaces_bundled_namesake(tmp_path: Path) -> None:
    write(
        tmp_path,
        "medicare.toml",
        '[match]\nclaim_filing_indicators = ["MB"]\n'
        '[timely_filing]\nrule = "payer_days"\nwhy = "Local contract."\n',
    )

    rules = load_payer_rules([bundled_rules_folder(), tmp_path]).rules_for("X", "MB")

    assert rules.timely_filing is TimelyFiling.PAYER_DAYS
    assert rules.referring_provider == ()


def test_default_folders_include_local(tmp_path: Path) -> None:
    # The test environment points the user data folder at a temporary directory.
    write(local_rules_folder(), "aetna.toml", AETNA_RULES)

    rules = load_payer_rules().rules_for("60054", "CI")

    assert "aetna.toml" in rules.sources


def test_edited_file_is_read_again(tmp_path: Path) -> None:
    path = write(tmp_path, "aetna.toml", AETNA_RULES)
    assert load_payer_rules([tmp_path]).rules_for("60054", "CI").taxonomy_required

    path.write_text(AETNA_RULES.replace("required = true", "required = false"), encoding="utf-8")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))

    assert not load_payer_rules([tmp_path]).rules_for("60054", "CI").taxonomy_required


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("97110", True),
        ("j1100", True),
        ("J3490", True),
        ("70450", True),
        ("79999", True),
        ("80046", False),
        ("7045", False),
        ("99213", False),
    ],
)
def test_code_set_patterns(code: str, expected: bool) -> None:
    codes = CodeSet(("97110", "J*", "70010-79999"))

    assert codes.matches(code) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('colour = "red"', "colour is not a rule"),
        ('[prior_authorization]\ncodes = ["9921"]\nwhy = "x"', 'contains "9921"'),
        ('[prior_authorization]\ncodes = ["79999-70010"]\nwhy = "x"', 'contains "79999-70010"'),
        ('[prior_authorization]\ncodes = []\nwhy = "x"', "prior_authorization.codes is empty"),
        ('[prior_authorization]\ncodes = ["99213"]', "why is missing"),
        ('[prior_authorization]\ncodes = "99213"\nwhy = "x"', "must be a list"),
        ('[timely_filing]\nrule = "ninety_days"\nwhy = "x"', "timely_filing.rule must be"),
        ('[taxonomy]\nrequired = "yes"\nwhy = "x"', "required = true or false"),
        ('[[max_units]]\ncodes = ["97110"]\nunits = 0\nwhy = "x"', "max_units[0].units"),
        ('[[max_units]]\ncodes = ["97110"]\nunits = true\nwhy = "x"', "max_units[0].units"),
        ('[[required_modifiers]]\ncodes = ["97110"]\nmodifiers = ["G"]\nwhy = "x"', "modifiers"),
        ('[match]\nplans = ["x"]', "match.plans is not known"),
    ],
)
def test_invalid_file_named_in_error(text: str, expected: str) -> None:
    data = tomllib.loads(text)
    if "match" not in data:
        data["match"] = {"payer_codes": ["60054"]}

    with pytest.raises(PayerRulesError) as raised:
        parse_rule_file("aetna.toml", data)

    message = str(raised.value)
    assert "aetna.toml" in message
    assert expected in message


def test_file_without_match_rejected() -> None:
    with pytest.raises(PayerRulesError, match="match is missing"):
        parse_rule_file("aetna.toml", {"name": "Aetna"})


def test_broken_toml_names_file(tmp_path: Path) -> None:
    write(tmp_path, "broken.toml", "[match\n")

    with pytest.raises(PayerRulesError, match=r"broken\.toml is not valid TOML"):
        load_payer_rules([tmp_path])


@pytest.mark.parametrize(
    ("service_date", "expected"),
    [
        (date(2026, 3, 15), date(2027, 3, 15)),
        (date(2028, 2, 29), date(2029, 2, 28)),
        (date(2026, 12, 31), date(2027, 12, 31)),
    ],
)
def test_one_calendar_year_deadline(service_date: date, expected: date) -> None:
    assert add_years(service_date, 1) == expected
    assert filing_deadline(service_date, 90, TimelyFiling.ONE_CALENDAR_YEAR) == expected


def test_payer_days_deadline() -> None:
    deadline = filing_deadline(date(2026, 1, 1), 90, TimelyFiling.PAYER_DAYS)

    assert deadline == date(2026, 4, 1)
    assert filing_days_left(date(2026, 1, 1), 90, TimelyFiling.PAYER_DAYS, date(2026, 4, 1)) == 0
    assert filing_days_left(date(2026, 1, 1), 90, TimelyFiling.PAYER_DAYS, date(2026, 4, 3)) == -2
