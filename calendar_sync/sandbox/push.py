"""The sandbox plays Graph's change notifications (issue 12): POST/PATCH/DELETE /v1.0/subscriptions (and
/reauthorize), the validation call to the notificationUrl and lifecycleNotificationUrl before a create answers,
and a change notification to the app when a sandbox meeting is changed.

Calls to the app are real HTTP to the URLs the app subscribed with, as Microsoft makes them — so under `make run`
(runserver + qcluster, PUBLIC_BASE_URL=http://127.0.0.1:8000, DEBUG=1) the worker creating the subscription and
the sandbox page changing a meeting both reach the running server. Shapes from graph_ews.md A.1–A.4
(microsoftgraph/microsoft-graph-docs-contrib: subscription-post-subscriptions.md, subscription-update.md,
change-notifications-delivery-webhooks.md, change-notifications-lifecycle-events.md).
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import quote, urlsplit

import requests
from django.conf import settings
from django.utils import timezone

from calendar_sync.models import SandboxSubscription

# Graph's documented Outlook event maximum; the sandbox grants at most this, whatever is asked.
MAX_LIFETIME = timedelta(minutes=4230)
MIN_LIFETIME = timedelta(minutes=45)  # "Any value under 45 minutes … is automatically set to 45 minutes"
APP_TIMEOUT = (5, 30)  # (connect, read): Graph allows 10 s for validation; a test server may run tasks inline
CHANGE_TYPES = {"created", "updated", "deleted"}


def _graph_time(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.0000000Z")


def _error(status: int, code: str, message: str) -> tuple[int, dict]:
    return status, {"error": {"code": code, "message": message}}


def _url_ok(url) -> bool:
    parts = urlsplit(url) if isinstance(url, str) else None
    return bool(parts and parts.netloc) and (parts.scheme == "https" or (settings.DEBUG and parts.scheme == "http"))


def _app_session() -> requests.Session:
    return requests.Session()  # never the sandbox-mounted one: these calls go to the app, over the network


def validate_endpoint(url: str) -> bool:
    """Graph's validation: POST ?validationToken=…, expect 200 text/plain with the decoded token echoed."""
    token = f"Validation: Testing client application reachability for subscription Request-Id: {uuid.uuid4()}"
    separator = "&" if "?" in url else "?"
    try:
        response = _app_session().post(
            f"{url}{separator}validationToken={quote(token)}",
            headers={"Content-Type": "text/plain; charset=utf-8"},
            timeout=APP_TIMEOUT,
        )
    except requests.RequestException:
        return False
    content_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
    return response.status_code == 200 and content_type == "text/plain" and response.text == token


def _body(subscription: SandboxSubscription, base_url: str) -> dict:
    return {
        "@odata.context": f"{base_url}/v1.0/$metadata#subscriptions/$entity",
        "id": subscription.subscription_id,
        "resource": subscription.resource,
        "applicationId": settings.MICROSOFT_CLIENT_ID,
        "changeType": subscription.change_type,
        "clientState": subscription.client_state,
        "notificationUrl": subscription.notification_url,
        "lifecycleNotificationUrl": subscription.lifecycle_url or None,
        "expirationDateTime": _graph_time(subscription.expires_at),
        "creatorId": subscription.object_id,
        "latestSupportedTlsVersion": "v1_2",
        "notificationContentType": "application/json",
    }


def _granted(requested) -> datetime | None:
    try:
        when = datetime.fromisoformat(str(requested))
    except ValueError:
        return None
    when = when if when.tzinfo else when.replace(tzinfo=UTC)
    now = timezone.now().replace(microsecond=0)
    return min(max(when, now + MIN_LIFETIME), now + MAX_LIFETIME)


def subscription_create(identity: dict, raw_body: bytes, base_url: str) -> tuple[int, dict]:
    """POST /v1.0/subscriptions: check the request, validate both URLs, store it, answer 201."""
    try:
        body = json.loads(raw_body or b"{}")
    except ValueError:
        return _error(400, "BadRequest", "The request body is not JSON.")
    if not isinstance(body, dict):
        return _error(400, "BadRequest", "The request body must be a JSON object.")
    resource = str(body.get("resource", "")).strip("/")
    if resource.lower() != "me/events":
        return _error(400, "InvalidRequest", "The sandbox serves subscriptions on me/events only.")
    change_type = str(body.get("changeType", ""))
    if not change_type or not set(change_type.split(",")) <= CHANGE_TYPES:
        return _error(400, "InvalidRequest", "changeType must be created, updated and/or deleted.")
    client_state = body.get("clientState")
    if not isinstance(client_state, str) or not client_state or len(client_state) > 128:
        return _error(400, "InvalidRequest", "clientState is required and at most 128 characters.")
    notification_url, lifecycle_url = body.get("notificationUrl"), body.get("lifecycleNotificationUrl") or ""
    if not _url_ok(notification_url) or (lifecycle_url and not _url_ok(lifecycle_url)):
        return _error(400, "InvalidRequest", "The notification URLs must use https.")
    expires_at = _granted(body.get("expirationDateTime"))
    if expires_at is None:
        return _error(400, "InvalidRequest", "expirationDateTime is required.")
    for url in filter(None, [notification_url, lifecycle_url]):
        if not validate_endpoint(url):
            return _error(
                400,
                "ValidationError",
                "Subscription validation request failed. Notification endpoint must respond with 200 OK to "
                "validation request.",
            )
    subscription = SandboxSubscription.objects.create(
        subscription_id=str(uuid.uuid4()),
        tenant_id=identity["tid"],
        object_id=identity["oid"],
        resource=resource,
        change_type=change_type,
        notification_url=notification_url,
        lifecycle_url=lifecycle_url,
        client_state=client_state,
        expires_at=expires_at,
    )
    return 201, _body(subscription, base_url)


def _own(identity: dict, subscription_id: str) -> SandboxSubscription | None:
    return SandboxSubscription.objects.filter(
        subscription_id=subscription_id, tenant_id=identity["tid"], object_id=identity["oid"]
    ).first()


def subscription_renew(identity: dict, subscription_id: str, raw_body: bytes, base_url: str) -> tuple[int, dict]:
    subscription = _own(identity, subscription_id)
    if subscription is None or subscription.expires_at <= timezone.now():
        return _error(404, "ResourceNotFound", "The object was not found.")
    try:
        requested = (json.loads(raw_body or b"{}") or {}).get("expirationDateTime")
    except (ValueError, AttributeError):
        requested = None
    expires_at = _granted(requested)
    if expires_at is None:
        return _error(400, "InvalidRequest", "expirationDateTime is required.")
    subscription.expires_at = expires_at
    subscription.save(update_fields=["expires_at"])
    return 200, _body(subscription, base_url)


def subscription_delete(identity: dict, subscription_id: str) -> tuple[int, dict | None]:
    deleted, _ = SandboxSubscription.objects.filter(
        subscription_id=subscription_id, tenant_id=identity["tid"], object_id=identity["oid"]
    ).delete()
    return (204, None) if deleted else _error(404, "ResourceNotFound", "The object was not found.")


def subscription_reauthorize(identity: dict, subscription_id: str) -> tuple[int, dict | None]:
    return (204, None) if _own(identity, subscription_id) else _error(404, "ResourceNotFound", "Not found.")


def _post(url: str, body: dict) -> int | None:
    try:
        response = _app_session().post(url, json=body, timeout=APP_TIMEOUT)
    except requests.RequestException:
        return None
    return response.status_code


def notify_change(identity: dict, *, event_id: str, change_type: str = "updated") -> list[int | None]:
    """Post a change notification for this event to each live subscription of the identity, as Graph does.
    Returns the status each notificationUrl answered (None: unreachable)."""
    statuses = []
    for subscription in SandboxSubscription.objects.filter(
        tenant_id=identity["tid"], object_id=identity["oid"], expires_at__gt=timezone.now()
    ):
        resource = f"Users/{identity['oid']}/Events/{event_id}"
        item = {
            "id": uuid.uuid4().hex[:13],
            "subscriptionId": subscription.subscription_id,
            "subscriptionExpirationDateTime": _graph_time(subscription.expires_at),
            "clientState": subscription.client_state,
            "changeType": change_type,
            "resource": resource,
            "tenantId": identity["tid"],
            "resourceData": {"@odata.type": "#Microsoft.Graph.Event", "@odata.id": resource, "id": event_id},
        }
        statuses.append(_post(subscription.notification_url, {"value": [item]}))
    return statuses


def notify_lifecycle(identity: dict, *, event: str) -> list[int | None]:
    """Post a lifecycle notification (missed / reauthorizationRequired / subscriptionRemoved) to each subscription;
    subscriptionRemoved also removes it here, as Graph would."""
    statuses = []
    for subscription in SandboxSubscription.objects.filter(tenant_id=identity["tid"], object_id=identity["oid"]):
        item = {
            "subscriptionId": subscription.subscription_id,
            "subscriptionExpirationDateTime": _graph_time(subscription.expires_at),
            "tenantId": identity["tid"],
            "clientState": subscription.client_state,
            "lifecycleEvent": event,
        }
        if event == "subscriptionRemoved":
            subscription.delete()
        statuses.append(_post(subscription.lifecycle_url or subscription.notification_url, {"value": [item]}))
    return statuses
