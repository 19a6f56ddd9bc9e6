"""The quarantine of e-mail intake through the HTTP contract and the console, on both stores:
listed for administrators (and auditors), accepted as a person onto an issue or as a new
issue, discarded, decided once (409 after), refused to everyone else."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from application.context import Context
from application.inbound_mail import InboundMessage
from application.mail_intake import MailIntake
from domain.actor import SYSTEM
from interfaces.http.app import create_app
from interfaces.http.settings import HttpSettings
from interfaces.web.secret import SECRET_ENV
from tests.conftest import STORES, FakeClock, console_client, fresh_store
from tests.http.conftest import PARTIES, Api, issue_tokens

_numbers = itertools.count(1)
QUARANTINE = "/api/v1/intake/quarantine"


@pytest.fixture(scope="module", params=STORES)
def api(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    directory: Path = tmp_path_factory.mktemp("intake-http")
    for url in fresh_store(request, directory):
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv(SECRET_ENV, "intake-console-test-signing-key-0123456789abcdef")
            app = create_app(HttpSettings(database_url=url, run_projections=True, clock=FakeClock(), rate_limit=None))
            desk = app.extensions["kaizen"].desk
            desk.create_person(Context(SYSTEM), "lina", name="Lina", email="lina@example.com", roles=["reporter"])
            try:
                yield Api(app, app.test_client(), issue_tokens(desk))
            finally:
                app.extensions["kaizen"].close()


def quarantined(api: Api, **fields: Any) -> str:
    """A message from an unknown sender, taken in: its quarantine id."""
    number = next(_numbers)
    values: dict[str, Any] = {
        "message_id": f"q{number}@home.example",
        "uid_key": f"INBOX/1/{number}",
        "from_address": "lina.at.home@home.example",
        "to_addresses": ("support@kaizen.example",),
        "subject": f"Sent from home {number}",
        "text": "The stock report is empty since Monday.",
        "headers": {},
        "raw": f"From: lina.at.home@home.example\r\nSubject: Sent from home {number}\r\n\r\nBody\r\n".encode(),
    }
    values.update(fields)
    outcome = MailIntake(api.desk).take(InboundMessage(**values))
    assert outcome.status == "quarantined" and outcome.quarantine_id is not None
    return outcome.quarantine_id


def listed(api: Api, position: str | int | None = None, state: str = "quarantined", as_: str = "admin") -> Any:
    head = position if position is not None else api.desk.recorder.max_notification_id()
    answer = api.get(f"{QUARANTINE}?state={state}&min_position={head}", as_=as_)
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()


def test_the_quarantine_is_listed_for_administrators_and_auditors(api: Api) -> None:
    qid = quarantined(api, subject="Out of office", headers={"auto-submitted": "auto-replied"})
    page = listed(api)
    row = next(item for item in page["items"] if item["id"] == qid)
    assert row["reason"] == "auto_reply" and row["sender"] == "lina.at.home@home.example"
    assert row["subject"] == "Out of office" and row["state"] == "quarantined" and row["decision"] is None
    assert row["excerpt"] == "The stock report is empty since Monday."
    assert datetime.fromisoformat(row["quarantined_at"]).utcoffset() == timedelta(0)
    assert listed(api, as_="auditor")["items"]
    one = api.get(f"{QUARANTINE}/{qid}")
    assert one.status_code == 200 and one.get_json()["id"] == qid and one.headers["ETag"] == '"1"'
    raw = api.get(f"{QUARANTINE}/{qid}/raw")
    assert raw.status_code == 200 and raw.mimetype == "message/rfc822" and raw.data.startswith(b"From: lina.at")
    for party in ("reporter", "sap", "app"):
        assert api.get(QUARANTINE, as_=party).status_code == 403
        assert api.post(f"{QUARANTINE}/{qid}/discard", {}, as_=party).status_code == 403
    assert api.post(f"{QUARANTINE}/{qid}/discard", {}, as_="auditor").status_code == 403
    assert api.get(QUARANTINE, as_=None).status_code == 401
    assert api.get(f"{QUARANTINE}/not-an-id").status_code == 404
    assert api.get(f"{QUARANTINE}/00000000-0000-0000-0000-000000000000").status_code == 404
    assert api.get(f"{QUARANTINE}?state=maybe").status_code == 422


def test_accepting_onto_an_issue_makes_the_persons_comment_once(api: Api) -> None:
    key = api.report(as_="reporter")
    qid = quarantined(api)
    answer = api.post(f"{QUARANTINE}/{qid}/accept", {"person": "lina", "key": key})
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    assert body["state"] == "accepted"
    assert body["decision"]["person"] == "lina" and body["decision"]["issue_key"] == key
    assert body["decision"]["outcome"] == "commented" and body["decision"]["by"] == PARTIES["admin"][1]
    comments = api.get(f"/api/v1/issues/{key}").get_json()["comments"]
    assert [(c["body"], c["author"]) for c in comments] == [("The stock report is empty since Monday.", "lina")]
    again = api.post(f"{QUARANTINE}/{qid}/discard", {})
    assert again.status_code == 409 and again.get_json()["state"]["state"] == "accepted"
    assert api.post(f"{QUARANTINE}/{qid}/accept", {"person": "lina", "key": key}).status_code == 409
    assert len(api.get(f"/api/v1/issues/{key}").get_json()["comments"]) == 1
    decided = listed(api, answer.headers["X-Event-Position"], state="accepted")["items"]
    assert any(item["id"] == qid and item["decision"]["issue_key"] == key for item in decided)
    assert all(item["id"] != qid for item in listed(api, answer.headers["X-Event-Position"])["items"])


def test_accepting_without_a_key_reports_a_new_issue_as_the_person(api: Api) -> None:
    qid = quarantined(api, subject="Re: Stock report empty")
    answer = api.post(f"{QUARANTINE}/{qid}/accept", {"person": "lina"})
    assert answer.status_code == 200, answer.get_json()
    key = answer.get_json()["decision"]["issue_key"]
    issue = api.get(f"/api/v1/issues/{key}").get_json()
    assert issue["title"] == "Stock report empty" and issue["reporter"] == "lina"


def test_a_refused_acceptance_changes_nothing(api: Api) -> None:
    qid = quarantined(api)
    assert api.post(f"{QUARANTINE}/{qid}/accept", {"person": "nobody"}).status_code == 422
    assert api.post(f"{QUARANTINE}/{qid}/accept", {"person": "lina", "key": "KZ-999999"}).status_code == 404
    assert api.post(f"{QUARANTINE}/{qid}/accept", {"person": "lina", "key": "bad"}).status_code == 422
    assert api.post(f"{QUARANTINE}/{qid}/accept", {}).status_code == 422
    assert api.get(f"{QUARANTINE}/{qid}").get_json()["state"] == "quarantined"
    discarded = api.post(f"{QUARANTINE}/{qid}/discard", {})
    assert discarded.status_code == 200 and discarded.get_json()["state"] == "discarded"
    assert discarded.get_json()["decision"]["outcome"] == "discarded"


# -- the console ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def console(api: Api) -> FlaskClient:
    return console_client(api.app, token=api.tokens["admin"])


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found is not None
    return found.group(1)


def test_the_console_lists_and_decides_without_script(api: Api, console: FlaskClient) -> None:
    landing = console.get("/console/admin").text
    assert 'href="/console/admin/intake"' in landing
    qid = quarantined(api, subject="Printer in HR")
    other = quarantined(api, subject="Lottery win")
    head = api.desk.recorder.max_notification_id()
    page = console.get(f"/console/admin/intake?at={head}")
    assert page.status_code == 200
    row = re.search(rf'<tr data-quarantine="{qid}".*?</tr>', page.text, re.S)
    assert row is not None and "Printer in HR" in row.group(0) and "unknown sender" in row.group(0)
    assert "The stock report is empty since Monday." in row.group(0)
    csrf = _csrf(page.text)
    refused = console.post(f"/console/admin/intake/{qid}/accept", data={"csrf": csrf, "person": "nobody", "key": ""})
    assert refused.status_code == 422
    shown = re.search(rf'<tr data-quarantine="{qid}".*?</tr>', refused.text, re.S)
    assert shown is not None and 'role="alert"' in shown.group(0) and 'value="nobody"' in shown.group(0)
    done = console.post(f"/console/admin/intake/{qid}/accept", data={"csrf": csrf, "person": "lina"})
    assert done.status_code == 303
    after = console.get(done.headers["Location"]).text
    assert f'data-quarantine="{qid}"' not in after and f'data-quarantine="{other}"' in after
    gone = console.post(f"/console/admin/intake/{other}/discard", data={"csrf": csrf})
    assert gone.status_code == 303
    assert f'data-quarantine="{other}"' not in console.get(gone.headers["Location"]).text
    twice = console.post(f"/console/admin/intake/{other}/discard", data={"csrf": csrf, "state": "all"})
    assert twice.status_code == 409 and "already decided" in twice.text
    raw = console.get(f"/console/admin/intake/{other}/raw")
    assert raw.status_code == 200 and raw.mimetype == "text/plain" and raw.data.startswith(b"From: lina.at.home@")
