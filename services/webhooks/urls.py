"""Where webhooks may be sent: https to public addresses only (unless configured otherwise).

An endpoint URL is checked when it is saved, and its host's addresses again each time a
connection is opened (`GuardedNetworkBackend`), so a name that later resolves to an
internal address (DNS rebinding) cannot reach the internal network.
"""

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Sequence
from urllib.parse import urlsplit

from services import validation
from services.errors import invalid

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# host, port -> the addresses a connection could go to.
Resolver = Callable[[str, int], Awaitable[list[str]]]


class ForbiddenDestination(Exception):
    """The URL, or an address its host resolves to, is not one webhooks may reach."""


async def resolve(host: str, port: int) -> list[str]:
    """Every address of `host` (an IP literal resolves to itself)."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def is_forbidden_address(address: str) -> bool:
    """True for private, loopback, link-local, multicast, reserved and other non-public addresses."""
    ip: IPAddress = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone id
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or not ip.is_global
    )


def check_addresses(host: str, addresses: Sequence[str]) -> None:
    """Raise ForbiddenDestination when any address of `host` is not public (all must be:
    the connection may go to any of them)."""
    if not addresses:
        raise ForbiddenDestination(f"{host} has no address")
    for address in addresses:
        if is_forbidden_address(address):
            raise ForbiddenDestination(f"{host} resolves to {address}, a private, loopback or link-local address")


async def validate_endpoint_url(
    value: str, field: Sequence[str], *, allow_private: bool, resolver: Resolver = resolve
) -> str:
    """The cleaned URL, or VALIDATION: https only, to a host whose addresses are all public.

    With `allow_private` (WEBHOOK_ALLOW_PRIVATE_URLS, for development and tests) plain http
    and any address are accepted. Resolves the host: call it before the transaction writes.
    """
    cleaned = validation.http_url(value, field, require_https=not allow_private)
    parts = urlsplit(cleaned)
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as error:
        raise invalid(f"not a valid port in {value!r}", field) from error
    if allow_private:
        return cleaned
    host = parts.hostname
    assert host is not None  # http_url checked it
    try:
        addresses = await resolver(host, port)
    except OSError as error:
        raise invalid(f"cannot resolve {host}: {error}", field) from error
    try:
        check_addresses(host, addresses)
    except ForbiddenDestination as error:
        raise invalid(f"refused: {error}", field) from error
    return cleaned
