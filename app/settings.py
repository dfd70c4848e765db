"""All configuration, from environment variables (see the README's configuration table)."""

from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(case_sensitive=False, extra="ignore")

    database_url: str = "sqlite+aiosqlite:///./data/interview.db"
    broadcast_url: str = "memory://"
    public_base_url: str = "http://127.0.0.1:8000"
    bootstrap_admin_token: str | None = None
    # Signs join tokens. Unset: one is generated and kept in the database (same for every process).
    secret_key: str | None = None
    # Browser origins (besides the API's own) allowed to open the GraphQL WebSocket; "*" for any.
    allowed_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # The contract caps `first` at 100; raise it only for benchmarks or internal tools.
    max_page_size: int = 100
    # Run migrations when the server starts (embedded default); turn off when a deploy step runs them.
    migrate_on_start: bool = True
    # Deliver webhooks from a task inside each API process; turn off when `interview-api worker` runs.
    embedded_webhook_dispatcher: bool = True
    webhook_allow_private_urls: bool = False
    # Webhook dispatcher tuning; the defaults are production values, tests shorten them.
    # Seconds to wait after the 1st, 2nd, ... failed attempt ("5,300,1800"); empty: the standard ~3 days.
    webhook_retry_schedule: Annotated[list[float], NoDecode] = Field(default_factory=list)
    webhook_concurrency: int = 16
    webhook_timeout: float = 15.0
    webhook_claim_seconds: float = 60.0
    webhook_poll_interval: float = 1.0
    webhook_disable_after: float = 5 * 86400.0
    # Prepended to every live channel name, so deployments sharing a Redis keep apart.
    live_channel_prefix: str = ""
    # Bound of each live subscription's queue; a subscriber further behind is told to resume.
    live_queue_size: int = 1000
    ws_ping_interval: float = 20.0
    ws_ping_timeout: float = 20.0
    log_level: str = "INFO"
    # After startup, move what exists to the GC's permanent generation: full collections
    # then scan far less and stop pausing live streams for ~100 ms (measured).
    gc_freeze_after_startup: bool = True

    @field_validator("webhook_retry_schedule", mode="before")
    @classmethod
    def _split_schedule(cls, value: object) -> object:
        if isinstance(value, str):
            return [float(part) for part in value.split(",") if part.strip()]
        return value

    @field_validator("allowed_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return [origin.strip() for origin in value.split(",") if origin.strip()]
        return value
