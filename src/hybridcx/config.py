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
    # ---- predictive routing and experiments (issue 10) ----
    routing_model_dir: Path | None = Field(
        default=None, description="Outcome models per workspace; defaults to <data_dir>/routing."
    )
    routing_model_max_age_hours: float = Field(
        default=168.0, gt=0, description="An older model is stale: the baseline routes instead."
    )
    routing_decision_budget_ms: float = Field(
        default=20.0, ge=0, description="A predictive decision over this falls back."
    )
    routing_max_wait_seconds: float = Field(
        default=120.0, ge=0, description="A contact waiting this long goes to the baseline."
    )
    routing_max_idle_seconds: float = Field(
        default=1800.0, ge=0, description="Agents idle this long are served first."
    )
    routing_weight_resolution: float = Field(default=1.0, ge=0)
    routing_weight_handle_time: float = Field(default=0.25, ge=0)
    routing_weight_csat: float = Field(default=0.2, ge=0)
    routing_weight_load: float = Field(default=0.1, ge=0)
    experiments_check_seconds: float = Field(
        default=60.0, ge=0, description="How often guardrails and rollouts are checked; 0: off."
    )
    # ---- end of issue 10 settings ----
    log_level: str = "info"
    migrate_on_start: bool = True

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return normalize_database_url(self.database_url)
        return f"sqlite+aiosqlite:///{(self.data_dir / 'hybridcx.db').resolve()}"

    @property
    def effective_nlu_model_dir(self) -> Path:
        return self.nlu_model_dir or self.data_dir / "nlu"

    @property
    def effective_routing_model_dir(self) -> Path:
        return self.routing_model_dir or self.data_dir / "routing"

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
