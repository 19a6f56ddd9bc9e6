"""Every query parameter of every GET route, the API's and the console's, under hostile values.

On both stores (one seeded desk per store, `hostile.world`): no answer may be a 5xx; a refused
API request is problem+json with its status and a detail, a refused console page an HTML page
saying why. The runs, bounded (about 20 s a store on a loaded 2-core machine):
- a sweep: every known breaker of a parameter's kind (`hostile.known_breakers`) in every query
  parameter the OpenAPI document declares for each GET operation, and in every parameter each
  console GET route declares (`interfaces.web.parameters.reads`, routes found in the url_map);
- hypothesis over the same parameters with generated values of their kind and of every other
  kind (`hostile.values_for`), as each role (the console: admin, auditor, reporter, vendor);
- schemathesis over the same operations, positive and negative cases from the document itself;
- hypothesis over the sign-in `next` target: the redirect never leaves the console.
Each run prints `hostile input <run> <store>: <cases> cases, <n> 5xx, <m> wrong`.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote, quote_from_bytes, urlsplit

import pytest
import schemathesis
from hostile import (  # noqa: F401  (hostile_store, world_fixture: the `world` fixture)
    World,
    hostile_store,
    hostile_values,
    known_breakers,
    problem_or_page,
    values_for,
    world_fixture,
)
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis.generation import GenerationMode

from interfaces.web.parameters import declared

API_CASES = 150
CONSOLE_CASES = 120
NEXT_CASES = 40
SCHEMATHESIS_EXAMPLES = {GenerationMode.POSITIVE: 4, GenerationMode.NEGATIVE: 3}
API_PARTIES = ("admin", "auditor", "reporter", "sap", "app")
LOCAL = ("", "localhost")
PATH_PARAMETER = re.compile(r"\{(\w+)\}|<(?:\w+:)?(\w+)>")

BOUNDED = settings(
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],  # nothing fails inside a case (failures are listed), so no shrinking
    suppress_health_check=list(HealthCheck),
)


def store_of(world: World) -> str:
    return "postgres" if world.app.extensions["kaizen"].desk.settings.environment.get("POSTGRES_DBNAME") else "sqlite"


def report(run: str, world: World, tried: int, failures: list[str]) -> None:
    fives = [f for f in failures if re.search(r": 5\d\d$", f)]
    print(f"\nhostile input {run} {store_of(world)}: {tried} cases, {len(fives)} 5xx, {len(failures)} wrong")
    for failure in failures[:40]:
        print(f"  {failure}")


def resource(world: World, path: str, name: str) -> str:
    """An existing resource for a path parameter (the answer then gets past 404)."""
    if name == "key" and "/suggestions/" in path:
        return world.paths["suggestion"]
    if name == "key" and "/meetings/" in path:
        return world.paths["meeting"]
    return world.paths[name]


def filled(world: World, path: str) -> str:
    return PATH_PARAMETER.sub(lambda m: resource(world, path, m.group(1) or m.group(2)), path)


def encoded(pairs: list[tuple[str, str | bytes]]) -> str:
    """A raw query string: text as UTF-8, bytes as they are (not UTF-8 at all, sometimes)."""
    parts = []
    for name, value in pairs:
        raw = quote_from_bytes(value, safe="") if isinstance(value, bytes) else quote(value, safe="")
        parts.append(f"{quote(name)}={raw}")
    return "&".join(parts)


def query_values(name: str) -> st.SearchStrategy[str | bytes]:
    return st.one_of(values_for(name), st.binary(max_size=12))


def api_operations(world: World) -> list[tuple[str, list[str]]]:
    """(path, query parameter names) of every GET operation the OpenAPI document declares."""
    document = world.api.client.get("/api/v1/openapi.json").get_json()
    found = []
    for path, item in document["paths"].items():
        if "get" not in item:
            continue
        declared_here = item["get"].get("parameters", []) + item.get("parameters", [])
        names = [p["name"] for p in declared_here if p.get("in") == "query"]
        if names:
            found.append((path, names))
    return found


def test_every_api_query_parameter_holds_under_every_known_breaker(world: World) -> None:
    tried, failures = 0, []
    headers = world.api.headers("admin", None)
    for path, names in api_operations(world):
        url = filled(world, path)
        for name in names:
            for value in known_breakers(name):
                answer = world.api.client.get(url, query_string=encoded([(name, value)]), headers=headers)
                tried += 1
                wrong = problem_or_page(answer, console=False)
                if wrong is not None:
                    failures.append(f"GET {url}?{name}={value[:60]!r}: {wrong}")
    report("api-sweep", world, tried, failures)
    assert failures == []


def test_every_api_query_parameter_holds_under_hostile_values(world: World) -> None:
    operations = api_operations(world)
    assert len(operations) >= 20, operations
    tally: dict[str, Any] = {"tried": 0, "failures": []}

    @settings(BOUNDED, max_examples=API_CASES)
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        path, names = data.draw(st.sampled_from(operations), label="operation")
        party = data.draw(st.sampled_from(API_PARTIES), label="party")
        chosen = data.draw(st.lists(st.sampled_from(names), min_size=1, max_size=3, unique=True), label="names")
        pairs = [(name, data.draw(query_values(name), label=name)) for name in chosen]
        url = filled(world, path)
        answer = world.api.client.get(url, query_string=encoded(pairs), headers=world.api.headers(party, None))
        tally["tried"] += 1
        wrong = problem_or_page(answer, console=False)
        if wrong is not None:
            tally["failures"].append(f"{party} GET {url}?{encoded(pairs)[:160]}: {wrong}")

    run()
    report("api-hypothesis", world, tally["tried"], tally["failures"])
    assert tally["failures"] == []


def test_every_api_get_operation_holds_under_schemathesis_cases(world: World) -> None:
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", world.app)
    # `ok()` raises on an operation the document could not describe: that is a failure too.
    every = [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]
    operations = [op for op in every if op.method.upper() == "GET"]
    assert len(operations) >= 30
    headers = world.api.headers("admin", None)
    tally: dict[str, Any] = {"tried": 0, "failures": []}
    for operation in operations:
        aimed = {a or b: resource(world, operation.path, a or b) for a, b in PATH_PARAMETER.findall(operation.path)}
        for mode, examples in SCHEMATHESIS_EXAMPLES.items():
            strategy = operation.as_strategy(generation_mode=mode, path_parameters=aimed or None)

            @settings(BOUNDED, max_examples=examples)
            @given(case=strategy)
            def run(case: Any) -> None:
                answer = case.call(headers=headers)
                tally["tried"] += 1
                wrong = problem_or_page(answer, console=False)
                if wrong is not None:
                    tally["failures"].append(f"{case.operation.label} {case.query!r:.160}: {wrong}")

            try:
                run()
            except Unsatisfiable:  # nothing about this operation can be made invalid
                assert not mode.is_positive, operation.label
    report("api-schemathesis", world, tally["tried"], tally["failures"])
    assert tally["failures"] == []


def console_routes(world: World) -> list[tuple[str, tuple[str, ...]]]:
    """(rule, declared query parameters) of every console GET route but its static files."""
    routes = []
    for rule in world.app.url_map.iter_rules():
        if not rule.rule.startswith("/console") or rule.endpoint == "console.static":
            continue
        if "GET" not in (rule.methods or ()):
            continue
        names = declared(world.app.view_functions[rule.endpoint])
        assert names is not None, f"{rule.endpoint} declares no query parameters (interfaces.web.parameters.reads)"
        routes.append((rule.rule, names))
    return routes


def test_every_console_get_route_declares_the_query_parameters_it_reads(world: World) -> None:
    routes = dict(console_routes(world))
    assert len(routes) >= 11, routes
    assert {"from", "to", "within", "site", "lang"} <= set(routes["/console/compliance"])
    assert {"next"} <= set(routes["/console/sign-in"]) and {"cursor", "text"} <= set(routes["/console/issues"])


def test_every_console_query_parameter_holds_under_every_known_breaker(world: World) -> None:
    tried, failures = 0, []
    for rule, names in console_routes(world):
        path = filled(world, rule)
        for name in names:
            for value in known_breakers(name):
                answer = world.consoles["admin"].get(path, query_string=encoded([(name, value)]))
                tried += 1
                wrong = problem_or_page(answer, console=True)
                if wrong is not None:
                    failures.append(f"GET {path}?{name}={value[:60]!r}: {wrong}")
    report("console-sweep", world, tried, failures)
    assert failures == []


def test_every_console_page_holds_under_hostile_values_for_every_role(world: World) -> None:
    routes = console_routes(world)
    tally: dict[str, Any] = {"tried": 0, "failures": []}

    @settings(BOUNDED, max_examples=CONSOLE_CASES)
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        rule, names = data.draw(st.sampled_from(routes), label="route")
        party = data.draw(st.sampled_from(sorted(world.consoles)), label="party")
        path = filled(world, rule) if data.draw(st.booleans(), label="existing") else rule
        if path == rule and "<" in rule:  # a hostile path segment instead of an existing resource
            # Werkzeug decodes %2F before routing: a segment with a slash matches no route at all.
            segment = st.builds(lambda v: quote(v, safe=""), hostile_values())
            path = PATH_PARAMETER.sub(lambda _: data.draw(segment, label="segment"), rule)
        chosen = data.draw(st.lists(st.sampled_from(names), min_size=1, max_size=3, unique=True), label="names")
        pairs = [(name, data.draw(query_values(name), label=name)) for name in chosen]
        answer = world.consoles[party].get(path, query_string=encoded(pairs))
        tally["tried"] += 1
        wrong = problem_or_page(answer, console=True)
        location = answer.headers.get("Location", "")
        if wrong is None and answer.status_code in (301, 302, 303) and urlsplit(location).netloc not in LOCAL:
            wrong = f"{answer.status_code} to {location[:80]}"
        if wrong is not None:
            tally["failures"].append(f"{party} GET {path[:80]}?{encoded(pairs)[:160]}: {wrong}")

    run()
    report("console-hypothesis", world, tally["tried"], tally["failures"])
    assert tally["failures"] == []


def test_sign_in_redirects_only_inside_the_console_whatever_next_says(world: World) -> None:
    token = world.api.tokens["admin"]  # pasting a token is the administrators' way in
    tally: dict[str, Any] = {"tried": 0, "failures": []}

    def sign_in_with(target: str) -> None:
        """The form keeps `next`; the POST redirects into the console and nowhere else."""
        client = world.app.test_client()
        form = client.get("/console/sign-in", query_string=encoded([("next", target)]))
        csrf = re.search(r'name="csrf" value="([^"]+)"', form.get_data(as_text=True))
        tally["tried"] += 2
        if form.status_code != 200 or csrf is None:
            tally["failures"].append(f"GET sign-in next={target!r:.80}: {form.status_code}")
            return
        answer = client.post("/console/sign-in", data={"token": token, "csrf": csrf.group(1), "next": target})
        location = urlsplit(answer.headers.get("Location", ""))
        if answer.status_code != 303 or location.netloc not in LOCAL or not location.path.startswith("/console"):
            tally["failures"].append(f"POST sign-in next={target!r:.80} to {location.geturl()!r}: {answer.status_code}")

    for target in known_breakers("next"):
        sign_in_with(target)

    @settings(BOUNDED, max_examples=NEXT_CASES)
    @given(target=values_for("next"))
    def run(target: str) -> None:
        sign_in_with(target)

    run()
    report("console-sign-in-next", world, tally["tried"], tally["failures"])
    assert tally["failures"] == []


@pytest.fixture(autouse=True)
def _quiet_logs(caplog: pytest.LogCaptureFixture) -> None:
    """Refused requests are logged at warning level; a few thousand of them need not be kept."""
    caplog.set_level("CRITICAL")
