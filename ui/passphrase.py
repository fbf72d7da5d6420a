"""The recovery passphrase: asking for it at start, and generating a new one at set-up."""

import logging
import secrets
from collections.abc import Callable
from functools import cache
from pathlib import Path

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from app.db.database import Database
from app.errors import WrongPassphraseError
from app.paths import key_file_path
from ui.resources import resource_path

log = logging.getLogger(__name__)

WORDLIST_FILE = "wordlist.txt"
# 6 words from about 2,300 give about 67 bits, and Argon2id makes each guess slow.
DEFAULT_WORD_COUNT = 6
MIN_WORDS_IN_LIST = 2000
# Each try costs an Argon2id derivation, and after this many the start ends with the error.
MAX_PASSPHRASE_ATTEMPTS = 5
TYPING_HINT = (
    "The passphrase is case-sensitive, and spaces and hyphens count: type it exactly as printed."
)


@cache
def load_wordlist() -> tuple[str, ...]:
    """Return the bundled word list, or raise RuntimeError when it is missing or short."""
    path = resource_path(WORDLIST_FILE)
    words = tuple(
        sorted({line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line})
    )
    if len(words) < MIN_WORDS_IN_LIST:
        raise RuntimeError(f"the word list {path} has {len(words)} words; it needs 2,000")
    return words


def generate_passphrase(word_count: int = DEFAULT_WORD_COUNT) -> str:
    """Return `word_count` random words joined by hyphens, chosen with `secrets`."""
    words = load_wordlist()
    return "-".join(secrets.choice(words) for _ in range(word_count))


class PassphraseDialog(QDialog):
    """Asks for the recovery passphrase when the keyring has no key for the database."""

    def __init__(
        self, database_path: Path, parent: QWidget | None = None, problem: str = ""
    ) -> None:
        super().__init__(parent)
        self.setObjectName("passphraseDialog")
        self.setWindowTitle("Recovery passphrase needed")
        intro = QLabel(
            f"This computer does not have the key for the database <b>{database_path.name}</b> "
            "in its keyring. Type the recovery passphrase from the printed recovery sheet. "
            f"The key file is <code>{key_file_path(database_path)}</code>."
        )
        intro.setWordWrap(True)
        hint = QLabel(TYPING_HINT)
        hint.setObjectName("subtleText")
        hint.setWordWrap(True)
        self.problem = QLabel(problem)
        self.problem.setObjectName("fieldProblem")
        self.problem.setWordWrap(True)
        self.problem.setAccessibleName("Passphrase problem")
        self.problem.setVisible(bool(problem))

        self.passphrase = QLineEdit()
        self.passphrase.setObjectName("passphraseInput")
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.passphrase.setAccessibleName("Recovery passphrase")

        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Open database")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)

        form = QFormLayout()
        form.addRow("Recovery &passphrase:", self.passphrase)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.problem)
        layout.addWidget(hint)
        layout.addWidget(buttons)
        self.setMinimumWidth(480)
        self.passphrase.setFocus()


PassphraseProvider = Callable[[Path], str | None]


def passphrase_provider(parent: QWidget | None = None, problem: str = "") -> PassphraseProvider:
    """Return a `Database.open` passphrase provider that shows PassphraseDialog.

    A non-empty `problem` (why the last passphrase failed) is shown above the field.
    """

    def ask(database_path: Path) -> str | None:
        dialog = PassphraseDialog(database_path, parent, problem)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            log.info("recovery passphrase prompt cancelled")
            return None
        return dialog.passphrase.text()

    return ask


def dialog_provider(problem: str) -> PassphraseProvider:
    """Return a provider that asks with a parentless PassphraseDialog showing `problem`."""
    return passphrase_provider(None, problem)


def open_with_passphrase_retries(
    path: Path,
    make_provider: Callable[[str], PassphraseProvider] = dialog_provider,
    attempts: int = MAX_PASSPHRASE_ATTEMPTS,
) -> Database:
    """Open the database at `path`, asking again after a wrong passphrase.

    `make_provider(problem)` returns the provider for one try, and `problem` says why the
    previous try failed. After `attempts` wrong passphrases the last WrongPassphraseError
    is raised. Other errors, and a cancelled prompt, are raised at once.
    """
    if attempts < 1:
        raise ValueError(f"attempts must be at least 1, not {attempts}")
    problem = ""
    for attempt in range(1, attempts + 1):
        try:
            return Database.open(path, make_provider(problem))
        except WrongPassphraseError as error:
            log.info("wrong recovery passphrase, attempt %d of %d", attempt, attempts)
            if attempt == attempts:
                raise
            left = attempts - attempt
            problem = f"{error} {left} {'try' if left == 1 else 'tries'} left."
    raise AssertionError("unreachable: the last attempt returns or raises")
