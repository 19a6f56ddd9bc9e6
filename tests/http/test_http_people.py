"""People, groups, `/me` and person tokens over HTTP, on SQLite and PostgreSQL.

A person's token acts with that person's roles as they are at each request: a role change or
a deactivation is felt at the caller's next request. Other parties learn nothing about people
they may not read (404), and nobody ever sees a password hash or a link's digest.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
from conftest import Api, FakeClock
from werkzeug.test import TestResponse

from application.context import Context
from application.errors import SignInRefused
from domain.actor import SYSTEM
from domain.errors import InvalidCommand

PEOPLE = "/api/v1/people"
GROUPS = "/api/v1/groups"
PASSWORD = "kaizen-desk lantern harbour"
ADA = {
    "id": "ada.wong",
    "name": "Ada Wong 黃愛達",
    "email": "ada.wong@example.com",
    "roles": ["reporter"],
    "site": "HK",
    "language": "zh-Hant",
    "time_zone": "Asia/Hong_Kong",
}
PERSON_FIELDS = {"id", "name", "email", "roles", "groups", "site", "language", "time_zone", "active", "version"}


def patch(api: Api, path: str, body: Any, as_: str = "admin", headers: dict[str, str] | None = None) -> TestResponse:
    return api.client.patch(
        path, data=json.dumps(body), content_type="application/json", headers=api.headers(as_, headers)
    )


def enrol(api: Api, **changes: Any) -> dict[str, Any]:
    answer = api.post(PEOPLE, {**ADA, **changes})
    assert answer.status_code == 201, answer.get_json()
    body: dict[str, Any] = answer.get_json()
    return body


def person_token(api: Api, person: str, party: str | None = None) -> str:
    """A `--person` token, known to `api` as `party` (default: the person's id)."""
    token = api.desk.issue_person_token(Context(SYSTEM), person)[1]
    api.tokens[party or person] = token
    return token


def secret_of(url: str) -> tuple[str, str]:
    """(person, secret) of an invitation URL `/console/invitations/{person}/{secret}`."""
    parts = urlsplit(url).path.split("/")
    assert parts[:3] == ["", "console", "invitations"], url
    return parts[3], parts[4]


# -- creating -----------------------------------------------------------------------------------
def test_an_admin_adds_a_person_and_gets_a_one_time_link(api: Api) -> None:
    answer = api.post(PEOPLE, ADA)
    assert answer.status_code == 201, answer.get_json()
    body = answer.get_json()
    assert set(body) == PERSON_FIELDS | {"invitation_url"}
    assert {k: body[k] for k in ADA} == ADA and body["active"] is True and body["groups"] == []
    assert body["invitation_url"].startswith("http://localhost/console/invitations/ada.wong/")
    assert answer.headers["Location"].endswith("/api/v1/people/ada.wong")
    assert answer.headers["ETag"] == f'"{body["version"]}"' and "X-Event-Position" in answer.headers
    assert "argon2" not in answer.get_data(as_text=True) and "digest" not in answer.get_data(as_text=True)

    person, secret = secret_of(body["invitation_url"])
    api.desk.accept_invitation(person, secret, PASSWORD, PASSWORD)
    with pytest.raises(InvalidCommand):  # the link works once
        api.desk.accept_invitation(person, secret, PASSWORD, PASSWORD)
    assert api.desk.sign_in_with_password("ada.wong@example.com", PASSWORD).person_id == "ada.wong"
    history = api.get("/api/v1/audit/events?limit=500").get_data(as_text=True)
    assert "$argon2id$" not in history and secret not in history


@pytest.mark.parametrize("party", ["reporter", "auditor", "sap", "app"])
def test_only_admins_add_people(api: Api, party: str) -> None:
    answer = api.post(PEOPLE, {**ADA, "nonsense": 1}, as_=party)  # refused before the body is read
    assert answer.status_code == 403, answer.get_json()
    assert answer.headers["Content-Type"] == "application/problem+json"
    assert api.desk.person_now("ada.wong") is None


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"shoe_size": 42}, "shoe_size"),
        ({"id": "Ada Wong"}, "id"),
        ({"roles": ["superuser"]}, "roles"),
        ({"roles": []}, "roles"),
        ({"email": "not-an-address"}, "email"),
        ({"language": "fr"}, "language"),
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"groups": ["no-such-group"]}, "groups"),
    ],
)
def test_a_bad_person_is_a_422_naming_the_field(api: Api, change: dict[str, Any], field: str) -> None:
    answer = api.post(PEOPLE, {**ADA, **change})
    assert answer.status_code == 422, answer.get_json()
    assert field in answer.get_json()["errors"]
    assert api.desk.person_now("ada.wong") is None


def test_ids_and_email_addresses_are_unique(api: Api) -> None:
    enrol(api)
    again = api.post(PEOPLE, {**ADA, "email": "other@example.com"})
    assert again.status_code == 422 and "id" in again.get_json()["errors"]
    same_mail = api.post(PEOPLE, {**ADA, "id": "ada.w", "email": "ADA.WONG@example.com"})
    assert same_mail.status_code == 422 and "email" in same_mail.get_json()["errors"]


def test_a_retried_create_answers_the_same_person_without_a_second_link(api: Api) -> None:
    first = api.post(PEOPLE, ADA, headers={"Idempotency-Key": "enrol-ada"})
    again = api.post(PEOPLE, ADA, headers={"Idempotency-Key": "enrol-ada"})
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json()["invitation_url"] is None  # the secret was never stored
    assert again.get_json()["id"] == "ada.wong" and first.get_json()["invitation_url"]
    other = api.post(PEOPLE, {**ADA, "name": "Someone else"}, headers={"Idempotency-Key": "enrol-ada"})
    assert other.status_code == 422 and "Idempotency-Key" in other.get_json()["errors"]


# -- reading ------------------------------------------------------------------------------------
def test_admins_and_auditors_list_people_a_page_at_a_time(api: Api) -> None:
    for n in range(3):
        enrol(api, id=f"person.{n}", email=f"p{n}@example.com")
    first = api.get(f"{PEOPLE}?limit=2", as_="auditor")
    assert first.status_code == 200
    page = first.get_json()
    assert [p["id"] for p in page["items"]] == ["person.0", "person.1"] and page["next_cursor"]
    rest = api.get(f"{PEOPLE}?limit=2&cursor={page['next_cursor']}").get_json()
    assert [p["id"] for p in rest["items"]] == ["person.2"] and rest["next_cursor"] is None
    assert all(set(p) == PERSON_FIELDS for p in page["items"] + rest["items"])
    assert api.get(f"{PEOPLE}?cursor=Zm9yZ2Vk").status_code == 422
    assert api.get(f"{PEOPLE}?limit=0").status_code == 422


@pytest.mark.parametrize("party", ["reporter", "sap", "app"])
def test_others_may_not_list_people(api: Api, party: str) -> None:
    enrol(api)
    answer = api.get(PEOPLE, as_=party)
    assert answer.status_code == 403 and "ada.wong" not in answer.get_data(as_text=True)


def test_a_person_reads_themself_and_nobody_else(api: Api) -> None:
    enrol(api)
    enrol(api, id="bao.tran", email="bao@example.com", roles=["vendor:sap"])
    person_token(api, "ada.wong")
    person_token(api, "bao.tran")
    assert api.get(f"{PEOPLE}/ada.wong", as_="ada.wong").get_json()["name"] == ADA["name"]
    for reader in ("admin", "auditor"):
        assert api.get(f"{PEOPLE}/ada.wong", as_=reader).status_code == 200
    missing = api.get(f"{PEOPLE}/no-such-person")
    for party in ("bao.tran", "reporter", "sap"):  # BOLA: as if Ada did not exist
        answer = api.get(f"{PEOPLE}/ada.wong", as_=party)
        assert answer.status_code == 404, party
        assert answer.get_json()["title"] == missing.get_json()["title"]
    assert api.get(f"{PEOPLE}/ada.wong", as_=None).status_code == 401


def test_time_travel_shows_a_persons_roles_as_they_were(api: Api) -> None:
    created = enrol(api)
    patch(api, f"{PEOPLE}/ada.wong", {"roles": ["admin"]})
    then = api.get(f"{PEOPLE}/ada.wong?version={created['version']}").get_json()
    assert then["roles"] == ["reporter"]
    assert api.get(f"{PEOPLE}/ada.wong").get_json()["roles"] == ["admin"]
    assert api.get(f"{PEOPLE}/ada.wong?version=999").status_code == 404


def test_who_had_admin_rights_on_a_given_day_is_answered_by_time(api: Api, clock: FakeClock) -> None:
    enrol(api)
    enrolled_at = clock.now
    clock.advance(days=1)
    patch(api, f"{PEOPLE}/ada.wong", {"roles": ["admin"]})

    def roles_on(moment: datetime) -> Any:
        answer = api.get(f"{PEOPLE}/ada.wong?{urlencode({'as_of': moment.isoformat(), 'axis': 'occurred'})}")
        return answer.get_json()["roles"] if answer.status_code == 200 else answer.status_code

    assert roles_on(enrolled_at + timedelta(hours=1)) == ["reporter"]
    assert roles_on(clock.now) == ["admin"]
    assert roles_on(enrolled_at - timedelta(hours=1)) == 404  # she did not exist yet
    both = api.get(f"{PEOPLE}/ada.wong?{urlencode({'as_of': clock.now.isoformat(), 'version': 1})}")
    assert both.status_code == 422


# -- changing -----------------------------------------------------------------------------------
def test_an_admin_changes_anything_with_if_match(api: Api) -> None:
    created = enrol(api)
    stale = f'"{created["version"]}"'
    changed = patch(
        api, f"{PEOPLE}/ada.wong", {"roles": ["reporter", "auditor"], "site": "SG"}, headers={"If-Match": stale}
    )
    assert changed.status_code == 200, changed.get_json()
    assert changed.get_json()["roles"] == ["reporter", "auditor"] and changed.get_json()["site"] == "SG"
    assert changed.headers["ETag"] != stale
    refused = patch(api, f"{PEOPLE}/ada.wong", {"site": "HK"}, headers={"If-Match": stale})
    assert refused.status_code == 412 and refused.get_json()["current_version"] > created["version"]
    assert patch(api, f"{PEOPLE}/ada.wong", {"favourite": "tea"}).status_code == 422
    bad_zone = patch(api, f"{PEOPLE}/ada.wong", {"time_zone": "Nowhere/Land"})
    assert bad_zone.status_code == 422 and "time_zone" in bad_zone.get_json()["errors"]
    assert patch(api, f"{PEOPLE}/nobody-here", {"site": "HK"}).status_code == 404


def test_a_person_changes_their_own_name_language_and_time_zone_only(api: Api) -> None:
    enrol(api)
    enrol(api, id="audrey.lim", email="audrey@example.com", roles=["auditor"])
    person_token(api, "ada.wong")
    person_token(api, "audrey.lim")
    own = patch(api, f"{PEOPLE}/ada.wong", {"language": "vi", "time_zone": "Asia/Ho_Chi_Minh"}, as_="ada.wong")
    assert own.status_code == 200 and own.get_json()["language"] == "vi"
    roles = patch(api, f"{PEOPLE}/ada.wong", {"roles": ["admin"]}, as_="ada.wong")
    assert roles.status_code == 403
    assert patch(api, f"{PEOPLE}/audrey.lim", {"name": "x"}, as_="ada.wong").status_code == 404
    # an auditor changes nothing, except their own profile
    mine = patch(api, f"{PEOPLE}/audrey.lim", {"language": "id"}, as_="audrey.lim")
    assert mine.status_code == 200 and mine.get_json()["language"] == "id"
    assert patch(api, f"{PEOPLE}/ada.wong", {"name": "Changed"}, as_="audrey.lim").status_code == 403
    assert patch(api, f"{PEOPLE}/audrey.lim", {"site": "KL"}, as_="audrey.lim").status_code == 403
    assert api.post(PEOPLE, {**ADA, "id": "new.one", "email": "n@example.com"}, as_="audrey.lim").status_code == 403
    assert api.get(f"{PEOPLE}/ada.wong").get_json()["name"] == ADA["name"]


def test_a_role_change_applies_to_a_person_token_at_its_next_request(api: Api) -> None:
    enrol(api)
    person_token(api, "ada.wong")
    key = api.report(as_="ada.wong")
    api.desk.create_person(Context(SYSTEM), "admin-wong", name="Admin Wong", email="aw@example.com", roles=["admin"])
    triage = {"assignee": "admin-wong"}
    assert api.post(f"/api/v1/issues/{key}/triage", triage, as_="ada.wong").status_code == 403
    assert api.get("/api/v1/me", as_="ada.wong").get_json()["role"] == "reporter"
    assert patch(api, f"{PEOPLE}/ada.wong", {"roles": ["admin"]}).status_code == 200
    assert api.get("/api/v1/me", as_="ada.wong").get_json()["role"] == "admin"
    answer = api.post(f"/api/v1/issues/{key}/triage", triage, as_="ada.wong")
    assert answer.status_code == 200, answer.get_json()
    history = api.get(f"/api/v1/issues/{key}/history").get_json()["items"]
    assert (history[-1]["actor"], history[-1]["actor_role"]) == ("ada.wong", "admin")


def test_deactivation_ends_the_persons_tokens_at_once(api: Api) -> None:
    enrol(api)
    person_token(api, "ada.wong")
    api.tokens["ada-plain"] = api.desk.issue_token(Context(SYSTEM), "reporter", "ada.wong")[1]
    assert api.get("/api/v1/me", as_="ada.wong").status_code == 200
    plain = api.get("/api/v1/me", as_="ada-plain").get_json()
    assert plain["person"] == "ada.wong" and plain["role"] == "reporter"
    assert api.post(f"{PEOPLE}/ada.wong/deactivate", as_="reporter").status_code == 403
    answer = api.post(f"{PEOPLE}/ada.wong/deactivate")
    assert answer.status_code == 200 and answer.get_json()["active"] is False
    for party in ("ada.wong", "ada-plain"):
        refused = api.get("/api/v1/me", as_=party)
        assert refused.status_code == 401 and "WWW-Authenticate" in refused.headers
    again = api.post(f"{PEOPLE}/ada.wong/deactivate")
    assert again.status_code == 409 and again.get_json()["state"]["active"] is False
    assert api.post(f"{PEOPLE}/nobody-here/deactivate").status_code == 404
    with pytest.raises(InvalidCommand):
        api.desk.issue_person_token(Context(SYSTEM), "ada.wong")


def test_a_reset_gives_a_new_link_and_the_old_password_stops_working(api: Api) -> None:
    person, secret = secret_of(enrol(api)["invitation_url"])
    api.desk.accept_invitation(person, secret, PASSWORD, PASSWORD)
    assert api.post(f"{PEOPLE}/ada.wong/reset", as_="auditor").status_code == 403
    answer = api.post(f"{PEOPLE}/ada.wong/reset", {})
    assert answer.status_code == 200, answer.get_json()
    url = answer.get_json()["invitation_url"]
    assert url.startswith("http://localhost/console/invitations/ada.wong/") and secret not in url
    with pytest.raises(SignInRefused):
        api.desk.sign_in_with_password("ada.wong", PASSWORD)
    _, new_secret = secret_of(url)
    api.desk.accept_invitation("ada.wong", new_secret, PASSWORD + " again", PASSWORD + " again")
    assert api.desk.sign_in_with_password("ada.wong", PASSWORD + " again").person_id == "ada.wong"
    assert api.post(f"{PEOPLE}/nobody-here/reset").status_code == 404


# -- who am I -----------------------------------------------------------------------------------
def test_me_tells_a_person_who_they_are_and_a_plain_token_its_subject(api: Api) -> None:
    enrol(api)
    person_token(api, "ada.wong")
    mine = api.get("/api/v1/me", as_="ada.wong").get_json()
    assert mine["person"] == "ada.wong" and mine["subject"] == "ada.wong" and mine["role"] == "reporter"
    assert (mine["roles"], mine["language"], mine["time_zone"]) == (["reporter"], "zh-Hant", "Asia/Hong_Kong")
    assert mine["groups"] == [] and mine["name"] == ADA["name"]
    plain = api.get("/api/v1/me", as_="sap").get_json()
    assert plain == {"subject": "sap-support", "role": "vendor:sap", "person": None}
    assert api.get("/api/v1/me", as_=None).status_code == 401


# -- groups -------------------------------------------------------------------------------------
def test_groups_admins_write_and_everyone_reads_names(api: Api) -> None:
    enrol(api)
    enrol(api, id="bao.tran", email="bao@example.com", roles=["vendor:multiable"])
    team = {
        "id": "multiable-team",
        "name": "Multiable fixed team",
        "kind": "vendor_team",
        "vendor": "multiable",
        "members": [{"person": "bao.tran", "duty": "consultant"}, {"person": "ada.wong"}],
    }
    assert api.post(GROUPS, team, as_="reporter").status_code == 403
    created = api.post(GROUPS, team)
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["members"] == [
        {"person": "ada.wong", "duty": None},
        {"person": "bao.tran", "duty": "consultant"},
    ]
    assert created.headers["Location"].endswith("/api/v1/groups/multiable-team")
    assert api.get(f"{PEOPLE}/bao.tran").get_json()["groups"] == ["multiable-team"]
    assert api.post(GROUPS, team).status_code == 422  # the id is taken
    assert api.post(GROUPS, {**team, "id": "t2", "members": [{"person": "ghost"}]}).status_code == 422
    assert api.post(GROUPS, {**team, "id": "t3", "kind": "club"}).status_code == 422
    assert api.post(GROUPS, {**team, "id": "t4", "colour": "red"}).status_code == 422

    seen = api.get(GROUPS, as_="sap").get_json()["items"]
    assert [(g["id"], g["name"], g["vendor"]) for g in seen] == [
        ("multiable-team", "Multiable fixed team", "multiable")
    ]
    assert "members" not in seen[0]  # names for everyone; who is in it, for admins and auditors
    assert "members" in api.get(GROUPS, as_="auditor").get_json()["items"][0]

    renamed = patch(api, f"{GROUPS}/multiable-team", {"name": "Multiable team", "members": [{"person": "bao.tran"}]})
    assert renamed.status_code == 200, renamed.get_json()
    assert renamed.get_json()["members"] == [{"person": "bao.tran", "duty": None}]
    assert api.get(f"{PEOPLE}/ada.wong").get_json()["groups"] == []
    assert patch(api, f"{GROUPS}/multiable-team", {"name": "x"}, as_="auditor").status_code == 403
    assert patch(api, f"{GROUPS}/nothing-here", {"name": "x"}).status_code == 404
    assert api.get(f"{GROUPS}/nothing-here").status_code == 404
    stale = patch(api, f"{GROUPS}/multiable-team", {"name": "y"}, headers={"If-Match": '"1"'})
    assert stale.status_code == 412


# -- assignees ----------------------------------------------------------------------------------
def test_triage_refuses_an_assignee_who_is_nobody(api: Api) -> None:
    key = api.report()
    answer = api.post(f"/api/v1/issues/{key}/triage", {"assignee": "nobody-such-person!!"})
    assert answer.status_code == 422 and "assignee" in answer.get_json()["errors"]
    assert api.get(f"/api/v1/issues/{key}").get_json()["assignee"] is None


def test_the_issue_list_filters_by_assignee_and_group(listing_api: Api) -> None:
    api = listing_api
    desk, system = api.desk, Context(SYSTEM)
    for person in ("chan.admin", "lee.admin", "outsider"):
        desk.create_person(system, person, name=person, email=f"{person}@example.com", roles=["admin"])
    desk.create_group(system, "erp-admins", name="ERP admins", kind="admin_team", members=["chan.admin", "lee.admin"])
    one, two, three, four, _five = (api.report() for _ in range(5))
    api.post(f"/api/v1/issues/{one}/triage", {"assignee": "chan.admin"})
    api.post(f"/api/v1/issues/{two}/assign", {"assignee": "lee.admin"})
    api.post(f"/api/v1/issues/{three}/assign", {"assignee": "erp-admins"})
    last = api.post(f"/api/v1/issues/{four}/assign", {"assignee": "outsider"})
    wait = f"min_position={last.headers['X-Event-Position']}"

    def listed(query: str, as_: str = "admin") -> list[str]:
        answer = api.get(f"/api/v1/issues?{wait}&{query}", as_=as_)
        assert answer.status_code == 200, answer.get_json()
        return [item["key"] for item in answer.get_json()["items"]]

    assert listed("assignee=chan.admin") == [one]
    assert listed("assignee=unassigned") == ["KZ-5"]
    assert listed("group=erp-admins") == [three, two, one]
    assert listed("group=erp-admins&assignee=lee.admin") == [two]
    assert listed("group=erp-admins&assignee=outsider") == []
    assert listed("group=unassigned") == ["KZ-5"]
    assert listed("assignee=chan.admin", as_="reporter2") == []  # still only what the caller may see
    unknown = api.get("/api/v1/issues?group=no-such-group")
    assert unknown.status_code == 422 and "group" in unknown.get_json()["errors"]
    assert api.get("/api/v1/issues?assignee=a%00b").status_code == 422


# -- the OpenAPI document holds for these routes ------------------------------------------------
def test_the_people_routes_hold_under_generated_requests(api: Api) -> None:
    """Schemathesis cases for every people, groups and `/me` operation, some aimed at records
    that exist: never a 5xx, and every answer as the OpenAPI document describes it."""
    import schemathesis
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import strategies as st
    from hypothesis.errors import Unsatisfiable
    from schemathesis.generation import GenerationMode
    from test_http_schemathesis import CHECKS

    enrol(api)
    api.post(GROUPS, {"id": "erp-admins", "name": "ERP admins", "kind": "admin_team"})
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", api.app)
    operations = [op for op in (r.ok() for r in schema.get_all_operations()) if "people" in (op.tags or ())]  # type: ignore[union-attr]
    assert len(operations) == 11, [op.label for op in operations]
    auth = {"Authorization": f"Bearer {api.tokens['admin']}"}
    counted = {"cases": 0}
    for operation in operations:
        aimed = {"person_id": "ada.wong"} if "{person_id}" in operation.path else {"group_id": "erp-admins"}
        for mode, examples in ((GenerationMode.POSITIVE, 12), (GenerationMode.NEGATIVE, 6)):
            strategies = [operation.as_strategy(generation_mode=mode)]
            if "_id}" in operation.path and mode.is_positive:
                strategies.append(operation.as_strategy(generation_mode=mode, path_parameters=aimed))

            @settings(
                max_examples=examples,
                deadline=None,
                derandomize=True,
                database=None,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            @given(case=st.one_of(*strategies))
            def run(case: Any) -> None:
                counted["cases"] += 1
                response = case.call(headers=auth)
                case.validate_response(response, checks=CHECKS, headers=auth)

            try:
                run()
            except Unsatisfiable:  # nothing in this operation can be made invalid
                assert not mode.is_positive, operation.label
    assert counted["cases"] >= 11 * 10, counted
