"""`kaizen people add|list|deactivate|reset` and `kaizen groups add`: the directory from the
command line (docs/reference.md, "People and groups").

`add` and `reset` print the one-time invitation URL alone on the last line of stdout, so a
script can hand it on with `tail -1`. The link is on the address people reach the console at,
`KAIZEN_PUBLIC_URL` (default `http://127.0.0.1:8000`): the command line has no request to take
a host from, as the API does.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from typing import Any

from application.context import Context
from domain.group import GROUP_KINDS
from domain.person import LANGUAGES
from interfaces.cli_common import cli_actor, open_desk
from interfaces.cli_text import table

PUBLIC_URL_ENV = "KAIZEN_PUBLIC_URL"
DEFAULT_PUBLIC_URL = "http://127.0.0.1:8000"


def public_url(env: dict[str, str] | None = None) -> str:
    """Where people open the console, without a trailing slash."""
    source = os.environ if env is None else env
    return (source.get(PUBLIC_URL_ENV, "").strip() or DEFAULT_PUBLIC_URL).rstrip("/")


def register(actions: Callable[[str, str], Any], command: Callable[..., argparse.ArgumentParser]) -> None:
    """Add the `people` and `groups` command groups to the `kaizen` parser (from `build_parser`)."""
    people = actions("people", "people who sign in: add, list, deactivate, reset")
    add = command("add", _add, "add a person; the invitation URL is printed alone on the last line", people)
    add.add_argument("person", metavar="ID", help="their login, like ada.wong")
    add.add_argument("--name", required=True)
    add.add_argument("--email", required=True)
    add.add_argument(
        "--role",
        action="append",
        required=True,
        dest="roles",
        metavar="ROLE",
        help="reporter, admin, auditor or vendor:<slug>; repeat for more",
    )
    add.add_argument("--group", action="append", default=[], dest="groups", metavar="G", help="repeat for more")
    add.add_argument("--site")
    add.add_argument("--language", choices=LANGUAGES, default="en")
    add.add_argument("--time-zone", default="UTC", metavar="Z", help="IANA, like Asia/Hong_Kong")
    command("list", _list, "list every person", people)
    command("deactivate", _deactivate, "end a person's sessions and tokens at once", people).add_argument(
        "person", metavar="ID"
    )
    command("reset", _reset, "a new invitation URL (last line); the old password stops working", people).add_argument(
        "person", metavar="ID"
    )

    groups = actions("groups", "groups of people: departments, vendor teams, the admin team")
    group = command("add", _add_group, "form a group", groups)
    group.add_argument("group", metavar="ID")
    group.add_argument("--name", required=True)
    group.add_argument("--kind", required=True, choices=GROUP_KINDS)
    group.add_argument("--vendor", help="the vendor of a vendor_team, like multiable")
    group.add_argument(
        "--member", action="append", default=[], dest="members", metavar="PERSON[:DUTY]", help="repeat for more"
    )


def _add(args: argparse.Namespace) -> int:
    with open_desk() as desk:
        enrolment = desk.create_person(
            Context(cli_actor()),
            args.person,
            name=args.name,
            email=args.email,
            roles=args.roles,
            groups=args.groups,
            site=args.site,
            language=args.language,
            time_zone=args.time_zone,
        )
    person = enrolment.person
    print(f"Person {person.person_id} ({person.name}, {', '.join(person.roles)}) added.")
    print("Their one-time link to set a password (valid 72 hours) is shown once:")
    print(public_url() + enrolment.invitation_path)
    return 0


def _list(args: argparse.Namespace) -> int:
    with open_desk() as desk:
        rows = [
            (
                p.person_id,
                p.name,
                p.email,
                ",".join(p.roles),
                ",".join(p.groups) or "-",
                p.site or "-",
                p.language,
                p.time_zone,
                "active" if p.active else "deactivated",
            )
            for p in desk.list_people(cli_actor())
        ]
    print(table(("id", "name", "email", "roles", "groups", "site", "lang", "time zone", "status"), rows))
    return 0


def _deactivate(args: argparse.Namespace) -> int:
    with open_desk() as desk:
        desk.deactivate_person(Context(cli_actor()), args.person)
    print(f"Person {args.person} deactivated; their sessions and tokens no longer work.")
    return 0


def _reset(args: argparse.Namespace) -> int:
    with open_desk() as desk:
        enrolment = desk.reset_person(Context(cli_actor()), args.person)
    print(f"Password of {args.person} reset; their sessions ended. Their new one-time link (72 hours):")
    print(public_url() + enrolment.invitation_path)
    return 0


def _add_group(args: argparse.Namespace) -> int:
    with open_desk() as desk:
        receipt = desk.create_group(
            Context(cli_actor()), args.group, name=args.name, kind=args.kind, vendor=args.vendor, members=args.members
        )
        shown = desk.get_group(receipt.key).as_dict()
    members = ", ".join(m["person"] + (f" ({m['duty']})" if m["duty"] else "") for m in shown["members"]) or "none"
    print(f"Group {shown['id']} ({shown['name']}, {shown['kind']}) formed; members: {members}.")
    return 0
