"""Sending one attempt over HTTP: 15 s at most, no redirects, only public addresses."""

import asyncio
import email.utils
import time
import typing
from dataclasses import dataclass
from datetime import datetime, timezone
from types import TracebackType
from urllib.parse import urlsplit

import httpcore
import httpx

from services.webhooks.urls import ForbiddenDestination, Resolver, check_addresses, resolve

# What is read of a response body: enough for an error message, little enough that a
# receiver cannot make us buffer megabytes.
_BODY_READ_LIMIT = 64 * 1024
_ERROR_SNIPPET = 200


class GuardedNetworkBackend(httpcore.AsyncNetworkBackend):
    """Opens TCP connections only to public addresses, checked at connect time.

    The host is resolved here, every address is checked, and the connection goes to one of
    the checked addresses, so no second lookup can answer differently (DNS rebinding).
    TLS still verifies the certificate against the URL's host name.
    """

    def __init__(self, *, allow_private: bool, resolver: Resolver = resolve) -> None:
        self._inner = httpcore.AnyIOBackend()
        self._allow_private = allow_private
        self._resolver = resolver

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[typing.Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        if self._allow_private:
            addresses = [host]
        else:
            try:
                addresses = await self._resolver(host, port)
            except OSError as error:
                raise httpcore.ConnectError(f"cannot resolve {host}: {error}") from error
            check_addresses(host, addresses)
        last_error: Exception | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    address, port, timeout=timeout, local_address=local_address, socket_options=socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as error:
                last_error = error
        assert last_error is not None
        raise last_error

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: typing.Iterable[typing.Any] | None = None
    ) -> httpcore.AsyncNetworkStream:
        raise ForbiddenDestination("webhooks are not sent to unix sockets")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def guarded_transport(*, allow_private: bool, resolver: Resolver, limits: httpx.Limits) -> httpx.AsyncHTTPTransport:
    """httpx's transport, connecting through GuardedNetworkBackend and ignoring proxy settings."""
    transport = httpx.AsyncHTTPTransport(trust_env=False, limits=limits)
    # httpx offers no public way to give its connection pool a network backend, so replace
    # the pool it built with the same one plus the guard. tests/webhooks/test_urls.py sends
    # through this transport to a loopback receiver and checks that the guard refuses it.
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=httpx.create_ssl_context(trust_env=False),
        max_connections=limits.max_connections,
        max_keepalive_connections=limits.max_keepalive_connections,
        keepalive_expiry=limits.keepalive_expiry,
        network_backend=GuardedNetworkBackend(allow_private=allow_private, resolver=resolver),
    )
    return transport


@dataclass(frozen=True)
class AttemptResult:
    """What one HTTP attempt came to."""

    status_code: int | None
    latency_ms: int
    error: str | None
    # Seconds the receiver asked us to wait (Retry-After on 429 and 503).
    retry_after: float | None = None

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Retry-After as seconds from now: delta-seconds or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - now).total_seconds())


class Sender:
    """An HTTP client for webhook attempts, shared by a dispatcher's concurrent sends."""

    def __init__(
        self, *, timeout: float, allow_private: bool, resolver: Resolver = resolve, max_connections: int = 100
    ) -> None:
        self._timeout = timeout
        self._allow_private = allow_private
        limits = httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections)
        self._client = httpx.AsyncClient(
            transport=guarded_transport(allow_private=allow_private, resolver=resolver, limits=limits),
            timeout=httpx.Timeout(timeout),
            follow_redirects=False,
            trust_env=False,
        )

    async def __aenter__(self) -> "Sender":
        await self._client.__aenter__()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self._client.__aexit__(exc_type, exc, tb)

    async def post(self, url: str, headers: dict[str, str], body: bytes) -> AttemptResult:
        """POST `body`; never raises for what the network or the receiver does."""
        started = time.perf_counter()

        def elapsed() -> int:
            return round((time.perf_counter() - started) * 1000)

        if urlsplit(url).scheme != "https" and not self._allow_private:
            return AttemptResult(None, 0, "refused: only https URLs are allowed")
        try:
            # httpx's timeout bounds each read or write; this bounds the whole attempt.
            async with asyncio.timeout(self._timeout):
                async with self._client.stream("POST", url, content=body, headers=headers) as response:
                    received = bytearray()
                    async for chunk in response.aiter_bytes():
                        received += chunk
                        if len(received) >= _BODY_READ_LIMIT:
                            break
        except TimeoutError:
            return AttemptResult(None, elapsed(), f"timed out after {self._timeout:g} s")
        except ForbiddenDestination as error:
            return AttemptResult(None, elapsed(), f"refused: {error}")
        except (httpx.HTTPError, httpx.InvalidURL, OSError) as error:
            return AttemptResult(None, elapsed(), f"{type(error).__name__}: {error}"[:2000])
        latency = elapsed()
        status = response.status_code
        if 200 <= status < 300:
            return AttemptResult(status, latency, None)
        snippet = bytes(received[:_ERROR_SNIPPET]).decode("utf-8", "replace").strip()
        error_text = f"HTTP {status}" + (f": {snippet}" if snippet else "")
        retry_after = None
        if status in (429, 503):
            retry_after = parse_retry_after(response.headers.get("retry-after"), datetime.now(timezone.utc))
        return AttemptResult(status, latency, error_text, retry_after)
