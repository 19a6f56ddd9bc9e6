"""A meeting decision names who follows it up (`owner`) and by when (`due`), on both stores.

The owner is checked as an issue's assignee is: an active person or a group, else 422 naming
`owner`; decisions minuted before the fields existed still read back without them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from conftest import Api, build_app, issue_tokens

from application.context import Context
from domain.actor import SYSTEM
from tests.conftest import FakeClock

V1 = "/api/v1"
PEOPLE = [{"name": "Ms Chan", "department": "finance"}, {"name": "Mr Lee", "department": "warehouse"}]


@pytest.fixture
def api(store_url: str, clock: FakeClock) -> Iterator[Api]:
    clock.now = datetime(2026, 7, 1, 1, 0, tzinfo=UTC)
    app = build_app(store_url, clock)
    desk = app.extensions["kaizen"].desk
    desk.create_person(Context(SYSTEM), "ada.wong", name="Ada Wong", email="ada@example.com", roles=["admin"])
    try:
        yield Api(app, app.test_client(), issue_tokens(desk))
    finally:
        app.extensions["kaizen"].close()


def scheduled(api: Api) -> str:
    created = api.post(f"{V1}/meetings", {"cadence": "monthly", "date": "2026-07-15", "attendees": PEOPLE})
    assert created.status_code == 201, created.get_json()
    return str(created.get_json()["key"])


def test_a_decision_keeps_its_owner_and_due_date(api: Api) -> None:
    key, idea = scheduled(api), api.submit()
    decided = api.post(
        f"{V1}/meetings/{key}/decisions",
        {
            "kind": "plan_suggestion",
            "subject": idea,
            "target_release": "2026.08",
            "owner": "ada.wong",
            "due": "2026-08-31",
        },
    )
    assert decided.status_code == 200, decided.get_json()
    api.post(f"{V1}/meetings/{key}/decisions", {"kind": "note", "text": "no owner needed"})
    decisions = api.get(f"{V1}/meetings/{key}").get_json()["decisions"]
    assert (decisions[0]["owner"], decisions[0]["due"]) == ("ada.wong", "2026-08-31")
    assert "owner" not in decisions[1] and "due" not in decisions[1]
    assert api.get(f"{V1}/suggestions/{idea}").get_json()["status"] == "planned"


@pytest.mark.parametrize(
    ("extra", "field"),
    [({"owner": "nobody.here"}, "owner"), ({"due": "2026-06-30"}, "due"), ({"due": "31/08/2026"}, "due")],
)
def test_an_unknown_owner_or_a_bad_due_date_is_refused_and_changes_nothing(
    api: Api, extra: dict[str, str], field: str
) -> None:
    key, idea = scheduled(api), api.submit()
    refused = api.post(
        f"{V1}/meetings/{key}/decisions", {"kind": "plan_suggestion", "subject": idea, "target_release": "r", **extra}
    )
    assert refused.status_code == 422, refused.get_json()
    assert field in refused.get_json()["errors"]
    assert api.get(f"{V1}/suggestions/{idea}").get_json()["status"] == "submitted"
    assert api.get(f"{V1}/meetings/{key}").get_json()["decisions"] == []
