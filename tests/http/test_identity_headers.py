"""`X-On-Behalf-Of` is read as the UTF-8 an app sends and judged like any person id, on both stores."""

from __future__ import annotations

import pytest

from tests.http.conftest import ISSUE, Api

V1 = "/api/v1"


def wire(text: str) -> str:
    """The header as WSGI hands it over: the UTF-8 bytes on the wire, each read as one Latin-1 character."""
    return text.encode("utf-8").decode("latin-1")


@pytest.mark.parametrize("employee", ["ＡLICE", "陈小明", "nguyễn.văn.an", "lina"])
def test_the_employee_is_stored_as_the_app_sent_it(api: Api, employee: str) -> None:
    answer = api.post(f"{V1}/issues", ISSUE, as_="app", headers={"X-On-Behalf-Of": wire(employee)})
    assert answer.status_code == 201, answer.get_json()
    assert answer.get_json()["reporter"] == employee
    history = api.get(f"{V1}/issues/{answer.get_json()['key']}/history", as_="auditor").get_json()["items"]
    assert (history[0]["actor"], history[0]["via"]) == (employee, "expense-app")


@pytest.mark.parametrize(
    "raw",
    [
        "\xff\xfe",  # bytes that are not UTF-8
        wire("lina\u0085"),  # a C1 control (NEL), once decoded
        wire("lina\u2028x"),  # a line separator
        "lina\x01",
        "lina\tx",
        "x" * 201,
    ],
)
def test_what_is_not_a_person_id_is_a_422_problem(api: Api, raw: str) -> None:
    answer = api.post(f"{V1}/issues", ISSUE, as_="app", headers={"X-On-Behalf-Of": raw})
    assert answer.status_code == 422, answer.get_json()
    assert answer.mimetype == "application/problem+json"
    assert "X-On-Behalf-Of" in answer.get_json()["errors"]
