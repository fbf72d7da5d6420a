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

from app.paths import key_file_path
from ui.resources import resource_path

log = logging.getLogger(__name__)

WORDLIST_FILE = "wordlist.txt"
# 6 words from about 2,300 give about 67 bits, and Argon2id makes each guess slow.
DEFAULT_WORD_COUNT = 6
MIN_WORDS_IN_LIST = 2000


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

    def __init__(self, database_path: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("passphraseDialog")
        self.setWindowTitle("Recovery passphrase needed")
        intro = QLabel(
            f"This computer does not have the key for the database <b>{database_path.name}</b> "
            "in its keyring. Type the recovery passphrase from the printed recovery sheet. "
            f"The key file is <code>{key_file_path(database_path)}</code>."
        )
        intro.setWordWrap(True)

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
        layout.addWidget(buttons)
        self.setMinimumWidth(480)


def passphrase_provider(parent: QWidget | None = None) -> Callable[[Path], str | None]:
    """Return a `Database.open` passphrase provider that shows PassphraseDialog."""

    def ask(database_path: Path) -> str | None:
        dialog = PassphraseDialog(database_path, parent)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            log.info("recovery passphrase prompt cancelled")
            return None
        return dialog.passphrase.text()

    return ask
