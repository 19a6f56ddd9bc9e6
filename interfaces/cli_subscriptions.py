"""`kaizen subscription create|list|revoke`: notification subscriptions from the command line.

`create` prints the signing secret alone on the last line of stdout (shown once, like a token),
so scripts can capture it with `tail -1`. Filters repeat or take commas:
`--vendor sap --vendor oracle` is `--vendor sap,oracle`.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from application.context import Context
from domain.notification_rules import FILTER_FIELDS, LANGUAGE_ALIASES, LANGUAGES, TARGET_KINDS
from interfaces.cli_common import cli_actor, open_desk
from interfaces.cli_text import table, when


def register(actions: Callable[[str, str], Any], command: Callable[..., argparse.ArgumentParser]) -> None:
    """Add the `subscription` command group to the `kaizen` parser (called from `build_parser`)."""
    group = actions("subscription", "notification subscriptions: create, list, revoke")
    create = command(
        "create",
        _create,
        "subscribe a webhook, e-mail, DingTalk, Feishu or Teams target; "
        "the signing secret is printed once, on the last line",
        group,
    )
    create.add_argument("--kind", required=True, choices=TARGET_KINDS)
    create.add_argument("--target", required=True, help="https URL, or an e-mail address for --kind email")
    create.add_argument("--events", required=True, help="comma-separated, e.g. sla.breached,issue.escalated")
    for name in FILTER_FIELDS:
        create.add_argument(
            f"--{name}",
            action="append",
            default=[],
            metavar=name.upper(),
            help=f"only events with this {name} (repeat or comma-separate)",
        )
    create.add_argument("--language", choices=(*LANGUAGES, *LANGUAGE_ALIASES), default="en")
    create.add_argument("--name", help="a label for the list")
    create.add_argument("--signing-secret", help="the DingTalk / Feishu robot's own signing secret")
    command("list", _list, "list every subscription (secrets are never shown)", group)
    command("revoke", _revoke, "stop a subscription", group).add_argument("subscription_id", metavar="ID")


def _split(values: list[str]) -> list[str]:
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def _create(args: argparse.Namespace) -> int:
    filters = {name: _split(getattr(args, name)) for name in FILTER_FIELDS if _split(getattr(args, name))}
    with open_desk() as desk:
        receipt, secret = desk.create_subscription(
            Context(cli_actor()),
            kind=args.kind,
            target=args.target,
            events=_split([args.events]),
            filters=filters,
            language=args.language,
            name=args.name,
            signing_secret=args.signing_secret,
        )
        shown = desk.get_subscription(receipt.key).public_view()
    print(f"Subscription {shown['id']} ({shown['kind']} → {shown['target']}) for {', '.join(shown['events'])}.")
    print("Its signing secret (X-Kaizen-Signature) is shown once; store it now:")
    print(secret)
    return 0


def _list(args: argparse.Namespace) -> int:
    with open_desk() as desk:
        rows = [
            (
                s["id"],
                s["status"],
                s["kind"],
                s["target"],
                ",".join(s["events"]),
                " ".join(f"{k}={','.join(v)}" for k, v in s["filters"].items()) or "-",
                s["language"],
                when(s["created_at"]),
            )
            for s in (found.public_view() for found in desk.list_subscriptions())
        ]
    print(table(("id", "status", "kind", "target", "events", "filters", "lang", "created"), rows))
    return 0


def _revoke(args: argparse.Namespace) -> int:
    with open_desk() as desk:
        desk.revoke_subscription(Context(cli_actor()), args.subscription_id)
    print(f"Subscription {args.subscription_id} revoked.")
    return 0
