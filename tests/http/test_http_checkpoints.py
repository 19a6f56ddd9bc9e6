"""`GET /audit/checkpoints` and `GET /audit/proof` on both stores, with their role rules."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import Api

from adapters.checkpoint_keys import generate, load_public_keys, load_signer, public_path
from adapters.checkpoint_log import PublishedLog
from application.checkpoints import check_proof, make_checkpoint


@pytest.fixture
def published(api: Api, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    key = tmp_path / "checkpoint.key"
    generate(key)
    directory = tmp_path / "published"
    monkeypatch.setenv("KAIZEN_CHECKPOINT_DIR", str(directory))
    api.report()
    with PublishedLog(directory) as log:
        make_checkpoint(api.desk, load_signer(key), log)
    return key


def test_auditors_read_the_published_checkpoints_and_prove_an_event(api: Api, published: Path) -> None:
    key = api.report(title="after the checkpoint")
    answer = api.get("/api/v1/audit/checkpoints", as_="auditor")
    assert answer.status_code == 200
    items = answer.get_json()["items"]
    assert len(items) == 1 and set(items[0]) == {"position", "root", "signed_at", "signature", "key_id"}
    proof = api.get("/api/v1/audit/proof?key=KZ-1&version=1", as_="auditor")
    assert proof.status_code == 200, proof.text
    body = proof.get_json()
    assert body["leaf"]["version"] == 1 and body["checkpoint"] == items[0]
    assert check_proof(body, load_public_keys([str(public_path(published))])) is None  # offline, key only
    later = api.get(f"/api/v1/audit/proof?key={key}&version=1", as_="auditor")
    assert later.status_code == 404 and "no published checkpoint covers" in later.get_json()["detail"]
    assert api.get("/api/v1/audit/proof?key=KZ-1&version=99", as_="admin").status_code == 404


def test_only_auditors_and_admins_read_checkpoints_and_bad_queries_are_problems(api: Api, published: Path) -> None:
    for role in ("reporter", "sap"):
        assert api.get("/api/v1/audit/checkpoints", as_=role).status_code == 403, role
        assert api.get("/api/v1/audit/proof?key=KZ-1&version=1", as_=role).status_code == 403, role
    assert api.get("/api/v1/audit/checkpoints", as_="admin").status_code == 200
    for query in ("key=KZ-1", "version=1", "key=KZ-1&version=0", "key=KZ-1&version=x"):
        bad = api.get(f"/api/v1/audit/proof?{query}", as_="auditor")
        assert bad.status_code == 422 and bad.mimetype == "application/problem+json", query
