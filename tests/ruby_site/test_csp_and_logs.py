"""Issue 16: a Content-Security-Policy of our own static files only; no OAuth code in access logs."""

import logging
import re
import runpy
from pathlib import Path

import pytest
from django.conf import settings

from ruby_site.logging_filters import StripQueryString

ROOT = Path(settings.BASE_DIR)


@pytest.mark.django_db
def test_every_page_has_a_csp_of_own_scripts_and_styles_only(client, user):
    client.force_login(user)
    policy = client.get("/calendar/")["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    assert directives["script-src"] == "'self'"
    assert directives["default-src"] == "'self'"
    assert directives["object-src"] == "'none'" and directives["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy


def test_no_template_has_an_inline_script_or_handler():
    for template in (ROOT / "templates").rglob("*.html"):
        text = template.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)", text), template
        assert not re.search(r"\son[a-z]+\s*=", text), template
        assert " style=" not in text, template


def test_the_only_inline_style_is_allowed_by_its_hash():
    styles = [t for t in (ROOT / "templates").rglob("*.html") if "<style>" in t.read_text()]
    assert [t.name for t in styles] == ["_error.html"]
    assert any(s.startswith("'sha256-") for s in settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]["style-src"])


def test_htmx_is_told_not_to_inject_its_indicator_style():
    assert '"includeIndicatorStyles": false' in (ROOT / "templates" / "base.html").read_text()


def test_gunicorn_access_log_names_the_path_without_the_query_string():
    config = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    atoms = {
        "h": "203.0.113.7",
        "t": "[now]",
        "m": "GET",
        "U": "/settings/integrations/outlook/callback/",
        "q": "code=M.C507_secret&state=s",
        "r": "GET /settings/integrations/outlook/callback/?code=M.C507_secret",
        "H": "HTTP/1.1",
        "s": "302",
        "b": "0",
        "M": "12",
        "a": "Mozilla",
        "f": "https://x/?code=M.C507_secret",
    }
    line = config["access_log_format"] % atoms
    assert "M.C507_secret" not in line
    assert '"GET /settings/integrations/outlook/callback/ HTTP/1.1" 302' in line
    assert config["accesslog"] == "-"


def test_runserver_request_line_is_logged_without_the_query_string():
    record = logging.LogRecord(
        "django.server",
        logging.INFO,
        __file__,
        1,
        '"%s" %s %s',
        ("GET /settings/integrations/outlook/callback/?code=M.C507_secret&state=s HTTP/1.1", "302", "0"),
        None,
    )
    StripQueryString().filter(record)
    assert record.getMessage() == '"GET /settings/integrations/outlook/callback/?[query not logged] HTTP/1.1" 302 0'
