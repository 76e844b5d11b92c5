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

    @field_validator("telegram_api_base_url", "zalo_api_base_url", "public_base_url")
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
    def timezone(self) -> ZoneInfo:
        return ZoneInfo(self.bot_timezone)


def load_settings(**overrides: object) -> Settings:
    """Read settings or raise ConfigError naming the first bad variable in one line."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        name = str(first["loc"][0]).upper() if first["loc"] else "configuration"
        message = first["msg"].removeprefix("Value error, ")
        raise ConfigError(f"{name}: {message}") from None
