"""`kaizen`: the command line of docs/reference.md ("Command line"), for operators and scripts.

Scripts depend on the forms and on the exit codes: 0 done, 1 refused or failed (one line
`kaizen: <why>` on stderr, never a traceback), 2 usage. Modules owned by other parts of the
product (the server, the projection worker, audit) are imported inside their command, so
`kaizen token` starts without loading gunicorn, Flask or the projections.
The CLI acts as `cli:<os user>` with the admin role: whoever can run it can read the store.
`KAIZEN_DEBUG=1` shows the traceback of an unexpected error instead of the one line.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import sys
from collections.abc import Callable
from typing import Any, NoReturn

from application.config import ConfigurationError, store_settings
from application.context import Context
from application.errors import ApplicationError
from domain.errors import DomainError
from interfaces.cli_audit import register as register_audit
from interfaces.cli_common import cli_actor, open_desk
from interfaces.cli_people import register as register_people
from interfaces.cli_subscriptions import register as register_subscriptions
from interfaces.cli_text import REPLAY_COLUMNS, SLA_LEGEND, progress_bar, render_issue, replay_lines, table, when


class UsageError(Exception):
    """Wrong command-line forms: exit 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message} (see '{self.prog} --help')")


def _expected_errors() -> tuple[type[BaseException], ...]:
    """What a user can cause or fix (bad input, refused transition, store down): one line, exit 1."""
    import psycopg
    from eventsourcing.persistence import PersistenceError

    store = (PersistenceError, psycopg.Error, sqlite3.Error, OSError)
    return (DomainError, ApplicationError, ConfigurationError, ValueError, *store)


def main(argv: list[str] | None = None) -> int:
    """Run one command; returns the exit code (the console script exits with it)."""
    try:
        args = build_parser().parse_args(argv)
        handler: Callable[[argparse.Namespace], int] = args.handler
        return handler(args)
    except UsageError as exc:
        _error(str(exc))
        return 2
    except SystemExit as exc:  # --help and --version
        return exc.code if isinstance(exc.code, int) else 0
    except BrokenPipeError:  # the reader went away (`kaizen export ... | head`): stop quietly
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - so the interpreter's final flush cannot fail
        return 1
    except KeyboardInterrupt:
        _error("kaizen: interrupted")
        return 130
    except _expected_errors() as exc:
        _error(f"kaizen: {_message(exc)}")
        return 1
    except Exception as exc:  # the contract promises no traceback, even for our own bugs
        if os.environ.get("KAIZEN_DEBUG"):
            raise
        _error(f"kaizen: unexpected {type(exc).__name__}: {_message(exc)}")
        return 1


def _message(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    if type(exc).__module__.startswith(("eventsourcing", "psycopg", "sqlite3")):
        return f"the store is unavailable: {text}"
    return text


def _error(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


# -- parser ------------------------------------------------------------------------------------
def _number(kind: type[int] | type[float], low: float, high: float) -> Callable[[str], Any]:
    """An argparse type with a range; argparse turns its ValueError into a usage error (exit 2)."""

    def parse(text: str) -> Any:
        if not low <= (value := kind(text)) <= high:
            raise ValueError(text)
        return value

    parse.__name__ = kind.__name__  # argparse names it in "invalid int value: 'x'"
    return parse


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="kaizen", description="Kaizen Desk: ERP issue and improvement register.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_Parser)

    def command(
        name: str, handler: Callable[[argparse.Namespace], int] | None, text: str, group: Any = commands
    ) -> argparse.ArgumentParser:
        sub: argparse.ArgumentParser = group.add_parser(name, help=text, description=text)
        if handler is not None:
            sub.set_defaults(handler=handler)
        return sub

    def actions(name: str, text: str) -> Any:
        return command(name, None, text).add_subparsers(
            dest="action", required=True, metavar="ACTION", parser_class=_Parser
        )

    serve = command("serve", _serve, "serve the HTTP API (gunicorn; --dev for Flask's server)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=_number(int, 1, 65535), default=8000)
    serve.add_argument("--workers", type=_number(int, 1, 512), default=None, metavar="N")
    serve.add_argument(
        "--threads", type=_number(int, 1, 64), default=None, metavar="N", help="request threads per worker (default 4)"
    )
    serve.add_argument("--dev", action="store_true")
    command("worker", _worker, "run the projections in this process")

    token = actions("token", "create, revoke and list API tokens")
    create = command("create", _token, "create a token; it is printed once, on the last line", token)
    create.add_argument("--role", help="reporter, admin, auditor, app or vendor:<name> (with --subject)")
    create.add_argument("--subject", help="who or what the token is for (with --role)")
    create.add_argument("--person", metavar="ID", help="a person's token: acts with their roles, now and later")
    command("revoke", _token, "revoke a token by its id", token).add_argument("token_id", metavar="TOKEN_ID")
    command("list", _token, "list every token issued", token)

    demo = command("demo", _demo, "load six months of demo history into an empty store")
    demo.add_argument("--seed", type=int, default=7, metavar="N")
    demo.add_argument("--if-empty", action="store_true", help="do nothing (exit 0) when the store has events")
    demo.add_argument("--scale", type=_number(float, 0.01, 10), default=1.0, help="1 = ~150 issues")
    demo.add_argument("--console-url", default="http://127.0.0.1:8000/console/", help="where the sign-in lines point")

    issue = actions("issue", "look at one issue")
    command("show", _issue_show, "an issue's state and its events", issue).add_argument("key", metavar="KEY")
    command("replay", _replay, "an issue's timeline, event by event").add_argument("key", metavar="KEY")

    views = actions("projections", "read-side views")
    command("status", _projections, "position and lag of every view", views)
    rebuild = command("rebuild", _projections, "drop a view (or all) and replay the log", views)
    rebuild.add_argument("name", metavar="NAME|all")
    rebuild.add_argument("--policy-now", action="store_true", help="recompute SLA clocks under today's policy")

    export = command("export", _export, "write every event as JSON Lines")
    export.add_argument("--format", choices=["jsonl"], required=True)
    export.add_argument("--output", metavar="FILE", help="file to write (default: stdout)")
    export.add_argument(
        "--with-attachments", metavar="FILE.tar", help="write a tar of events.jsonl and every file (files/<sha256>)"
    )
    imports = command("import", _import, "replay a command log with its original times")
    imports.add_argument("file", nargs="?", metavar="FILE.jsonl")
    imports.add_argument("--csv", metavar="FILE.csv")
    audit = actions("audit", "tamper evidence: hash chains and signed checkpoints")
    register_audit(audit, command)
    register_subscriptions(actions, command)
    register_people(actions, command)
    return parser


# -- commands ------------------------------------------------------------------------------------
def _serve(args: argparse.Namespace) -> int:
    from interfaces.serve import run

    run(host=args.host, port=args.port, workers=args.workers, threads=args.threads, dev=args.dev)
    return 0


def _worker(args: argparse.Namespace) -> int:
    from interfaces.process_tuning import tune_garbage_collection
    from interfaces.worker import run_forever
    from projections.runner import follow_linger_seconds

    settings = store_settings()
    follow_linger_seconds()  # a bad setting stops here, in one line
    from application.checkpoints import CheckpointSettings

    CheckpointSettings.from_env()  # so does a bad KAIZEN_CHECKPOINT_INTERVAL
    from adapters.imap_mailbox import ImapSettings

    ImapSettings.from_env(os.environ)  # and a malformed KAIZEN_IMAP_URL
    tune_garbage_collection()  # after the imports, so that what they loaded is frozen out of every collection
    from interfaces.http.logs import configure_logging

    configure_logging()  # JSON lines on stderr, as the server's: the worker's INFO lines too
    run_forever(settings)
    return 0


def _token(args: argparse.Namespace) -> int:
    if args.action == "create" and (args.person is not None) == (args.role is not None or args.subject is not None):
        raise UsageError("kaizen token create: give either --person ID or --role ROLE --subject NAME")
    if args.action == "create" and args.person is None and (args.role is None or args.subject is None):
        raise UsageError("kaizen token create: --role and --subject go together")
    with open_desk() as desk:
        if args.action == "create":
            if args.person is not None:
                token_id, token = desk.issue_person_token(Context(cli_actor()), args.person)
                print(f"Token {token_id} for person {args.person} (their roles); it is shown once, store it now:")
            else:
                token_id, token = desk.issue_token(Context(cli_actor()), args.role, args.subject)
                print(f"Token {token_id} for {args.subject} (role {args.role}); it is shown once, store it now:")
            print(token)  # alone on the last line, for scripts: TOKEN=$(kaizen token create ... | tail -1)
        elif args.action == "revoke":
            desk.revoke_token(Context(cli_actor()), args.token_id)
            print(f"Token {args.token_id} revoked.")
        else:
            rows = [
                (t.token_id, t.role, t.subject, t.person or "-", when(t.issued_at), when(t.revoked_at))
                for t in desk.list_tokens()
            ]
            print(table(("id", "role", "subject", "person", "issued", "revoked"), rows))
    return 0


def _demo(args: argparse.Namespace) -> int:
    from interfaces.demo.loader import load_demo
    from interfaces.demo.sign_in import how_to_sign_in, set_demo_passwords, sign_in_lines

    with open_desk() as desk:
        head = desk.recorder.max_notification_id()
        if head and args.if_empty:
            print(f"The store already has events (up to position {head}); demo data not loaded.")
            print("\n".join(how_to_sign_in(args.console_url)))
            return 0
        if head:
            raise ApplicationError(f"the store already has events (up to position {head}); the demo needs an empty one")
        summary = load_demo(desk, seed=args.seed, scale=args.scale, progress=progress_bar("demo"))
        sign_ins = set_demo_passwords(desk)
        url = desk.settings.redacted_url
    print(f"Demo data loaded into {url} (seed {args.seed}):")
    for line in summary.lines():
        print(f"  {line}")
    if summary.skipped:
        print(f"  first refusal: {summary.problems[0]}")
    print("\n".join(sign_in_lines(sign_ins, args.console_url)))
    return 0


def _issue_show(args: argparse.Namespace) -> int:
    with open_desk() as desk:
        print(render_issue(desk.get_issue(args.key.upper()), desk.history(args.key.upper())))
    return 0


def _replay(args: argparse.Namespace) -> int:
    with open_desk() as desk:
        issue = desk.get_issue(key := args.key.upper())
        print(f"{issue.key}  {issue.title}  [{issue.status}, {issue.priority}]")
        print(SLA_LEGEND)
        print(replay_lines(desk.history(key), [factory(desk, key) for factory in REPLAY_COLUMNS]))
    return 0


def _projections(args: argparse.Namespace) -> int:
    from projections.admin import rebuild, status

    if args.action == "status":
        views = status(store_settings())
        print(table(("view", "position", "head", "lag", "fails on", "since", "error"), [_view_row(v) for v in views]))
        return 0
    progress = progress_bar(f"rebuild {args.name}")
    read = rebuild(store_settings(), args.name, progress=progress, policy_now=args.policy_now)
    print(f"Rebuilt {args.name} from {read} log entries.")
    return 0


def _view_row(view: dict[str, Any]) -> tuple[Any, ...]:
    """A view's status line; a view stuck on an event shows the event, since when and the error."""
    failure = view.get("failure")
    stuck = (failure.position, when(failure.since), failure.error) if failure is not None else ("-", "-", "-")
    return (view["view"], view["position"], view["head"], view["lag"], *stuck)


def _export(args: argparse.Namespace) -> int:
    from application.audit import export_jsonl, export_with_attachments

    with open_desk() as desk:
        if args.with_attachments:
            target = args.with_attachments
            if target == "-":
                export_with_attachments(desk, sys.stdout.buffer)
                return 0
            with open(target, "wb") as binary:
                count = export_with_attachments(desk, binary)
            print(f"Exported {count} events and their files to {target}.")
            return 0
        if not args.output:
            export_jsonl(desk, sys.stdout)
            return 0
        with open(args.output, "w", encoding="utf-8", newline="\n") as stream:
            count = export_jsonl(desk, stream)
    print(f"Exported {count} events to {args.output}.")
    return 0


def _import(args: argparse.Namespace) -> int:
    if bool(args.file) == bool(args.csv):
        raise UsageError("kaizen import: give either FILE.jsonl or --csv FILE.csv")
    from application.importer import import_file, import_text
    from interfaces.http.schemas.import_lines import IMPORT_RULES

    if args.csv:  # the spreadsheet register becomes the same command log, validated the same way
        from application.register_csv import csv_to_jsonl

        with open(args.csv, encoding="utf-8-sig") as handle:
            log = csv_to_jsonl(handle.read())
        with open_desk() as desk:
            refs = import_text(desk, log, IMPORT_RULES, progress_bar("import"))
    else:
        with open_desk() as desk:
            refs = import_file(desk, args.file, IMPORT_RULES, progress_bar("import"))
    print(f"Imported {len(refs)} issue(s) and suggestion(s); refs to keys:")
    print(json.dumps(refs, ensure_ascii=False, sort_keys=True))
    return 0
