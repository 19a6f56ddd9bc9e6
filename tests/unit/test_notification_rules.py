"""The pure rules of notifications: filters, alert thresholds, retries, signatures, the egress
allow-list, targets, and the subscription aggregate."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.actor import Actor
from domain.errors import InvalidCommand, TransitionRefused
from domain.notification_egress import EgressPolicy
from domain.notification_rules import (
    MAX_ATTEMPTS,
    ClockState,
    NotificationFilter,
    alerts_due,
    check_target,
    redact_target,
    retry_delay,
    sign,
    threshold_times,
    verify,
)
from domain.subscription import Subscription

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
ADMIN = Actor("admin-wong", "admin")
HOUR = 3600


# -- filters ------------------------------------------------------------------------------------
def test_filter_takes_the_most_specific_wanted_type_and_ands_the_fields() -> None:
    wanted = NotificationFilter.build(
        ["issue.status_changed", "issue.escalated"], {"vendor": ["SAP", "sap"], "priority": ["P1", "P2"]}
    )
    assert wanted.fields == {"vendor": ("sap",), "priority": ("P1", "P2")}
    notice = {"vendor": "sap", "priority": "P1", "module": "finance"}
    assert wanted.chosen_type(["issue.escalated", "issue.status_changed"], notice) == "issue.escalated"
    assert wanted.chosen_type(["issue.resolved", "issue.status_changed"], notice) == "issue.status_changed"
    assert wanted.chosen_type(["issue.reported"], notice) is None
    assert wanted.chosen_type(["issue.escalated"], {**notice, "vendor": "oracle"}) is None
    assert wanted.chosen_type(["issue.escalated"], {"priority": "P1"}) is None  # no vendor: not this filter's


@pytest.mark.parametrize(
    ("types", "filters", "field"),
    [
        ([], None, "events"),
        (["issue.exploded"], None, "events"),
        (["issue.reported"], {"colour": ["red"]}, "filters"),
        (["issue.reported"], {"site": ["x" * 101]}, "filters"),
    ],
)
def test_filter_refuses_what_it_cannot_mean(types: list[str], filters: dict[str, list[str]] | None, field: str) -> None:
    with pytest.raises(InvalidCommand) as refused:
        NotificationFilter.build(types, filters)
    assert refused.value.field == field


# -- thresholds ---------------------------------------------------------------------------------
def test_at_risk_is_when_a_fifth_of_the_target_is_left() -> None:
    due = T0 + timedelta(hours=4)
    assert threshold_times(due, 4 * HOUR, 0.8) == {"sla.at_risk": due - timedelta(minutes=48), "sla.breached": due}


def clock(stopped: datetime | None = None, paused: bool = False, since: datetime | None = None) -> ClockState:
    return ClockState(
        due_at=T0 + timedelta(hours=1), target_seconds=HOUR, stopped_at=stopped, paused=paused, paused_since=since
    )


def test_alerts_due_for_a_running_clock() -> None:
    week = timedelta(days=7)
    assert alerts_due(clock(), T0 + timedelta(minutes=47), 0.8, week) == {}
    assert alerts_due(clock(), T0 + timedelta(minutes=48), 0.8, week) == {"sla.at_risk": T0 + timedelta(minutes=48)}
    # past due: the breach supersedes an at-risk alert not yet raised
    assert alerts_due(clock(), T0 + timedelta(hours=2), 0.8, week) == {"sla.breached": T0 + timedelta(hours=1)}
    assert alerts_due(clock(), T0 + timedelta(days=9), 0.8, week) == {}  # beyond the horizon: history


def test_stopped_and_paused_clocks_count_only_what_passed_while_running() -> None:
    later, week = T0 + timedelta(hours=3), timedelta(days=7)
    assert alerts_due(clock(stopped=T0 + timedelta(minutes=30)), later, 0.8, week) == {}
    assert alerts_due(clock(stopped=T0 + timedelta(minutes=50)), later, 0.8, week) == {
        "sla.at_risk": T0 + timedelta(minutes=48)
    }
    assert "sla.breached" in alerts_due(clock(stopped=T0 + timedelta(hours=2)), later, 0.8, week)
    assert alerts_due(clock(paused=True, since=T0 + timedelta(minutes=10)), later, 0.8, week) == {}
    assert alerts_due(clock(paused=True, since=T0 + timedelta(hours=2)), later, 0.8, week) == {
        "sla.breached": T0 + timedelta(hours=1)
    }


# -- retries ------------------------------------------------------------------------------------
def test_retry_schedule_with_jitter_then_dead() -> None:
    middle = [retry_delay(n, lambda: 0.5) for n in range(1, MAX_ATTEMPTS)]
    assert [d.total_seconds() for d in middle if d is not None] == [10, 30, 90, 270, 810]
    low, high = retry_delay(1, lambda: 0.0), retry_delay(1, lambda: 0.999999)
    assert low is not None and high is not None and low.total_seconds() == 8 and 11.99 < high.total_seconds() < 12
    assert retry_delay(MAX_ATTEMPTS, lambda: 0.5) is None and MAX_ATTEMPTS == 6


# -- signatures ---------------------------------------------------------------------------------
def test_signature_covers_timestamp_and_body() -> None:
    body = '{"type":"sla.breached","title":"过账失败"}'.encode()
    signature = sign("whsec_x", 1_700_000_000, body)
    assert signature.startswith("v1=") and len(signature) == 67
    assert verify("whsec_x", "1700000000", body, signature, now=1_700_000_100)
    assert verify("whsec_x", "1700000000", body, f"v1=deadbeef, {signature}", now=1_700_000_100)  # rotation lists
    assert not verify("whsec_x", "1700000001", body, signature, now=1_700_000_100)
    assert not verify("whsec_x", "1700000000", body + b"x", signature, now=1_700_000_100)
    assert not verify("whsec_x", "1700000000", body, signature, now=1_700_000_000 + 3600)  # replayed later
    assert not verify("whsec_x", "soon", body, signature, now=1_700_000_000)


# -- egress allow-list --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("allow", "host", "addresses", "allowed"),
    [
        (None, "hooks.example.com", ["93.184.216.34"], True),
        (None, "hooks.example.com", ["93.184.216.34", "10.0.0.1"], False),  # one private answer is enough to refuse
        (None, "localhost", ["127.0.0.1"], False),
        (None, "x", ["::1"], False),
        (None, "x", ["::ffff:127.0.0.1"], False),  # IPv4-mapped loopback
        (None, "x", ["169.254.169.254"], False),
        (None, "x", ["fd00:ec2::254"], False),
        (None, "x", ["100.100.100.200"], False),
        (None, "x", ["192.168.1.10"], False),
        (None, "x", [], False),
        ("127.0.0.1/32", "127.0.0.1", ["127.0.0.1"], True),
        ("127.0.0.1/32", "hooks.example.com", ["93.184.216.34"], False),  # a list without * allows only what it lists
        ("10.0.0.0/8", "erp-bridge.internal", ["10.1.2.3"], True),
        ("erp-bridge.internal", "erp-bridge.internal", ["10.1.2.3"], False),  # a name does not open private space
        ("*.example.com", "hooks.example.com", ["93.184.216.34"], True),
        ("*.example.com", "example.org", ["93.184.216.34"], False),
        ("*,10.0.0.0/8", "anything.example.net", ["93.184.216.34"], True),
        ("169.254.0.0/16", "x", ["169.254.169.254"], False),  # metadata only when listed exactly
        ("169.254.169.254/32", "x", ["169.254.169.254"], True),
    ],
)
def test_egress_policy(allow: str | None, host: str, addresses: list[str], allowed: bool) -> None:
    refusal = EgressPolicy.parse(allow).check(host, addresses)
    assert (refusal is None) is allowed, refusal


@pytest.mark.parametrize(
    ("address", "allowed"),
    [
        ("93.184.216.34", True),
        ("2606:4700::1111", True),
        ("64:ff9b::808:808", True),  # NAT64 to a public address: judged as 8.8.8.8
        ("64:ff9b::7f00:1", False),  # NAT64 to 127.0.0.1
        ("64:ff9b::a00:5", False),  # NAT64 to 10.0.0.5
        ("64:ff9b::a9fe:a9fe", False),  # NAT64 to the metadata address
        ("64:ff9b:1::a00:1", False),  # local-use NAT64 translates into the site's own space
        ("64:ff9b:1::808:808", False),
        ("::127.0.0.1", False),  # IPv4-compatible
        ("::10.0.0.1", False),
        ("::8.8.8.8", False),  # deprecated form: refused whatever it embeds
        ("::ffff:127.0.0.1", False),  # IPv4-mapped
        ("::ffff:10.1.2.3", False),
        ("::ffff:169.254.169.254", False),
        ("2002:7f00:1::1", False),  # 6to4 around 127.0.0.1
        ("2002:a00:1::1", False),  # 6to4 around 10.0.0.1
        ("2002:808:808::1", False),  # 6to4 tunnels through relays: refused
        ("2001:0:4136:e378:8000:63bf:3fff:fdd2", False),  # Teredo
        ("2001::1", False),
        ("ff02::1", False),  # multicast, link-local scope
        ("ff0e::1", False),  # multicast, global scope: still not one host
        ("224.0.0.1", False),
        ("239.255.255.250", False),
        ("255.255.255.255", False),
        ("0.0.0.0", False),
        ("::", False),
        ("3fff::1", False),  # documentation
        ("fe80::1%eth0", False),
        ("fc00::1", False),
        ("100.64.0.1", False),  # shared address space
    ],
)
def test_only_global_unicast_addresses_are_contacted(address: str, allowed: bool) -> None:
    refusal = EgressPolicy.parse(None).check("hooks.example.com", [address])
    assert (refusal is None) is allowed, refusal


@pytest.mark.parametrize(
    ("allow", "address", "allowed"),
    [
        ("*,10.0.0.0/8", "64:ff9b::a00:5", True),  # the listed IPv4 network, reached through NAT64
        ("64:ff9b::/96", "64:ff9b::7f00:1", False),  # listing the NAT64 prefix does not open loopback
        ("2002::/16", "2002:7f00:1::1", False),  # nor does listing 6to4
        ("2002::/16", "2002:808:808::1", True),
        ("::1/128", "::1", True),
        ("127.0.0.1/32", "::ffff:127.0.0.1", True),
        ("*", "ff02::1", False),
    ],
)
def test_embedded_ipv4_is_judged_even_inside_a_listed_network(allow: str, address: str, allowed: bool) -> None:
    refusal = EgressPolicy.parse(allow).check(address, [address])
    assert (refusal is None) is allowed, refusal


def test_egress_policy_refuses_malformed_entries() -> None:
    with pytest.raises(ValueError, match="not a network"):
        EgressPolicy.parse("10.0.0.0/33")
    with pytest.raises(ValueError, match="neither"):
        EgressPolicy.parse("bad host!")


# -- targets and the subscription ---------------------------------------------------------------
@pytest.mark.parametrize(
    ("kind", "target"),
    [
        ("webhook", "ftp://example.com/x"),
        ("webhook", "https://u:p@example.com/"),
        ("webhook", "https://example.com/#x"),
        ("dingtalk", "http://oapi.dingtalk.com/robot/send"),
        ("email", "ops@example.com\r\nBcc: x@y.z"),
        ("email", "not an address"),
        ("pager", "https://example.com"),
        ("webhook", "https://example.com:99999/"),
    ],
)
def test_targets_that_are_refused(kind: str, target: str) -> None:
    with pytest.raises(InvalidCommand):
        check_target(kind, target)


def test_chat_credentials_are_masked_once_stored() -> None:
    assert redact_target("dingtalk", "https://oapi.dingtalk.com/robot/send?access_token=abc") == (
        "https://oapi.dingtalk.com/robot/send?access_token=***"
    )
    assert redact_target("feishu", "https://open.feishu.cn/open-apis/bot/v2/hook/secret-id") == (
        "https://open.feishu.cn/open-apis/bot/v2/hook/***"
    )
    assert redact_target("email", "ops@example.com") == "ops@example.com"


def test_subscription_keeps_its_secret_to_itself() -> None:
    created, secret = Subscription.create(
        kind="webhook",
        target="https://hooks.example.com/k?token=t",
        event_types=["sla.breached"],
        filters={"priority": ["P1"]},
        language="zh",
        actor=ADMIN,
        occurred_at=T0,
    )
    assert secret.startswith("whsec_") and created.secret == secret
    shown = created.public_view()
    assert secret not in repr(shown) and secret not in repr(created) and shown["target"].endswith("token=***")
    assert created.key.startswith("sub_") and created.id == Subscription.create_id(created.key)
    created.revoke(ADMIN, T0)
    with pytest.raises(TransitionRefused):
        created.revoke(ADMIN, T0)
    with pytest.raises(InvalidCommand) as refused:
        Subscription.create(
            kind="webhook",
            target="https://x.example.com",
            event_types=["issue.reported"],
            filters=None,
            language="fr",
            actor=ADMIN,
            occurred_at=T0,
        )
    assert refused.value.field == "language"
