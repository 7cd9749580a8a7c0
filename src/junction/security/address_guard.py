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
LOOPBACK = "a loopback address"
PRIVATE = "a private-network address"
RESERVED = "a reserved address"
# Ranges operators use for their own networks. 100.64/10 (carrier-grade NAT) is here too
# because Kubernetes and VPN overlays hand it out for internal services.
PRIVATE_NETWORKS = tuple(
    ipaddress.ip_network(net)
    for net in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7")
)


NAT64_WELL_KNOWN = ipaddress.ip_network("64:ff9b::/96")
NAT64_LOCAL_USE = ipaddress.ip_network("64:ff9b:1::/48")
IPV4_COMPATIBLE = ipaddress.ip_network("::/96")
IPV4_TRANSLATED = ipaddress.ip_network("::ffff:0:0:0/96")
# Where RFC 6052 puts the IPv4 address for each NAT64 prefix length a local-use prefix may
# have (/96, /64, /56, /48): (first bit, last bit + 1) spans from the left; bits 64-71
# are never used.
_NAT64_LAYOUTS = (
    ((96, 128),),
    ((72, 104),),
    ((56, 64), (72, 96)),
    ((48, 64), (72, 88)),
)
_ISATAP_IDS = frozenset({0x00005EFE, 0x02005EFE})


def _bits(value: int, start: int, end: int) -> int:
    return (value >> (128 - end)) & ((1 << (end - start)) - 1)


def _ipv4_from(value: int, spans: tuple[tuple[int, int], ...]) -> ipaddress.IPv4Address:
    number = 0
    for start, end in spans:
        number = (number << (end - start)) | _bits(value, start, end)
    return ipaddress.IPv4Address(number)


def embedded_ipv4(address: ipaddress.IPv6Address) -> list[tuple[str, ipaddress.IPv4Address]]:
    """The IPv4 addresses an IPv6 address carries, each with the name of its form.

    Each of these forms reaches (through the host, a relay or a translator) the IPv4
    address inside it, so a forbidden IPv4 address must not get through in one of them.
    """
    value = int(address)
    found: list[tuple[str, ipaddress.IPv4Address]] = []
    if address.sixtofour is not None:
        found.append(("a 6to4 address", address.sixtofour))
    if address.teredo is not None:
        server, client = address.teredo  # the client's address is stored inverted
        found += [("a Teredo address", client), ("a Teredo address", server)]
    if address in NAT64_WELL_KNOWN:
        found.append(("a NAT64 address", ipaddress.IPv4Address(value & 0xFFFFFFFF)))
    elif address in NAT64_LOCAL_USE:
        # The translator's prefix length is not known, so every layout is read; an
        # all-zero read is a layout not in use, not 0.0.0.0.
        candidates = (_ipv4_from(value, spans) for spans in _NAT64_LAYOUTS)
        found += [("a NAT64 address", ip) for ip in candidates if int(ip)]
    elif address in IPV4_TRANSLATED:
        found.append(("an IPv4-translated address", ipaddress.IPv4Address(value & 0xFFFFFFFF)))
    elif address in IPV4_COMPATIBLE and value > 1:  # :: and ::1 are themselves
        found.append(("an IPv4-compatible address", ipaddress.IPv4Address(value)))
    if _bits(value, 64, 96) in _ISATAP_IDS:
        found.append(("an ISATAP address", ipaddress.IPv4Address(value & 0xFFFFFFFF)))
    return found


def blocked_reason(
    address: IPAddress, *, allow_loopback: bool = False, allow_private: bool = False
) -> str | None:
    """Why calls to ``address`` are not allowed, or None when they are.

    An IPv6 address carrying an IPv4 address (6to4, Teredo, NAT64, ISATAP, IPv4-mapped,
    -compatible or -translated) is judged as that IPv4 address too: ``2002:7f00:1::1`` is
    refused as 127.0.0.1 would be.
    """
    if isinstance(address, ipaddress.IPv6Address):
        # ::ffff:127.0.0.1 is 127.0.0.1 to the host: judge the IPv4 address alone.
        if address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        else:
            refused = [
                f"{form} carrying {inner}, {reason}"
                for form, inner in embedded_ipv4(address)
                if (
                    reason := _plain_reason(
                        inner, allow_loopback=allow_loopback, allow_private=allow_private
                    )
                )
                is not None
            ]
            if refused:
                # Name the sharpest reason: where a NAT64 layout is a guess, a layout not
                # in use reads as a reserved address.
                sharp = [text for text in refused if not text.endswith(RESERVED)]
                return (sharp or refused)[0]
            if address in NAT64_WELL_KNOWN:
                # This prefix may only carry public IPv4 addresses (RFC 6052), which
                # passed above; on an IPv6-only host it is how IPv4 APIs are reached.
                return None
    return _plain_reason(address, allow_loopback=allow_loopback, allow_private=allow_private)


def _plain_reason(address: IPAddress, *, allow_loopback: bool, allow_private: bool) -> str | None:
    if address in METADATA_ADDRESSES:
        return "a cloud metadata address"
    if address.is_loopback:
        return None if allow_loopback else LOOPBACK
    if address.is_link_local:
        return "a link-local address"
    if address.is_unspecified:
        return "the unspecified address"
    if address.is_multicast:
        return "a multicast address"
    if any(address in net for net in PRIVATE_NETWORKS if net.version == address.version):
        return None if allow_private else PRIVATE
    if not address.is_global or address.is_reserved:
        return RESERVED
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
                if reason.endswith((LOOPBACK, PRIVATE))
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
