"""`kaizen serve` as a real process reads the desk's mailbox, on both stores: with
`KAIZEN_IMAP_URL` set, a mail delivered into Dovecot becomes an issue the API lists, and the
message is filed in `INBOX/Processed` (the worker process is covered by fault drill 7)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from application.config import store_settings
from application.context import Context
from application.desk import KaizenDesk
from bench.faults.mail_intake import message
from domain.actor import SYSTEM
from tests.e2e.test_e2e_gunicorn import call, serving, tokens_for
from tests.fixtures.dovecot import Dovecot, running_dovecot

pytestmark = pytest.mark.xdist_group("e2e")


@pytest.fixture(scope="module")
def dovecot() -> Iterator[Dovecot]:
    with running_dovecot() as server:
        yield server


def test_the_server_turns_a_mail_into_an_issue_and_files_it(
    store_url: str, tmp_path: Path, dovecot: Dovecot, monkeypatch: pytest.MonkeyPatch
) -> None:
    tokens = tokens_for(store_url)
    desk = KaizenDesk(store_settings(store_url))
    try:
        desk.create_person(Context(SYSTEM), "drill3", name="Drill", email="drill3@example.com", roles=["reporter"])
    finally:
        desk.close()
    user = dovecot.new_user()
    dovecot.deliver(user)  # the mailbox exists before the server logs in
    monkeypatch.setenv("KAIZEN_IMAP_URL", dovecot.url(user))
    monkeypatch.setenv("KAIZEN_IMAP_INTERVAL", "1")
    monkeypatch.setenv("KAIZEN_IMAP_CA_FILE", str(dovecot.ca_file))
    with serving(store_url, tmp_path / "gunicorn.log") as (base, _):
        dovecot.deliver(user, message(3))  # "Drill message 3" from drill3@example.com
        deadline, found = time.monotonic() + 30, list[dict[str, Any]]()
        while not found and time.monotonic() < deadline:
            time.sleep(0.3)
            status, _, page = call(base, "GET", "/api/v1/issues?limit=20", token=tokens["admin"])
            assert status == 200
            found = [i for i in page["items"] if i["title"] == "Drill message 3"]
    assert found, (tmp_path / "gunicorn.log").read_text()[-3000:]
    assert found[0]["reporter"] == "drill3"
    assert dovecot.uids(user) == [] and len(dovecot.uids(user, "INBOX/Processed")) == 1
