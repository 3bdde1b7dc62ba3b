"""`{{ value|named_date:"DATETIME_ZONE_FORMAT" }}`: Ruby's own named formats from ruby_site/formats/<locale>/formats.py.

Django's `|date:"NAME"` only resolves its built-in names (DATE_FORMAT, SHORT_DATETIME_FORMAT, ...); this filter also
resolves the extra names Ruby adds there (a date and time with the zone abbreviation, a grid's day head), so no
template spells a format string of its own."""

from django import template
from django.utils import dateformat
from django.utils.formats import FORMAT_SETTINGS, get_format, get_format_modules
from django.utils.translation import get_language

register = template.Library()


def format_named(name: str) -> str:
    for module in get_format_modules(get_language()):
        value = getattr(module, name, None)
        if value:
            return value
    if name in FORMAT_SETTINGS:
        return get_format(name)
    raise template.TemplateSyntaxError(f"No date format named {name!r} in ruby_site/formats.")


@register.filter(expects_localtime=True)
def named_date(value, name: str) -> str:
    if value in (None, ""):
        return ""
    return dateformat.format(value, format_named(name))
