"""An in-memory index of one ICD-10-CM edition: lookup by code, prefix and word search.

Codes are kept without the dot ("E119"). Chapters and blocks ("4", "E08-E13") are kept
only as headers for the parent chain. Search results come billable codes first.

Word search ranks every code once when the index is built (billable first, then fewer
words in the description, then code order), and each word's posting list contains
code positions in that rank order. A query walks the postings of its rarest term in rank
order, tests each code against the other terms' sets of words, and stops after `limit`
matches. A common word therefore costs no more than a rare one.
"""

import bisect
import heapq
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import accumulate

# A code-like search term: a letter, then a digit in the second or third place (E11, QA0),
# then up to four more letters or digits with an optional dot after the third character,
# such as "e1", "E11.9", "qa0.0101" or "s72001a".
_CODE_TERM = re.compile(r"[A-Za-z](?:[0-9][0-9A-Za-z]?|[A-Za-z][0-9])(?:\.?[0-9A-Za-z]{0,4})?")
_WORD = re.compile(r"[a-z0-9]+")
_SEPARATORS = re.compile(r"[\s,;]+")


@dataclass(frozen=True, slots=True)
class IndexedCode:
    """One row of an edition as the index stores it."""

    code: str  # "E119"
    description: str
    billable: bool


@dataclass(frozen=True, slots=True)
class Header:
    """A chapter or block: shown in parent chains, never searched or billed."""

    key: str  # "4" for a chapter, "E08-E13" for a block
    label: str  # "Chapter 4", "E08-E13"
    description: str


def words_of(text: str) -> list[str]:
    """Split text into lower-case words of letters and digits, accents removed (Sézary)."""
    lowered = text.lower()
    if not lowered.isascii():
        decomposed = unicodedata.normalize("NFKD", lowered)
        lowered = "".join(char for char in decomposed if not unicodedata.combining(char))
    return _WORD.findall(lowered)


def with_dot(code: str) -> str:
    """Return a stored code as people write it: "E119" becomes "E11.9"."""
    return code if len(code) <= 3 else f"{code[:3]}.{code[3:]}"


class EditionIndex:
    """Every code of one edition, ready for lookup and search."""

    def __init__(
        self,
        codes: Iterable[IndexedCode],
        parents: dict[str, str] | None = None,
        headers: Iterable[Header] = (),
    ) -> None:
        """Index `codes`; `parents` maps a code or header key to its parent's key.

        Without `parents`, a code's parent is its longest prefix that is also a code, so
        an edition made only of codes (a CDC order file) still has a chain.
        """
        by_code = {row.code: row for row in codes}
        self._by_code = by_code
        self._headers = {header.key: header for header in headers}
        self._billable_codes = sorted(code for code, row in by_code.items() if row.billable)
        self._header_codes = sorted(code for code, row in by_code.items() if not row.billable)
        self._parents = parents if parents is not None else self._parents_by_prefix()

        # Each distinct word is stored once (`shared`), however many descriptions use it.
        shared: dict[str, str] = {}
        keyed: list[tuple[tuple[bool, int, str], IndexedCode, tuple[str, ...]]] = []
        for row in by_code.values():
            all_words = words_of(row.description)
            distinct = tuple(shared.setdefault(word, word) for word in dict.fromkeys(all_words))
            keyed.append(((not row.billable, len(all_words), row.code), row, distinct))
        keyed.sort(key=lambda item: item[0])
        self._ranked = [row for _key, row, _words in keyed]
        self._ranked_words = [words for _key, _row, words in keyed]

        postings: dict[str, list[int]] = {}
        for position, words in enumerate(self._ranked_words):
            for word in words:
                postings.setdefault(word, []).append(position)
        self._vocabulary = sorted(postings)
        self._postings = [postings[word] for word in self._vocabulary]
        self._posting_ends = [0, *accumulate(len(p) for p in self._postings)]

    def _parents_by_prefix(self) -> dict[str, str]:
        parents: dict[str, str] = {}
        for code in self._by_code:
            for length in range(len(code) - 1, 2, -1):
                if code[:length] in self._by_code:
                    parents[code] = code[:length]
                    break
        return parents

    def __len__(self) -> int:
        return len(self._by_code)

    def get(self, code: str) -> IndexedCode | None:
        """Return the stored row of a code without its dot, or None."""
        return self._by_code.get(code)

    def parent_chain(self, code: str) -> list[IndexedCode | Header]:
        """Return the ancestors of `code`, outermost (the chapter, when known) first."""
        chain: list[IndexedCode | Header] = []
        key = self._parents.get(code)
        while key is not None and len(chain) < 20:
            node = self._by_code.get(key) or self._headers.get(key)
            if node is None:
                break
            chain.append(node)
            key = self._parents.get(key)
        chain.reverse()
        return chain

    def billable_example(self, code: str) -> IndexedCode | None:
        """Return one billable code under `code`: the shortest, preferring one ending in 9.

        A code ending in 9 is usually the "unspecified" or "without complications" choice
        that a user picking a more specific code looks for first (E11 -> E11.9).
        """
        start = bisect.bisect_left(self._billable_codes, code)
        shortest: list[str] = []
        for candidate in self._billable_codes[start:]:
            if not candidate.startswith(code):
                break
            if not shortest or len(candidate) < len(shortest[0]):
                shortest = [candidate]
            elif len(candidate) == len(shortest[0]):
                shortest.append(candidate)
        if not shortest:
            return None
        nines = [candidate for candidate in shortest if candidate.endswith("9")]
        return self._by_code[(nines or shortest)[0]]

    # ---- search ---------------------------------------------------------------------------

    def search(self, text: str, limit: int) -> list[IndexedCode]:
        """Return codes matching a code prefix or words of the description, billable first.

        A single code-like term ("e11", "E11.9") lists the codes starting with it. The
        code itself stays in the list even when it is a category with more codes under it
        than `limit`. Then come codes whose description has a word starting with the term
        ("b12" finds vitamin B12).
        Otherwise every term must start a word of the description, in any order; a
        code-like term among words may match the code instead.
        """
        terms = [term for term in _SEPARATORS.split(text.strip()) if term]
        if not terms or limit <= 0:
            return []
        if len(terms) == 1 and _CODE_TERM.fullmatch(terms[0]):
            code = terms[0].replace(".", "").upper()
            found = self._by_code_prefix(code, limit)
            exact = self._by_code.get(code)
            if exact is not None and exact not in found:
                # A category typed in full stays in view (last, as it is not billable), so
                # its row can show where it sits and list the codes under it.
                found = [*found[: limit - 1], exact]
            if len(found) < limit:
                seen = {row.code for row in found}
                extra = self._by_words(words_of(code), [], limit)
                found.extend(row for row in extra if row.code not in seen)
            return found[:limit]

        code_terms: list[str] = []
        word_terms: list[str] = []
        for term in terms:
            if _CODE_TERM.fullmatch(term):
                code_terms.append(term.replace(".", "").upper())
            else:
                word_terms.extend(words_of(term))
        return self._by_words(word_terms, code_terms, limit)

    def _by_code_prefix(self, prefix: str, limit: int) -> list[IndexedCode]:
        found: list[IndexedCode] = []
        for codes in (self._billable_codes, self._header_codes):
            start = bisect.bisect_left(codes, prefix)
            for code in codes[start : start + limit - len(found)]:
                if not code.startswith(prefix):
                    break
                found.append(self._by_code[code])
            if len(found) >= limit:
                break
        return found

    def _word_range(self, prefix: str) -> tuple[int, int]:
        low = bisect.bisect_left(self._vocabulary, prefix)
        high = bisect.bisect_left(self._vocabulary, prefix + "\uffff", low)
        return low, high

    def _term_words(self, term: str) -> tuple[int, int, frozenset[str]]:
        """Return a term's posting count, vocabulary range start, and the words it starts."""
        low, high = self._word_range(term)
        size = self._posting_ends[high] - self._posting_ends[low]
        return size, low, frozenset(self._vocabulary[low:high])

    def _by_words(
        self, word_terms: list[str], code_terms: list[str], limit: int
    ) -> list[IndexedCode]:
        """Return codes whose description has a word starting with each term, in rank order.

        The candidates are the postings of the term with the fewest, merged in rank order.
        When even that term covers more than half of the codes (or there is no word term),
        walking every code in rank order costs less than merging. Each candidate is then
        tested against the other terms' sets of words, rarest first, so most are rejected
        by one set operation.
        """
        terms = sorted(self._term_words(term) for term in dict.fromkeys(word_terms))
        if any(size == 0 for size, _low, _words in terms):
            return []
        candidates: Iterable[int]
        if not terms or terms[0][0] > len(self._ranked) // 2:
            candidates = range(len(self._ranked))
        else:
            _size, low, words = terms[0]
            candidates = _unique_sorted(heapq.merge(*self._postings[low : low + len(words)]))
        word_sets = [words for _size, _low, words in terms]
        code_filters = [(term, self._term_words(term.lower())[2]) for term in code_terms]

        found: list[IndexedCode] = []
        for position in candidates:
            description_words = self._ranked_words[position]
            if any(words.isdisjoint(description_words) for words in word_sets):
                continue
            row = self._ranked[position]
            if not all(
                row.code.startswith(term) or not words.isdisjoint(description_words)
                for term, words in code_filters
            ):
                continue
            found.append(row)
            if len(found) >= limit:
                break
        return found


def _unique_sorted(positions: Iterable[int]) -> Iterator[int]:
    previous = -1
    for position in positions:
        if position != previous:
            yield position
            previous = position
