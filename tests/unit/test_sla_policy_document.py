"""The SLA policy document: parsing, normalising, defaults and every refusal."""

from __future__ import annotations

import copy
import inspect
import re
from datetime import timedelta
from typing import Any

import pytest

import domain.sla_defaults as module
from domain.sla_defaults import DEFAULT_POLICIES, default_policy_document
from domain.sla_policy_document import (
    PRIORITIES,
    PolicyDocumentError,
    SlaPolicyDocument,
    iso_duration,
    parse_iso_duration,
)

H = timedelta(hours=1)

API_EXAMPLE: dict[str, Any] = {
    "calendars": {
        "hk-office": {
            "timezone": "Asia/Hong_Kong",
            "hours": {"mon": [["09:00", "13:00"], ["14:00", "18:00"]], "tue": [["09:00", "18:00"]]},
            "holidays": {"country": "HK", "subdivision": None},
            "closed_days": ["2026-12-24"],
        },
        "always": "24x7",
    },
    "targets": {
        "P1": {"calendar": "always", "response": "PT1H", "update": "PT4H", "resolution": "PT8H"},
        "P2": {"calendar": "hk-office", "response": "PT4H", "resolution": "PT24H"},
    },
    "labels": {"P1": "Very High", "P2": "High", "P3": "Medium", "P4": "Low"},
}


def test_the_api_example_parses_and_round_trips() -> None:
    policy = SlaPolicyDocument.from_document(API_EXAMPLE)
    assert policy.to_document() == API_EXAMPLE
    assert SlaPolicyDocument.from_document(policy.to_document()) == policy
    assert policy.target("P1", "response") == H
    assert policy.target("P1", "update") == 4 * H
    assert policy.target("P2", "update") is None
    assert policy.target("P3", "response") is None  # the example sets no P3 targets
    assert policy.calendar_for("P1").is_24x7
    assert policy.calendar_for("P2").name == "hk-office"
    assert policy.label("P1") == "Very High"


def test_normalisation() -> None:
    doc = copy.deepcopy(API_EXAMPLE)
    doc["targets"] = {
        "P2": {"resolution": "P1D", "response": "PT90M", "calendar": "hk-office"},
        "P1": {"calendar": "always", "response": "PT60M", "resolution": "P1DT30M", "update": None},
    }
    del doc["labels"]
    policy = SlaPolicyDocument.from_document(doc)
    assert policy.to_document()["targets"] == {
        "P1": {"calendar": "always", "response": "PT1H", "resolution": "PT24H30M"},
        "P2": {"calendar": "hk-office", "response": "PT1H30M", "resolution": "PT24H"},
    }
    assert list(policy.to_document()["targets"]) == ["P1", "P2"]
    assert policy.to_document()["labels"] == {}
    assert policy.label("P3") == "P3"  # no vendor label: the code itself


@pytest.mark.parametrize("vendor", sorted(DEFAULT_POLICIES))
def test_every_default_parses_round_trips_and_covers_p1_to_p4(vendor: str) -> None:
    policy = SlaPolicyDocument.from_document(DEFAULT_POLICIES[vendor])
    assert policy.to_document() == DEFAULT_POLICIES[vendor]
    for priority in PRIORITIES:
        for kind in ("response", "resolution"):
            target = policy.target(priority, kind)
            assert target is not None and target > timedelta(0)
        assert policy.label(priority) != priority
    assert policy.target("P1", "update") is not None or vendor == "internal"


def test_the_six_vendors_have_defaults() -> None:
    assert set(DEFAULT_POLICIES) == {"sap", "oracle", "microsoft", "yonyou", "multiable", "internal"}


def _policy(vendor: str) -> SlaPolicyDocument:
    return SlaPolicyDocument.from_document(DEFAULT_POLICIES[vendor])


def test_sap_published_terms() -> None:
    sap = _policy("sap")
    assert [sap.label(p) for p in PRIORITIES] == ["Very High", "High", "Medium", "Low"]
    assert sap.target("P1", "response") == H and sap.calendar_for("P1").is_24x7
    assert sap.target("P2", "response") == 4 * H and not sap.calendar_for("P2").is_24x7


def test_oracle_and_microsoft_published_terms() -> None:
    oracle, microsoft = _policy("oracle"), _policy("microsoft")
    assert [oracle.label(p) for p in PRIORITIES] == ["Severity 1", "Severity 2", "Severity 3", "Severity 4"]
    assert oracle.target("P1", "response") == H and oracle.calendar_for("P1").is_24x7
    assert [microsoft.label(p) for p in PRIORITIES] == ["Sev A", "Sev B", "Sev C", "Sev C"]
    assert microsoft.target("P1", "response") == H and microsoft.calendar_for("P1").is_24x7


def test_yonyou_multiable_and_internal_calendars() -> None:
    yonyou = _policy("yonyou").calendar_for("P2").to_document()
    assert isinstance(yonyou, dict)
    assert yonyou["timezone"] == "Asia/Shanghai" and yonyou["holidays"]["country"] == "CN"
    assert yonyou["hours"]["mon"] == [["09:00", "12:00"], ["13:30", "18:00"]] and "sat" not in yonyou["hours"]
    multiable = _policy("multiable").calendar_for("P1").to_document()
    assert isinstance(multiable, dict)
    assert multiable["timezone"] == "Asia/Hong_Kong" and multiable["holidays"]["country"] == "HK"
    assert multiable["hours"]["fri"] == [["09:00", "13:00"], ["14:00", "18:00"]]
    assert multiable["hours"]["sat"] == [["09:00", "13:00"]]
    internal = _policy("internal").calendar_for("P1").to_document()
    assert isinstance(internal, dict)
    assert internal["timezone"] == "Asia/Hong_Kong" and internal["hours"]["mon"] == [["09:00", "18:00"]]
    assert set(internal["hours"]) == {"mon", "tue", "wed", "thu", "fri"}


def test_every_default_number_says_whether_it_is_published() -> None:
    source = inspect.getsource(module)
    defaults = source[source.index("DEFAULT_POLICIES: Final") :]
    numbers = [line for line in defaults.splitlines() if re.search(r'"(?:PT|P[0-9]+D)[0-9HMST]*"', line)]
    assert len(numbers) >= 6 * 4 * 2
    for line in numbers:
        assert "# published" in line or "# placeholder" in line, line


def test_default_policy_document_copies_and_falls_back_to_internal() -> None:
    assert default_policy_document("sap") == DEFAULT_POLICIES["sap"]
    assert default_policy_document("acme-erp") == DEFAULT_POLICIES["internal"]
    mine = default_policy_document("sap")
    mine["labels"]["P1"] = "changed"
    mine["calendars"]["business-hours"]["hours"]["mon"] = []
    assert DEFAULT_POLICIES["sap"]["labels"]["P1"] == "Very High"
    assert DEFAULT_POLICIES["oracle"]["calendars"]["business-hours"]["hours"]["mon"] == [["09:00", "18:00"]]


def test_target_and_calendar_lookups_refuse_nonsense() -> None:
    policy = SlaPolicyDocument.from_document(API_EXAMPLE)
    with pytest.raises(ValueError, match="unknown target kind"):
        policy.target("P1", "reaction")
    with pytest.raises(KeyError):
        policy.calendar_for("P4")


# ------------------------------------------------------------------------------ durations


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("PT1H", H),
        ("PT30M", timedelta(minutes=30)),
        ("PT1H30M", timedelta(minutes=90)),
        ("P1D", 24 * H),
        ("P2DT4H", 52 * H),
        ("PT45S", timedelta(seconds=45)),
        ("PT240H", 240 * H),
    ],
)
def test_parse_iso_duration(text: str, expected: timedelta) -> None:
    assert parse_iso_duration(text) == expected


@pytest.mark.parametrize("text", ["", "P", "PT", "PT1", "1H", "PT1.5H", "P1M", "P1Y", "P1W", "-PT1H", "pt1h", "PT1H "])
def test_parse_iso_duration_refuses(text: str) -> None:
    with pytest.raises(ValueError):
        parse_iso_duration(text)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (timedelta(0), "PT0S"),
        (4 * H, "PT4H"),
        (timedelta(minutes=90), "PT1H30M"),
        (timedelta(days=10), "PT240H"),
        (timedelta(hours=1, seconds=5), "PT1H5S"),
        (timedelta(seconds=1, microseconds=500_000), "PT1.5S"),
    ],
)
def test_iso_duration(value: timedelta, text: str) -> None:
    assert iso_duration(value) == text
    if not value.microseconds:
        assert parse_iso_duration(text) == value


def test_iso_duration_refuses_negative() -> None:
    with pytest.raises(ValueError):
        iso_duration(-H)


# ------------------------------------------------------------------------------- refusals


def _edit(path: str, value: Any) -> dict[str, Any]:
    """The API example with one value replaced (``...`` deletes it)."""
    doc = copy.deepcopy(API_EXAMPLE)
    *parents, last = path.split(".")
    node = doc
    for key in parents:
        node = node[key]
    if value is ...:
        del node[last]
    else:
        node[last] = value
    return doc


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        (["not", "an", "object"], "the policy document must be a JSON object"),
        (_edit("version", 3), "version: unknown key"),
        (_edit("calendars", ...), "calendars: is required"),
        (_edit("targets", ...), "targets: is required"),
        (_edit("calendars", ["hk-office"]), "calendars: must be an object"),
        (_edit("targets", "P1"), "targets: must be an object"),
        (_edit("labels", "Very High"), "labels: must be an object"),
        (_edit("targets.P5", {"calendar": "always", "response": "PT1H", "resolution": "PT2H"}), "targets.P5: unknown"),
        (_edit("labels.P0", "Urgent"), "labels.P0: unknown priority"),
        (_edit("labels.P1", ""), "labels.P1: must be a non-empty string"),
        (_edit("labels.P1", 1), "labels.P1: must be a non-empty string"),
        (_edit("targets.P1", "PT1H"), "targets.P1: must be an object"),
        (_edit("targets.P1.response", "PT0H"), "targets.P1.response: must be a positive ISO 8601 duration"),
        (_edit("targets.P1.response", "PT0M"), "targets.P1.response: must be a positive ISO 8601 duration"),
        (_edit("targets.P1.response", "1 hour"), "targets.P1.response: must be a positive ISO 8601 duration"),
        (_edit("targets.P1.response", "-PT1H"), "targets.P1.response: must be a positive ISO 8601 duration"),
        (_edit("targets.P1.response", 3600), "targets.P1.response: must be a positive ISO 8601 duration"),
        (_edit("targets.P1.update", "P1M"), "targets.P1.update: must be a positive ISO 8601 duration"),
        (_edit("targets.P2.resolution", "PT"), "targets.P2.resolution: must be a positive ISO 8601 duration"),
        (_edit("targets.P1.resolution", ...), "targets.P1.resolution: is required"),
        (_edit("targets.P1.response", ...), "targets.P1.response: is required"),
        (_edit("targets.P1.calendar", ...), "targets.P1.calendar: is required"),
        (_edit("targets.P1.reponse", "PT1H"), "targets.P1.reponse: unknown key"),
        (_edit("targets.P2.calendar", "sg-office"), "targets.P2.calendar: unknown calendar 'sg-office'"),
        (_edit("calendars.hk-office.timezone", "Asia/Kowloon"), "calendars.hk-office.timezone: unknown IANA time zone"),
        (
            _edit("calendars.hk-office.hours", {"mon": [["14:00", "13:00"]]}),
            "calendars.hk-office.hours.mon[0]: end 13:00 must be after start 14:00",
        ),
        (
            _edit("calendars.hk-office.holidays", {"country": "ZZ", "subdivision": None}),
            "calendars.hk-office.holidays.country: unknown holiday country 'ZZ'",
        ),
        (_edit("calendars.always", "24/7"), 'calendars.always: must be "24x7" or an object'),
    ],
)
def test_invalid_documents_are_refused_with_a_path(doc: Any, message: str) -> None:
    with pytest.raises(PolicyDocumentError) as caught:
        SlaPolicyDocument.from_document(doc)
    assert str(caught.value).startswith(message)
    assert isinstance(caught.value, ValueError)
