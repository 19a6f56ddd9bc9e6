"""Bad query values get 422 (API) or a page that says what to fix (console), never a 500.

Each row is an input that answered 500 on SQLite, PostgreSQL or both before the query
parameters were parsed in one place (`interfaces.http.schemas.common`, `projections.cursors`),
and its neighbours of the same kind. Both stores, via the `world` fixture (one seeded desk per
store for the module: every test here only reads).
"""

from __future__ import annotations

import itertools
import re
from urllib.parse import urlsplit

from conftest import PARTIES
from hostile import BIGINT, HOSTILE_PASSWORD, World, forged, hostile_store, world_fixture  # noqa: F401  (fixtures)

V1 = "/api/v1"

CURSORS = [
    ("/issues", forged("i:99999999999999999999999")),  # SQLite: OverflowError binding it
    ("/issues", forged(f"i:{BIGINT + 1}")),
    ("/issues", forged("i:-99999999999999999999")),
    ("/issues", "A" * 501),  # oversized
    ("/issues", forged("i:1") + "\n"),  # base64 decoding would skip the newline
    ("/suggestions?sort=votes", forged('{"s":"votes","k":99999999999999999999999,"v":1}')),
    ("/suggestions?sort=votes", forged('{"s":"votes","k":1,"v":"x"}')),  # PostgreSQL: integer < text
    ("/suggestions?sort=votes", forged('{"s":"votes","k":true,"v":null}')),
    ("/suggestions?sort=recent", forged('{"s":"recent","k":-99999999999999999999999}')),
    ("/suggestions?sort=trending", forged('{"s":"trending","k":1,"v":1,"t":"0001-01-01T00:00:00+14:00"}')),
    ("/suggestions?sort=score", forged('{"s":"score","k":1,"v":[1],"t":5}')),
    ("/subscriptions/{subscription_id}/deliveries", forged("d:99999999999999999999999")),
    ("/meetings", str(BIGINT + 1)),
    ("/issues/{key}/history", "99999999999999999999"),
]

VALUES = [
    # times outside 1970-2200, or beyond what a calendar survives
    ("/reports/sla-compliance", "from", "0001-01-01T00:00:00+14:00"),  # SQLite: 500
    ("/reports/sla-compliance", "to", "9999-12-31T23:59:59-14:00"),  # PostgreSQL: 500
    ("/reports/sla-compliance", "from", "0001-01-01T00:00:00"),  # both: 500
    ("/reports/sla-compliance", "to", "2201-01-01T00:00:00Z"),
    ("/reports/vendor-response-times", "from", "0001-01-01T00:00:00"),
    ("/reports/vendor-response-times", "to", "9999-12-31T23:59:59-14:00"),
    ("/freeze-windows/check", "at", "9999-12-31T23:59:59Z"),
    ("/freeze-windows/check", "at", "1969-12-31T23:59:59Z"),
    ("/issues/{key}", "as_of", "2201-01-01T00:00:00Z"),
    ("/suggestions/{suggestion}", "as_of", "0001-01-01T00:00:00+14:00"),
    # integers beyond a bigint column, or negative
    ("/audit/events", "after", "99999999999999999999999"),  # SQLite: 500
    ("/audit/events", "after", str(BIGINT + 1)),
    ("/audit/events", "after", str(BIGINT)),  # first found by the sweep: SQLite, `after + 1` overflows
    ("/audit/events", "after", "-1"),
    ("/reports/sla-compliance", "min_position", str(BIGINT + 1)),
    ("/reports/sla-at-risk", "min_position", "-1"),
    ("/issues/{key}/sla", "min_position", "99999999999999999999999"),
    ("/issues", "min_position", str(BIGINT + 1)),
    ("/issues", "limit", str(BIGINT + 1)),
    ("/issues/{key}", "version", str(BIGINT + 1)),
    ("/reports/workarounds", "limit", "-5"),
    # NUL and other control characters in text filters
    ("/reports/sla-compliance", "site", "a\x00b"),  # PostgreSQL: 500
    ("/reports/sla-compliance", "vendor", "sap\x00"),
    ("/reports/vendor-response-times", "site", "HK\r\n"),
    ("/issues", "text", "a\x00b"),
    ("/issues", "site", "HK\x01"),
    ("/issues", "reporter", "lina\r\nX: y"),
    ("/issues", "vendor", "\x00"),
    ("/reports/workarounds", "owner", "a\x00b"),
    ("/reports/sla-at-risk", "within", "4h\n"),
    # quarters the domain does not know
    ("/reports/health-check", "quarter", "9999Q4"),
    ("/reports/suggestions/top", "quarter", "0000Q1"),
]


def _path(world: World, template: str) -> str:
    return V1 + template.format(**world.paths)


def test_a_forged_or_oversized_cursor_is_a_422_on_cursor_on_every_list(world: World) -> None:
    wrong = []
    for (template, cursor), party in itertools.product(CURSORS, ("admin", "auditor")):
        path, _, sort = _path(world, template).partition("?sort=")
        query = {"cursor": cursor, **({"sort": sort} if sort else {})}
        answer = world.api.client.get(path, query_string=query, headers=world.api.headers(party, None))
        body = answer.get_json(silent=True) or {}
        if answer.status_code != 422 or "cursor" not in body.get("errors", {}):
            wrong.append(f"{path} cursor={cursor[:40]}: {answer.status_code} {body.get('errors')}")
    assert wrong == []


def test_out_of_range_times_numbers_text_and_quarters_are_a_422_naming_the_parameter(world: World) -> None:
    wrong = []
    for template, name, value in VALUES:
        path = _path(world, template)
        answer = world.api.client.get(path, query_string={name: value}, headers=world.api.headers("admin", None))
        body = answer.get_json(silent=True) or {}
        if (
            answer.status_code != 422
            or answer.mimetype != "application/problem+json"
            or name not in body.get("errors", {})
        ):
            wrong.append(f"{path}?{name}={value!r}: {answer.status_code} {answer.mimetype} {body.get('errors')}")
    assert wrong == []


def test_the_x_min_position_header_follows_the_query_parameters_rule(world: World) -> None:
    for path in ("/reports/sla-compliance", "/reports/sla-at-risk", "/issues/{key}/sla", "/issues"):
        for value in ("-1", "abc", "99999999999999999999999"):
            answer = world.api.get(_path(world, path), headers={"X-Min-Position": value})
            assert answer.status_code == 422, (path, value, answer.status_code)
            assert "X-Min-Position" in answer.get_json()["errors"]


def test_a_time_just_inside_the_bounds_is_still_answered(world: World) -> None:
    early, late = "1970-01-01T00:00:00Z", "2200-12-31T23:59:59Z"
    assert world.api.get(f"{V1}/reports/sla-compliance?from={early}&to={late}").status_code == 200
    naive = world.api.get(f"{V1}/reports/vendor-response-times?from=2026-01-01T00:00:00")
    assert naive.status_code == 200  # no offset has always meant UTC on the reports


def console_page(world: World, path: str, party: str = "admin", **query: str) -> tuple[int, str]:
    answer = world.consoles[party].get(path, query_string=query)
    return answer.status_code, answer.get_data(as_text=True)


def test_console_compliance_says_a_month_is_out_of_range_and_keeps_what_was_typed(world: World) -> None:
    for path in ("/console/compliance", "/console/vendors/sap"):
        for typed in ("9999-12", "0000-01", "0001-01", "1969-12"):
            status, page = console_page(world, path, to=typed)
            assert status == 200, (path, typed, status)
            assert "Months are written YYYY-MM, from 1970-01 to 2200-12." in page
            assert re.search(rf'name="to" value="{typed}" aria-invalid="true"', page), (path, typed)
    status, page = console_page(world, "/console/compliance", party="sap", **{"from": "0000-01"})
    assert status == 200 and 'name="from" value="0000-01"' in page


def test_console_csv_with_a_refused_month_is_a_page_saying_why(world: World) -> None:
    status, page = console_page(world, "/console/compliance.csv", table="breaches", to="9999-12")
    assert status == 422
    assert "Months are written YYYY-MM, from 1970-01 to 2200-12." in page


def test_console_issue_page_refuses_times_and_versions_it_cannot_show(world: World) -> None:
    key = world.paths["key"]
    for typed in ("0001-01-01T00:00:00+14:00", "9999-12-31T23:59", "2201-01-01T00:00"):
        status, page = console_page(world, f"/console/issues/{key}", as_of=typed)
        assert status == 200, (typed, status)
        assert "between 1970 and 2200" in page and f'value="{typed}"' in page
    for version in ("²", "x", str(BIGINT + 1), "-1", "0"):
        status, page = console_page(world, f"/console/issues/{key}", version=version)
        assert status == 404 and "has no version" in page, (version, status)


def test_console_lists_refuse_control_characters_and_forged_cursors_on_the_page(world: World) -> None:
    status, page = console_page(world, "/console/issues", text="a\x00b", site="HK")
    assert status == 200 and "must not contain control characters" in page
    assert 'name="site" value="HK"' in page
    status, page = console_page(world, "/console/issues", cursor=forged("i:99999999999999999999999"))
    assert status == 200 and "cursor is not one this server issued" in page
    status, page = console_page(world, "/console/suggestions", min_position=str(BIGINT + 1), sort="votes")
    assert status == 200 and "min_position" in page


def test_console_health_check_names_a_quarter_it_does_not_know(world: World) -> None:
    status, page = console_page(world, "/console/health-check", quarter="9999Q4")
    assert status == 200
    assert "“9999Q4”" in page and "from 2000Q1 to 2100Q4" in page


NEXT_TARGETS = [
    "/console\r\nSet-Cookie: stolen=1",  # 500 before: a CR/LF in the Location header
    "/console/issues\r\n",
    "/console/\x00",
    "//evil.example",
    "/\t/evil.example",
    "https://evil.example/console",
    "/console/\\evil.example",
    "/consolex",
]


def test_sign_in_never_follows_a_next_that_leaves_the_console_or_splits_a_header(world: World) -> None:
    for target in NEXT_TARGETS:
        client = world.app.test_client()
        form = client.get("/console/sign-in", query_string={"next": target})
        assert form.status_code == 200, target
        csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
        assert csrf is not None
        auditor = {"login": PARTIES["auditor"][1], "password": HOSTILE_PASSWORD}
        answer = client.post("/console/sign-in", data={**auditor, "csrf": csrf.group(1), "next": target})
        assert answer.status_code == 303, (target, answer.status_code)
        location = urlsplit(answer.headers["Location"])
        assert (location.scheme, location.netloc) in (("", ""), ("http", "localhost")), target
        assert location.path == "/console/" and "\r" not in answer.headers["Location"], target
        assert "stolen" not in answer.headers.get("Set-Cookie", "")


def test_sign_in_still_returns_to_the_page_that_asked(world: World) -> None:
    client = world.app.test_client()
    key = world.paths["key"]
    asked = client.get(f"/console/issues/{key}?version=1")
    assert asked.status_code == 302 and "next=" in asked.headers["Location"]
    form = client.get(asked.headers["Location"])
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
    nxt = re.search(r'name="next" value="([^"]+)"', form.text)
    assert csrf is not None and nxt is not None
    auditor = {"login": PARTIES["auditor"][1], "password": HOSTILE_PASSWORD}
    data = {**auditor, "csrf": csrf.group(1), "next": nxt.group(1).replace("&amp;", "&")}
    answer = client.post("/console/sign-in", data=data)
    assert answer.status_code == 303 and answer.headers["Location"].endswith(f"/console/issues/{key}?version=1")


def test_a_console_url_that_no_page_has_is_a_console_page_and_the_api_keeps_problem_json(world: World) -> None:
    for path in ("/console/issues/KZ-1/x/y/z", "/console/issues/a%2Fb%2Fc%2Fd", "/console/nowhere"):
        answer = world.consoles["admin"].get(path)
        assert (answer.status_code, answer.mimetype) == (404, "text/html"), path
        assert 'class="lede"' in answer.text and "Back to the console" in answer.text
    refused = world.consoles["admin"].delete("/console/compliance")
    assert (refused.status_code, refused.mimetype) == (405, "text/html")
    command = world.consoles["admin"].get("/console/issues/KZ-1/triage")  # a command is posted, not opened
    assert (command.status_code, command.mimetype) == (405, "text/html")
    api = world.api.get(f"{V1}/nowhere")
    assert (api.status_code, api.mimetype) == (404, "application/problem+json")
    assert world.api.client.delete(f"{V1}/issues").mimetype == "application/problem+json"
