"""The outbound address guard: which addresses connectors may call, checked at connect time."""

from __future__ import annotations

import ipaddress
import socket

import pytest
from aiohttp import web
from aiohttp.abc import AbstractResolver, ResolveResult
from yarl import URL

from junction.connectors.runtime.http import HttpClient
from junction.connectors.runtime.request import BuiltRequest
from junction.errors import BlockedAddress, UpstreamUnreachable
from junction.security.address_guard import AddressGuard, GuardedResolver, blocked_reason
from tests.connectors.runtime.helpers import async_test, serve


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "loopback"),
        ("127.5.6.7", "loopback"),
        ("::1", "loopback"),
        ("::ffff:127.0.0.1", "loopback"),
        ("169.254.169.254", "cloud metadata"),
        ("fd00:ec2::254", "cloud metadata"),
        ("169.254.10.1", "link-local"),
        ("fe80::1", "link-local"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("172.31.255.255", "private"),
        ("192.168.1.10", "private"),
        ("100.64.0.1", "private"),
        ("fc00::1", "private"),
        ("fd12:3456::1", "private"),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("240.0.0.1", "reserved"),
        ("192.0.2.5", "reserved"),
        ("::ffff:10.0.0.1", "private"),
    ],
)
def test_blocked_addresses_name_the_reason(address: str, reason: str) -> None:
    result = blocked_reason(ipaddress.ip_address(address))
    assert result is not None
    assert reason in result


@pytest.mark.parametrize("address", ["8.8.8.8", "93.184.216.34", "2606:4700:4700::1111"])
def test_public_addresses_pass(address: str) -> None:
    assert blocked_reason(ipaddress.ip_address(address)) is None


# IPv6 forms that carry an IPv4 address: each is judged by the IPv4 address inside it, and
# the reason names both the form and that address.
@pytest.mark.parametrize(
    ("address", "expected"),
    [
        pytest.param(
            "2002:a9fe:a9fe::1",
            "6to4 address carrying 169.254.169.254, a cloud metadata",
            id="6to4-metadata",
        ),
        pytest.param(
            "2002:7f00:1::1", "6to4 address carrying 127.0.0.1, a loopback", id="6to4-loopback"
        ),
        pytest.param(
            "2002:a00:1::1", "6to4 address carrying 10.0.0.1, a private", id="6to4-private"
        ),
        pytest.param(
            "2002:a9fe:1::", "6to4 address carrying 169.254.0.1, a link-local", id="6to4-link-local"
        ),
        pytest.param(
            "64:ff9b::a9fe:a9fe",
            "NAT64 address carrying 169.254.169.254, a cloud metadata",
            id="nat64-metadata",
        ),
        pytest.param(
            "64:ff9b::7f00:1", "NAT64 address carrying 127.0.0.1, a loopback", id="nat64-loopback"
        ),
        pytest.param(
            "64:ff9b::c0a8:101", "NAT64 address carrying 192.168.1.1, a private", id="nat64-private"
        ),
        pytest.param(
            "64:ff9b:1::a9fe:a9fe",
            "NAT64 address carrying 169.254.169.254",
            id="nat64-local-use-96",
        ),
        pytest.param(
            "64:ff9b:1:7f00:0:100::",
            "NAT64 address carrying 127.0.0.1, a loopback",
            id="nat64-local-use-48",
        ),
        pytest.param(
            "64:ff9b:1:0:7f:0:100::",
            "NAT64 address carrying 127.0.0.1, a loopback",
            id="nat64-local-use-64",
        ),
        pytest.param(
            "2001:0:4136:e378:8000:63bf:80ff:fffe",
            "Teredo address carrying 127.0.0.1, a loopback",
            id="teredo-loopback",
        ),
        pytest.param(
            "2001:0:4136:e378:8000:63bf:5601:5601",
            "Teredo address carrying 169.254.169.254, a cloud metadata",
            id="teredo-metadata",
        ),
        pytest.param("::ffff:169.254.169.254", "cloud metadata", id="mapped-metadata"),
        pytest.param(
            "::7f00:1",
            "IPv4-compatible address carrying 127.0.0.1, a loopback",
            id="compatible-loopback",
        ),
        pytest.param(
            "::a9fe:a9fe",
            "IPv4-compatible address carrying 169.254.169.254",
            id="compatible-metadata",
        ),
        pytest.param(
            "::ffff:0:a00:1",
            "IPv4-translated address carrying 10.0.0.1, a private",
            id="translated-private",
        ),
        pytest.param(
            "2607:f8b0::5efe:a9fe:a9fe",
            "ISATAP address carrying 169.254.169.254",
            id="isatap-metadata",
        ),
        pytest.param(
            "2607:f8b0::200:5efe:7f00:1",
            "ISATAP address carrying 127.0.0.1, a loopback",
            id="isatap-loopback",
        ),
    ],
)
def test_ipv6_forms_of_forbidden_ipv4_addresses_are_refused(address: str, expected: str) -> None:
    result = blocked_reason(ipaddress.ip_address(address))
    assert result is not None
    assert expected in result


@pytest.mark.parametrize(
    ("address", "allowed_with_loopback"),
    [
        pytest.param("2002:7f00:1::1", True, id="6to4-loopback"),
        pytest.param("64:ff9b::7f00:1", True, id="nat64-loopback"),
        pytest.param("2002:a9fe:a9fe::1", False, id="6to4-metadata-stays-refused"),
    ],
)
def test_embedded_addresses_follow_the_allow_flags(
    address: str, allowed_with_loopback: bool
) -> None:
    ip = ipaddress.ip_address(address)
    assert (blocked_reason(ip, allow_loopback=True) is None) is allowed_with_loopback


@pytest.mark.parametrize(
    "address",
    [
        pytest.param("2002:808:808::1", id="6to4-public"),
        pytest.param("64:ff9b::808:808", id="nat64-public"),
    ],
)
def test_ipv6_forms_of_public_ipv4_addresses_pass(address: str) -> None:
    assert blocked_reason(ipaddress.ip_address(address)) is None


@async_test
async def test_check_refuses_a_6to4_literal_in_a_url() -> None:
    guard = AddressGuard()
    with pytest.raises(BlockedAddress, match=r"6to4 address carrying 169\.254\.169\.254"):
        await guard.check("http://[2002:a9fe:a9fe::1]/latest/meta-data/")


def test_allow_flags_open_only_their_ranges() -> None:
    loopback, private = ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address("10.0.0.1")
    metadata = ipaddress.ip_address("169.254.169.254")
    assert blocked_reason(loopback, allow_loopback=True) is None
    assert blocked_reason(private, allow_loopback=True) is not None
    assert blocked_reason(private, allow_private=True) is None
    assert blocked_reason(loopback, allow_private=True) is not None
    # Metadata and link-local stay closed whatever is allowed.
    assert blocked_reason(metadata, allow_loopback=True, allow_private=True) is not None


@async_test
async def test_check_refuses_loopback_names_and_literals() -> None:
    guard = AddressGuard()
    with pytest.raises(BlockedAddress, match=r"127\.0\.0\.1.*loopback") as raised:
        await guard.check("http://127.0.0.1:8080/x")
    assert raised.value.status_code == 400
    with pytest.raises(BlockedAddress, match=r"localhost \(127\.0\.0\.1\).*loopback"):
        await guard.check("http://localhost/")
    with pytest.raises(BlockedAddress, match="loopback"):
        await guard.check("http://[::1]/")
    # Legacy numeric forms resolve to loopback too.
    with pytest.raises(BlockedAddress, match="loopback"):
        await guard.check("http://2130706433/")
    await AddressGuard(allow_loopback=True).check("http://localhost:9/")


@async_test
async def test_check_refuses_private_and_metadata_addresses() -> None:
    guard = AddressGuard()
    with pytest.raises(BlockedAddress, match=r"169\.254\.169\.254.*cloud metadata"):
        await guard.check("http://169.254.169.254/latest/meta-data/")
    with pytest.raises(BlockedAddress, match=r"10\.0\.0\.5.*private-network"):
        await guard.check("https://10.0.0.5/api")
    with pytest.raises(BlockedAddress, match="link-local"):
        await guard.check("http://[fe80::1]/")
    await AddressGuard(allow_private=True).check("https://10.0.0.5/api")


@async_test
async def test_check_refuses_other_schemes_and_hostless_urls() -> None:
    guard = AddressGuard()
    with pytest.raises(BlockedAddress, match=r"Only http and https.*'ftp:'"):
        await guard.check("ftp://example.com/file")
    with pytest.raises(BlockedAddress, match="'file:'"):
        await guard.check("file:///etc/passwd")
    with pytest.raises(BlockedAddress, match="no host"):
        await guard.check("http:///path-only")


@async_test
async def test_check_reports_an_unknown_host() -> None:
    with pytest.raises(UpstreamUnreachable, match=r"Cannot resolve host \'nothing\.invalid\'"):
        await AddressGuard().check("https://nothing.invalid/")


class FakeDns(AbstractResolver):
    """Answers names from a table, as a DNS server the attacker controls might."""

    def __init__(self, table: dict[str, str]) -> None:
        self.table = table
        self.asked: list[str] = []

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        self.asked.append(host)
        if host not in self.table:
            raise OSError(f"no such host {host}")
        return [
            ResolveResult(
                hostname=host,
                host=self.table[host],
                port=port,
                family=socket.AF_INET,
                proto=0,
                flags=0,
            )
        ]

    async def close(self) -> None:
        pass


@async_test
async def test_resolver_refuses_names_that_resolve_inward() -> None:
    dns = FakeDns({"internal.test": "10.0.0.7", "public.test": "93.184.216.34"})
    resolver = GuardedResolver(AddressGuard(), dns)
    with pytest.raises(BlockedAddress, match=r"internal\.test \(10\.0\.0\.7\)"):
        await resolver.resolve("internal.test", 80)
    assert (await resolver.resolve("public.test", 80))[0]["host"] == "93.184.216.34"


def _get(url: str, timeout: float = 5) -> BuiltRequest:
    return BuiltRequest(
        method="GET", url=URL(url), headers={}, body=None, body_log=None, timeout=timeout
    )


@async_test
async def test_connections_are_checked_when_made() -> None:
    """The name is checked where the connection is made, so a DNS answer cannot change
    between a check and the connect."""

    async def ok(request: web.Request) -> web.Response:
        return web.Response(text="hello")

    async with serve({"/": ok}) as base:
        port = URL(base).port
        dns = FakeDns({"api.test": "127.0.0.1"})
        closed = HttpClient(AddressGuard(), resolver=dns)
        with pytest.raises(BlockedAddress, match=r"api\.test \(127\.0\.0\.1\).*loopback"):
            await closed.send(_get(f"http://api.test:{port}/"))
        assert dns.asked == ["api.test"]
        await closed.close()

        opened = HttpClient(AddressGuard(allow_loopback=True), resolver=FakeDns(dns.table))
        response = await opened.send(_get(f"http://api.test:{port}/"))
        assert response.status == 200
        assert response.body == b"hello"
        await opened.close()


@async_test
async def test_every_redirect_hop_is_checked() -> None:
    async def to_metadata(request: web.Request) -> web.Response:
        raise web.HTTPFound("http://169.254.169.254/latest/meta-data/")

    async def to_internal(request: web.Request) -> web.Response:
        raise web.HTTPTemporaryRedirect("http://internal.test/admin")

    async def to_file(request: web.Request) -> web.Response:
        raise web.HTTPFound("file:///etc/passwd")

    async with serve({"/meta": to_metadata, "/internal": to_internal, "/file": to_file}) as base:
        dns = FakeDns({"internal.test": "10.9.8.7"})
        client = HttpClient(AddressGuard(allow_loopback=True), resolver=dns)
        with pytest.raises(BlockedAddress, match="cloud metadata"):
            await client.send(_get(f"{base}/meta"))
        with pytest.raises(BlockedAddress, match=r"internal\.test \(10\.9\.8\.7\)"):
            await client.send(_get(f"{base}/internal"))
        with pytest.raises(BlockedAddress, match="'file:'"):
            await client.send(_get(f"{base}/file"))
        await client.close()


@async_test
async def test_loopback_is_refused_by_default_in_the_client() -> None:
    async def ok(request: web.Request) -> web.Response:
        return web.Response(text="never")

    async with serve({"/": ok}) as base:
        client = HttpClient()
        with pytest.raises(BlockedAddress, match="loopback"):
            await client.send(_get(base + "/"))
        await client.close()
