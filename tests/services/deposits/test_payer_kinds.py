"""Payer kinds: the keys the payer column accepts, their labels and the default."""

from app.models.practice import Payer
from app.services.payer_kinds import DEFAULT_PAYER_KIND, PAYER_KINDS, payer_kind_label

SCHEMA_KINDS = (
    "commercial",
    "medicare",
    "medicaid",
    "workers_comp",
    "auto",
    "liability",
    "public_health",
    "grant",
    "employer",
    "attorney",
    "other",
)


def test_kinds_match_schema() -> None:
    assert tuple(PAYER_KINDS) == SCHEMA_KINDS
    comment = Payer.__table__.c.payer_kind.comment
    assert comment is not None
    for kind in SCHEMA_KINDS:
        assert kind in comment


def test_default_kind_is_column_default() -> None:
    assert DEFAULT_PAYER_KIND in PAYER_KINDS
    assert Payer.__table__.c.payer_kind.default.arg == DEFAULT_PAYER_KIND


def test_kind_labels() -> None:
    assert payer_kind_label("workers_comp") == "Workers' compensation"
    assert payer_kind_label("public_health") == "Public health program"
    assert payer_kind_label("barter") == "barter"
    assert all(label.strip() for label in PAYER_KINDS.values())
