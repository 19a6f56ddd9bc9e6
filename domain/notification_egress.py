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
Unset or empty means `*`. Non-public addresses (loopback, private, link-local, shared, reserved,
multicast) are refused unless a listed *network* contains them, even for a listed host name, so
that a permitted name re-pointed at an internal address is still refused. Cloud metadata
addresses are refused unless listed as a single address (`169.254.169.254/32`).
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


def _address(text: str) -> IPAddress:
    address = ipaddress.ip_address(text.split("%", 1)[0])  # drop an IPv6 zone id
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
    return address


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
        for address in parsed:
            if address in METADATA_ADDRESSES:
                if not self._in_networks(address, single_only=True):
                    return f"{host} resolves to the cloud metadata address {address}"
            elif not address.is_global and not self._in_networks(address):
                return f"{host} resolves to the non-public address {address}; list its network in KAIZEN_WEBHOOK_ALLOW"
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
