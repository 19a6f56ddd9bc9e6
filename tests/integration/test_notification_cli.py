"""`kaizen subscription create|list|revoke` on both stores, as scripts use it."""

from __future__ import annotations

import pytest

from application.config import store_settings
from application.desk import KaizenDesk
from interfaces.cli import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_subscription_life_cycle(
    store_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("KAIZEN_DATABASE_URL", store_url)
    monkeypatch.setenv("KAIZEN_WEBHOOK_ALLOW", "127.0.0.1/32")
    code, out, err = run(
        capsys,
        "subscription",
        "create",
        "--kind",
        "dingtalk",
        "--target",
        "https://127.0.0.1/robot/send?access_token=abc",
        "--events",
        "sla.breached,issue.escalated",
        "--vendor",
        "sap,oracle",
        "--vendor",
        "yonyou",
        "--language",
        "zh",
        "--signing-secret",
        "SEC1",
    )
    assert code == 0, err
    secret = out.splitlines()[-1]
    assert secret.startswith("whsec_") and "access_token=***" in out and "abc" not in out
    code, listed, _ = run(capsys, "subscription", "list")
    subscription_id = listed.splitlines()[1].split()[0]
    assert code == 0 and subscription_id.startswith("sub_") and "vendor=sap,oracle,yonyou" in listed
    assert secret not in listed and "SEC1" not in listed
    desk = KaizenDesk(store_settings(store_url))
    try:
        assert desk.get_subscription(subscription_id).secret == secret  # stored, to sign with
    finally:
        desk.close()
    assert run(capsys, "subscription", "revoke", subscription_id)[0] == 0
    code, _, err = run(capsys, "subscription", "revoke", subscription_id)
    assert code == 1 and err.startswith("kaizen: cannot revoke")
    code, _, err = run(
        capsys,
        "subscription",
        "create",
        "--kind",
        "webhook",
        "--target",
        "http://169.254.169.254/latest",
        "--events",
        "sla.breached",
    )
    assert code == 1 and "target refused" in err and err.count("\n") == 1
    assert run(capsys, "subscription", "create", "--kind", "pager", "--target", "x", "--events", "x")[0] == 2
