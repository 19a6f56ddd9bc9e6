"""The register CSV: a time written without an offset is in the site's time zone, not always Hong Kong's."""

from __future__ import annotations

import json

import pytest

from application.importer import ImportLineError
from application.register_csv import csv_to_jsonl, site_time_zone

REGISTER = (
    "occurred_at,reporter,title,module,impact_scope,urgency\n2026-03-02 09:15,clerk,GL fails,finance,team,minor\n"
)


def first_time(text: str, **kwargs: str) -> str:
    return str(json.loads(csv_to_jsonl(text, **kwargs).splitlines()[0])["at"])


def test_hong_kong_is_the_default_site(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KAIZEN_SITE_TIME_ZONE", raising=False)
    assert first_time(REGISTER) == "2026-03-02T09:15:00+08:00"


def test_the_sites_time_zone_setting_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAIZEN_SITE_TIME_ZONE", "Asia/Ho_Chi_Minh")
    assert first_time(REGISTER) == "2026-03-02T09:15:00+07:00"
    assert first_time(REGISTER, timezone="Asia/Jakarta") == "2026-03-02T09:15:00+07:00"


def test_a_written_offset_wins_and_an_unknown_zone_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAIZEN_SITE_TIME_ZONE", "Asia/Ho_Chi_Minh")
    assert first_time(REGISTER.replace("2026-03-02 09:15", "2026-03-02T09:15:00Z")) == "2026-03-02T09:15:00+00:00"
    monkeypatch.setenv("KAIZEN_SITE_TIME_ZONE", "Mars/Olympus")
    with pytest.raises(ImportLineError, match="KAIZEN_SITE_TIME_ZONE"):
        site_time_zone()
