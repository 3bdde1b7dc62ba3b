"""Ruby's one date format (issue 14), through Django's localisation: FORMAT_MODULE_PATH points here, so
`{{ value|date }}`, `|date:"SHORT_DATETIME_FORMAT"` and forms all read these. Day before month, weekday first:
"Thu 3 Dec 2026", "Thu 3 Dec, 4:00 PM". Another locale gets its own module beside this one."""

DATE_FORMAT = "D j M Y"
SHORT_DATE_FORMAT = "D j M"
DATETIME_FORMAT = "D j M Y, g:i A"
SHORT_DATETIME_FORMAT = "D j M, g:i A"
TIME_FORMAT = "g:i A"
MONTH_DAY_FORMAT = "l j F"
YEAR_MONTH_FORMAT = "F Y"

# Ruby's extra names, read with `{% load ruby_dates %}{{ value|named_date:"NAME" }}` (Django's |date knows only the
# names above): the same formats with the time zone abbreviation where a time stands alone, and a week grid's day head.
DATETIME_ZONE_FORMAT = DATETIME_FORMAT + " T"
SHORT_DATETIME_ZONE_FORMAT = SHORT_DATETIME_FORMAT + " T"
TIME_ZONE_FORMAT = TIME_FORMAT + " T"
WEEKDAY_DAY_FORMAT = "D j"
TIME_SECONDS_FORMAT = "g:i:s A"
