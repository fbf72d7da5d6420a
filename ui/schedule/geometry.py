"""Where things sit on the calendar grid: minutes to pixels, columns to x, and back."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from PySide6.QtCore import QRectF

from app.services.calendar_view import Block, CalendarGrid, ColumnKey

HEADER_HEIGHT = 30
# Wide enough for hour labels such as "12:00 PM" (57 pixels in a 9-point sans-serif font).
GUTTER_WIDTH = 72
MIN_COLUMN_WIDTH = 120
# The grid shows at least 7:00 to 19:00 and widens to fit earlier or later visits and hours.
FIRST_HOUR = 7
LAST_HOUR = 19
ZOOM_LEVELS = (0.8, 1.2, 1.6, 2.4, 3.2)  # pixels per minute
DEFAULT_ZOOM = 2


@dataclass
class Layout:
    """The pixel layout of one grid: visible hours, zoom and column width."""

    first_hour: int = FIRST_HOUR
    last_hour: int = LAST_HOUR
    pixels_per_minute: float = ZOOM_LEVELS[DEFAULT_ZOOM]
    column_width: float = MIN_COLUMN_WIDTH
    column_count: int = 0

    @property
    def total_minutes(self) -> int:
        """Minutes from the first to the last visible hour."""
        return (self.last_hour - self.first_hour) * 60

    def height(self) -> int:
        """The grid height in pixels, header included."""
        return HEADER_HEIGHT + int(self.total_minutes * self.pixels_per_minute) + 1

    def width(self) -> int:
        """The grid width in pixels, time gutter included."""
        return GUTTER_WIDTH + int(self.column_count * self.column_width) + 1

    def y_of(self, minute: float) -> float:
        """The y of `minute` past the first visible hour."""
        return HEADER_HEIGHT + minute * self.pixels_per_minute

    def minute_at(self, y: float) -> float:
        """The minute past the first visible hour at pixel row `y`."""
        return (y - HEADER_HEIGHT) / self.pixels_per_minute

    def x_of(self, column: int) -> float:
        """The left edge of column `column`."""
        return GUTTER_WIDTH + column * self.column_width

    def column_at(self, x: float) -> int | None:
        """The column under pixel column `x`, or None over the gutter or past the last one."""
        if x < GUTTER_WIDTH:
            return None
        index = int((x - GUTTER_WIDTH) // self.column_width)
        return index if index < self.column_count else None

    def minute_of(self, moment: datetime) -> float:
        """Minutes from the first visible hour of the moment's day to `moment`."""
        return (moment.hour - self.first_hour) * 60 + moment.minute + moment.second / 60

    def moment_at(self, day: date, minute: float) -> datetime:
        """The wall-clock time `minute` past the first visible hour on `day`."""
        return datetime.combine(day, time(self.first_hour)) + timedelta(minutes=minute)

    def rect(self, column: int, start_minute: float, minutes: float) -> QRectF:
        """The rectangle of a stretch of `minutes` in `column`."""
        top = self.y_of(start_minute)
        return QRectF(
            self.x_of(column) + 2,
            top,
            self.column_width - 5,
            max(minutes * self.pixels_per_minute, 8.0),
        )


def hour_range(grid: CalendarGrid) -> tuple[int, int]:
    """Return the first and last hour the grid must show to fit every block and span."""
    first, last = FIRST_HOUR, LAST_HOUR
    moments: list[tuple[datetime, datetime]] = [(b.starts_at, b.ends_at) for b in grid.blocks]
    for spans in grid.working.values():
        moments.extend((span.start, span.end) for span in spans)
    for start, end in moments:
        first = min(first, start.hour)
        end_hour = end.hour + (1 if end.minute or end.second else 0)
        if end.date() > start.date():
            end_hour = 24
        last = max(last, end_hour)
    return first, min(last, 24)


def column_index(grid: CalendarGrid) -> dict[ColumnKey, int]:
    """Return the position of each column key."""
    return {column.key: index for index, column in enumerate(grid.columns)}


def block_lanes(blocks: list[Block]) -> dict[object, tuple[int, int]]:
    """Give overlapping blocks in one column side-by-side lanes: id to (lane, lane count).

    Blocks are grouped into clusters that overlap one another; each cluster is split
    into as many lanes as it needs, so a double booking shows both visits.
    """
    lanes: dict[object, tuple[int, int]] = {}
    ordered = sorted(blocks, key=lambda block: (block.starts_at, -block.minutes))
    cluster: list[tuple[Block, int]] = []
    cluster_end: datetime | None = None
    for block in ordered:
        if cluster_end is not None and block.starts_at >= cluster_end:
            _close_cluster(cluster, lanes)
            cluster, cluster_end = [], None
        lane = _free_lane(cluster, block)
        cluster.append((block, lane))
        cluster_end = block.ends_at if cluster_end is None else max(cluster_end, block.ends_at)
    _close_cluster(cluster, lanes)
    return lanes


def _free_lane(cluster: list[tuple[Block, int]], block: Block) -> int:
    busy = {lane for other, lane in cluster if other.ends_at > block.starts_at}
    lane = 0
    while lane in busy:
        lane += 1
    return lane


def _close_cluster(cluster: list[tuple[Block, int]], lanes: dict[object, tuple[int, int]]) -> None:
    count = max((lane for _block, lane in cluster), default=0) + 1
    for block, lane in cluster:
        lanes[block.appointment_id] = (lane, count)
