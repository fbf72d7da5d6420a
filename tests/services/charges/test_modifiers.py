"""Modifiers: the HCPCS seed, checks on a line's modifiers, editing, and modifier rules."""

import uuid

import pytest
from sqlalchemy import select

from app.db.database import Database
from app.errors import PermissionDeniedError
from app.models.charges import Modifier
from app.problems import Problem, Severity
from app.services import modifiers
from app.services.modifiers import ModifierForm, ModifierRuleForm
from tests.helpers.fee_data import FeePractice, build_fee_practice

LINE_FIELD = "lines[0].modifiers"
CPT_MODIFIERS = ("25", "26", "50", "51", "59", "76", "91", "95")


@pytest.fixture
def practice(database: Database) -> FeePractice:
    practice = build_fee_practice(database)
    with database.transaction() as session:
        modifiers.seed_standard_modifiers(session, practice.manager)
    return practice


def save_modifier(database: Database, practice: FeePractice, form: ModifierForm) -> list[Problem]:
    with database.transaction() as session:
        outcome = modifiers.save_modifier(session, practice.manager, form)
    return list(outcome.problems)


def add_cpt_25(database: Database, practice: FeePractice) -> None:
    assert save_modifier(database, practice, ModifierForm("25", "Separate E/M, same day")) == []


def save_rule(database: Database, practice: FeePractice, form: ModifierRuleForm) -> list[Problem]:
    with database.transaction() as session:
        outcome = modifiers.save_modifier_rule(session, practice.manager, form)
    return list(outcome.problems)


def line_problems(database: Database, *codes: str) -> list[str]:
    with database.session() as session:
        return [
            problem.message for problem in modifiers.modifier_problems(session, codes, LINE_FIELD)
        ]


def required(
    database: Database, code: str, payer_id: uuid.UUID | None, *codes: str
) -> list[Problem]:
    with database.session() as session:
        return modifiers.required_modifier_problems(session, code, codes, payer_id, LINE_FIELD)


# ---- the HCPCS Level II seed -----------------------------------------------------------------


def test_seed_adds_hcpcs_only(database: Database, practice: FeePractice) -> None:
    with database.session() as session:
        labels = modifiers.modifier_labels(session)
        sources = set(session.scalars(select(Modifier.source)))

    assert labels["RT"] == "Right side"
    assert labels["GT"]
    assert {"GA", "GY", "GZ", "GP", "GO", "GN", "KX", "LT", "TC", "XE", "XP", "XS", "XU"} <= set(
        labels
    )
    assert sources == {"CMS HCPCS Level II"}
    for code in CPT_MODIFIERS:
        assert code not in labels, code


def test_seed_twice_adds_nothing(database: Database, practice: FeePractice) -> None:
    with database.transaction() as session:
        changes = modifiers.seed_standard_modifiers(session, practice.manager)
        count = len(modifiers.modifier_labels(session))

    assert changes.kinds == frozenset()
    assert count == len(modifiers.STANDARD_MODIFIERS)


def test_seed_keeps_practice_changes(database: Database, practice: FeePractice) -> None:
    with database.session() as session:
        right = session.scalars(select(Modifier).where(Modifier.code == "RT")).one()
        left = session.scalars(select(Modifier).where(Modifier.code == "LT")).one()
    save_modifier(database, practice, ModifierForm("RT", "Right", right.id))
    with database.transaction() as session:
        modifiers.archive_modifier(session, practice.manager, left.id)
        modifiers.seed_standard_modifiers(session, practice.manager)
        labels = modifiers.modifier_labels(session)

    assert labels["RT"] == "Right"
    assert "LT" not in labels


def test_seed_needs_code_set_edit(database: Database, practice: FeePractice) -> None:
    with database.transaction() as session, pytest.raises(PermissionDeniedError):
        modifiers.seed_standard_modifiers(session, practice.biller)


def test_standard_codes_are_two_characters() -> None:
    codes = [code for code, _label in modifiers.STANDARD_MODIFIERS]

    assert all(len(code) == 2 and code.isalnum() and code.isupper() for code in codes)
    assert len(codes) == len(set(codes))


# ---- a line's modifiers ------------------------------------------------------------------------


def test_known_modifiers_pass(database: Database, practice: FeePractice) -> None:
    assert line_problems(database, "rt", " GT ", "", "XS") == []


@pytest.mark.parametrize("typed", ["R", "RTT", "R-", "2 5", "é1"])
def test_modifier_format(database: Database, practice: FeePractice, typed: str) -> None:
    messages = line_problems(database, typed)

    assert len(messages) == 1
    assert "is not valid; a modifier is two letters or digits" in messages[0]


def test_unknown_modifier_named(database: Database, practice: FeePractice) -> None:
    messages = line_problems(database, "RT", "25")

    assert messages == [
        "Modifier 25 is not in the practice's modifier list; check the code, or add it in "
        "Admin → Code sets."
    ]


def test_repeated_modifier(database: Database, practice: FeePractice) -> None:
    messages = line_problems(database, "RT", "rt")

    assert messages == ["Modifier RT is entered 2 times; enter it once."]


def test_problem_field_kept(database: Database, practice: FeePractice) -> None:
    with database.session() as session:
        problems = modifiers.modifier_problems(session, ["ZZ"], "lines[3].modifiers")

    assert [problem.field for problem in problems] == ["lines[3].modifiers"]


# ---- editing modifiers ---------------------------------------------------------------------------


def test_add_cpt_modifier(database: Database, practice: FeePractice) -> None:
    add_cpt_25(database, practice)

    with database.session() as session:
        row = session.scalars(select(Modifier).where(Modifier.code == "25")).one()

    assert row.label == "Separate E/M, same day"
    assert row.source == "typed"
    assert line_problems(database, "25") == []


def test_add_duplicate_modifier(database: Database, practice: FeePractice) -> None:
    problems = save_modifier(database, practice, ModifierForm("rt", "Right again"))

    assert [problem.field for problem in problems] == ["code"]
    assert "already in the list" in problems[0].message


@pytest.mark.parametrize(
    ("code", "label", "field"),
    [("", "Label", "code"), ("R", "Label", "code"), ("9X9", "Label", "code"), ("Q1", "", "label")],
)
def test_modifier_form_problems(
    database: Database, practice: FeePractice, code: str, label: str, field: str
) -> None:
    problems = save_modifier(database, practice, ModifierForm(code, label))

    assert [problem.field for problem in problems] == [field]


def test_edit_label_keeps_code(database: Database, practice: FeePractice) -> None:
    with database.session() as session:
        row = session.scalars(select(Modifier).where(Modifier.code == "GT")).one()

    save_modifier(database, practice, ModifierForm("XX", "Telehealth video", row.id))

    with database.session() as session:
        labels = modifiers.modifier_labels(session)
    assert labels["GT"] == "Telehealth video"
    assert "XX" not in labels


def test_archive_then_restore(database: Database, practice: FeePractice) -> None:
    with database.transaction() as session:
        row = session.scalars(select(Modifier).where(Modifier.code == "GZ")).one()
        modifiers.archive_modifier(session, practice.manager, row.id)
        archived_id = row.id

    assert line_problems(database, "GZ") == [
        "Modifier GZ is not in the practice's modifier list; check the code, or add it in "
        "Admin → Code sets."
    ]
    assert save_modifier(database, practice, ModifierForm("gz", "Expected denial")) == []
    with database.session() as session:
        listed = modifiers.list_modifiers(session, practice.manager)
    restored = next(summary for summary in listed if summary.code == "GZ")
    assert restored.id == archived_id
    assert restored.label == "Expected denial"
    assert line_problems(database, "GZ") == []


def test_list_shows_archived_on_request(database: Database, practice: FeePractice) -> None:
    with database.transaction() as session:
        row = session.scalars(select(Modifier).where(Modifier.code == "TC")).one()
        modifiers.archive_modifier(session, practice.manager, row.id)
        active = [summary.code for summary in modifiers.list_modifiers(session, practice.manager)]
        every = modifiers.list_modifiers(session, practice.manager, include_archived=True)

    assert "TC" not in active
    assert [summary.archived for summary in every if summary.code == "TC"] == [True]


def test_edit_needs_code_set_edit(database: Database, practice: FeePractice) -> None:
    with database.transaction() as session, pytest.raises(PermissionDeniedError):
        modifiers.save_modifier(session, practice.biller, ModifierForm("25", "Separate E/M"))


# ---- rules ---------------------------------------------------------------------------------------


def test_rule_for_all_payers(database: Database, practice: FeePractice) -> None:
    add_cpt_25(database, practice)
    # The note's own full stop is dropped inside the parentheses of the message.
    rule = ModifierRuleForm("99213", "25", None, "Billed with a same-day procedure.")
    assert save_rule(database, practice, rule) == []

    missing = required(database, "99213", practice.aetna_id)
    no_payer = required(database, " 99213 ", None, "RT")

    assert [problem.message for problem in missing] == [
        "99213 needs modifier 25 (Billed with a same-day procedure); add it to the line."
    ]
    assert missing[0].field == LINE_FIELD
    assert missing[0].severity is Severity.ERROR
    assert len(no_payer) == 1
    assert required(database, "99213", None, "25") == []
    assert required(database, "99214", None) == []


def test_rule_for_one_payer(database: Database, practice: FeePractice) -> None:
    assert (
        save_rule(database, practice, ModifierRuleForm("J1100", "JW JZ", practice.aetna_id)) == []
    )

    for_aetna = required(database, "J1100", practice.aetna_id)

    assert [problem.message for problem in for_aetna] == [
        "J1100 needs one of the modifiers JW, JZ for Aetna; add it to the line."
    ]
    assert required(database, "J1100", practice.aetna_id, "jz") == []
    assert required(database, "J1100", practice.cigna_id) == []
    assert required(database, "J1100", None) == []


def test_rules_for_all_and_payer(database: Database, practice: FeePractice) -> None:
    save_rule(database, practice, ModifierRuleForm("99214", "GT", None))
    save_rule(database, practice, ModifierRuleForm("99214", "KX", practice.cigna_id))

    assert len(required(database, "99214", practice.cigna_id)) == 2
    assert len(required(database, "99214", practice.cigna_id, "GT")) == 1
    assert required(database, "99214", practice.cigna_id, "GT", "KX") == []
    assert len(required(database, "99214", practice.aetna_id)) == 1


def test_rule_duplicate_rejected(database: Database, practice: FeePractice) -> None:
    save_rule(database, practice, ModifierRuleForm("99214", "GT", practice.aetna_id))

    problems = save_rule(database, practice, ModifierRuleForm("99214", "XU", practice.aetna_id))
    other_payer = save_rule(database, practice, ModifierRuleForm("99214", "XU", practice.cigna_id))

    assert [problem.field for problem in problems] == ["procedure_code"]
    assert "A rule for 99214 and Aetna already exists" in problems[0].message
    assert other_payer == []


@pytest.mark.parametrize(
    ("code", "typed", "field"),
    [
        ("", "GT", "procedure_code"),
        ("992133", "GT", "procedure_code"),
        ("99213", "", "modifiers"),
        ("99213", "GT 25", "modifiers"),
        ("99213", "GT G", "modifiers"),
    ],
)
def test_rule_form_problems(
    database: Database, practice: FeePractice, code: str, typed: str, field: str
) -> None:
    problems = save_rule(database, practice, ModifierRuleForm(code, typed))

    errors = [problem for problem in problems if problem.severity is Severity.ERROR]
    assert [problem.field for problem in errors] == [field]


def test_rule_unknown_code_warns(database: Database, practice: FeePractice) -> None:
    with database.transaction() as session:
        outcome = modifiers.save_modifier_rule(
            session, practice.manager, ModifierRuleForm("97110", "GP")
        )

    assert outcome.saved
    assert [problem.severity for problem in outcome.problems] == [Severity.WARNING]
    assert len(required(database, "97110", None)) == 1


def test_rule_edit_and_remove(database: Database, practice: FeePractice) -> None:
    save_rule(database, practice, ModifierRuleForm("99213", "GT", None, "Video visits"))
    with database.session() as session:
        rule = modifiers.list_modifier_rules(session, practice.manager)[0]

    edited = ModifierRuleForm("99213", "gt, xu", None, "", rule.id)
    assert save_rule(database, practice, edited) == []
    with database.transaction() as session:
        listed = modifiers.list_modifier_rules(session, practice.manager)
        modifiers.remove_modifier_rule(session, practice.manager, rule.id)
        after = modifiers.list_modifier_rules(session, practice.manager)

    assert [(row.modifiers, row.note) for row in listed] == [(("GT", "XU"), "")]
    assert after == []
    assert required(database, "99213", None) == []


def test_rule_list_names_payer(database: Database, practice: FeePractice) -> None:
    save_rule(database, practice, ModifierRuleForm("99214", "GT", practice.aetna_id))
    save_rule(database, practice, ModifierRuleForm("99214", "XU", None))

    with database.session() as session:
        rules = modifiers.list_modifier_rules(session, practice.manager)

    assert [(rule.payer_name, rule.modifiers) for rule in rules] == [
        ("", ("XU",)),
        ("Aetna", ("GT",)),
    ]


def test_rules_need_code_set_edit(database: Database, practice: FeePractice) -> None:
    with database.transaction() as session, pytest.raises(PermissionDeniedError):
        modifiers.save_modifier_rule(session, practice.biller, ModifierRuleForm("99213", "GT"))
