"""Which URLs webhooks may reach, at creation and at connect time (DNS rebinding)."""

import pytest

from services.errors import DomainError
from services.webhooks.sender import Sender
from services.webhooks.signing import new_secret, signed_headers
from services.webhooks.urls import Resolver, is_forbidden_address, validate_endpoint_url
from tests.webhooks.support import receiver


@pytest.mark.parametrize(
    "address",
    ["127.0.0.1", "10.1.2.3", "172.16.0.9", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0",
     "224.0.0.1", "::1", "fe80::1", "fc00::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1"],
)
def test_internal_addresses_are_forbidden(address: str) -> None:
    assert is_forbidden_address(address)


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111"])
def test_public_addresses_are_allowed(address: str) -> None:
    assert not is_forbidden_address(address)


def _fixed(addresses: list[str]) -> Resolver:
    """A resolver that always answers `addresses` (our DNS, so the test needs none)."""

    async def resolver(host: str, port: int) -> list[str]:
        return addresses

    return resolver


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://93.184.216.34/hook", "https"),
        ("ftp://93.184.216.34/hook", "https"),
        ("https://127.0.0.1/hook", "refused"),
        ("https://localhost:8443/hook", "refused"),
        ("https://[::1]/hook", "refused"),
        ("https://169.254.169.254/latest/meta-data", "refused"),
        ("https://10.0.0.8/hook", "refused"),
        ("not a url", "https"),
    ],
)
async def test_endpoint_urls_must_be_https_to_public_addresses(url: str, message: str) -> None:
    with pytest.raises(DomainError) as caught:
        await validate_endpoint_url(url, ["input", "url"], allow_private=False)
    assert message in str(caught.value)
    assert caught.value.problems[0].field == ("input", "url")


async def test_a_name_that_resolves_to_any_internal_address_is_refused() -> None:
    resolver = _fixed(["93.184.216.34", "10.0.0.5"])
    with pytest.raises(DomainError, match="10.0.0.5"):
        await validate_endpoint_url("https://hooks.example.com/x", ["url"], allow_private=False, resolver=resolver)
    public = _fixed(["93.184.216.34"])
    cleaned = await validate_endpoint_url(" https://hooks.example.com/x ", ["url"], allow_private=False, resolver=public)
    assert cleaned == "https://hooks.example.com/x"


async def test_private_urls_are_accepted_when_the_setting_allows_them() -> None:
    assert await validate_endpoint_url("http://127.0.0.1:9/hook", ["url"], allow_private=True) == "http://127.0.0.1:9/hook"


async def test_the_address_is_checked_again_when_connecting() -> None:
    """A name that passed at creation but now resolves to loopback (DNS rebinding) is refused
    by the sender's own connection, and the internal receiver gets nothing."""
    lookups: list[tuple[str, int]] = []

    async def rebinding(host: str, port: int) -> list[str]:
        lookups.append((host, port))
        return ["127.0.0.1"]

    async with receiver() as hook:
        port = int(hook.url.split(":")[2].split("/")[0])
        body = b"{}"
        headers = signed_headers([new_secret()], "msg", 1, body)
        async with Sender(timeout=2, allow_private=False, resolver=rebinding) as sender:
            result = await sender.post(f"https://rebind.test:{port}/hook", headers, body)
            plain = await sender.post(hook.url, headers, body)
        assert not result.ok and result.error is not None
        assert result.error.startswith("refused: rebind.test resolves to 127.0.0.1")
        assert lookups == [("rebind.test", port)]
        assert plain.error == "refused: only https URLs are allowed"
        # The same stack delivers when private addresses are allowed (the control).
        async with Sender(timeout=2, allow_private=True) as sender:
            assert (await sender.post(hook.url, headers, body)).status_code == 204
        assert len(hook.requests) == 1
