"""Settings from the environment (and an optional .env file), read once at start."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from dotenv import dotenv_values

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_KNOWLEDGE = REPO_ROOT / "knowledge"
# The checkout's .env, not the current directory's: a .env in a shared folder someone else
# controls could otherwise point the token at another host.
DEFAULT_ENV_FILE = REPO_ROOT / ".env"
DEFAULT_BASE_URL = "https://api.telegram.org/bot"
DEFAULT_BASE_FILE_URL = "https://api.telegram.org/file/bot"


class ConfigError(ValueError):
    """A setting has a value the bot cannot use."""


def _int_list(raw: str, name: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in raw.replace(";", ",").split(",") if part.strip())
    except ValueError as exc:
        raise ConfigError(f"{name} must be a comma-separated list of numbers") from exc


@dataclass(frozen=True)
class Settings:
    telegram_token: str = ""
    telegram_base_url: str = DEFAULT_BASE_URL
    telegram_base_file_url: str = DEFAULT_BASE_FILE_URL
    database: Path = Path("quartierslotse.sqlite3")
    knowledge: Path = DEFAULT_KNOWLEDGE
    default_language: str = "de"
    timezone: str = "Europe/Berlin"
    coordinator_chat_id: int | None = None
    coordinator_user_ids: tuple[int, ...] = field(default_factory=tuple)
    office_hours: str = "mo-fr 09:00-16:00"
    retention_days: int = 180
    closed_days: int = 30  # a closed case is kept this long, for the resident to come back to it
    translate_url: str = ""  # a self-hosted LibreTranslate-compatible server (optional)
    translate_key: str = ""
    log_level: str = "INFO"

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, env_file: Path | None = DEFAULT_ENV_FILE
    ) -> Settings:
        """Environment variables win over the .env file, which wins over the defaults."""
        values: dict[str, str] = {}
        if env_file is not None and env_file.is_file():
            values.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
        values.update(os.environ if environ is None else environ)

        def get(name: str, default: str = "") -> str:
            return values.get(name, default).strip()

        retention = get("LOTSE_RETENTION_DAYS", "180")
        if not retention.isdigit() or int(retention) < 1:
            raise ConfigError("LOTSE_RETENTION_DAYS must be a whole number of days (at least 1)")
        closed = get("LOTSE_CLOSED_DAYS", "30")
        if not closed.isdigit():
            raise ConfigError("LOTSE_CLOSED_DAYS must be a whole number of days")
        chat_id = get("COORDINATOR_CHAT_ID")
        try:
            coordinator_chat_id = int(chat_id) if chat_id else None
        except ValueError as exc:
            raise ConfigError("COORDINATOR_CHAT_ID must be a number") from exc
        return cls(
            telegram_token=get("TELEGRAM_BOT_TOKEN"),
            telegram_base_url=get("TELEGRAM_BASE_URL", DEFAULT_BASE_URL),
            telegram_base_file_url=get("TELEGRAM_BASE_FILE_URL", DEFAULT_BASE_FILE_URL),
            database=Path(get("LOTSE_DATABASE", "quartierslotse.sqlite3")),
            knowledge=Path(get("LOTSE_KNOWLEDGE", str(DEFAULT_KNOWLEDGE))),
            default_language=get("LOTSE_DEFAULT_LANGUAGE", "de"),
            timezone=get("LOTSE_TIMEZONE", "Europe/Berlin"),
            coordinator_chat_id=coordinator_chat_id,
            coordinator_user_ids=_int_list(get("COORDINATOR_USER_IDS"), "COORDINATOR_USER_IDS"),
            office_hours=get("COORDINATOR_OFFICE_HOURS", "mo-fr 09:00-16:00"),
            retention_days=int(retention),
            closed_days=min(int(closed), int(retention)),
            translate_url=get("LOTSE_TRANSLATE_URL"),
            translate_key=get("LOTSE_TRANSLATE_KEY"),
            log_level=get("LOTSE_LOG_LEVEL", "INFO").upper(),
        )
