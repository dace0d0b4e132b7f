"""Settings from ``SCRM_*`` environment variables (and an optional ``.env`` file)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings", "get_settings"]


class Settings(BaseSettings):
    """Runtime configuration. Every field reads ``SCRM_<FIELD>`` from the environment.

    Attributes:
        db: Path of the embedded database (a directory-like file LadybugDB owns).
        neo4j_uri: When set, every command and the API use Neo4j instead.
        neo4j_user / neo4j_password / neo4j_database: Neo4j credentials and database.
        neo4j_batch_size: Rows per ``UNWIND $rows`` write.
        environment: ``development`` or ``production``; production refuses default secrets.
        host / port: Where ``scrm serve`` listens.
        batch_size: Records per ingest transaction.
        rejects_dir: Where ingest writes rejected records (default: beside the database).
        query_timeout: Seconds an API request may wait for the store before it gets an
            error (0 waits for ever).
        read_cache_seconds: How long an identical GraphQL read may be answered from
            memory (any write clears it; 0 turns the cache off).
        analyze_buffer_pool_mb: The embedded database's buffer pool when ``scrm analyze``
            opens it itself (MB). Analysis reads each column once, so a small pool
            costs it no time, and every page of a large one counts towards its peak
            memory; other commands use ``SCRM_BUFFER_POOL_MB`` (4096).
    """

    model_config = SettingsConfigDict(env_prefix="SCRM_", env_file=".env", extra="ignore")

    db: Path = Path("scrm.lbdb")
    neo4j_uri: str | None = None
    neo4j_user: str = "neo4j"
    neo4j_password: SecretStr = SecretStr("scrm-dev-password")
    neo4j_database: str = "neo4j"
    neo4j_batch_size: int = 5_000
    environment: str = "development"
    host: str = "127.0.0.1"
    port: int = 8000
    batch_size: int = 200_000
    rejects_dir: Path | None = None
    api_keys: str = ""
    public_graphiql: bool = True
    query_timeout: float = 60.0
    read_cache_seconds: float = 2.0
    analyze_buffer_pool_mb: int = 1024

    # Live sources (``scrm monitor``): base URLs (self-hosted instances, proxies, tests)
    # and credentials. Credentials are read from the environment or .env on every run,
    # never stored in the database or the monitors file, never logged.
    bluesky_url: str = "https://public.api.bsky.app"
    bluesky_token: SecretStr | None = None
    jetstream_url: str = "wss://jetstream2.us-east.bsky.network"
    mastodon_url: str | None = None
    mastodon_token: SecretStr | None = None
    discourse_url: str | None = None
    discourse_api_key: SecretStr | None = None
    discourse_api_username: str | None = None
    reddit_url: str = "https://oauth.reddit.com"
    reddit_token: SecretStr | None = None
    twitter_url: str = "https://api.twitter.com"
    twitter_bearer_token: SecretStr | None = None
    stackexchange_url: str = "https://api.stackexchange.com"
    stackexchange_key: SecretStr | None = None
    monitor_timeout: float = 20.0
    # connector URLs on private, loopback or link-local addresses are refused unless allowed
    monitor_allow_private: bool = False

    # Webhooks (api/webhooks.py): receivers on private addresses are refused unless
    # allowed; tries per delivery, the first backoff (doubling, with jitter) and its cap
    webhook_allow_private: bool = False
    webhook_attempts: int = 6
    webhook_backoff_seconds: float = 2.0
    webhook_backoff_cap_seconds: float = 600.0
    webhook_timeout: float = 10.0

    # Alerts (analytics/alerts.py): the series watched besides the brand, and thresholds
    alert_terms: str = ""  # comma-separated; default: the brand's competitors
    alert_topics: str = ""  # JSON {"topic": ["term", ...]}; default: the routing rules
    alert_bucket_minutes: int = 60
    alert_lookback_hours: float = 14 * 24
    alert_min_count: int = 10
    alert_p_value: float = 1e-4

    @model_validator(mode="after")
    def _refuse_default_secrets(self) -> Settings:
        if (
            self.environment != "development"
            and self.neo4j_uri
            and self.neo4j_password.get_secret_value() == "scrm-dev-password"
        ):
            raise ValueError(
                "SCRM_NEO4J_PASSWORD is still the development default; set a real password "
                "outside development (SCRM_ENVIRONMENT=development to override)."
            )
        return self

    @property
    def backend(self) -> str:
        return "neo4j" if self.neo4j_uri else "embedded"

    def resolved_rejects_dir(self) -> Path:
        if self.rejects_dir is not None:
            return self.rejects_dir
        return self.db.parent / (self.db.name + ".rejects")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
