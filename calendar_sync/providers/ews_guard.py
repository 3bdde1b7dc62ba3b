"""Where Ruby may send EWS requests: the server URL is typed by a user, so it is checked (design.md §7, issue 13).

- https only, the EWS endpoint's path (…/EWS/Exchange.asmx), no credentials or fragment in the URL;
- the host must not resolve to a loopback, link-local, private or otherwise non-public address unless
  EXCHANGE_ALLOW_PRIVATE_HOSTS=1 (self-hosted Ruby inside a company network);
- checked when connecting, at each sync, and again by GuardedAdapter on every request exchangelib sends (DNS
  can change between the check and the request; exchangelib never follows redirects by itself).

GuardedAdapter is exchangelib's HTTP adapter (providers/ews.py sets BaseProtocol.HTTP_ADAPTER_CLS). It also
counts the requests of the current thread, and in sandbox mode (EXCHANGE_SANDBOX, DEBUG only) answers for the
sandbox host in-process. Certificates are verified by requests as usual (REQUESTS_CA_BUNDLE is honoured).
No user-facing sentences here: `UnsafeServerUrl.kind` is worded by the provider.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
from urllib.parse import urlsplit

import requests
from django.conf import settings
from requests.adapters import HTTPAdapter

from calendar_sync.sandbox import ews as sandbox_ews

EWS_PATH = "/ews/exchange.asmx"

NOT_HTTPS = "not_https"
NOT_EWS = "not_ews"
BAD_URL = "bad_url"
UNRESOLVABLE = "unresolvable"
PRIVATE = "private"

_counter = threading.local()


class UnsafeServerUrl(requests.exceptions.ConnectionError):
    """Ruby will not send a request to this URL. A requests ConnectionError, so exchangelib's own handling of a
    failed request (session retired, nothing logged but the URL) applies when the adapter refuses."""

    def __init__(self, kind: str, *, host: str = "", address: str = ""):
        super().__init__(f"{kind} {host} {address}".strip())
        self.kind = kind
        self.host = host
        self.address = address


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def is_sandbox_url(url: str) -> bool:
    return bool(settings.EXCHANGE_SANDBOX) and (urlsplit(url).hostname or "") == sandbox_ews.SANDBOX_HOST


def check_address(url: str) -> None:
    """Resolve the URL's host now and refuse it when any address is not public (unless allowed)."""
    if is_sandbox_url(url):
        return
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        infos = socket.getaddrinfo(host, parts.port or 443, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError, OSError) as exc:
        raise UnsafeServerUrl(UNRESOLVABLE, host=host) from exc
    if settings.EXCHANGE_ALLOW_PRIVATE_HOSTS:
        return
    for info in infos:
        address = info[4][0]
        if not _is_public(address):
            raise UnsafeServerUrl(PRIVATE, host=host, address=address)


def check_url_shape(url: str) -> str:
    """The URL as Ruby will use it, or UnsafeServerUrl: https, a host, the EWS path, nothing else."""
    url = (url or "").strip()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UnsafeServerUrl(BAD_URL) from exc
    if parts.scheme.lower() != "https":
        raise UnsafeServerUrl(NOT_HTTPS, host=parts.hostname or "")
    if not parts.hostname or parts.username or parts.password or parts.fragment:
        raise UnsafeServerUrl(BAD_URL, host=parts.hostname or "")
    if not parts.path.lower().endswith(EWS_PATH) or parts.query:
        raise UnsafeServerUrl(NOT_EWS, host=parts.hostname)
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    netloc = host if port in (None, 443) else f"{host}:{port}"
    return f"https://{netloc}{parts.path}"


def check_server_url(url: str) -> str:
    """Shape and address checks together (connect time and each sync)."""
    url = check_url_shape(url)
    check_address(url)
    return url


def requests_sent() -> int:
    """How many requests this thread has sent through the adapter so far (a running count)."""
    return getattr(_counter, "value", 0)


class GuardedAdapter(HTTPAdapter):
    """exchangelib's transport: every request is checked again right before it is sent."""

    def send(self, request, stream=False, timeout=None, verify=True, cert=None, proxies=None):
        _counter.value = requests_sent() + 1
        if is_sandbox_url(request.url):
            return sandbox_ews.respond(request)
        parts = urlsplit(request.url)
        if parts.scheme.lower() != "https":
            raise UnsafeServerUrl(NOT_HTTPS, host=parts.hostname or "")
        check_address(request.url)
        return super().send(request, stream=stream, timeout=timeout, verify=verify, cert=cert, proxies=proxies)
