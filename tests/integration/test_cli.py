"""The `kaizen` command line against real stores (SQLite and PostgreSQL), as scripts use it."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from application.config import store_settings
from application.desk import KaizenDesk
from interfaces.cli import main

Kaizen = Callable[..., tuple[int, str, str]]


@pytest.fixture
def kaizen(store_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Iterator[Kaizen]:
    """`kaizen(*argv)` -> (exit code, stdout, stderr), on this test's store."""
    monkeypatch.setenv("KAIZEN_DATABASE_URL", store_url)

    def run(*argv: str) -> tuple[int, str, str]:
        code = main(list(argv))
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    yield run


def one_line_error(err: str) -> bool:
    return err.count("\n") == 1 and err.startswith("kaizen: ") and "Traceback" not in err


def test_token_life_cycle(kaizen: Kaizen, store_url: str) -> None:
    code, out, _ = kaizen("token", "create", "--role", "vendor:sap", "--subject", "SAP support")
    assert code == 0
    token = out.splitlines()[-1]
    assert token.startswith("kz_") and " " not in token
    desk = KaizenDesk(store_settings(store_url))
    try:
        principal = desk.authenticate(token)
        assert principal is not None and (principal.role, principal.subject) == ("vendor:sap", "SAP support")
        code, out, _ = kaizen("token", "list")
        assert code == 0 and principal.token_id in out and "vendor:sap" in out and "SAP support" in out
        assert kaizen("token", "revoke", principal.token_id)[0] == 0
        assert desk.authenticate(token) is None
        row = next(line for line in kaizen("token", "list")[1].splitlines() if line.startswith(principal.token_id))
        assert row.rstrip().endswith("UTC") and row.count("UTC") == 2  # issued and revoked
        code, _, err = kaizen("token", "revoke", principal.token_id)
        assert code == 1 and one_line_error(err)
    finally:
        desk.close()


def test_token_refusals_are_one_line(kaizen: Kaizen) -> None:
    code, out, err = kaizen("token", "create", "--role", "superuser", "--subject", "x")
    assert (code, out) == (1, "") and one_line_error(err) and "superuser" in err
    code, _, err = kaizen("token", "revoke", "000000000000")
    assert code == 1 and one_line_error(err) and "not found" in err


def test_demo_issue_show_replay_and_audit(kaizen: Kaizen) -> None:
    code, out, _ = kaizen("demo", "--scale", "0.1", "--seed", "3")
    assert code == 0 and "skipped: 0" in out
    code, out, _ = kaizen("issue", "show", "KZ-2")
    assert code == 0
    assert out.startswith("KZ-2  ") and "status:" in out and "reporter:" in out and "events:" in out
    assert "1        Reported" in out and "(admin)" in out
    code, out, _ = kaizen("replay", "kz-2")
    assert code == 0 and "Reported" in out and "title=" in out
    for argv in (
        ("issue", "show", "KZ-9999"),
        ("replay", "KZ-9999"),
        ("issue", "show", "SG-1"),
        ("issue", "show", "x"),
    ):
        code, out, err = kaizen(*argv)
        assert (code, out) == (1, "") and one_line_error(err), argv
    code, out, _ = kaizen("audit", "verify")
    assert code == 0 and "holds" in out


def test_demo_if_empty_is_idempotent_and_plain_demo_refuses_a_used_store(kaizen: Kaizen, store_url: str) -> None:
    assert kaizen("demo", "--if-empty", "--scale", "0.05")[0] == 0
    desk = KaizenDesk(store_settings(store_url))
    try:
        head = desk.recorder.max_notification_id()
        code, out, _ = kaizen("demo", "--if-empty")
        assert code == 0 and "not loaded" in out
        code, out, err = kaizen("demo")
        assert (code, out) == (1, "") and one_line_error(err)
        assert desk.recorder.max_notification_id() == head
    finally:
        desk.close()


def test_export_writes_every_event(kaizen: Kaizen, tmp_path: Path) -> None:
    kaizen("token", "create", "--role", "admin", "--subject", "ops")
    target = tmp_path / "log.jsonl"
    code, out, _ = kaizen("export", "--format", "jsonl", "--output", str(target))
    assert code == 0 and "Exported 1 events" in out
    lines = target.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1 and "TokenIssued" in lines[0]


def test_import_prints_refs_to_keys_on_the_last_line(kaizen: Kaizen, tmp_path: Path) -> None:
    log = tmp_path / "history.jsonl"
    log.write_text(
        '{"at": "2026-03-02T09:15:00+08:00", "actor": "lina", "role": "reporter", "via": null, "command": "report",'
        ' "ref": "r-1", "data": {"title": "月结凭证无法过账", "description": "GL posting stops", "module": "finance",'
        ' "impact_scope": "company", "urgency": "blocking", "vendor": "sap"}}\n',
        encoding="utf-8",
    )
    code, out, _ = kaizen("import", str(log))
    assert code == 0 and json.loads(out.splitlines()[-1]) == {"r-1": "KZ-1"}
    register = tmp_path / "register.csv"
    register.write_text(
        "\ufeff编号,发生时间,报告人,标题,模块,影响范围,紧急程度,供应商,状态,解决时间\n"
        "x1,2026-03-04 11:00,budi,Laporan stok salah,仓库,部门,受影响,万达宝,已解决,2026-03-05 10:00\n",
        encoding="utf-8",
    )
    code, out, _ = kaizen("import", "--csv", str(register))
    assert code == 0 and json.loads(out.splitlines()[-1]) == {"x1": "KZ-2"}
    code, out, _ = kaizen("issue", "show", "KZ-2")
    assert "status:           resolved" in out and "vendor:           multiable" in out
    log.write_text('{"at": "yesterday"}\n', encoding="utf-8")
    code, out, err = kaizen("import", str(log))
    assert (code, out) == (1, "") and one_line_error(err) and "line 1" in err


def test_replay_shows_sla_clock_state_after_each_event(
    store_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from application.config import store_settings
    from application.context import Context
    from application.desk import KaizenDesk
    from domain.actor import Actor

    monkeypatch.setenv("KAIZEN_DATABASE_URL", store_url)
    desk = KaizenDesk(store_settings(store_url))
    key = desk.report(
        Context(Actor("lina", "reporter")),
        title="MRP run slow",
        description="d",
        module="production",
        impact_scope="company",
        urgency="blocking",
        vendor="sap",
    ).key
    desk.escalate(Context(Actor("wong", "admin")), key, vendor="sap", vendor_ticket="INC-7")
    desk.record_vendor_update(Context(Actor("sap", "vendor:sap")), key, message="on it")
    desk.close()
    assert main(["replay", key]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[1].startswith("sla: IR internal response")
    reported = next(line for line in out if "Reported" in line)
    updated = next(line for line in out if "VendorUpdated" in line)
    assert "IR:" in reported and "VR:" not in reported
    assert "VR:met" in updated


def test_a_fresh_demo_prints_a_working_sign_in_for_each_role(kaizen: Kaizen, store_url: str) -> None:
    """`make serve` runs `kaizen demo --if-empty`: a new user must be able to sign in as each kind
    of user with the printed login and password, and scripts with the printed tokens."""
    code, out, _ = kaizen("demo", "--if-empty", "--scale", "0.05", "--console-url", "http://127.0.0.1:8123/console/")
    assert code == 0 and "http://127.0.0.1:8123/console/" in out
    signed = [line.split() for line in out.splitlines() if "password:" in line and len(line.split()) == 4]
    assert {(kind, login) for kind, login, _, _ in signed} == {
        ("admin", "ada.wong"),
        ("reporter", "kaming.chan"),
        ("vendor", "multiable.consultant.hk"),
        ("auditor", "audit.chan"),
    }
    tokens = [line.split() for line in out.splitlines() if line.split()[-1:] and line.split()[-1].startswith("kz_")]
    desk = KaizenDesk(store_settings(store_url))
    try:
        for kind, login, _, password in signed:
            person = desk.sign_in_with_password(login, password)
            assert person.person_id == login and person.role.split(":")[0] == kind
        assert len(tokens) == 4
        for _, login, token in tokens:
            principal = desk.authenticate(token)
            assert principal is not None and principal.person == login
    finally:
        desk.close()
    code, out, _ = kaizen("demo", "--if-empty")  # a store with events: no password can be shown again
    assert code == 0 and "password:" not in out and "kz_" not in out
    assert "kaizen people reset audit.chan" in out
