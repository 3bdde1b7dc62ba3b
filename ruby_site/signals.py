"""What ruby_site tells the apps above it. ruby_site imports no other app (design.md §1), so a change the
higher apps must react to is announced here and they connect to it in their AppConfig.ready()."""

from django.dispatch import Signal

# A workspace's internal domains changed. kwargs: workspace. calendar_sync re-flags stored attendees and hides the
# meetings now all-internal; receivers return {"hidden": n, "shown": m}.
internal_domains_changed = Signal()

# Before saving new internal domains: how many meetings would they hide? kwargs: workspace, domains (list[str]).
# Receivers (calendar_sync) return a count; the settings page warns with the sum.
internal_domains_previewing = Signal()
