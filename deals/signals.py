"""What deals tells the apps above it. deals never imports calendar_sync; calendar_sync connects its receivers in
CalendarSyncConfig.ready() (e.g. to link the existing meetings to a new account at once, without "Process again").
"""

from django.dispatch import Signal

# Accounts or contacts were created, edited or removed. kwargs: workspace, emails (set[str], lower-cased: contact
# emails before and after the change), domains (set[str], lower-cased: account domains before and after).
directory_changed = Signal()
