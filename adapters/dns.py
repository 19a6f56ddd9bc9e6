"""The system resolver, for the outbound allow-list (`application.ports.Resolver`).

A URL subscription is checked against `KAIZEN_WEBHOOK_ALLOW` on every address its host
resolves to, when it is created and again at every delivery, because DNS answers change.
"""

from __future__ import annotations

import socket


def resolve_host(host: str, port: int) -> list[str]:
    """Every address `host` resolves to (empty when it does not resolve), each once, in the
    resolver's order."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return []
    return list(dict.fromkeys(str(info[4][0]) for info in infos))
