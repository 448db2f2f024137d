"""Settings: one object, built by a factory, passed down to whatever needs it.

Values come from arguments, then ``WEALTHDESK_*`` environment variables, then
defaults. Unknown settings are an error, so a typo fails loudly.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
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
    public_url: str | None = Field(
        None,
        description="The server's address as browsers reach it, e.g. https://wd.example.com: WeCom's sign-in "
        "redirect and the JS-SDK signatures are made for it (default: the address each request came to).",
    )
    wecom_token: SecretStr | None = Field(None, description="WeCom callback Token (接收消息服务器配置的 Token).")
    wecom_aes_key: SecretStr | None = Field(
        None, description="WeCom callback EncodingAESKey: 43 characters, the AES-256 key of every callback."
    )
    wecom_corp_id: str | None = Field(
        None, description="The corporation's CorpID: every callback must carry it as its receive id."
    )
    wecom_secret: SecretStr | None = Field(
        None,
        description="Secret of the app that calls WeCom's server API (客户联系 or a self-built app with "
        "customer-contact permission): tag sync and the sidebar's sign-in.",
    )
    wecom_agent_id: int | None = Field(
        None, description="AgentId of that app: the sidebar's wx.agentConfig and OAuth sign-in need it."
    )
    wecom_api_base: str = Field(
        "https://qyapi.weixin.qq.com", description="Base URL of WeCom's server API (change only for a proxy or a test)."
    )
    wecom_max_skew_s: int = Field(
        300,
        ge=0,
        description="Callbacks whose timestamp is further than this many seconds from the server's clock are refused "
        "as stale; 0 turns the window off (for replaying recorded traffic).",
    )


def load_settings(**overrides: object) -> Settings:
    """Build settings from the environment, with explicit overrides (e.g. CLI options) winning."""
    given = {key: value for key, value in overrides.items() if value is not None}
    return Settings(**given)  # type: ignore[arg-type]
