"""The outbound address guard: keeps connector calls away from internal networks.

A connector definition or an account connector property decides where Junction sends
requests, so without a guard anyone who can write one could make Junction call its own
admin ports, the cloud metadata service (169.254.169.254) or machines on the private
network (server-side request forgery).

Checking a URL before the request is not enough on its own: the name can resolve to a
public address when checked and to a private one when connected (DNS rebinding). So the
check is made where the connection is made, by ``GuardedResolver``, the resolver of the
runtime's aiohttp connector: every connection, redirects included, only ever goes to an
address that passed. aiohttp does not ask the resolver about IP literals, so
``check_literal`` is called on every URL (each redirect hop too) before it is requested.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from functools import lru_cache

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver
from yarl import URL

from junction.errors import BlockedAddress, UpstreamUnreachable

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

ALLOWED_SCHEMES = frozenset({"http", "https"})
METADATA_ADDRESSES = frozenset(
    {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}
)
# Ranges operators use for their own networks. 100.64/10 (carrier-grade NAT) is here too
# because Kubernetes and VPN overlays hand it out for internal services.
PRIVATE_NETWORKS = tuple(
    ipaddress.ip_network(net)
    for net in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7")
)


def blocked_reason(
    address: IPAddress, *, allow_loopback: bool = False, allow_private: bool = False
) -> str | None:
    """Why calls to ``address`` are not allowed, or None when they are."""
    if isinstance(address, ipaddress.IPv6Address):
        # ::ffff:127.0.0.1 reaches 127.0.0.1; judge the IPv4 address it carries.
        mapped = address.ipv4_mapped
        if mapped is not None:
            address = mapped
    if address in METADATA_ADDRESSES:
        return "a cloud metadata address"
    if address.is_loopback:
        return None if allow_loopback else "a loopback address"
    if address.is_link_local:
        return "a link-local address"
    if address.is_unspecified:
        return "the unspecified address"
    if address.is_multicast:
        return "a multicast address"
    if any(address in net for net in PRIVATE_NETWORKS if net.version == address.version):
        return None if allow_private else "a private-network address"
    if not address.is_global or address.is_reserved:
        return "a reserved address"
    return None


_NOT_AN_ADDRESS = "not an IP address"


@lru_cache(maxsize=4096)
def _reason(address: str, allow_loopback: bool, allow_private: bool) -> str | None:
    # Cached: every call to an API on an IP literal checks it, and parsing costs more than
    # the rest of the check.
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return _NOT_AN_ADDRESS
    return blocked_reason(ip, allow_loopback=allow_loopback, allow_private=allow_private)


class AddressGuard:
    """Says whether Junction may call a URL; ``allow_*`` open loopback or private ranges."""

    def __init__(self, allow_loopback: bool = False, allow_private: bool = False) -> None:
        self.allow_loopback = allow_loopback
        self.allow_private = allow_private

    def check_address(self, host: str, address: str) -> None:
        """Raise BlockedAddress when ``address`` (which ``host`` resolved to) is not allowed."""
        reason = _reason(address, self.allow_loopback, self.allow_private)
        if reason is None:
            return
        if reason == _NOT_AN_ADDRESS:
            raise BlockedAddress(f"'{host}' resolved to '{address}', not an IP address")
        shown = host if host == address else f"{host} ({address})"
        raise BlockedAddress(
            f"Calls to {shown} are not allowed: it is {reason}"
            + (
                " (allow them with the outbound address settings)"
                if reason in ("a loopback address", "a private-network address")
                else ""
            )
        )

    def check_literal(self, url: URL) -> bool:
        """Check the scheme, and the host when it is an IP literal (aiohttp connects to those
        without asking the resolver). Returns True when the host is a name still to resolve.
        """
        if url.scheme not in ALLOWED_SCHEMES:
            raise BlockedAddress(
                f"Only http and https URLs may be called, not '{url.scheme or '(none)'}:' "
                f"({url.host or 'no host'})"
            )
        host = url.raw_host
        if not host:
            raise BlockedAddress(f"The URL '{url.human_repr()[:200]}' has no host")
        address = host.strip("[]")
        if _reason(address, self.allow_loopback, self.allow_private) == _NOT_AN_ADDRESS:
            return True
        self.check_address(host, address)
        return False

    async def check(self, url: str) -> None:
        """Check a URL now, resolving its host without blocking the event loop.

        For a connection, the resolver's check is the one that counts (see the module
        docstring); this one is for saying early that a configured URL is unusable.
        """
        try:
            parsed = URL(url)
        except ValueError as exc:
            raise BlockedAddress(f"'{url[:200]}' is not a valid URL: {exc}") from None
        if not self.check_literal(parsed):
            return
        host = parsed.raw_host
        assert host is not None
        port = parsed.port or (443 if parsed.scheme == "https" else 80)
        loop = asyncio.get_running_loop()
        try:
            infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except socket.gaierror as exc:
            raise UpstreamUnreachable(f"Cannot resolve host '{host}': {exc.strerror}") from None
        # Every answer must pass: a name that points into internal space even in part is a
        # mistake or an attack, and saying so beats connecting only some of the time.
        for info in infos:
            self.check_address(host, str(info[4][0]))


class GuardedResolver(AbstractResolver):
    """Wraps aiohttp's default resolver; a name with any answer the guard refuses fails.

    Raising here (instead of dropping the refused answers) makes the call fail with
    BlockedAddress, which names the host, rather than with a puzzling connection error, and
    treats a name as the check() above does.
    """

    def __init__(self, guard: AddressGuard, inner: AbstractResolver | None = None) -> None:
        self._guard = guard
        self._inner: AbstractResolver = inner if inner is not None else DefaultResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        results = await self._inner.resolve(host, port, family)
        for result in results:
            self._guard.check_address(host, result["host"])
        return results

    async def close(self) -> None:
        await self._inner.close()
