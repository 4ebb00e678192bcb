"""Deployment settings, read from ``HASHWATCH_*`` environment variables.

Settings are built by :func:`get_settings` when a command or the app starts, never at import
time. Analytic thresholds are not here: they are frozen models next to the rules that use
them (for example :class:`hashwatch.reporting.rules.RuleSettings`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from hashwatch.errors import ConfigurationError

PLACEHOLDER_SECRETS = frozenset({"", "changeme", "change-me", "secret", "development"})


class Settings(BaseSettings):
    """How one hashwatch deployment runs. Every field is documented in docs/configuration.md."""

    model_config = SettingsConfigDict(env_prefix="HASHWATCH_", frozen=True, extra="ignore")

    environment: Literal["development", "production"] = Field(
        "development",
        description="`production` refuses placeholder secrets and the demo's known logins.",
    )
    data_dir: Path = Field(
        Path("hashwatch-data"),
        description="Directory of the embedded database, the outbox and analytic files.",
    )
    database_url: str | None = Field(
        None,
        description="SQLAlchemy URL of the relational store; default: SQLite file in data_dir.",
    )
    smtp_host: str | None = Field(None, description="SMTP server for notices and reminders.")
    smtp_port: int = Field(587, ge=1, le=65535, description="SMTP port.")
    smtp_username: str | None = Field(None, description="SMTP user name.")
    smtp_password: str | None = Field(None, description="SMTP password.")
    smtp_starttls: bool = Field(True, description="Use STARTTLS with the SMTP server.")
    mail_from: str = Field(
        "hashwatch@localhost", description="Sender address of notices and reminders."
    )
    public_url: str = Field(
        "http://127.0.0.1:8000",
        description="Base URL of the web app, used to build the notice links sent to recipients.",
    )
    secure_cookies: bool | None = Field(
        None,
        description="Secure cookies (named with the __Host- prefix) and HSTS; default: on when "
        "public_url starts with https://, whatever scheme a TLS proxy forwards.",
    )
    max_request_body_bytes: int = Field(
        20 * 1024 * 1024,
        ge=1024,
        description="Largest request body the web app accepts (uploads included) [bytes]; "
        "larger ones get 413.",
    )
    district_file: Path | None = Field(
        None,
        description="CSV (code,name_zh,name_pinyin) replacing Beijing's 16 districts.",
    )
    assessment_min_facilities: int = Field(
        3,
        ge=1,
        le=100,
        description="Published assessment cells built from fewer facilities are suppressed.",
    )
    jurisdiction_name: str = Field(
        "Beijing",
        min_length=1,
        description="Jurisdiction whose total electricity is the denominator of the city share.",
    )
    jurisdiction_electricity_file: Path | None = Field(
        None,
        description="CSV (jurisdiction,year,value,unit,source) replacing the shipped "
        "Beijing electricity table.",
    )
    emission_factor_file: Path | None = Field(
        None,
        description="CSV (level,region,vintage_year,value,unit,publication_date,source) "
        "replacing the shipped grid emission factors.",
    )

    @model_validator(mode="after")
    def _refuse_placeholder_secret(self) -> Settings:
        if (
            self.environment == "production"
            and self.smtp_username
            and (self.smtp_password or "") in PLACEHOLDER_SECRETS
        ):
            raise ConfigurationError(
                "HASHWATCH_SMTP_PASSWORD must be set to a real secret when "
                "HASHWATCH_ENVIRONMENT=production"
            )
        return self

    @property
    def resolved_database_url(self) -> str:
        """The database URL, defaulting to ``sqlite:///<data_dir>/hashwatch.sqlite3``."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'hashwatch.sqlite3').resolve()}"

    @property
    def serves_https(self) -> bool:
        """Browsers reach the app over HTTPS: cookies are Secure and HSTS is sent."""
        if self.secure_cookies is not None:
            return self.secure_cookies
        return self.public_url.strip().lower().startswith("https://")

    @property
    def outbox_dir(self) -> Path:
        """Where notices and reminders are written when no SMTP server is configured."""
        return self.data_dir / "outbox"


def get_settings(**overrides: object) -> Settings:
    """Build the settings from the environment, with explicit overrides taking precedence.

    A bad value raises :class:`ConfigurationError` naming the environment variable.
    """
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        name = "_".join(str(part) for part in first["loc"]).upper()
        raise ConfigurationError(f"HASHWATCH_{name}: {first['msg']}") from None
