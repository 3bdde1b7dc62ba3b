"""POST /webhooks/transcripts/<source>/<token>/: the source module verifies, answers its handshake and checks the
shape; one delivery row is stored and queued on commit; the answer is immediate (design.md §7.14)."""

from __future__ import annotations

import json
import time

from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt

from transcripts import selectors, sources
from transcripts.services.deliveries import transcript_delivery_receive
from transcripts.sources.base import AdapterError
from transcripts.sources.protocol import Mode, SignatureError

MAX_BODY_BYTES = 5 * 1024 * 1024


def _error(status: int, message: str) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


@csrf_exempt
def transcript_webhook(request, source: str, token: str):
    """An unknown token, a source turned off and a token of another source all answer 404, so the answer does not
    tell which tokens exist. Wrong or stale signatures answer 401 and nothing is stored."""
    if request.method != "POST":
        response = _error(405, "Use POST to deliver a transcript.")
        response["Allow"] = "POST"
        return response
    if not sources.is_known(source):
        return _error(400, f"Unknown transcript source “{source}”. Known: {', '.join(sources.REGISTRY)}.")
    entry = sources.entry_for(source)
    if entry.mode != Mode.PUSH:
        return _error(404, f"{entry.label} does not deliver by webhook.")
    # Django reads a body by its Content-Length only: a chunked one would arrive empty (and fail its
    # signature), so it is refused with the status that says what to send instead.
    if "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower() or not request.META.get("CONTENT_LENGTH"):
        return _error(411, "Send the body with a Content-Length header (chunked transfer encoding is not accepted).")
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return _error(400, "The Content-Length header is not a number.")
    if declared > MAX_BODY_BYTES:
        return _error(413, "The body is larger than 5 MB.")
    config = selectors.source_for_webhook(source, token)
    if config is None:
        return _error(404, "No transcript source is turned on at this address.")
    # Read the stream ourselves (one byte past the limit): request.body would apply Django's
    # smaller upload limit and raise, and Content-Length may lie.
    body = request.read(MAX_BODY_BYTES + 1)
    if len(body) > MAX_BODY_BYTES:
        return _error(413, "The body is larger than 5 MB.")
    module, credentials = entry.module, selectors.source_credentials(config)
    try:
        module.verify(headers=request.headers, body=body, credentials=credentials, now=time.time())
    except SignatureError as exc:
        return _error(401, str(exc))
    try:
        payload = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return _error(400, "The body is not valid JSON.")
    try:
        answer = module.handshake(payload=payload, credentials=credentials) if isinstance(payload, dict) else None
        if answer is not None:
            return JsonResponse(answer, status=200)
        if not module.check(payload=payload):
            return JsonResponse({"status": "ignored", "detail": "Ruby does not act on this event."}, status=200)
        key = module.delivery_key(headers=request.headers, payload=payload)
    except AdapterError as exc:
        return _error(400, f"This is not a {entry.label} delivery Ruby can read: {exc}.")
    delivery, is_new = transcript_delivery_receive(source_config=config, body=body, key=key)
    if not is_new:
        return JsonResponse({"status": "duplicate", "delivery": delivery.pk}, status=200)
    return JsonResponse({"status": "accepted", "delivery": delivery.pk}, status=202)
