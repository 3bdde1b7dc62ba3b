"""Issue 16: every transcript parser is total and linear; any 202 ends in a transcript or a visible failure."""

import json
import time

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import TranscriptSourceFactory
from tests.transcripts.helpers import custom_payload
from tests.transcripts.sources.records import ALL_SOURCES, fixture_record, minimal
from transcripts import signing, sources
from transcripts.models import Transcript, TranscriptDelivery
from transcripts.sources.base import AdapterError, vtt_segments

SECRET = "whsec_property_secret"

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**400), max_value=10**400)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(alphabet=st.characters(codec=None), max_size=40)
    | st.sampled_from(
        ["9999-12-31T23:59:59Z", "0001-01-01T00:00:00+01:00", "²", "\u0000", "\ud800", "1e400", "2025-03-04"]
    )
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=20,
)


def mutations(record: dict):
    """The record with some top-level or nested fields replaced by any JSON value."""

    def paths(value, prefix=()):
        if isinstance(value, dict):
            for key, item in value.items():
                yield (*prefix, key)
                yield from paths(item, (*prefix, key))
        elif isinstance(value, list):
            for index, item in enumerate(value[:3]):
                yield (*prefix, index)
                yield from paths(item, (*prefix, index))

    every = list(paths(record))

    def replace(choices):
        copy = json.loads(json.dumps(record))
        for path, value in choices:
            target = copy
            try:
                for key in path[:-1]:
                    target = target[key]
                target[path[-1]] = value
            except (KeyError, IndexError, TypeError):
                continue
        return copy

    return st.lists(st.tuples(st.sampled_from(every), json_values), min_size=1, max_size=3).map(replace)


def assert_total(source, record):
    try:
        result = sources.normalize(source, record)
    except AdapterError:
        return
    assert len(result.external_id) <= 255 and len(result.title) <= 500
    for text in (result.title, result.text, *(p.name for p in result.participants)):
        assert "\x00" not in text and not any("\ud800" <= c <= "\udfff" for c in text)


@pytest.mark.parametrize("source", ALL_SOURCES)
@settings(max_examples=60, deadline=None)
@given(value=json_values)
def test_parse_of_any_json_value_returns_or_raises_adapter_error(source, value):
    assert_total(source, value)
    try:
        sources.split_records(source, value)
    except AdapterError:
        pass


@pytest.mark.parametrize("source", ALL_SOURCES)
@settings(max_examples=80, deadline=None)
@given(data=st.data())
def test_parse_of_a_mutated_real_record_returns_or_raises_adapter_error(source, data):
    for record in (fixture_record(source), minimal(source)):
        assert_total(source, data.draw(mutations(record)))


@pytest.mark.parametrize(
    "vtt",
    [
        "WEBVTT\n\n1\n00:00:01.000 --> 00:00:02.000\n<v" + " " * 150_000,
        "WEBVTT\n\n1\n00:00:01.000 --> 00:00:02.000\n" + "<" * 150_000,
        "WEBVTT" + "\n \n" * 75_000,
        "WEBVTT\n\n1\n00:00:01.000 --> 00:00:02.000\n<v.a" + "." * 150_000,
    ],
    ids=["open-voice-tag", "angle-brackets", "blank-lines", "voice-classes"],
)
def test_vtt_parsing_of_150_kb_is_linear(vtt):
    started = time.perf_counter()
    vtt_segments(vtt)
    assert time.perf_counter() - started < 0.5


def test_vtt_still_reads_voices_names_and_tags():
    vtt = (
        "WEBVTT\n\nNOTE hi\n\n1\n00:00:01.000 --> 00:00:02.000\n<v.loud Dana Whitfield>We <i>need</i> SSO</v>\n"
        "and Okta\n\n2\n00:00:03.000 --> 00:00:04.000\nSam: a <> b <b>c</b>\n"
    )
    assert vtt_segments(vtt) == [
        ("Dana Whitfield", "We need SSO"),
        ("Dana Whitfield", "and Okta"),
        ("Sam", "a <> b c"),
    ]


@pytest.fixture
def custom_source(db, workspace):
    # The Custom source's body carries the whole transcript, so everything is decided on Ruby's side.
    return TranscriptSourceFactory(workspace=workspace, source="custom", secret=SECRET)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_webhook_answers_202_only_for_what_ends_stored_or_visibly_failed(
    client, custom_source, data, django_capture_on_commit_callbacks
):
    record = data.draw(mutations(custom_payload()) | json_values)
    body = json.dumps(record).encode()
    stamp = str(int(time.time()))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("transcript_webhook", kwargs={"source": "custom", "token": custom_source.webhook_token}),
            data=body,
            content_type="application/json",
            HTTP_X_RUBY_SIGNATURE=signing.sign(body, SECRET, stamp),
            HTTP_X_RUBY_TIMESTAMP=stamp,
        )
    assert response.status_code in (202, 400)
    if response.status_code == 202:
        delivery = TranscriptDelivery.objects.get(pk=response.json()["delivery"])
        assert delivery.status in ("processed", "failed")
        assert delivery.transcript is not None or (delivery.status == "failed" and delivery.error)
    else:
        assert response.json()["error"].startswith("This is not a Custom source delivery Ruby can read: ")
    TranscriptDelivery.objects.all().delete()
    Transcript.objects.all().delete()
