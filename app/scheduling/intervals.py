"""Half-open wall-clock intervals, the unit every conflict and availability check uses.

Times are naive datetimes in the practice's time zone. An interval includes its start and
excludes its end, so a 09:00-09:30 visit and a 09:30-10:00 visit touch but do not overlap.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True, slots=True, order=True)
class Interval:
    """The wall-clock span [start, end); `end` must not be before `start`."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"interval ends at {self.end} before it starts at {self.start}")

    @classmethod
    def of(cls, start: datetime, minutes: int) -> "Interval":
        """Build the interval that starts at `start` and lasts `minutes` minutes."""
        return cls(start, start + timedelta(minutes=minutes))

    @property
    def minutes(self) -> int:
        """Length in whole minutes."""
        return int((self.end - self.start).total_seconds() // 60)

    def overlaps(self, other: "Interval") -> bool:
        """Return True when the two share any instant (touching ends do not count)."""
        return self.start < other.end and other.start < self.end

    def contains(self, other: "Interval") -> bool:
        """Return True when `other` lies wholly inside this interval."""
        return self.start <= other.start and other.end <= self.end


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """Sort the intervals and join those that overlap or touch."""
    merged: list[Interval] = []
    for interval in sorted(intervals):
        if merged and interval.start <= merged[-1].end:
            last = merged[-1]
            merged[-1] = Interval(last.start, max(last.end, interval.end))
        else:
            merged.append(interval)
    return merged


def subtract(base: Iterable[Interval], taken: Iterable[Interval]) -> list[Interval]:
    """Return the parts of `base` that no interval in `taken` covers, sorted and merged."""
    remaining = merge(base)
    for cut in merge(taken):
        pieces: list[Interval] = []
        for interval in remaining:
            if not interval.overlaps(cut):
                pieces.append(interval)
                continue
            if interval.start < cut.start:
                pieces.append(Interval(interval.start, cut.start))
            if cut.end < interval.end:
                pieces.append(Interval(cut.end, interval.end))
        remaining = pieces
    return remaining


def covered_by(interval: Interval, cover: Iterable[Interval]) -> bool:
    """Return True when the merged `cover` contains all of `interval`."""
    return any(part.contains(interval) for part in merge(cover))


def overlapping(interval: Interval, others: Iterable[Interval]) -> list[Interval]:
    """Return the intervals of `others` that overlap `interval`, in their given order."""
    return [other for other in others if interval.overlaps(other)]
