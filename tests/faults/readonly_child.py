"""The server side of `test_sqlite_store_recovery`'s unprivileged test, run as uid 65534.

Started while the store's files are read-only: it builds the app (projections in-process, as
`kaizen serve` workers do), reports what a command and a read answer, waits for the parent
to make the files writable again (a line on stdin), then retries the command until it is
accepted and waits for the views to catch up. Each phase is one `RESULT {json}` line.
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any

from interfaces.http.app import create_app
from interfaces.http.breaker import StoreBreaker
from interfaces.http.settings import HttpSettings

ISSUE = {
    "title": "Posting run stops",
    "description": "GL posting fails at 40%",
    "module": "finance",
    "impact_scope": "company",
    "urgency": "blocking",
    "vendor": "sap",
    "site": "HK",
}


def emit(result: dict[str, Any]) -> None:
    print("RESULT " + json.dumps(result), flush=True)


def main(url: str, known_key: str) -> None:
    tokens = json.loads(os.environ["KZ_TOKENS"])
    app = create_app(HttpSettings(database_url=url, run_projections=True))
    services = app.extensions["kaizen"]
    services.breaker = StoreBreaker(pause_seconds=0.0)  # every retry must reach the store
    client = app.test_client()

    def call(method: str, path: str, as_: str, body: Any = None) -> tuple[int, dict[str, Any]]:
        answer = client.open(path, method=method, json=body, headers={"Authorization": f"Bearer {tokens[as_]}"})
        return answer.status_code, {"detail": (answer.get_json(silent=True) or {}).get("detail"), **answer.headers}

    try:
        command = call("POST", "/api/v1/issues", "reporter", ISSUE)
        read = call("GET", f"/api/v1/issues/{known_key}", "admin")
        emit({"command": command, "read": read})

        sys.stdin.readline()  # the parent made the files writable again
        writable_at = time.monotonic()
        attempts: list[int] = []
        while time.monotonic() - writable_at < 15:
            status, _ = call("POST", "/api/v1/issues", "reporter", ISSUE)
            attempts.append(status)
            if status == 201:
                break
            time.sleep(0.1)
        recovered_s = time.monotonic() - writable_at
        head = services.desk.recorder.max_notification_id()
        caught_up = services.read.wait_for(head, timeout=10)
        emit({"attempts": attempts, "recovered_s": recovered_s, "views_caught_up": caught_up})
    finally:
        services.close()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
