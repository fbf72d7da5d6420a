"""Keys of the Statements page.

Each tab binds its keys as QActions with a widget-with-children context, so a key works
while the focus is anywhere on that tab and never reaches other tabs or pages.
The keys are defined in ui.help beside the other pages' keys; `STATEMENTS_KEYS` is the
list the page's key hint and the F1 help show.
"""

from collections.abc import Sequence

from ui.help import (
    STATEMENTS_EXPORT,
    STATEMENTS_FIND,
    STATEMENTS_OPEN_BATCH,
    STATEMENTS_OPEN_PDF,
    STATEMENTS_PREVIEW,
    STATEMENTS_RUN,
    STATEMENTS_SEND,
    Shortcut,
)

PREVIEW = STATEMENTS_PREVIEW
RUN = STATEMENTS_RUN
OPEN_BATCH = STATEMENTS_OPEN_BATCH
SEND_EMAILS = STATEMENTS_SEND
FIND_ACCOUNT = STATEMENTS_FIND
OPEN_PDF = STATEMENTS_OPEN_PDF
EXPORT_REPORT = STATEMENTS_EXPORT


def hint_text(shortcuts: tuple[Shortcut, ...]) -> str:
    """Return a key hint line, such as "F5: preview again · Ctrl+P: open the batch"."""
    return " · ".join(f"{shortcut.native_text()}: {_short(shortcut)}" for shortcut in shortcuts)


def _short(shortcut: Shortcut) -> str:
    # The hint drops the "Statements:" prefix that the F1 help needs to name the page.
    return shortcut.action.split(": ", 1)[-1]


def mnemonic_of(text: str) -> str | None:
    """Return the lowercase Alt letter of a caption such as "Sho&w report" ("w"), or None.

    "&&" is a literal ampersand, not a mnemonic.
    """
    index = 0
    while index < len(text) - 1:
        if text[index] == "&":
            following = text[index + 1]
            if following != "&":
                return following.lower()
            index += 1
        index += 1
    return None


def assign_mnemonics(labels: Sequence[str], taken: set[str]) -> list[str]:
    """Return `labels` with Alt letters that differ from each other and from `taken`.

    Each label gets a letter of its own text, or a digit when no letter is free. The
    assignment gives as many labels a letter as possible, so an early label does not
    take the only free letter of a later one ("Final notice" leaves "c" to
    "Collections" when it has another). A label that gets none shows its text plainly.
    The letters given are added to `taken`.
    """
    candidates = [_candidates(label, taken) for label in labels]
    owner: dict[str, int] = {}
    for index in range(len(labels)):
        _claim(index, candidates, owner, set())
    chosen = {index: letter for letter, index in owner.items()}
    taken.update(owner)
    return [_marked(label, chosen.get(index)) for index, label in enumerate(labels)]


def _candidates(label: str, taken: set[str]) -> list[str]:
    # Letters before digits, each in the order it appears, without repeats.
    letters = [character.lower() for character in label if character.isalpha()]
    digits = [character for character in label if character.isdigit()]
    return [letter for letter in dict.fromkeys(letters + digits) if letter not in taken]


def _claim(index: int, candidates: list[list[str]], owner: dict[str, int], seen: set[str]) -> bool:
    # One augmenting-path step of bipartite matching (Kuhn's algorithm): take a free
    # letter, or one whose owner can move to another letter of its own.
    for letter in candidates[index]:
        if letter in seen:
            continue
        seen.add(letter)
        if letter not in owner or _claim(owner[letter], candidates, owner, seen):
            owner[letter] = index
            return True
    return False


def _marked(label: str, letter: str | None) -> str:
    escaped = label.replace("&", "&&")
    if letter is None:
        return escaped
    index = next(i for i, character in enumerate(label) if character.lower() == letter)
    # Each "&" before `index` became "&&", which shifts the position by one.
    cut = index + label[:index].count("&")
    return f"{escaped[:cut]}&{escaped[cut:]}"
