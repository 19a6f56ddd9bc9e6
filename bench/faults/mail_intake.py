"""Drill 7: kill -9 the mail-reading worker 10 times while 500 messages arrive; each is applied once.

A throw-away Dovecot (the one the tests use, `tests/fixtures/dovecot.py`) holds the desk's
mailbox; a PostgreSQL store knows five reporters. Two `kaizen worker` processes read the
mailbox (`KAIZEN_IMAP_URL`, polling every second): the elected one takes the messages, the
other stands by. While a feeder delivers `--messages` new reports (IMAP APPEND, a few dozen a
second), the active worker is killed with SIGKILL `--kills` times at random moments and a new
standby is started each time. When the feeder is done and the mailbox is empty, the drill
counts, from the event store, for every message delivered: its intake record (`AppliedMail`,
keyed by Message-ID) and the issues reported with its subject.

- applied: messages with exactly one issue;
- duplicates: issues beyond the first for one message (must be 0);
- lost: messages with no issue, or still waiting in the mailbox (must be 0).
"""

from __future__ import annotations

import argparse
import contextlib
import random
import signal
import subprocess
import threading
import time
from collections import Counter
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from bench.common import KAIZEN, ROOT, given_or_new, kaizen_env, log, scratch_dir
from bench.faults.common import DrillCannotRun, finish

SENDERS = 5
SUBJECT = "Drill message"


def message(n: int) -> bytes:
    mail = EmailMessage()
    mail["From"] = f"drill{n % SENDERS}@example.com"
    mail["To"] = "support@kaizen.example"
    mail["Subject"] = f"{SUBJECT} {n}"
    mail["Message-ID"] = f"<drill-{n}@example.com>"
    mail.set_content(f"Report number {n} from the mail drill.")
    return bytes(mail)


def start_worker(url: str, imap_url: str, ca_file: Path, workdir: Path, n: int) -> subprocess.Popen[bytes]:
    sink = (workdir / f"worker-{n}.log").open("ab")
    env = kaizen_env(
        url,
        KAIZEN_IMAP_URL=imap_url,
        KAIZEN_IMAP_INTERVAL="1",
        KAIZEN_IMAP_CA_FILE=str(ca_file),
        KAIZEN_NOTIFICATIONS="off",
    )
    return subprocess.Popen(
        [KAIZEN, "worker"], cwd=ROOT, env=env, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True
    )


def count(url: str, messages: int) -> dict[str, Any]:
    """Per delivered message: the issues reported with its subject, and its intake record."""
    from application.config import store_settings
    from application.desk import KaizenDesk
    from application.mail_intake import MailIntake
    from domain.mail_record import AppliedMail

    desk = KaizenDesk(store_settings(url))
    try:
        titles: Counter[str] = Counter()
        start = None
        while True:
            page = desk.recorder.select_notifications(start=start, limit=1000, topics=["domain.issue:Issue.Reported"])
            if not page:
                break
            for stored in page:
                titles[str(getattr(desk.mapper.to_domain_event(stored), "title", ""))] += 1
            start = page[-1].id + 1
        intake = MailIntake(desk)
        recorded = sum(isinstance(intake.record_of(f"drill-{n}@example.com"), AppliedMail) for n in range(messages))
    finally:
        desk.close()
    per_message = [titles.get(f"{SUBJECT} {n}", 0) for n in range(messages)]
    return {
        "applied": sum(1 for c in per_message if c == 1),
        "duplicates": sum(c - 1 for c in per_message if c > 1),
        "lost": sum(1 for c in per_message if c == 0),
        "recorded": recorded,
    }


def run(
    messages: int = 500, kills: int = 10, delay: tuple[float, float] = (1.0, 2.5), seed: int = 7, url: str | None = None
) -> dict[str, Any]:
    from application.config import store_settings
    from application.context import Context
    from application.desk import KaizenDesk
    from domain.actor import SYSTEM

    try:
        from tests.fixtures.dovecot import running_dovecot
    except ImportError as exc:  # pragma: no cover - a checkout without the tests
        raise DrillCannotRun(f"the Dovecot fixture is missing: {exc}") from None
    rng = random.Random(seed)
    started = time.perf_counter()
    problems: list[str] = []
    killed = 0
    with given_or_new(url, "postgres") as url, scratch_dir("kaizen-mail-drill-") as workdir:
        desk = KaizenDesk(store_settings(url))
        try:
            for n in range(SENDERS):
                desk.create_person(
                    Context(SYSTEM), f"drill{n}", name=f"Drill {n}", email=f"drill{n}@example.com", roles=["reporter"]
                )
        finally:
            desk.close()
        try:
            server_context = running_dovecot()
            dovecot = server_context.__enter__()
        except BaseException as exc:  # the fixture skips or fails (pytest outcomes) without Dovecot
            raise DrillCannotRun(f"Dovecot did not start: {exc} (run .ci/ensure-dovecot)") from None
        try:
            user = dovecot.new_user()
            dovecot.deliver(user)  # the user's mailbox exists before the workers log in
            imap_url = dovecot.url(user)
            workers = [start_worker(url, imap_url, dovecot.ca_file, workdir, 0)]
            spawned = 1
            time.sleep(2.0)
            workers.append(start_worker(url, imap_url, dovecot.ca_file, workdir, spawned))
            spawned += 1
            fed = threading.Event()

            def feed() -> None:
                try:
                    for first in range(0, messages, 10):
                        dovecot.deliver(user, *(message(n) for n in range(first, min(messages, first + 10))))
                        time.sleep(0.25)
                finally:
                    fed.set()

            feeder = threading.Thread(target=feed, name="drill-feeder")
            feeder.start()
            log(f"mail drill: delivering {messages} messages; killing the active worker {kills} times")
            try:
                for n in range(kills):
                    time.sleep(rng.uniform(*delay))
                    # The oldest live worker is the one that has held the mailbox longest: the
                    # one most likely to be mid-round. Killing either is the drill's point.
                    victim = workers.pop(0)
                    victim.send_signal(signal.SIGKILL)
                    victim.wait()
                    killed += 1
                    waiting = len(dovecot.uids(user))
                    log(f"kill -9 #{n + 1} of a worker ({waiting} messages waiting in the inbox)")
                    workers.append(start_worker(url, imap_url, dovecot.ca_file, workdir, spawned))
                    spawned += 1
                feeder.join()
                deadline = time.monotonic() + 180
                while time.monotonic() < deadline and dovecot.uids(user):
                    time.sleep(0.5)
                left = len(dovecot.uids(user))
                filed_ids = dovecot.message_ids(user, "INBOX/Processed")
                filed = len(set(filed_ids))
                copies = len(filed_ids) - filed
            finally:
                for worker in workers:
                    if worker.poll() is None:
                        worker.send_signal(signal.SIGTERM)
                for worker in workers:
                    with contextlib.suppress(subprocess.TimeoutExpired):
                        worker.wait(timeout=20)
                    if worker.poll() is None:
                        worker.kill()
                        worker.wait()
        finally:
            server_context.__exit__(None, None, None)
        figures = count(url, messages)
        retaken = 0
        for n in range(spawned):
            log_file = workdir / f"worker-{n}.log"
            text = log_file.read_text(errors="replace") if log_file.exists() else ""
            retaken += text.count(": duplicate ")
            if "Traceback" in text and "KeyboardInterrupt" not in text:
                problems.append(f"worker {n} logged a traceback: {text[text.index('Traceback') :][:300]}")
    out = {
        "messages": messages,
        "kills": killed,
        "seconds": round(time.perf_counter() - started, 1),
        **figures,
        "left_in_inbox": left,
        "retaken": retaken,
        "filed": filed,
        "extra_copies": copies,
        "problems": problems,
    }
    out["checks"] = {
        f"killed the worker {kills} times while messages arrived": killed == kills,
        "every message applied exactly once": figures["applied"] == messages,
        "duplicates: 0": figures["duplicates"] == 0,
        "lost: 0": figures["lost"] == 0 and left == 0,
        "every message has its intake record": figures["recorded"] == messages,
        "every message filed in INBOX/Processed": filed == messages,
    }
    return out


def report(out: dict[str, Any]) -> int:
    return finish(
        "fault_mail_intake",
        "Kill the mail-reading worker while mail arrives",
        out,
        [
            ("messages delivered", out["messages"]),
            ("workers killed (SIGKILL)", out["kills"]),
            ("applied exactly once", out["applied"]),
            ("duplicates", out["duplicates"]),
            ("lost", out["lost"]),
            ("left in the inbox", out["left_in_inbox"]),
            ("taken again after a kill (answered duplicate)", out["retaken"]),
            ("filed in Processed", out["filed"]),
            ("extra copies in Processed", out["extra_copies"]),
            ("seconds", out["seconds"]),
        ],
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.faults.mail_intake", description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=500)
    parser.add_argument("--kills", type=int, default=10)
    parser.add_argument("--url", help="a PostgreSQL store to use (default: a new database)")
    args = parser.parse_args(argv)
    return report(run(messages=args.messages, kills=args.kills, url=args.url))


if __name__ == "__main__":
    raise SystemExit(main())
