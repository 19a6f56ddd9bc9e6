"""The settings of issue 16's reliability items: the view stall threshold and the connection budget."""

from __future__ import annotations

import pytest

from application.config import ConfigurationError, connection_budget, store_settings, with_pool_overflow
from interfaces import cli
from interfaces.http.settings import HttpSettings
from projections.stalls import STALL_ENV, STALL_SECONDS, stall_seconds

PG = "postgresql://kaizen@db.internal:5432/kaizen"


def test_the_stall_threshold_is_read_from_its_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    assert stall_seconds({}) == STALL_SECONDS == 30.0
    assert stall_seconds({STALL_ENV: "0"}) == 0.0 and stall_seconds({STALL_ENV: " 2.5 "}) == 2.5
    for bad in ("-1", "soon", "nan", "86401"):
        with pytest.raises(ConfigurationError, match=f"{STALL_ENV}='{bad}': expected seconds from 0 to 86,400"):
            stall_seconds({STALL_ENV: bad})
    monkeypatch.setenv(STALL_ENV, "90")
    assert HttpSettings().view_stall_seconds == 90.0


def test_kaizen_serve_refuses_a_bad_stall_threshold_in_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import interfaces.serve

    def must_not_start(*args: object, **kwargs: object) -> None:
        raise AssertionError("the server started despite a bad KAIZEN_VIEW_STALL_SECONDS")

    monkeypatch.setattr(interfaces.serve, "prepare_store", must_not_start)
    monkeypatch.setenv(STALL_ENV, "half a minute")
    assert cli.main(["serve", "--port", "8999"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"kaizen: {STALL_ENV}='half a minute': expected seconds") and len(err.splitlines()) == 1


def test_the_default_pools_are_small_and_the_budget_is_the_one_the_readme_gives() -> None:
    env = store_settings(PG).environment
    assert (env["POSTGRES_POOL_SIZE"], env["POSTGRES_MAX_OVERFLOW"]) == ("1", "4")
    budget = connection_budget(store_settings(with_pool_overflow(PG, 4)), workers=4)
    assert (budget.total, budget.web_worker, budget.projection_process, budget.master) == (69, 14, 11, 2)
    assert budget.at_start == 25  # the old pools kept 55 open from the start
    assert budget.describe() == (
        "at most 69 PostgreSQL connections = 4 workers x 14 + projection process 11 + master 2 (25 once started)"
    )
    # `--threads 8` lets each pool grow to 9; a URL that sets its own sizes keeps them.
    assert connection_budget(store_settings(with_pool_overflow(PG, 8)), workers=2).total == 2 * 22 + 19 + 2
    own = with_pool_overflow(f"{PG}?pool_size=2&max_overflow=1", 8)
    assert own == f"{PG}?pool_size=2&max_overflow=1"
    assert connection_budget(store_settings(own), workers=1).describe().startswith("at most 21 ")
    assert with_pool_overflow("sqlite:///kaizen.db", 8) == "sqlite:///kaizen.db"
