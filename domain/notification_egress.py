"""Where notifications may be sent: the outbound allow-list that keeps webhooks from becoming SSRF.

A subscription's URL is chosen by an administrator, but the request is made by the server, from
inside the company network; without a rule, a URL could reach the cloud metadata service, the
database, or an admin console on localhost (OWASP API7:2023, Server Side Request Forgery).

The rule is decided here, purely, from a host name and the addresses it resolved to; resolving
and connecting happen elsewhere (at creation *and* again at every delivery, connecting to the
very addresses that were checked, so a DNS answer that changes in between cannot slip through).

`KAIZEN_WEBHOOK_ALLOW` is a comma-separated list of:
- `host.example.com`: that host name; `*.example.com`: any name under it;
- `10.20.0.0/16`, `127.0.0.1/32`, `fd12::/64`: addresses inside that network;
- `*`: any host whose addresses are all public.
Unset or empty means `*`. Addresses that are not global unicast (loopback, private, link-local,
shared, reserved, multicast, and the IPv6 forms that tunnel to an IPv4 address: IPv4-compatible,
6to4, Teredo, local-use NAT64) are refused unless a listed *network* contains them, even for a
listed host name, so that a permitted name re-pointed at an internal address is still refused. Cloud metadata
addresses are refused unless listed as a single address (`169.254.169.254/32`). An address
that embeds an IPv4 one is judged as that too: IPv4-mapped `::ffff:a.b.c.d` *is* `a.b.c.d`, a
NAT64 `64:ff9b::a.b.c.d` passes only when `a.b.c.d` would, and a listed 6to4 or Teredo network
still does not open the private IPv4 space inside it.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

METADATA_ADDRESSES: frozenset[IPAddress] = frozenset(
    {
        ipaddress.ip_address("169.254.169.254"),  # AWS, GCP, Azure, OpenStack, DigitalOcean
        ipaddress.ip_address("fd00:ec2::254"),  # AWS over IPv6
        ipaddress.ip_address("100.100.100.200"),  # Alibaba Cloud
        ipaddress.ip_address("169.254.170.2"),  # AWS ECS task credentials
    }
)


class EgressRefused(Exception):
    """A target this server must not contact; the message says which rule refused it."""


NAT64_WELL_KNOWN = ipaddress.ip_network("64:ff9b::/96")
"""RFC 6052: how IPv6-only networks reach IPv4 hosts; the gateway connects to the embedded address."""

IPV4_COMPATIBLE = ipaddress.ip_network("::/96")
"""`::a.b.c.d`, deprecated by RFC 4291; `::` and `::1` lie in it too."""

NOT_GLOBAL_V6: tuple[ipaddress.IPv6Network, ...] = tuple(
    ipaddress.IPv6Network(net)
    for net in (
        "::/96",  # IPv4-compatible
        "64:ff9b:1::/48",  # local-use NAT64 (RFC 8215): translates into the site's own IPv4 space
        "2001::/32",  # Teredo: tunnels through relays to an embedded (obfuscated) IPv4 client
        "2002::/16",  # 6to4: the embedded IPv4 address is the tunnel's end
        "3fff::/20",  # documentation (RFC 9637)
        "5f00::/16",  # SRv6 segment identifiers (RFC 9602)
    )
)
"""Special-purpose IPv6 networks that Python 3.11's `is_global` still calls global.

The transition forms among them embed an IPv4 address that the packet really goes to (6to4,
Teredo, IPv4-compatible, local NAT64); none is a way a webhook receiver is reached today, so
they are refused whatever they embed, unless a listed network contains them."""


def _address(text: str) -> IPAddress:
    address = ipaddress.ip_address(text.split("%", 1)[0])  # drop an IPv6 zone id
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
    return address


def _judged(address: IPAddress) -> list[IPAddress]:
    """The address, then every IPv4 address it embeds, each of which must pass as well.

    Through a NAT64 gateway `64:ff9b::127.0.0.1` is 127.0.0.1; a 6to4 or Teredo address
    tunnels to the IPv4 address inside it; `::127.0.0.1` is the old spelling of 127.0.0.1. The
    last three are refused anyway unless listed, and even then their IPv4 end is judged."""
    if not isinstance(address, ipaddress.IPv6Address):
        return [address]
    embedded: list[IPAddress] = []
    if address in NAT64_WELL_KNOWN or (address in IPV4_COMPATIBLE and int(address) > 1):  # not :: nor ::1
        embedded.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    if address.sixtofour is not None:
        embedded.append(address.sixtofour)
    if address.teredo is not None:
        embedded.extend(address.teredo)  # (server, client)
    return [address, *embedded]


def is_global_unicast(address: IPAddress) -> bool:
    """Reachable on the public Internet, and one host: no multicast, no special-purpose range."""
    if address.is_multicast or not address.is_global:
        return False
    return not (isinstance(address, ipaddress.IPv6Address) and any(address in net for net in NOT_GLOBAL_V6))


@dataclass(frozen=True)
class EgressPolicy:
    """The parsed allow-list; `check` says whether a host and its addresses may be contacted."""

    hosts: frozenset[str] = frozenset()
    suffixes: tuple[str, ...] = ()
    networks: tuple[IPNetwork, ...] = ()
    any_public: bool = True

    @classmethod
    def parse(cls, text: str | None) -> EgressPolicy:
        """Parse `KAIZEN_WEBHOOK_ALLOW`; raises ValueError naming a malformed entry."""
        entries = [e.strip().lower() for e in (text or "").split(",") if e.strip()]
        if not entries:
            return cls()
        hosts: set[str] = set()
        suffixes: list[str] = []
        networks: list[IPNetwork] = []
        any_public = False
        for entry in entries:
            if entry == "*":
                any_public = True
            elif entry.startswith("*."):
                suffixes.append(entry[1:])
            elif "/" in entry or _is_address(entry):
                try:
                    networks.append(ipaddress.ip_network(entry, strict=False))
                except ValueError:
                    raise ValueError(f"KAIZEN_WEBHOOK_ALLOW: {entry!r} is not a network") from None
            elif _is_host_name(entry):
                hosts.add(entry.rstrip("."))
            else:
                raise ValueError(f"KAIZEN_WEBHOOK_ALLOW: {entry!r} is neither a host name nor a network")
        return cls(frozenset(hosts), tuple(suffixes), tuple(networks), any_public)

    def _host_listed(self, host: str) -> bool:
        name = host.lower().rstrip(".")
        return name in self.hosts or any(name.endswith(suffix) for suffix in self.suffixes)

    def _in_networks(self, address: IPAddress, single_only: bool = False) -> bool:
        return any(
            address.version == net.version and address in net and (not single_only or net.num_addresses == 1)
            for net in self.networks
        )

    def check(self, host: str, addresses: Sequence[str]) -> str | None:
        """None when every address may be contacted for `host`, else the reason it may not."""
        if not addresses:
            return f"{host} does not resolve to any address"
        try:
            parsed = [_address(a) for a in addresses]
        except ValueError:
            return f"{host} resolved to something that is not an IP address"
        all_in_networks = all(self._in_networks(a) for a in parsed)
        if not (self.any_public or self._host_listed(host) or all_in_networks):
            return f"{host} is not in KAIZEN_WEBHOOK_ALLOW"
        for resolved in parsed:
            for address in _judged(resolved):
                shown = str(resolved) if address == resolved else f"{resolved} (which reaches {address})"
                if address in METADATA_ADDRESSES:
                    if not self._in_networks(address, single_only=True):
                        return f"{host} resolves to the cloud metadata address {shown}"
                elif not is_global_unicast(address) and not self._in_networks(address):
                    return (
                        f"{host} resolves to the non-public address {shown}; list its network in KAIZEN_WEBHOOK_ALLOW"
                    )
        return None


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _is_host_name(text: str) -> bool:
    labels = text.rstrip(".").split(".")
    return bool(labels) and all(
        0 < len(label) <= 63 and label.replace("-", "").isalnum() and label.isascii() for label in labels
    )
