"""The result the encounter editor's writes hand back to the GUI thread."""

from dataclasses import dataclass

from sqlalchemy.orm import Session

from app.changes import Changes
from app.problems import Problem
from app.security.permissions import Actor
from app.services.charge_estimate import ChargeEstimate
from app.services.outcomes import SaveOutcome
from ui.charges.editor_data import EditorData, load_editor_data


@dataclass(frozen=True, slots=True)
class WriteResult:
    """A write and the encounter as it reads afterwards; `changes` reaches the open views.

    `data` is None when problems stopped the write; `problems` may also list warnings,
    and errors that block posting but not saving a draft. `estimate` is set by the check
    before posting.
    """

    changes: Changes
    data: EditorData | None
    problems: tuple[Problem, ...] = ()
    estimate: ChargeEstimate | None = None


def after_save(session: Session, actor: Actor, outcome: SaveOutcome) -> WriteResult:
    """Return the saved encounter as it now reads, or the problems that stopped the save."""
    if outcome.record_id is None:
        return WriteResult(Changes(), None, outcome.problems)
    data = load_editor_data(session, actor, outcome.record_id)
    return WriteResult(outcome.changes, data, outcome.problems)
