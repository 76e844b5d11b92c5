"""Settings: the single source of configuration, read once from the environment and `.env`.

Every variable here is in README's configuration table and in `.env.example`; the tests
check both against this class.
"""

from __future__ import annotations

import re
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Telegram accepts a webhook secret of 1-256 characters from this set.
_SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


class ConfigError(Exception):
    """A configuration value is missing or malformed; the message is one line naming it."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    database_url: str = Field(
        "sqlite+aiosqlite:///./vbsp-bot.db",
        description="Any SQLAlchemy async URL; PostgreSQL is postgresql+asyncpg://…",
    )
    telegram_bot_token: SecretStr | None = Field(
        None, description="Telegram channel is on when set (token from @BotFather)"
    )
    telegram_api_base_url: str = Field(
        "https://api.telegram.org",
        description="Bot API server root; the bot calls {root}/bot{token}/{method}",
    )
    telegram_webhook_secret: SecretStr | None = Field(
        None,
        description="Required in webhook mode; checked against X-Telegram-Bot-Api-Secret-Token",
    )
    zalo_bot_token: SecretStr | None = Field(None, description="Zalo channel is on when set")
    zalo_api_base_url: str | None = Field(None, description="Zalo Bot Platform API root")
    zalo_webhook_secret: SecretStr | None = Field(
        None, description="Required when the Zalo channel is on; checked on every Zalo event"
    )
    zalo_oa_app_id: str | None = Field(
        None, description="Zalo Official Account channel: the app id (developers.zalo.me)"
    )
    zalo_oa_app_secret: SecretStr | None = Field(
        None, description="The app's secret key; sent as secret_key when getting tokens"
    )
    zalo_oa_secret_key: SecretStr | None = Field(
        None, description="The OA secret key that signs webhook events (X-ZEvent-Signature)"
    )
    zalo_oa_refresh_token: SecretStr | None = Field(
        None,
        description="The first refresh token (from `vbsp-bot zalo-oa authorize` or the console); "
        "later ones are kept in the database",
    )
    zalo_oa_api_base_url: str = Field(
        "https://openapi.zalo.me", description="OA API root; the bot calls {root}/v3.0/oa/…"
    )
    zalo_oa_oauth_base_url: str = Field(
        "https://oauth.zaloapp.com", description="OAuth root; {root}/v4/oa/access_token"
    )
    zalo_zns_api_base_url: str = Field(
        "https://business.openapi.zalo.me", description="ZNS root; {root}/message/template"
    )
    public_base_url: str | None = Field(
        None,
        description="The address people reach `vbsp-bot serve` at (https://bot.example.vn); "
        "staff console sign-in links are made from it",
    )
    console_session_hours: float = Field(
        12, description="How long a staff console sign-in lasts, in hours"
    )
    bot_timezone: str = Field(
        "Asia/Ho_Chi_Minh", description="All schedules and reminders are computed in this zone"
    )
    send_rate_per_second: float = Field(
        25, description="Ceiling for bulk sends (broadcasts, reminders) per channel"
    )
    report_limit_key: SecretStr | None = Field(
        None,
        description="Secret (at least 32 characters) keying the hashes that hold the report "
        "limits; unset: one is made and kept in the database",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = Field(
        "INFO", description="Logging level"
    )
    log_level_libraries: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] | None = Field(
        None,
        description="Level of third-party loggers (PTB, httpx, SQLAlchemy…); WARNING when unset",
    )

    @field_validator("database_url")
    @classmethod
    def _async_url(cls, value: str) -> str:
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("must start with sqlite+aiosqlite:// or postgresql+asyncpg://")
        return value

    @field_validator(
        "telegram_api_base_url",
        "zalo_api_base_url",
        "public_base_url",
        "zalo_oa_api_base_url",
        "zalo_oa_oauth_base_url",
        "zalo_zns_api_base_url",
    )
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not re.match(r"^https?://[^\s/]+", value):
            raise ValueError("must be an http(s):// URL")
        return value.rstrip("/")

    @field_validator("telegram_webhook_secret", "zalo_webhook_secret")
    @classmethod
    def _secret_chars(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not _SECRET_RE.match(value.get_secret_value()):
            raise ValueError("must be 1-256 characters of A-Z a-z 0-9 _ -")
        return value

    @field_validator("zalo_oa_app_id")
    @classmethod
    def _app_id(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        if not re.fullmatch(r"\d{5,32}", value.strip()):
            raise ValueError("must be the app's numeric id (developers.zalo.me, app settings)")
        return value.strip()

    @field_validator("zalo_oa_app_secret", "zalo_oa_secret_key", "zalo_oa_refresh_token")
    @classmethod
    def _oa_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        text = value.get_secret_value().strip()
        if len(text) < 8 or any(c.isspace() for c in text):
            raise ValueError("must be at least 8 characters with no spaces (copy it whole)")
        return SecretStr(text)

    @field_validator("report_limit_key")
    @classmethod
    def _long_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 32:
            raise ValueError("must be at least 32 characters (e.g. `openssl rand -hex 32`)")
        return value

    @field_validator("bot_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @field_validator("console_session_hours")
    @classmethod
    def _session_hours(cls, value: float) -> float:
        if not 0.1 <= value <= 24 * 30:
            raise ValueError("must be a number of hours from 0.1 to 720")
        return value

    @field_validator("send_rate_per_second")
    @classmethod
    def _positive_rate(cls, value: float) -> float:
        if not 0 < value <= 1000:
            raise ValueError("must be a number above 0 and at most 1000")
        return value

    @field_validator("log_level", "log_level_libraries", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @property
    def zalo_oa_configured(self) -> bool:
        """App id, app secret and OA secret key are set: the OA channel can run once a
        refresh token is known (here or already in the database)."""
        return bool(self.zalo_oa_app_id and self.zalo_oa_app_secret and self.zalo_oa_secret_key)

    @property
    def zalo_oa_enabled(self) -> bool:
        """The OA channel is on from the settings alone: configured and a refresh token given.
        (A token kept in the database also turns it on: see bot.zalo_oa_tokens.oa_enabled.)"""
        return self.zalo_oa_configured and self.zalo_oa_refresh_token is not None

    @property
    def timezone(self) -> ZoneInfo:
        return ZoneInfo(self.bot_timezone)


_OA_TRIO = ("zalo_oa_app_id", "zalo_oa_app_secret", "zalo_oa_secret_key")


def _oa_incomplete(settings: Settings) -> str | None:
    """One line naming the missing OA variable when the OA settings are half given."""
    given = [name for name in (*_OA_TRIO, "zalo_oa_refresh_token") if getattr(settings, name)]
    if not given:
        return None
    for name in _OA_TRIO:
        if not getattr(settings, name):
            return (
                f"{name.upper()}: required when {given[0].upper()} is set "
                "(the OA channel needs the app id, the app secret and the OA secret key)"
            )
    return None


def load_settings(**overrides: object) -> Settings:
    """Read settings or raise ConfigError naming the first bad variable in one line."""
    try:
        settings = Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        name = str(first["loc"][0]).upper() if first["loc"] else "configuration"
        message = first["msg"].removeprefix("Value error, ")
        raise ConfigError(f"{name}: {message}") from None
    problem = _oa_incomplete(settings)
    if problem:
        raise ConfigError(problem)
    return settings
