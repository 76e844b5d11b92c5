"""The Zalo OA settings: defaults, one clear line naming a bad or missing variable."""

from __future__ import annotations

import pytest

from bot.config import ConfigError, Settings, load_settings

OA = {
    "ZALO_OA_APP_ID": "3108562215416438841",
    "ZALO_OA_APP_SECRET": "AbCdEfGhIjKlMnOpQrSt",
    "ZALO_OA_SECRET_KEY": "ZyXwVuTsRqPoNmLkJiHg",
}


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # no .env here
    for field in Settings.model_fields:
        monkeypatch.delenv(field.upper(), raising=False)


def test_defaults_point_at_zalo_and_the_channel_is_off():
    settings = load_settings()
    assert settings.zalo_oa_api_base_url == "https://openapi.zalo.me"
    assert settings.zalo_oa_oauth_base_url == "https://oauth.zaloapp.com"
    assert settings.zalo_zns_api_base_url == "https://business.openapi.zalo.me"
    assert not settings.zalo_oa_configured and not settings.zalo_oa_enabled


def test_configured_without_a_refresh_token_then_enabled_with_one(monkeypatch):
    for name, value in OA.items():
        monkeypatch.setenv(name, value)
    settings = load_settings()
    assert settings.zalo_oa_configured and not settings.zalo_oa_enabled
    monkeypatch.setenv("ZALO_OA_REFRESH_TOKEN", "  rt_0123456789abcdef ")
    settings = load_settings()
    assert settings.zalo_oa_enabled
    assert settings.zalo_oa_refresh_token is not None
    assert settings.zalo_oa_refresh_token.get_secret_value() == "rt_0123456789abcdef"
    assert "rt_0123456789abcdef" not in repr(settings)


@pytest.mark.parametrize("missing", sorted(OA))
def test_a_half_given_oa_names_the_missing_variable(monkeypatch, missing):
    for name, value in OA.items():
        if name != missing:
            monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=f"^{missing}: required when ZALO_OA_"):
        load_settings()


def test_a_refresh_token_alone_asks_for_the_app_id(monkeypatch):
    monkeypatch.setenv("ZALO_OA_REFRESH_TOKEN", "rt_0123456789abcdef")
    with pytest.raises(ConfigError, match=r"^ZALO_OA_APP_ID: required when ZALO_OA_REFRESH"):
        load_settings()


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("ZALO_OA_APP_ID", "my-app"),
        ("ZALO_OA_APP_SECRET", "short"),
        ("ZALO_OA_SECRET_KEY", "has a space inside"),
        ("ZALO_OA_API_BASE_URL", "openapi.zalo.me"),
        ("ZALO_OA_OAUTH_BASE_URL", "ftp://oauth.zaloapp.com"),
        ("ZALO_ZNS_API_BASE_URL", "business"),
    ],
)
def test_a_bad_value_is_named(monkeypatch, name, value):
    for other, good in OA.items():
        monkeypatch.setenv(other, good)
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=f"^{name}: "):
        load_settings()


def test_roots_lose_their_trailing_slash(monkeypatch):
    monkeypatch.setenv("ZALO_OA_API_BASE_URL", "http://127.0.0.1:9000/")
    assert load_settings().zalo_oa_api_base_url == "http://127.0.0.1:9000"
