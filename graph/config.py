"""Settings from ``SCRM_*`` environment variables (and an optional ``.env`` file).

This is the one place a setting is declared: every ``SCRM_*`` variable is a field of
:class:`Settings`, the CLI takes its option defaults from it, and
``tests/cli/test_docs.py`` keeps the README's settings table equal to it. To add a
setting, add a field (and a line to the docstring and the README table).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from graph.errors import ConfigError

__all__ = ["ENV_PREFIX", "Settings", "env_name", "get_settings", "load_settings"]

ENV_PREFIX = "SCRM_"


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
        debug: Show the Python traceback of an unexpected error.
        readers: Read-only API processes beside the writer (``scrm serve --readers``).
        reader_refresh_seconds: With read processes, how often at most the server's own
            background writes (streams, monitor rounds) make them open the database
            again; a client's own write is visible to them at once.
        db_threads: Threads one embedded-database query may use (0: one per core).
        buffer_pool_mb: The embedded database's page cache (MB) for every command but
            ``scrm analyze``.
        checkpoint_mb: How much the embedded database's log grows (MB) before a write
            checkpoints it; larger: fewer, longer pauses of a stream's writes, more memory
            and a longer replay after a crash.
        understand_per_run: Posts one analysis understands at most (language, sentiment,
            intents; 0: all); the rest wait for the next run.
        understand_after_seconds: After an ingest or monitor round wrote posts,
            ``scrm serve`` understands them once no other such write came for this many
            seconds (while posts keep coming, at the latest 10 times that after the
            first); 0 leaves them to ``scrm analyze``.
        decay_floor: The least an interaction's time decay falls to: an older era is
            outranked by recent activity, never erased.
        half_life_days: An interaction's weight halves every this many days.
        reply_weight / mention_weight / share_weight / quote_weight: Weight of each
            interaction kind in the influence graph.
        community_refresh: Keep the previous communities until interactions grew by this
            fraction.
        identity_threshold: Identity links at or above this confidence are applied.
        routing_rules: A JSON file of care-queue routing rules (default: built-in rules).
        analyze_buffer_pool_mb: The embedded database's buffer pool when ``scrm analyze``
            opens it itself (MB). Analysis reads each column once, so a small pool
            costs it no time, and every page of a large one counts towards its peak
            memory; other commands use ``SCRM_BUFFER_POOL_MB`` (4096).
    """

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, env_file=".env", extra="ignore")

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
    debug: bool = False
    readers: int = 0
    reader_refresh_seconds: float = 1.0
    db_threads: int = 0
    buffer_pool_mb: int = 4096
    checkpoint_mb: int = 16
    half_life_days: float = 90.0
    decay_floor: float = 0.05
    understand_per_run: int = 50_000
    understand_after_seconds: float = 2.0
    reply_weight: float = 1.0
    mention_weight: float = 0.5
    share_weight: float = 1.0
    quote_weight: float = 1.0
    community_refresh: float = 0.05
    identity_threshold: float = 0.85
    routing_rules: Path | None = None
    analyze_buffer_pool_mb: int = 1024
    # Bytes a JSON line of an ingested file may have; a longer line is rejected unread.
    max_line_bytes: int = 1 << 20

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
    # Sending replies (ingest/outbox.py): Mastodon and Discourse send with the credentials
    # above (a Mastodon token with write:statuses; a Discourse key allowed to post);
    # Bluesky writes through the account's PDS with an app password
    bluesky_pds_url: str = "https://bsky.social"
    bluesky_identifier: str | None = None
    bluesky_app_password: SecretStr | None = None
    outbox_in_serve: bool = True
    outbox_attempts: int = 8
    outbox_backoff_seconds: float = 30.0
    outbox_backoff_cap_seconds: float = 3600.0
    outbox_timeout: float = 20.0
    # platform URLs on private, loopback or link-local addresses are refused unless allowed
    outbox_allow_private: bool = False
    # connector URLs on private, loopback or link-local addresses are refused unless allowed
    monitor_allow_private: bool = False

    # Webhooks (api/webhooks.py): receivers on private addresses are refused unless
    # allowed; tries per delivery, the first backoff (doubling, with jitter) and its cap
    webhook_allow_private: bool = False
    webhook_attempts: int = 6
    webhook_backoff_seconds: float = 2.0
    webhook_backoff_cap_seconds: float = 600.0
    webhook_timeout: float = 10.0
    # scrm serve: poll the enabled monitors, and look for events this often (seconds)
    monitor_in_serve: bool = True
    # scrm serve: score streamed posts' sentiment in a process of its own (the writer's
    # GIL is left to writes and requests; analytics/arrivals.py)
    scoring_process: bool = True
    events_seconds: float = 5.0
    # scrm serve, nothing written: compare the alerts again at most this often (seconds;
    # 0: never). Time alone only ends an alert (api/live.py), so this only moves on
    # what the events check remembers; a write is checked within events_seconds.
    events_idle_seconds: float = 900.0
    # scrm serve, new content written: compare the alerts again at most this often
    # (seconds; they count posts in alert_bucket_minutes buckets, and a pass over
    # 100,000 posts takes seconds, which a stream writing every second would pay again
    # and again)
    events_alert_seconds: float = 60.0
    # scrm serve: refresh the scores (a warm-started analysis) this often while new posts
    # arrive (seconds; 0: only 'scrm analyze')
    analyze_every_seconds: float = 0.0

    # Alerts (analytics/alerts.py): the series watched besides the brand, and thresholds
    alert_terms: str = ""  # comma-separated; default: the brand's competitors
    alert_topics: str = ""  # JSON {"topic": ["term", ...]}; default: the routing rules
    alert_bucket_minutes: int = 60
    alert_lookback_hours: float = 14 * 24
    alert_min_count: int = 10
    alert_p_value: float = 1e-4

    # --- security (access and abuse; see README "Security") ----------------------------
    # api_key: the key the CLI sends when it hands a job to a server with keys on.
    # allowed_hosts: Host header names the server answers (comma-separated; "*": any).
    # ingest_roots: folders /jobs may read (os.pathsep- or comma-separated; empty: the
    #     server's working directory and the database's folder, which holds the spool).
    # max_body_bytes / max_query_chars / max_json_depth: refused before any parsing.
    # max_query_cost: the cost limit of one GraphQL operation (api/cost.py).
    # rate_limit_per_minute / rate_limit_burst: per key (or client address without a
    #     key) and per process; 0 turns the limit off.
    api_key: SecretStr | None = None
    allowed_hosts: str = "localhost,127.0.0.1,::1"
    ingest_roots: str = ""
    max_body_bytes: int = 1_000_000
    max_query_chars: int = 100_000
    max_json_depth: int = 32
    max_query_cost: int = 60_000
    rate_limit_per_minute: int = 0
    rate_limit_burst: int = 0
    # trusted_proxies: addresses whose X-Forwarded-Proto / X-Forwarded-For is believed
    #     (a TLS proxy in front; comma-separated); session_hours: how long a workspace
    #     sign-in lasts.
    trusted_proxies: str = ""
    session_hours: float = 12.0

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


def env_name(field: str) -> str:
    """The environment variable of a settings field: ``query_timeout`` → ``SCRM_QUERY_TIMEOUT``."""
    return ENV_PREFIX + field.upper()


_ACCEPTS = {int: "a whole number", float: "a number", bool: "true or false",
            Path: "a path", str: "text", SecretStr: "text"}


def _accepts(field: str) -> str:
    info = Settings.model_fields.get(field)
    annotation: Any = info.annotation if info is not None else None
    for kind, words in _ACCEPTS.items():
        if annotation is kind or annotation == kind | None:
            return words
    return "another value"


def _one_line(error: ValidationError) -> str:
    """The first problem of a settings error as one line naming the variable."""
    problem = error.errors()[0]
    loc = problem.get("loc") or ()
    if not loc:  # a check across fields: its message names the variables already
        return str(problem["msg"]).removeprefix("Value error, ")
    field = str(loc[0])
    value = problem.get("input")
    shown = "" if isinstance(value, dict) else f"={value}"
    return f"{env_name(field)}{shown} is not valid: it accepts {_accepts(field)}"


def load_settings(**overrides: Any) -> Settings:
    """Read the settings, turning a bad value into a :class:`ConfigError` of one line.

    Raises:
        ConfigError: A ``SCRM_*`` variable (or ``.env`` line) has a value its setting
            does not accept; the message names the variable and what it accepts.
    """
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise ConfigError(_one_line(exc)) from exc


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, read once (see :func:`load_settings` for errors)."""
    return load_settings()
