"""One date format across the product (issue 14): templates and user-facing Python name a format from
ruby_site/formats/en/formats.py instead of spelling their own."""

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.template import Context, Template, TemplateSyntaxError
from django.utils import timezone

ROOT = Path(__file__).resolve().parents[2]
NAMED = re.compile(r"\|(?:date|time|named_date):[\"']([A-Z_]+|c|U|Ymd)[\"']")
ANY = re.compile(r"\|(?:date|time|named_date):[\"']([^\"']*)[\"']")
WHEN = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)


def _render(source: str) -> str:
    with timezone.override("America/Toronto"):
        return Template("{% load ruby_dates %}" + source).render(Context({"when": WHEN}))


def test_no_template_spells_its_own_date_format():
    spelled = []
    for path in sorted((ROOT / "templates").rglob("*.html")):
        for match in ANY.finditer(path.read_text()):
            if not NAMED.fullmatch(match.group(0)):
                spelled.append(f"{path.relative_to(ROOT)}: {match.group(0)}")
    assert spelled == []


def test_named_date_adds_the_zone_abbreviation_in_the_viewers_zone():
    assert _render('{{ when|named_date:"DATETIME_ZONE_FORMAT" }}') == "Tue 10 Mar 2026, 11:00 AM EDT"


def test_named_date_reads_djangos_own_names_too():
    assert _render('{{ when|named_date:"SHORT_DATETIME_FORMAT" }}') == "Tue 10 Mar, 11:00 AM"


def test_named_date_refuses_an_unknown_name():
    with pytest.raises(TemplateSyntaxError):
        _render('{{ when|named_date:"NO_SUCH_FORMAT" }}')
