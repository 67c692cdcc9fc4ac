"""Search of one owner's names and numbers: what a person typed, and an index to find it in.

:class:`SearchIndex` keeps an owner's search text (:func:`rcpyramid.callstore.records.
search_text`) as two long strings, one for names and one for digits, with each record's
place in them. A search is one ``str.find`` pass over each string (C speed, no Python
loop per record), and the index costs about a hundred bytes a record: the SQL backend
keeps one per owner in memory instead of decrypting every record for every search.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass

from rcpyramid.callstore.records import digits_of, normalise_text

#: Between two records in an index string (never in a value, see records.FIELD_SEPARATOR).
RECORD_SEPARATOR = "\x1e"
#: What a phone number may be written with: ``+1 (650) 555-0199``.
_NUMBERISH = re.compile(r"[0-9\s+\-().]+", re.ASCII)


@dataclass(frozen=True)
class Needle:
    """What to look for: the normalised text, and its digits when it reads as a number."""

    text: str
    digits: str

    @classmethod
    def parse(cls, typed: str) -> Needle | None:
        """None when nothing was typed (no search)."""
        text = normalise_text(typed)
        if not text:
            return None
        digits = digits_of(text) if _NUMBERISH.fullmatch(text) else ""
        return cls(text=text, digits=digits)


class SearchIndex:
    """Names and digits of many records, searchable by substring.

    Immutable once built, so threads may share it.
    """

    __slots__ = ("_digit_starts", "_digits", "_name_starts", "_names", "record_ids")

    def __init__(self, items: Iterable[tuple[str, str, str]]) -> None:
        """``items``: ``(record_id, names, digits)`` as ``search_text`` makes them."""
        ids: list[str] = []
        names: list[str] = []
        digits: list[str] = []
        for record_id, record_names, record_digits in items:
            ids.append(record_id)
            names.append(record_names)
            digits.append(record_digits)
        self.record_ids = ids
        self._names, self._name_starts = _joined(names)
        self._digits, self._digit_starts = _joined(digits)

    def __len__(self) -> int:
        return len(self.record_ids)

    def matching(self, needle: Needle) -> list[str]:
        """The ids of the records ``needle`` finds (see ``CallHistory.page``), in index order.

        An index built newest first answers newest first, with no sorting by the caller.
        """
        found = _positions(self._names, self._name_starts, needle.text)
        if needle.digits:
            found |= _positions(self._digits, self._digit_starts, needle.digits)
        ids = self.record_ids
        return [ids[position] for position in sorted(found)]


def _joined(values: list[str]) -> tuple[str, list[int]]:
    """The values as one string, and where each one starts in it."""
    starts: list[int] = []
    offset = 0
    for value in values:
        starts.append(offset)
        offset += len(value) + 1
    return RECORD_SEPARATOR.join(values), starts


def _positions(haystack: str, starts: list[int], needle: str) -> set[int]:
    """Which values of ``haystack`` contain ``needle``: one find per matching value."""
    found: set[int] = set()
    end = len(haystack)
    at = haystack.find(needle)
    while at != -1:
        position = bisect_right(starts, at) - 1
        found.add(position)
        # Go on from the next value: one hit is enough for this one.
        following = position + 1
        if following >= len(starts):
            break
        at = haystack.find(needle, starts[following], end)
    return found
