"""Junction's settings: one tree, read from ``JUNCTION_*`` environment variables.

Settings are built once by the entry point (the CLI) and passed explicitly to whatever needs
them; nothing reads the environment at import time.
"""

from __future__ import annotations

import ipaddress
from datetime import timedelta
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import Field, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class Environment(StrEnum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"


def normalize_database_url(url: str) -> str:
    """Map the URL forms people usually write onto the async drivers Junction uses."""
    for prefix, replacement in (
        ("postgres://", "postgresql+psycopg://"),
        ("postgresql://", "postgresql+psycopg://"),
        ("sqlite://", "sqlite+aiosqlite://"),
    ):
        if url.startswith(prefix):
            return replacement + url[len(prefix) :]
    return url


class Settings(BaseSettings):
    """Every setting Junction reads. Environment variable = ``JUNCTION_`` + field name."""

    model_config = SettingsConfigDict(env_prefix="JUNCTION_", extra="ignore")

    env: Environment = Field(
        Environment.DEVELOPMENT,
        description=(
            "development generates missing encryption keys into the data folder; "
            "production refuses to start without them."
        ),
    )
    data_dir: Path = Field(
        Path("./junction-data"),
        description="Folder for the embedded database, the development keyring and other files.",
    )
    database_url: str | None = Field(
        None,
        description=(
            "SQLAlchemy URL. Default: a SQLite file junction.db in the data folder. "
            "postgresql://user@host/db is accepted and uses psycopg 3."
        ),
    )
    public_base_url: str = Field(
        "http://127.0.0.1:8000",
        description="The address users and third-party apps reach Junction at (links, webhooks).",
    )
    host: str = Field("127.0.0.1", description="Address `junction serve` listens on.")
    port: int = Field(8000, ge=1, le=65535, description="Port `junction serve` listens on.")
    access_token_lifetime: timedelta = Field(
        timedelta(days=14),
        description="How long an API access token lives (seconds or ISO 8601 duration).",
    )
    max_client_credentials: int = Field(
        5, ge=1, description="How many client credential sets may exist at once."
    )
    encryption_keys: str | None = Field(
        None,
        description=(
            "Comma-separated `key_id:base64url-32-byte-key` pairs; the first encrypts, all "
            "decrypt. When unset, the keyring file in the data folder is used."
        ),
    )
    token_failure_limit: int = Field(
        10,
        ge=1,
        description="Failed token requests allowed per client ID or address within the window.",
    )
    token_failure_window: timedelta = Field(
        timedelta(minutes=5), description="Window over which failed token requests are counted."
    )
    outbound_allow_loopback: bool = Field(
        False,
        description="Let connectors call 127.0.0.0/8 and ::1 (tests and the offline demo do).",
    )
    outbound_allow_private: bool = Field(
        False,
        description=(
            "Let connectors call private networks (10/8, 172.16/12, 192.168/16, 100.64/10, "
            "fc00::/7)."
        ),
    )
    log_level: Literal["critical", "error", "warning", "info", "debug", "trace"] = Field(
        "info",
        description=(
            "Level of Junction's own log lines and Uvicorn's, for every command (other "
            "libraries log their warnings and errors only)."
        ),
    )
    log_format: Literal["text", "json"] = Field(
        "text",
        description=(
            "text: one readable line per event; json: one JSON object per line (time, level, "
            "logger, message and the ids of the transaction being run). Logs go to stderr."
        ),
    )
    # The engine (see docs/architecture.md, "The engine").
    engine_enabled: bool = Field(
        True, description="Run transactions, schedules and retention inside `junction serve`."
    )
    dispatcher: Literal["local", "procrastinate"] = Field(
        "local",
        description=(
            "local: `junction serve` runs transactions itself. procrastinate (PostgreSQL "
            "only): `junction serve` only queues them and `junction worker` processes run them."
        ),
    )
    worker_shutdown_grace_seconds: float = Field(
        10,
        ge=0,
        description=(
            "On shutdown, how long running transactions get to finish before they are handed "
            "back to the queue (they resume at their current step)."
        ),
    )
    script_time_limit_seconds: float = Field(
        60, gt=0, description="Wall-clock time one script execution may take before it is stopped."
    )
    script_workers: int = Field(
        4, ge=1, le=256, description="Threads script executions run on, in each process."
    )
    script_workers_per_account: int | None = Field(
        None,
        ge=1,
        description=(
            "Script threads one account may hold at once. Default: one fewer than the "
            "threads and than the CPU cores, at least 1."
        ),
    )
    script_memory_limit_mb: int = Field(
        64, ge=1, description="Memory one script execution may allocate, in MiB."
    )
    worker_concurrency: int = Field(
        16, ge=1, le=1024, description="Transactions one process runs at the same time."
    )
    account_concurrency_limit: int = Field(
        8,
        ge=1,
        description=(
            "Transactions of one account running at the same time: per process with the local "
            "dispatcher, across all workers with procrastinate."
        ),
    )
    lease_seconds: float = Field(
        60, gt=0, description="How long a claimed transaction stays with its process unrenewed."
    )
    poll_interval_seconds: float = Field(
        1.0, gt=0, description="How often idle workers look for due or orphaned work."
    )
    retry_schedule: Annotated[list[int], NoDecode] = Field(
        [300, 2100, 5700, 16500, 38100],
        description=(
            "Seconds between attempts for StepErrorAction Retry (5 min, then 35 min, 1 h 35, "
            "4 h 35 and 10 h 35); comma-separated."
        ),
    )
    consecutive_error_limit: int = Field(
        25,
        ge=0,
        description="Pause a cycle after this many transactions in a row end Errored (0: never).",
    )
    notification_webhook_url: str | None = Field(
        None,
        description="Console-wide URL told when a cycle is paused for repeated errors "
        "(the console's Settings page may override it).",
    )
    transaction_error_webhook_url: str | None = Field(
        None,
        description="Console-wide transaction error webhook, for accounts without their own "
        "(the console's Settings page may override it).",
    )
    step_data_success_retention_hours: int = Field(
        744,
        ge=0,
        description="Console default: keep step data of completed transactions (the "
        "console's Settings page may override it).",
    )
    step_data_errored_retention_hours: int = Field(
        744,
        ge=0,
        description="Console default: keep step data of errored or stopped ones (the "
        "console's Settings page may override it).",
    )
    housekeeping_interval_seconds: float = Field(
        60, gt=0, description="How often retention and queue clean-up run."
    )
    stopped_queue_hours: float = Field(
        24, ge=0, description="Queued transactions of a stopped cycle are cancelled after this."
    )
    webhook_max_bytes: int = Field(
        5 * 1024 * 1024, ge=1, description="Largest webhook body accepted (413 beyond)."
    )
    # Limits on what one request may make Junction do (see docs/api.md, "Request limits").
    webhook_max_items: int = Field(
        10_000,
        ge=1,
        description="Most items a webhook body that is a JSON list may hold (413 beyond).",
    )
    api_max_bytes: int = Field(
        5 * 1024 * 1024,
        ge=1,
        description="Largest request body of the API and pages, webhooks aside (413 beyond).",
    )
    json_max_depth: int = Field(
        64, ge=1, description="Deepest nesting of a JSON request body, webhooks included (400)."
    )

    webhook_response_timeout_seconds: float = Field(
        30, gt=0, description="How long a webhook call waits for a WebhookResponse step."
    )

    # Reverse proxies (see docs/api.md, "Throttling"): whose X-Forwarded-For is believed.
    forwarded_allow_ips: Annotated[list[str], NoDecode] = Field(
        ["127.0.0.1", "::1"],
        description=(
            "Comma-separated addresses and networks (10.0.0.0/8) of the reverse proxies whose "
            "X-Forwarded-For and X-Forwarded-Proto are believed; empty: none; * : every peer."
        ),
    )

    # The end customer's pages (see docs/embedding.md).
    sign_in_token_lifetime: timedelta = Field(
        timedelta(minutes=5),
        description="How long a sign-in, LAUNCH or ORBIT token may wait to be used "
        "(seconds or ISO 8601 duration); each is used once.",
    )
    browser_session_lifetime: timedelta = Field(
        timedelta(hours=1),
        description="How long a customer's browser session lasts after its sign-in.",
    )
    cors_origins: Annotated[list[str], NoDecode] = Field(
        [],
        description="Comma-separated origins whose pages may call the API from the browser "
        "(CORS), with a browser token; empty: none.",
    )
    browser_token_lifetime: timedelta = Field(
        timedelta(minutes=15),
        description="How long a browser token (POST /v1.0/accounts/{id}/browsertoken) lives.",
    )
    embed_frame_ancestors: Annotated[list[str], NoDecode] = Field(
        [],
        description="Comma-separated origins (https://app.example.com) allowed to show the "
        "customer pages in an iframe; empty: none but Junction itself (the console's Settings "
        "page may override it).",
    )

    # Operations: /healthz, /readyz and /metrics (see docs/operations.md).
    metrics: Literal["off", "open", "token"] = Field(
        "off",
        description=(
            "/metrics: off (404), open (anyone who reaches the port), or token (needs "
            "Authorization: Bearer with JUNCTION_METRICS_TOKEN)."
        ),
    )
    metrics_token: str | None = Field(
        None, description="The bearer token /metrics asks for when JUNCTION_METRICS=token."
    )
    worker_port: int | None = Field(
        None,
        ge=1,
        le=65535,
        description=(
            "Port `junction worker` serves /healthz, /readyz and /metrics on (at "
            "JUNCTION_HOST); unset: none."
        ),
    )

    # Signing in to the console through an OpenID Connect provider (see docs/console.md).
    console_oidc_issuer: str | None = Field(
        None,
        description=(
            "The provider's issuer URL (its discovery document is at "
            "{issuer}/.well-known/openid-configuration); unset: password sign-in only."
        ),
    )
    console_oidc_client_id: str | None = Field(
        None, description="The client ID Junction's console is registered under at the provider."
    )
    console_oidc_client_secret: str | None = Field(
        None, description="Its client secret; unset for a public client (PKCE only)."
    )
    console_oidc_name: str | None = Field(
        None,
        description='The sign-in button says "Sign in with" this. Default: the issuer\'s host.',
    )
    console_oidc_scopes: str = Field(
        "openid email profile", description="Space-separated scopes asked for at sign-in."
    )
    console_oidc_role_claim: str = Field(
        "groups",
        description="The ID token claim (a list or a string) compared with the admin groups.",
    )
    console_oidc_admin_groups: Annotated[list[str], NoDecode] = Field(
        [],
        description=(
            "Comma-separated values of the role claim that make a new console user an "
            "administrator; everyone else starts as a viewer."
        ),
    )
    console_oidc_email_domains: Annotated[list[str], NoDecode] = Field(
        [],
        description=(
            "Comma-separated e-mail domains allowed to sign in (example.com); empty: any. "
            "When set, the ID token must carry an e-mail address not marked unverified."
        ),
    )

    # The third-party connectors shipped with Junction (docs/connectors.md).
    library_connectors: str = Field(
        "all",
        description=(
            "Which shipped third-party connectors (HubSpot, Slack, Stripe, ...) join the "
            "catalogue at start-up: all, none, or their slugs joined by commas "
            "(hubspot,slack). A connector already in the catalogue stays there."
        ),
    )

    # The offline demo (see docs/architecture.md, "Demo").
    demo: bool = Field(
        False,
        description=(
            "Serve the demo apps under /demo and create the demo account, connectors, "
            "templates and cycles on first start (implies outbound_allow_loopback)."
        ),
    )
    demo_contact_interval_seconds: float = Field(
        15, gt=0, description="How often the demo CRM creates a new contact by itself."
    )

    @field_validator("*", mode="before")
    @classmethod
    def _seconds_as_timedelta(cls, value: object, info: ValidationInfo) -> object:
        # Durations are documented in seconds ("1209600"); pydantic reads a string only as
        # ISO 8601 ("P14D") or [-][DD]D[,][HH:MM:]SS, so a plain number is turned into one.
        if info.field_name is None or not isinstance(value, str):
            return value
        if cls.model_fields[info.field_name].annotation is not timedelta:
            return value
        try:
            return float(value.strip())
        except ValueError:
            return value

    @model_validator(mode="after")
    def _metrics_token_given(self) -> Settings:
        if self.metrics == "token" and not self.metrics_token:
            raise ValueError("metrics_token: required when metrics is token (JUNCTION_METRICS)")
        return self

    @field_validator("library_connectors")
    @classmethod
    def _known_library_connectors(cls, value: str) -> str:
        # The shipped definitions are package data, looked up by name: settings import
        # nothing of the connectors (they sit below every other package).
        choice = value.strip().lower()
        if choice in ("all", "none"):
            return choice
        folder = resources.files("junction.connectors.library")
        shipped = sorted(e.name[:-5] for e in folder.iterdir() if e.name.endswith(".yaml"))
        names = [name.strip() for name in choice.split(",") if name.strip()]
        unknown = [name for name in names if name not in shipped]
        if unknown or not names:
            raise ValueError(
                f"no shipped connector {', '.join(unknown) or repr(value)} "
                f"(all, none, or some of: {', '.join(shipped)})"
            )
        return ",".join(names)

    @field_validator("public_base_url")
    @classmethod
    def _strip_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @field_validator("log_level", "log_format", mode="before")
    @classmethod
    def _lower_case(cls, value: object) -> object:
        # INFO and JSON are written as often as info and json.
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("retry_schedule", mode="before")
    @classmethod
    def _split_schedule(cls, value: object) -> object:
        if isinstance(value, str):
            return [int(part) for part in value.split(",") if part.strip()]
        return value

    @field_validator("embed_frame_ancestors", "cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        items = [part.strip().rstrip("/") for part in value.split(",") if part.strip()]
        for item in items:
            scheme, _, rest = item.partition("://")
            if scheme not in ("http", "https") or not rest or "/" in rest or " " in rest:
                # A browser ignores a malformed source silently: say so at start-up instead.
                raise ValueError(f"{item!r} is not an origin like https://app.example.com")
        return items

    @field_validator("notification_webhook_url", "transaction_error_webhook_url", mode="before")
    @classmethod
    def _http_url(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        value = value.strip()
        if not value:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname or " " in value:
            # Notices are POSTed: anything but an http(s) address would fail every time.
            raise ValueError(f"{value!r} is not an http(s) URL like https://hooks.example.com/x")
        return value

    @field_validator(
        "console_oidc_issuer",
        "console_oidc_client_id",
        "console_oidc_client_secret",
        "console_oidc_name",
        mode="before",
    )
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        # JUNCTION_CONSOLE_OIDC_ISSUER= in a compose file means "off", not "the empty issuer".
        if isinstance(value, str):
            return value.strip() or None
        return value

    @field_validator("console_oidc_issuer")
    @classmethod
    def _issuer_url(cls, value: str | None) -> str | None:
        if value is not None:
            parts = urlsplit(value)
            if parts.scheme not in ("http", "https") or not parts.hostname or parts.query:
                raise ValueError(f"{value!r} is not an issuer URL like https://id.example.com")
        return value

    @field_validator("console_oidc_admin_groups", "console_oidc_email_domains", mode="before")
    @classmethod
    def _split_names(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @model_validator(mode="after")
    def _oidc_client_given(self) -> Settings:
        if self.console_oidc_issuer and not self.console_oidc_client_id:
            raise ValueError(
                "console_oidc_client_id: required when console_oidc_issuer is set "
                "(JUNCTION_CONSOLE_OIDC_CLIENT_ID)"
            )
        return self

    @field_validator("forwarded_allow_ips", mode="before")
    @classmethod
    def _split_addresses(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        items = [part.strip() for part in value.split(",") if part.strip()]
        if items == ["*"]:
            return items
        for item in items:
            try:
                ipaddress.ip_network(item)
            except ValueError as exc:
                # A typo would otherwise never match and silently trust no one.
                raise ValueError(f"{item!r} is not an IP address or network: {exc}") from None
        return items

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return normalize_database_url(self.database_url)
        return f"sqlite+aiosqlite:///{(self.data_dir / 'junction.db').resolve()}"

    @property
    def keyring_path(self) -> Path:
        return self.data_dir / "keyring.json"


# Settings whose values must not be echoed in error messages.
_SECRET_SETTINGS = frozenset({"encryption_keys", "database_url", "console_oidc_client_secret"})


def describe_settings_error(exc: ValidationError) -> str:
    """One line naming each environment variable at fault and what is wrong with it."""
    problems = []
    for error in exc.errors():
        field = str(error["loc"][0]) if error["loc"] else ""
        variable = f"JUNCTION_{field.upper()}" if field else "JUNCTION_*"
        problem = f"{variable}: {error['msg']}"
        value = error.get("input")
        if field and field not in _SECRET_SETTINGS and isinstance(value, str | int | float):
            problem += f" (got {str(value)[:80]!r})"
        problems.append(problem)
    return "; ".join(problems)
