"""The `kaizen` command line without a store: forms, exit codes, delegation, text rendering.

Scripts depend on the contract's forms and exit codes (docs/reference.md "Command line"), so usage errors
must exit 2 with one line, and everything else that fails must exit 1 with one line.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from datetime import UTC, datetime
from typing import Any

import pytest

from interfaces import cli, cli_text


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["frobnicate"],
        ["token"],
        ["token", "create", "--role", "admin"],
        ["token", "revoke"],
        ["serve", "--port", "http"],
        ["serve", "--workers", "0"],
        ["serve", "--threads", "0"],
        ["demo", "--seed", "seven"],
        ["demo", "--scale", "0"],
        ["issue", "show"],
        ["replay"],
        ["projections", "rebuild"],
        ["export"],
        ["export", "--format", "csv"],
        ["import"],
        ["import", "a.jsonl", "--csv", "b.csv"],
        ["audit"],
    ],
)
def test_usage_errors_exit_2_with_one_line(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1 and err.startswith("kaizen")


def test_help_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--help")
    assert code == 0 and "token" in out and "projections" in out


def test_bad_store_url_is_one_line_exit_1(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAIZEN_DATABASE_URL", "mysql://nope")
    code, _, err = run(capsys, "token", "list")
    assert code == 1
    assert err.count("\n") == 1 and err.startswith("kaizen: ") and "KAIZEN_DATABASE_URL" in err


def test_unreachable_postgres_is_one_line_exit_1(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KAIZEN_DATABASE_URL", "postgresql://kaizen:secret@127.0.0.1:1/kaizen?connect_timeout=1")
    code, _, err = run(capsys, "issue", "show", "KZ-1")
    assert code == 1
    assert err.count("\n") == 1 and err.startswith("kaizen: the store is unavailable")
    assert "Traceback" not in err


def test_serve_passes_its_options_to_the_server(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import interfaces.serve

    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(interfaces.serve, "run", lambda **kwargs: calls.append(kwargs))
    assert run(capsys, "serve")[0] == 0
    assert run(capsys, "serve", "--host", "0.0.0.0", "--port", "9000", "--workers", "3", "--dev")[0] == 0
    assert run(capsys, "serve", "--workers", "8", "--threads", "1")[0] == 0
    assert calls == [
        {"host": "127.0.0.1", "port": 8000, "workers": None, "threads": None, "dev": False},
        {"host": "0.0.0.0", "port": 9000, "workers": 3, "threads": None, "dev": True},
        {"host": "127.0.0.1", "port": 8000, "workers": 8, "threads": 1, "dev": False},
    ]


def test_worker_runs_the_projection_worker_on_the_configured_store(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    import interfaces.process_tuning
    import interfaces.worker

    seen: list[Any] = []
    monkeypatch.setattr(interfaces.worker, "run_forever", seen.append)
    monkeypatch.setattr(interfaces.process_tuning, "tune_garbage_collection", lambda: None)  # not this interpreter
    monkeypatch.setenv("KAIZEN_DATABASE_URL", f"sqlite:///{tmp_path / 'w.db'}")
    assert run(capsys, "worker")[0] == 0
    assert seen[0].engine == "sqlite"


def test_projections_rebuild_reports_progress_on_stderr(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import projections.admin

    def rebuild(settings: Any, name: str, progress: Any, **kwargs: Any) -> int:
        for done in range(0, 101, 10):
            progress(done, 100)
        return 100

    monkeypatch.setattr(projections.admin, "rebuild", rebuild)
    code, out, err = run(capsys, "projections", "rebuild", "all")
    assert code == 0 and "Rebuilt all from 100 log entries." in out
    assert "100% (100/100)" in err


def test_kaizen_token_starts_without_the_server_or_the_projections(tmp_path: Any) -> None:
    """The command modules are imported inside their command, so a token command (run often, by
    scripts) does not load gunicorn, Flask or the projections. A fresh interpreter, because this
    one has loaded everything already."""
    probe = (
        "import sys\n"
        "from interfaces.cli import main\n"
        "assert main(['token', 'list']) == 0\n"
        "heavy = {'flask', 'flask_smorest', 'gunicorn', 'werkzeug', 'projections'}\n"
        "print(sorted(heavy & {name.split('.')[0] for name in sys.modules}))\n"
    )
    env = {**os.environ, "KAIZEN_DATABASE_URL": f"sqlite:///{tmp_path / 'tokens.db'}"}
    done = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.splitlines()[-1] == "[]"


def test_progress_bar_redraws_on_a_terminal() -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    screen = Terminal()
    report = cli_text.progress_bar("rebuild", screen)
    report(5, 10)
    report(10, 10)
    assert screen.getvalue().count("\r") == 2 and screen.getvalue().endswith("100% 10/10\n")


def test_table_aligns_wide_characters() -> None:
    text = cli_text.table(("key", "title"), [("KZ-1", "月結"), ("KZ-22", "GL")])
    assert text.splitlines() == ["key    title", "KZ-1   月結", "KZ-22  GL"]


def test_replay_accepts_extra_columns_that_fold_state() -> None:
    """The SLA column will be added this way: one call per event, in order."""
    at = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    history: list[dict[str, Any]] = [
        {
            "type": "Reported",
            "actor": "lina",
            "via": None,
            "occurred_at": at,
            "data": {"title": "GL", "priority": "P2"},
        },
        {
            "type": "Triaged",
            "actor": "ada",
            "via": "app",
            "occurred_at": at,
            "data": {"priority": "P1", "previous_priority": "P2", "reason": "close"},
        },
    ]
    counter = iter(range(1, 10))
    text = cli_text.replay_lines(history, [cli_text.ReplayColumn("n", lambda entry: str(next(counter)))])
    lines = text.splitlines()
    assert lines[0].split() == ["occurred_at", "actor", "type", "n", "facts"]
    assert "title=GL, priority=P2" in lines[1] and " 1 " in lines[1]
    assert "ada via app" in lines[2] and "priority=P2→P1, reason=close" in lines[2] and " 2 " in lines[2]
