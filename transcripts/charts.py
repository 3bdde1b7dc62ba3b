"""Small server-rendered SVG charts (no JavaScript, no CDN): meetings per week for an account or a deal."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

WEEKS_BACK = 11  # plus the current week: twelve bars
WIDTH, HEIGHT, GAP, TOP, BOTTOM = 300, 90, 4, 12, 16


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def meetings_per_week(starts: list[datetime], *, today: date | None = None) -> list[tuple[date, int]]:
    """(Monday, count) for the last twelve weeks up to this one, in the viewer's current time zone."""
    today = today or timezone.localdate()
    first = week_start(today) - timedelta(weeks=WEEKS_BACK)
    counts = {first + timedelta(weeks=n): 0 for n in range(WEEKS_BACK + 1)}
    for start in starts:
        monday = week_start(timezone.localtime(start).date())
        if monday in counts:
            counts[monday] += 1
    return sorted(counts.items())


def weekly_bars_svg(weeks: list[tuple[date, int]]) -> SafeString:
    peak = max((n for _, n in weeks), default=0) or 1
    bar = (WIDTH - GAP * (len(weeks) - 1)) / max(len(weeks), 1)
    usable = HEIGHT - TOP - BOTTOM
    bars = []
    for i, (monday, n) in enumerate(weeks):
        h = round(usable * n / peak, 1) if n else 1
        x = round(i * (bar + GAP), 1)
        y = round(TOP + usable - h, 1)
        label = f"Week of {monday:%-d %b}: {n} meeting{'s' if n != 1 else ''}"
        bars.append((x, y, round(bar, 1), h, label, x + bar / 2, y - 2, n or ""))
    total = sum(n for _, n in weeks)
    first, last = (weeks[0][0], weeks[-1][0]) if weeks else (None, None)
    return format_html(
        '<svg class="chart-weekly" viewBox="0 0 {} {}" role="img" aria-label="{}" preserveAspectRatio="none">{}'
        '<text x="0" y="{}" class="chart-axis">{}</text><text x="{}" y="{}" class="chart-axis" text-anchor="end">{}'
        "</text></svg>",
        WIDTH,
        HEIGHT,
        f"Meetings per week, last {len(weeks)} weeks: {total} in all",
        format_html_join(
            "",
            '<g><title>{}</title><rect x="{}" y="{}" width="{}" height="{}" rx="2"></rect>'
            '<text x="{}" y="{}" text-anchor="middle" class="chart-value">{}</text></g>',
            ((label, x, y, w, h, cx, ty, v) for x, y, w, h, label, cx, ty, v in bars),
        ),
        HEIGHT - 3,
        f"{first:%-d %b}" if first else "",
        WIDTH,
        HEIGHT - 3,
        "this week" if last else "",
    )
