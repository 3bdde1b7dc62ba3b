"""Fathom's push protocol: Standard Webhooks signatures (several, space-separated), dedupe on webhook-id."""

import pytest
import responses
from requests.structures import CaseInsensitiveDict

from tests.transcripts.sources import vendor_bodies as vb
from transcripts.sources import fathom
from transcripts.sources.base import AdapterError
from transcripts.sources.protocol import SignatureError

V = vb.STANDARD_WEBHOOKS_VECTOR
NOW = int(V["timestamp"]) + 10


def headers(signature=V["signature"], stamp=V["timestamp"], webhook_id=V["id"]):
    return CaseInsensitiveDict({"webhook-id": webhook_id, "webhook-timestamp": stamp, "webhook-signature": signature})


def verify(h, body=V["body"], secret=V["secret"], now=NOW):
    fathom.verify(headers=h, body=body, credentials={"webhook_secret": secret}, now=now)


def test_signature_reproduces_the_standard_webhooks_vector():
    assert fathom.signature(V["secret"], V["id"], V["timestamp"], V["body"]) == V["signature"]


def test_the_vector_verifies():
    verify(headers())


def test_one_good_signature_among_several_is_enough():
    verify(headers(f"v1,bm90LXRoaXMtb25l {V['signature']} v2,xyz"))


def test_no_matching_signature_is_refused():
    with pytest.raises(SignatureError, match="No webhook-signature matches"):
        verify(headers("v1,bm90LXRoaXMtb25l v1,YW5vdGhlcg=="))


def test_a_changed_body_is_refused():
    with pytest.raises(SignatureError):
        verify(headers(), body=b'{"test": 1}')


def test_a_stale_timestamp_is_refused():
    with pytest.raises(SignatureError, match="5 minutes"):
        verify(headers(), now=int(V["timestamp"]) + 301)


def test_a_secret_that_is_not_whsec_is_refused_in_plain_words():
    with pytest.raises(SignatureError, match="not a whsec_ secret"):
        verify(headers(), secret="plain-secret")


def test_delivery_key_is_the_webhook_id():
    assert fathom.delivery_key(headers=headers(), payload={}) == "msg_p5jXN8AQM9LWM0D4loKWxJek"


def test_the_body_carries_everything():
    assert fathom.check(payload=vb.FATHOM_NEW_MEETING) is True
    assert fathom.fetch(payload=vb.FATHOM_NEW_MEETING, credentials={}) == [vb.FATHOM_NEW_MEETING]
    normalized = fathom.parse(vb.FATHOM_NEW_MEETING)
    assert normalized.external_id == "123456789"
    assert [p.email for p in normalized.participants] == ["john.smith@ruby-demo.example", "jane.doe@acme.example"]


def test_json_that_is_not_a_fathom_meeting_is_refused():
    with pytest.raises(AdapterError, match="not a Fathom meeting"):
        fathom.check(payload={"meetingId": "x"})


def test_test_connection_without_api_key_checks_the_secret_only():
    assert fathom.test_connection(credentials={"webhook_secret": V["secret"]}).startswith(
        "The Webhook secret is a valid whsec_ secret."
    )


@responses.activate
def test_test_connection_with_api_key_lists_meetings():
    responses.get("https://api.fathom.ai/external/v1/meetings", json={"limit": 1, "next_cursor": None, "items": []})
    result = fathom.test_connection(credentials={"webhook_secret": V["secret"], "api_key": "fk"})
    assert result == "Fathom accepted the API key (0 recent meeting(s) visible)."
    assert responses.calls[0].request.headers["X-Api-Key"] == "fk"
