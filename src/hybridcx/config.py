"""The one typed settings object. Only the composition roots (app.py, cli.py) read it."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Settings from the environment (prefix ``HYBRIDCX_``) or a ``.env`` file."""

    model_config = SettingsConfigDict(env_prefix="HYBRIDCX_", env_file=".env", extra="ignore")

    host: str = "127.0.0.1"
    port: int = 8000
    data_dir: Path = Path("./.hybridcx")
    database_url: str | None = Field(
        default=None, description="SQLAlchemy async URL; defaults to a SQLite file in data_dir."
    )
    redis_url: str | None = Field(
        default=None, description="Redis pub/sub carries live events between server processes."
    )
    max_message_chars: int = Field(default=4000, ge=1)
    staff_token_hours: int = Field(default=12, ge=1)
    presence_timeout_seconds: int = Field(default=60, ge=5)
    nlu_enabled: bool = Field(default=True, description="Off: only the model-free rules run.")
    nlu_model_dir: Path | None = Field(
        default=None, description="Trained intent model; defaults to <data_dir>/nlu."
    )
    nlu_training_data: Path | None = Field(
        default=None,
        description="Intent examples (YAML or CSV) used when no model exists yet; "
        "defaults to the demo company's intents.",
    )
    llm_base_url: str | None = Field(
        default=None,
        description="OpenAI-compatible server (vLLM, Ollama, llama.cpp, hosted) for generative "
        "answers and drafts; off by default (answers are extractive).",
    )
    llm_api_key: str | None = None
    llm_model: str = "gpt-4o-mini"
    llm_timeout_seconds: float = Field(default=20.0, gt=0)
    assignment_strategy: str = Field(default="longest_idle", description="See queue/strategy.py.")
    log_level: str = "info"
    migrate_on_start: bool = True

    # ---- access9: rate limits on public endpoints and outbound webhooks ----
    rate_limit_enabled: bool = True
    rate_limit_window_seconds: float = Field(default=60.0, gt=0)
    rate_limit_per_ip: int = Field(
        default=1200, ge=1, description="Public endpoint requests per client address per window."
    )
    rate_limit_per_token: int = Field(
        default=240, ge=1, description="Customer / self-service requests per token per window."
    )
    rate_limit_per_customer: int = Field(
        default=300, ge=1, description="Conversations a customer (email) may start per window."
    )
    rate_limit_login_per_ip: int = Field(
        default=100, ge=1, description="Staff sign-in attempts per client address per window."
    )
    rate_limit_exempt: list[str] = Field(
        default=["127.0.0.1", "::1"],
        description="Client addresses never limited: loopback, so the local demo and the test "
        "suite run freely. Behind a proxy on the same host, pass the real client address "
        "(uvicorn --forwarded-allow-ips) or set this to [].",
    )
    webhooks_enabled: bool = Field(default=True, description="Run the webhook delivery worker.")
    webhook_poll_seconds: float = Field(default=1.0, gt=0)
    webhook_max_attempts: int = Field(default=8, ge=1)
    webhook_retry_base_seconds: float = Field(default=5.0, gt=0)
    webhook_retry_max_seconds: float = Field(default=3600.0, gt=0)
    webhook_timeout_seconds: float = Field(default=10.0, gt=0)

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return normalize_database_url(self.database_url)
        return f"sqlite+aiosqlite:///{(self.data_dir / 'hybridcx.db').resolve()}"

    @property
    def effective_nlu_model_dir(self) -> Path:
        return self.nlu_model_dir or self.data_dir / "nlu"

    @property
    def policy_dir(self) -> Path:
        return self.data_dir / "policies"


def normalize_database_url(url: str) -> str:
    """Accept the URLs people paste (``postgres://``, ``postgresql://``) and pick async drivers."""
    for prefix in ("postgres://", "postgresql://", "postgresql+psycopg2://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    if url.startswith("sqlite://") and not url.startswith("sqlite+aiosqlite://"):
        return "sqlite+aiosqlite://" + url[len("sqlite://") :]
    return url
