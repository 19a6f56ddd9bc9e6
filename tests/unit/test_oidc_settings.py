"""The single sign-on settings (`KAIZEN_OIDC_*`): read once, a bad value refused in one line."""

from __future__ import annotations

import pytest

from application.config import ConfigurationError
from interfaces.http.settings import HttpSettings, oidc_auto_create_from_env, oidc_issuer_from_env
from interfaces.web.sso import configured


def test_unset_or_empty_means_off() -> None:
    assert oidc_issuer_from_env({}) is None and oidc_issuer_from_env({"KAIZEN_OIDC_ISSUER": "  "}) is None
    assert oidc_auto_create_from_env({}) is None and oidc_auto_create_from_env({"KAIZEN_OIDC_AUTO_CREATE": ""}) is None
    assert not configured(HttpSettings(oidc_issuer="https://idp.example", oidc_client_id="c", oidc_client_secret=None))
    assert configured(HttpSettings(oidc_issuer="https://idp.example", oidc_client_id="c", oidc_client_secret="s"))


def test_values_are_read_and_checked() -> None:
    issuer = "https://login.microsoftonline.com/00000000-0000-0000-0000-000000000000/v2.0"
    assert oidc_issuer_from_env({"KAIZEN_OIDC_ISSUER": f" {issuer} "}) == issuer
    assert oidc_auto_create_from_env({"KAIZEN_OIDC_AUTO_CREATE": "Reporter"}) == "reporter"
    with pytest.raises(ConfigurationError, match="KAIZEN_OIDC_AUTO_CREATE"):
        oidc_auto_create_from_env({"KAIZEN_OIDC_AUTO_CREATE": "admin"})
    with pytest.raises(ConfigurationError, match="KAIZEN_OIDC_ISSUER"):
        oidc_issuer_from_env({"KAIZEN_OIDC_ISSUER": "idp.example"})
