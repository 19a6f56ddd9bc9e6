"""Nothing acknowledged is lost, nothing else is stored: the clients' ledger against the log.

The load generator (drill mode) keeps a ledger: for every request, its Idempotency-Key, the
command, the issue it named or created, and the final status it got after retrying. This
reads the whole event log through the application and checks:

1. every key answered 2xx has exactly one idempotency record, naming the same issue;
2. every key answered with a refusal (4xx) has none;
3. every idempotency record in the log belongs to a key some client saw answered 2xx;
4. every reported issue was acknowledged exactly once (one Reported event per acknowledged
   report, no issue without one), and each issue has exactly as many Triaged and Commented
   events as the clients had those commands acknowledged.
"""

from __future__ import annotations

from collections import Counter
from typing import Any


def read_log(url: str) -> dict[str, Any]:
    from application.audit import iterate_log
    from application.config import store_settings
    from application.desk import KaizenDesk

    desk = KaizenDesk(store_settings(url))
    records: dict[str, list[dict[str, Any]]] = {}
    reported: Counter[str] = Counter()
    issue_keys: dict[str, str] = {}
    changes: dict[str, Counter[str]] = {"Triaged": Counter(), "Commented": Counter()}
    total = 0
    try:
        for stored in iterate_log(desk):
            total += 1
            kind = stored.topic.split(":")[-1]
            if kind == "IdempotencyRecord.CommandAccepted":
                state = desk.mapper.transcoder.decode(stored.state)
                records.setdefault(state["idempotency_key"], []).append(state["result"])
            elif kind == "Issue.Reported":
                state = desk.mapper.transcoder.decode(stored.state)
                reported[state["key"]] += 1
                issue_keys[str(stored.originator_id)] = state["key"]
            elif kind in ("Issue.Triaged", "Issue.Commented"):
                key = issue_keys.get(str(stored.originator_id), str(stored.originator_id))
                changes[kind.split(".")[1]][key] += 1
    finally:
        desk.close()
    return {"records": records, "reported": reported, "changes": changes, "events": total}


def check(url: str, ledger: list[dict[str, Any]]) -> dict[str, Any]:
    stored = read_log(url)
    records, reported, changes = stored["records"], stored["reported"], stored["changes"]
    problems: list[str] = []
    acked = [e for e in ledger if 200 <= e["status"] < 300]
    refused = [e for e in ledger if not 200 <= e["status"] < 300]
    acked_keys = {e["key"] for e in acked}
    for entry in acked:
        found = records.get(entry["key"], [])
        if len(found) != 1:
            problems.append(
                f"{entry['command']} {entry['key']} answered {entry['status']} but stored {len(found)} times"
            )
        elif found[0].get("key") != entry["issue"]:
            problems.append(
                f"{entry['command']} {entry['key']}: answered {entry['issue']}, stored {found[0].get('key')}"
            )
    for entry in refused:
        if entry["key"] in records:
            problems.append(f"{entry['command']} {entry['key']} refused ({entry['status']}) but stored")
    for key in records:
        if key not in acked_keys:
            problems.append(f"idempotency record {key} in the log, but no client was answered 2xx for it")
    acked_reports = Counter(e["issue"] for e in acked if e["command"] == "report")
    for issue, count in acked_reports.items():
        if count != 1:
            problems.append(f"{issue} was acknowledged to {count} different reports")
        if reported.get(issue, 0) != 1:
            problems.append(f"{issue} acknowledged, {reported.get(issue, 0)} Reported events")
    for issue in reported:
        if issue not in acked_reports:
            problems.append(f"{issue} is in the log but no report of it was acknowledged")
    for command, kind in (("triage", "Triaged"), ("comment", "Commented")):
        expected = Counter(e["issue"] for e in acked if e["command"] == command)
        for issue in set(expected) | set(changes[kind]):
            if expected.get(issue, 0) != changes[kind].get(issue, 0):
                problems.append(
                    f"{issue}: {expected.get(issue, 0)} {command} acknowledged, "
                    f"{changes[kind].get(issue, 0)} {kind} events"
                )
    return {
        "requests": len(ledger),
        "acknowledged": len(acked),
        "refused": len(refused),
        "refused_statuses": dict(Counter(str(e["status"]) for e in refused)),
        "replayed_answers": sum(1 for e in ledger if e.get("replayed")),
        "retried_requests": sum(1 for e in ledger if e.get("attempts", 1) > 1),
        "issues_in_log": len(reported),
        "idempotency_records": sum(len(v) for v in records.values()),
        "log_events": stored["events"],
        "problems": problems[:50],
        "problem_count": len(problems),
        "ok": not problems,
    }
