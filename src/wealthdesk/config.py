"""Settings: one object, built by a factory, passed down to whatever needs it.

Values come from arguments, then ``WEALTHDESK_*`` environment variables, then
defaults. Unknown settings are an error, so a typo fails loudly.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_STORE = Path("wealthdesk.duckdb")


class Settings(BaseSettings):
    """wealthdesk settings (environment prefix ``WEALTHDESK_``)."""

    model_config = SettingsConfigDict(env_prefix="WEALTHDESK_", extra="forbid", frozen=True)

    store: Path = Field(DEFAULT_STORE, description="Path of the DuckDB store file.")
    threads: int | None = Field(None, ge=1, description="DuckDB worker threads; default: all cores.")
    memory_limit: str | None = Field(None, description="DuckDB memory limit, e.g. '8GB'; default: DuckDB's own.")
    secure_cookies: bool = Field(
        False, description="Mark the pages' session cookie Secure: set it when the server is reached over HTTPS."
    )


def load_settings(**overrides: object) -> Settings:
    """Build settings from the environment, with explicit overrides (e.g. CLI options) winning."""
    given = {key: value for key, value in overrides.items() if value is not None}
    return Settings(**given)  # type: ignore[arg-type]
