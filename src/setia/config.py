"""One typed settings object, read from SETIA_* environment variables when asked for, never at import."""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SETIA_", extra="ignore")

    database_url: str = "sqlite:///setia.db"
    host: str = "127.0.0.1"
    port: int = 8000
    default_timezone: str = "Asia/Jakarta"
    idempotency_days: int = 30
    bench_endpoints: bool = False
