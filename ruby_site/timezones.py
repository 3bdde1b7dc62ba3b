"""The time-zone picker: IANA zones grouped by region ("America", "Europe"…), each labelled with its current UTC
offset ("(UTC−05:00) Toronto"), ordered by offset inside a region. Computed at the moment of the request, so the
offsets follow daylight saving time."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, datetime

REGIONS = ("Africa", "America", "Antarctica", "Asia", "Atlantic", "Australia", "Europe", "Indian", "Pacific")


def offset_label(name: str, *, now: datetime | None = None) -> str:
    offset = (now or datetime.now(UTC)).astimezone(zoneinfo.ZoneInfo(name)).utcoffset()
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "−"
    hours, mins = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours:02d}:{mins:02d}"


def grouped_time_zone_choices(*, now: datetime | None = None) -> list:
    now = now or datetime.now(UTC)
    groups: dict[str, list[tuple[int, str, str]]] = {region: [] for region in REGIONS}
    for name in zoneinfo.available_timezones():
        region, _, city = name.partition("/")
        if region not in groups or not city:
            continue
        offset = now.astimezone(zoneinfo.ZoneInfo(name)).utcoffset().total_seconds()
        label = f"({offset_label(name, now=now)}) {city.replace('_', ' ').replace('/', ' — ')}"
        groups[region].append((offset, label, name))
    choices: list = [("UTC", "(UTC+00:00) UTC")]
    for region, zones in groups.items():
        zones.sort(key=lambda z: (z[0], z[1]))
        choices.append((region, [(name, label) for _, label, name in zones]))
    return choices
