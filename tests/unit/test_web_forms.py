"""`interfaces.web.forms`: a posted form loads as the API's body would, and refusals read as the API's."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask, jsonify

from application.errors import NotFound
from domain.access import AccessDenied
from domain.errors import InvalidCommand, TransitionRefused
from interfaces.http.problems import Problem
from interfaces.http.schemas.issues import ChangeSchema, CommentSchema, ResolveSchema, TriageSchema
from interfaces.web.forms import FormRefused, form_data, refusal


def app_loading(schema: Any) -> Flask:
    app = Flask(__name__)

    @app.post("/form")
    def post() -> Any:
        try:
            return jsonify(form_data(schema))
        except FormRefused as refused:
            return jsonify(detail=refused.detail, errors=refused.errors), refused.status

    return app


def test_only_the_schema_fields_are_read_and_blanks_are_not_sent() -> None:
    client = app_loading(TriageSchema).test_client()
    answer = client.post("/form", data={"csrf": "x", "priority": "P2", "reason": "  told so  ", "assignee": ""})
    assert answer.status_code == 200
    assert answer.get_json() == {"priority": "P2", "reason": "told so"}


def test_a_default_of_the_schema_applies() -> None:
    answer = app_loading(CommentSchema).test_client().post("/form", data={"body": "hello"})
    assert answer.get_json() == {"body": "hello", "visibility": "public"}


def test_a_refused_form_has_the_schemas_messages_by_field() -> None:
    answer = app_loading(ResolveSchema).test_client().post("/form", data={"resolution": " ", "root_cause": "x"})
    assert answer.status_code == 422
    body = answer.get_json()
    assert body["detail"] == "the request is not valid"
    assert body["errors"] == {"resolution": ["Missing data for required field."]}


def test_a_closed_vocabulary_is_checked() -> None:
    answer = app_loading(TriageSchema).test_client().post("/form", data={"priority": "P9"})
    assert answer.status_code == 422
    assert list(answer.get_json()["errors"]) == ["priority"]


@pytest.mark.parametrize(
    ("exc", "status"),
    [
        (InvalidCommand("a reason is needed", field="reason"), 422),
        (TransitionRefused("resolve", "closed"), 409),
        (NotFound("no such issue"), 404),
        (Problem(403, "role vendor:sap may not triage"), 403),
    ],
)
def test_refusals_take_the_apis_status_and_detail(exc: BaseException, status: int) -> None:
    with Flask(__name__).test_request_context("/console/issues/KZ-1/triage", method="POST"):
        refused = refusal(exc)
    assert refused.status == status
    assert refused.detail == str(exc)


def test_invalid_command_names_its_field() -> None:
    with Flask(__name__).test_request_context("/"):
        refused = refusal(InvalidCommand("a reason is needed", field="reason"))
    assert refused.messages("reason") == ["a reason is needed"]


def test_access_denied_is_forbidden_or_hidden_as_the_api_says() -> None:
    with Flask(__name__).test_request_context("/"):
        assert refusal(AccessDenied("may not", visible=True)).status == 403
        assert refusal(AccessDenied("no such issue", visible=False)).status == 404


def test_what_is_not_a_refusal_is_raised_again() -> None:
    with Flask(__name__).test_request_context("/"), pytest.raises(ZeroDivisionError):
        refusal(ZeroDivisionError("a bug"))


def loaded_change(data: dict[str, str], zone: Any = None) -> Any:
    app = Flask(__name__)
    with app.test_request_context("/form", method="POST", data=data):
        return form_data(ChangeSchema, zone)["scheduled_for"]


def test_a_datetime_local_value_means_that_time_in_the_persons_zone() -> None:
    """A person in Ho Chi Minh City scheduling a change for 22:00 schedules it for 15:00Z."""
    at = loaded_change({"scheduled_for": "2026-06-30T22:00", "description": "x"}, ZoneInfo("Asia/Ho_Chi_Minh"))
    assert at == datetime(2026, 6, 30, 15, 0, tzinfo=UTC)


def test_a_value_with_an_offset_is_read_as_written(monkeypatch: pytest.MonkeyPatch) -> None:
    at = loaded_change({"scheduled_for": "2026-06-30T22:00Z", "description": "x"}, ZoneInfo("Asia/Ho_Chi_Minh"))
    assert at == datetime(2026, 6, 30, 22, 0, tzinfo=UTC)


def test_without_a_signed_in_person_the_sites_zone_applies(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAIZEN_SITE_TIME_ZONE", "Asia/Jakarta")
    assert loaded_change({"scheduled_for": "2026-06-30T22:00", "description": "x"}) == datetime(
        2026, 6, 30, 15, 0, tzinfo=UTC
    )
