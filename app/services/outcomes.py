"""The result of a save that validates first: the record written, or every problem found."""

import uuid
from dataclasses import dataclass, field

from app.changes import Changes
from app.errors import ValidationError
from app.problems import Problem


@dataclass(frozen=True, slots=True)
class SaveOutcome:
    """The result of a save.

    `record_id` is None when an error among `problems` stopped the save; nothing was
    written then. A saved record may still carry warnings in `problems`.
    """

    record_id: uuid.UUID | None
    created: bool = False
    problems: tuple[Problem, ...] = ()
    changes: Changes = field(default_factory=Changes)

    @property
    def saved(self) -> bool:
        """True when the record was written."""
        return self.record_id is not None

    @classmethod
    def rejected(cls, problems: list[Problem]) -> "SaveOutcome":
        """Build the outcome of a save that validation stopped."""
        return cls(record_id=None, problems=tuple(problems))

    def raise_if_rejected(self) -> None:
        """Raise ValidationError with every problem when the save was stopped.

        Callers that run inside a unit of work use it to roll back and hand the problems
        to a form that shows each one beside its field.
        """
        if not self.saved:
            raise ValidationError(list(self.problems))
