"""A subscription to a literal address that is not global unicast is refused at creation, on both
stores, however the address is spelt (IPv6 forms that embed an IPv4 address, multicast)."""

from __future__ import annotations

import pytest

from tests.http.conftest import Api


@pytest.mark.parametrize(
    "target",
    [
        "http://[64:ff9b::7f00:1]/hook",  # NAT64 to 127.0.0.1
        "http://[64:ff9b::a9fe:a9fe]/latest/meta-data/",  # NAT64 to the metadata service
        "http://[64:ff9b:1::a00:5]/hook",  # local-use NAT64
        "http://[::127.0.0.1]/hook",  # IPv4-compatible
        "http://[::ffff:10.0.0.5]/hook",  # IPv4-mapped
        "http://[2002:7f00:1::1]/hook",  # 6to4
        "http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/hook",  # Teredo
        "http://[ff02::1]/hook",  # multicast
        "http://224.0.0.1/hook",
    ],
)
def test_addresses_that_are_not_global_unicast_are_refused(
    api: Api, target: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("KAIZEN_WEBHOOK_ALLOW", raising=False)  # the default: any public host
    body = {"kind": "webhook", "target": target, "events": ["issue.reported"]}
    answer = api.post("/api/v1/subscriptions", body)
    assert answer.status_code == 422, answer.get_json()
    assert answer.mimetype == "application/problem+json" and "target" in answer.get_json()["errors"]


def test_a_public_address_is_still_accepted(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KAIZEN_WEBHOOK_ALLOW", raising=False)
    body = {"kind": "webhook", "target": "https://[64:ff9b::808:808]/hook", "events": ["issue.reported"]}
    assert api.post("/api/v1/subscriptions", body).status_code == 201
