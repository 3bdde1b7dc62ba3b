"""Where Ruby may send EWS requests (providers/ews_guard.py): https, the EWS path, public addresses only."""

import pytest
import requests
from django.test import override_settings

from calendar_sync.providers import ews_guard
from calendar_sync.providers.ews_guard import UnsafeServerUrl, check_server_url, check_url_shape


def _kind(url: str) -> str:
    with pytest.raises(UnsafeServerUrl) as caught:
        check_server_url(url)
    return caught.value.kind


def test_http_is_refused():
    assert _kind("http://mail.example.com/EWS/Exchange.asmx") == ews_guard.NOT_HTTPS


def test_a_path_that_is_not_the_ews_endpoint_is_refused():
    assert _kind("https://mail.example.com/owa/") == ews_guard.NOT_EWS


def test_credentials_in_the_url_are_refused():
    assert _kind("https://admin:pw@mail.example.com/EWS/Exchange.asmx") == ews_guard.BAD_URL


@pytest.mark.parametrize(
    "host",
    ["10.1.2.3", "127.0.0.1", "169.254.169.254", "192.168.0.10", "172.16.5.4", "[::1]", "[::ffff:10.0.0.1]", "0.0.0.0"],
)
def test_loopback_link_local_and_private_addresses_are_refused(host):
    assert _kind(f"https://{host}/EWS/Exchange.asmx") == ews_guard.PRIVATE


def test_a_name_that_resolves_to_loopback_is_refused():
    assert _kind("https://localhost/EWS/Exchange.asmx") == ews_guard.PRIVATE


@override_settings(EXCHANGE_ALLOW_PRIVATE_HOSTS=True)
def test_private_addresses_are_allowed_with_the_override():
    assert check_server_url("https://10.1.2.3/EWS/Exchange.asmx") == "https://10.1.2.3/EWS/Exchange.asmx"


@override_settings(EXCHANGE_ALLOW_PRIVATE_HOSTS=True)
def test_the_override_still_requires_https():
    assert _kind("http://10.1.2.3/EWS/Exchange.asmx") == ews_guard.NOT_HTTPS


def test_a_public_address_passes_and_the_url_is_normalised():
    assert check_server_url("https://8.8.8.8:443/ews/exchange.asmx") == "https://8.8.8.8/ews/exchange.asmx"


def test_a_name_that_does_not_resolve_is_refused():
    assert _kind("https://no-such-host.invalid/EWS/Exchange.asmx") == ews_guard.UNRESOLVABLE


def test_the_shape_check_keeps_a_custom_port():
    assert check_url_shape(" https://mail.example.com:8443/EWS/Exchange.asmx ") == (
        "https://mail.example.com:8443/EWS/Exchange.asmx"
    )


def test_the_adapter_refuses_a_private_address_right_before_sending():
    session = requests.Session()
    session.mount("https://", ews_guard.GuardedAdapter())

    with pytest.raises(UnsafeServerUrl) as caught:
        session.post("https://127.0.0.1/EWS/Exchange.asmx", data=b"<x/>", timeout=1)

    assert caught.value.kind == ews_guard.PRIVATE


@override_settings(EXCHANGE_SANDBOX=False)
def test_the_sandbox_host_is_not_special_without_the_sandbox():
    assert _kind("https://exchange.sandbox.invalid/EWS/Exchange.asmx") == ews_guard.UNRESOLVABLE
