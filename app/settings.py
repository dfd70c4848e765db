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
    # Bound of each live subscription's queue; a subscriber further behind is told to resume.
    live_queue_size: int = 1000
    ws_ping_interval: float = 20.0
    ws_ping_timeout: float = 20.0
    log_level: str = "INFO"

    @field_validator("allowed_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return [origin.strip() for origin in value.split(",") if origin.strip()]
        return value
