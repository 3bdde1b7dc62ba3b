"""The calendar's week grid (issue 14): the seven days Ruby reads (today onwards) as columns, hours down the side,
each meeting a block placed by its local start and end. Same meetings and visibility as the list."""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import QuerySet

from calendar_sync.models import CalendarEvent

DAYS = 7
FIRST_HOUR, LAST_HOUR = 8, 18  # widened to fit the week's meetings


@dataclass
class Block:
    event: CalendarEvent
    top: float
    height: float
    start: float = 0  # minutes since the day's midnight, local
    end: float = 0
    lane: int = 0
    lanes: int = 1

    @property
    def left(self) -> float:
        return round(100 * self.lane / self.lanes, 2)

    @property
    def width(self) -> float:
        return round(100 / self.lanes, 2)

    @property
    def css(self) -> str:
        """Position classes of static/css/week-grid.css (style attributes would need a weaker CSP)."""
        top = min(100, max(0, round(self.top)))
        height = min(100 - top, max(1, round(self.height))) or 1
        lanes = min(self.lanes, 6)
        return f"wt-{top} whh-{height} wl-{min(self.lane, lanes - 1)}-{lanes}"


@dataclass
class Day:
    day: date
    blocks: list[Block] = field(default_factory=list)
    all_day: list[CalendarEvent] = field(default_factory=list)


@dataclass
class Week:
    days: list[Day]
    hours: list[int]

    @property
    def hour_labels(self) -> list[str]:
        # The list's clock (TIME_FORMAT "g:i A"), shortened for the narrow time column: "9 AM", "12 PM".
        return [f"{h % 12 or 12} {'AM' if h < 12 else 'PM'}" for h in self.hours]


def _minutes(moment: datetime, day: date, zone) -> float:
    local = moment.astimezone(zone)
    start = datetime.combine(day, datetime.min.time(), tzinfo=zone)
    return (local - start).total_seconds() / 60


def week_grid(events: QuerySet[CalendarEvent], zone: zoneinfo.ZoneInfo, *, today: date) -> Week:
    start = datetime.combine(today, datetime.min.time(), tzinfo=zone)
    end = start + timedelta(days=DAYS)
    rows = list(events.filter(starts_at__lt=end, ends_at__gt=start).order_by("starts_at", "id"))
    days = {today + timedelta(days=n): Day(day=today + timedelta(days=n)) for n in range(DAYS)}
    timed: list[tuple[date, CalendarEvent, float, float]] = []
    first, last = FIRST_HOUR * 60, LAST_HOUR * 60
    for event in rows:
        if event.is_all_day:
            day = event.starts_at.date()
            if day in days:
                days[day].all_day.append(event)
            continue
        day = event.starts_at.astimezone(zone).date()
        if day not in days:
            continue
        s = _minutes(event.starts_at, day, zone)
        e = min(_minutes(event.ends_at, day, zone), 24 * 60)
        e = max(e, s + 15)  # a zero-length meeting still gets a visible block
        first, last = min(first, int(s // 60) * 60), max(last, int(-(-e // 60)) * 60)
        timed.append((day, event, s, e))
    span = max(last - first, 60)
    for day, event, s, e in timed:
        top, height = round(100 * (s - first) / span, 2), round(100 * (e - s) / span, 2)
        days[day].blocks.append(Block(event=event, top=top, height=height, start=s, end=e))
    for day in days.values():
        _lanes(day.blocks)
    return Week(days=list(days.values()), hours=list(range(first // 60, last // 60)))


def _lanes(blocks: list[Block]) -> None:
    """Overlapping meetings share the column side by side: greedy lanes within each cluster of overlaps."""
    cluster: list[Block] = []
    ends: list[float] = []
    cluster_end = 0.0
    for block in blocks:
        if cluster and block.start >= cluster_end:
            for b in cluster:
                b.lanes = len(ends)
            cluster, ends = [], []
        lane = next((i for i, end in enumerate(ends) if end <= block.start), None)
        if lane is None:
            ends.append(block.end)
            lane = len(ends) - 1
        else:
            ends[lane] = block.end
        block.lane = lane
        cluster_end = max(cluster_end, block.end) if cluster else block.end
        cluster.append(block)
    for b in cluster:
        b.lanes = max(len(ends), 1)
