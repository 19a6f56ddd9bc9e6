"""Drill 5: bad input at scale against the live server; no 5xx, and refusals change nothing.

`kaizen serve` (gunicorn) on PostgreSQL with a few issues and suggestions. Two generators:
- schemathesis against the live OpenAPI document (`/api/v1/openapi.json`): every operation,
  positive and negative cases, path keys aimed at existing resources half the time;
- hypothesis-generated bodies for every operation that takes a JSON body: arbitrary JSON,
  objects made of the schema's own field names with arbitrary values, and raw bytes that are
  not JSON or not UTF-8.
Every case is sent with an admin token (the widest rights, so cases reach the domain rules).
Around every request the fuzzer reads the head of the event log (max notification id): a
refused request (4xx) must leave it where it was. Checked: at least `--min-cases` cases
(default 2,000), zero 5xx, no stack trace in any body, the log unchanged by every refusal.
The server runs with `KAIZEN_NOTIFICATIONS=off` so that no background alert can move the
log's head between the two reads.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import time
from collections import Counter
from typing import Any

from bench.common import Server, issue_tokens, log, pg_available, scratch_dir, store
from bench.faults.common import finish
from bench.loadgen import Client

PATH_PARAM = re.compile(r"\{([^}]+)\}")


class Head:
    def __init__(self, url: str) -> None:
        from application.config import store_settings
        from application.desk import KaizenDesk

        self.desk = KaizenDesk(store_settings(url))

    def __call__(self) -> int:
        return int(self.desk.recorder.max_notification_id() or 0)

    def close(self) -> None:
        self.desk.close()


class Tally:
    def __init__(self, head: Head) -> None:
        self.head = head
        self.cases = Counter[str]()
        self.statuses = Counter[str]()
        self.server_errors: list[str] = []
        self.changed_by_refusal: list[str] = []
        self.tracebacks: list[str] = []
        self.connection_errors: list[str] = []

    def around(self, source: str, label: str, send: Any) -> None:
        before = self.head()
        status, body = send()
        after = self.head()
        self.cases[source] += 1
        self.statuses[str(status)] += 1
        if status < 0:
            self.connection_errors.append(label)
        if status >= 500:
            self.server_errors.append(f"{label}: {status} {body[:200]!r}")
        if 400 <= status < 500 and after != before:
            self.changed_by_refusal.append(f"{label}: {status}, log head {before} -> {after}")
        if b"Traceback" in body:
            self.tracebacks.append(f"{label}: {status}")


def seed_resources(base: str, token: str) -> dict[str, list[str]]:
    client = Client(base)
    headers = {"Authorization": f"Bearer {token}"}
    issues, suggestions = [], []
    for n in range(3):
        status, _, raw = client.request(
            "POST",
            "/api/v1/issues",
            {
                "title": f"Fuzz target {n}",
                "description": "d",
                "module": "finance",
                "impact_scope": "team",
                "urgency": "degraded",
                "vendor": "sap",
                "site": "HK",
            },
            headers,
        )
        issues.append(json.loads(raw)["key"])
        status, _, raw = client.request(
            "POST",
            "/api/v1/suggestions",
            {"title": f"Scan receipts {n}", "description": "d", "module": "warehouse"},
            headers,
        )
        if status == 201:
            suggestions.append(json.loads(raw)["key"])
    client.request("POST", f"/api/v1/issues/{issues[0]}/escalate", {"vendor": "sap", "vendor_ticket": "INC-1"}, headers)
    client.close()
    return {"issues": issues, "suggestions": suggestions}


def schemathesis_cases(
    base: str, token: str, tally: Tally, existing: dict[str, list[str]], positive: int, negative: int
) -> int:
    import schemathesis
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import strategies as st
    from hypothesis.errors import Unsatisfiable
    from schemathesis.generation import GenerationMode

    schema = schemathesis.openapi.from_url(base + "/api/v1/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]
    auth = {"Authorization": f"Bearer {token}"}

    def run_operation(operation: Any, mode: GenerationMode, examples: int, keys: list[str]) -> None:
        label = f"{operation.method.upper()} {operation.path} ({mode.value})"
        strategy = operation.as_strategy(generation_mode=mode)
        if "{key}" in operation.path and mode.is_positive and keys:
            aimed = [operation.as_strategy(generation_mode=mode, path_parameters={"key": k}) for k in keys]
            strategy = st.one_of(strategy, *aimed)

        @settings(
            max_examples=examples,
            deadline=None,
            derandomize=True,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=strategy)
        def one(case: Any) -> None:
            def send() -> tuple[int, bytes]:
                response = case.call(headers=auth, timeout=60)
                return response.status_code, response.content or b""

            tally.around("schemathesis", label, send)

        with contextlib.suppress(Unsatisfiable):  # nothing in this operation can be made invalid
            one()

    for operation in operations:
        keys = existing["suggestions"] if "/suggestions/" in operation.path else existing["issues"]
        run_operation(operation, GenerationMode.POSITIVE, positive, keys)
        run_operation(operation, GenerationMode.NEGATIVE, negative, keys)
    return len(operations)


def body_operations(base: str) -> list[tuple[str, str, list[str]]]:
    import urllib.request

    with urllib.request.urlopen(base + "/api/v1/openapi.json", timeout=10) as response:
        document = json.loads(response.read())
    components = document.get("components", {}).get("schemas", {})
    found = []
    for path, item in document["paths"].items():
        for method, spec in item.items():
            if method.lower() not in ("post", "put", "patch", "delete") or not isinstance(spec, dict):
                continue
            body = (spec.get("requestBody") or {}).get("content", {}).get("application/json")
            if not body:
                continue
            ref = body.get("schema", {}).get("$ref", "")
            fields = list(components.get(ref.rsplit("/", 1)[-1], {}).get("properties", {}))
            found.append((method.upper(), path, fields))
    return found


class RawClient(Client):
    def request_raw(
        self, method: str, path: str, data: bytes, headers: dict[str, str]
    ) -> tuple[int, dict[str, str], bytes]:
        import http.client

        if self.conn is None:
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            self.conn.request(method, path, body=data, headers=headers)
            response = self.conn.getresponse()
            raw = response.read()
        except (OSError, http.client.HTTPException) as exc:
            self.close()
            raise OSError(str(exc)) from exc
        answer = {k.lower(): v for k, v in response.getheaders()}
        if answer.get("connection", "").lower() == "close":
            self.close()
        return response.status, answer, raw


def body_cases(base: str, token: str, tally: Tally, existing: dict[str, list[str]], per_operation: int) -> int:
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import strategies as st

    json_values = st.recursive(
        st.none()
        | st.booleans()
        | st.integers(min_value=-(2**70), max_value=2**70)
        | st.floats(allow_nan=False, allow_infinity=False)
        | st.text(max_size=40),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
        max_leaves=12,
    )
    raw_bytes = st.binary(max_size=200) | st.text(max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass"))
    client = RawClient(base, timeout=60)
    operations = body_operations(base)

    def run_operation(method: str, template: str, fields: list[str]) -> None:
        def fill(match: re.Match[str]) -> str:
            if match.group(1) == "key":
                pool = existing["suggestions"] if "/suggestions/" in template else existing["issues"]
                return pool[0] if pool else "KZ-1"
            return "x1"

        path = PATH_PARAM.sub(fill, template)
        names = fields or ["title"]
        field_objects = st.dictionaries(
            st.sampled_from([*names, "unexpected_field"]), json_values, max_size=len(names) + 1
        )
        bodies = (
            st.tuples(st.just("json"), json_values)
            | st.tuples(st.just("json"), field_objects)
            | st.tuples(st.just("raw"), raw_bytes)
        )

        @settings(
            max_examples=per_operation,
            deadline=None,
            derandomize=True,
            database=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(body=bodies)
        def one(body: tuple[str, Any]) -> None:
            kind, value = body
            data = json.dumps(value).encode() if kind == "json" else value
            headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

            def send() -> tuple[int, bytes]:
                for _ in range(2):
                    try:
                        status, _, raw = client.request_raw(method, path, data, headers)
                        return status, raw
                    except OSError:
                        continue
                return -1, b"connection error"

            tally.around("hypothesis bodies", f"{method} {template} ({kind})", send)

        one()

    for method, template, fields in operations:
        run_operation(method, template, fields)
    client.close()
    return len(operations)


def run(positive: int = 16, negative: int = 10, bodies: int = 24, min_cases: int = 2000) -> dict[str, Any]:
    engine = "postgres" if pg_available() else "sqlite"
    started = time.perf_counter()
    with store(engine, "kaizen_drill") as url, scratch_dir("kaizen-drill-") as workdir:
        tokens = issue_tokens(url)
        with Server(url, workdir, workers=2, env={"KAIZEN_NOTIFICATIONS": "off"}) as server:
            existing = seed_resources(server.base, tokens["admin"])
            head = Head(url)
            tally = Tally(head)
            try:
                log("fuzz: schemathesis over every operation of the live OpenAPI document")
                operations = schemathesis_cases(server.base, tokens["admin"], tally, existing, positive, negative)
                log("fuzz: hypothesis-generated bodies for every operation with a JSON body")
                with_bodies = body_cases(server.base, tokens["admin"], tally, existing, bodies)
                final_head = head()
            finally:
                head.close()
            alive = server.process is not None and server.process.poll() is None
    total = sum(tally.cases.values())
    out = {
        "engine": engine,
        "seconds": round(time.perf_counter() - started, 1),
        "operations": operations,
        "operations_with_json_body": with_bodies,
        "cases": dict(tally.cases),
        "total_cases": total,
        "statuses": dict(sorted(tally.statuses.items())),
        "server_errors": tally.server_errors[:20],
        "refusals_that_changed_the_log": tally.changed_by_refusal[:20],
        "tracebacks": tally.tracebacks[:20],
        "connection_errors": tally.connection_errors[:20],
        "log_head_at_end": final_head,
        "problems": tally.server_errors[:10] + tally.changed_by_refusal[:10] + tally.tracebacks[:10],
    }
    out["checks"] = {
        f"at least {min_cases:,} cases": total >= min_cases,
        "zero 5xx": not tally.server_errors,
        "every refused request left the event log unchanged": not tally.changed_by_refusal,
        "no stack trace in any answer": not tally.tracebacks,
        "every request answered (no dropped connection)": not tally.connection_errors,
        "the server is still up": alive,
    }
    return out


def report(out: dict[str, Any]) -> int:
    return finish(
        "fault_fuzz",
        f"Drill 5: bad input at scale against the live server ({out['engine']})",
        out,
        [
            (
                "operations in the OpenAPI document / with a JSON body",
                f"{out['operations']} / {out['operations_with_json_body']}",
            ),
            ("cases by generator", out["cases"]),
            ("cases in all", out["total_cases"]),
            ("answers by status", out["statuses"]),
            ("5xx answers", len(out["server_errors"])),
            ("refusals that moved the log's head", len(out["refusals_that_changed_the_log"])),
            ("events in the log at the end (accepted cases only)", out["log_head_at_end"]),
            ("drill wall time (s)", out["seconds"]),
        ],
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.faults.fuzz", description=__doc__.splitlines()[0])
    parser.add_argument("--positive", type=int, default=16, help="schemathesis positive cases per operation")
    parser.add_argument("--negative", type=int, default=10, help="schemathesis negative cases per operation")
    parser.add_argument("--bodies", type=int, default=24, help="hypothesis bodies per operation with a JSON body")
    parser.add_argument("--min-cases", type=int, default=2000)
    args = parser.parse_args(argv)
    return report(run(args.positive, args.negative, args.bodies, args.min_cases))


if __name__ == "__main__":
    raise SystemExit(main())
