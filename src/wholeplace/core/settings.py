"""Effective settings, read from WHOLEPLACE_* environment variables."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from functools import cached_property
from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from wholeplace.core.errors import ConfigurationError
from wholeplace.core.schemas import LoginPolicy, SessionPolicy

SECRET_KEY_FILE = "keys/secret_key"
DEVELOPMENT_ENVIRONMENTS = frozenset({"development", "test"})


class Settings(BaseSettings):
    """Everything a deployment can change, with safe defaults for a laptop."""

    model_config = SettingsConfigDict(env_prefix="WHOLEPLACE_", frozen=True)

    data_dir: Path = Field(
        default=Path("var"), description="Holds the database file, the lake, keys, uploads."
    )
    database_url: str | None = Field(default=None, description="SQLAlchemy URL; a SQLite file by default.")
    secret_key: SecretStr | None = Field(default=None, description="Signs CSRF tokens; generated if absent.")
    environment: str = Field(default="development", description="development, test, staging or production.")
    session_idle_minutes: int = Field(default=30, ge=1)
    session_absolute_hours: int = Field(default=12, ge=1)
    login_max_failures: int = Field(default=5, ge=1, description="Failed sign-ins before a lockout.")
    login_lockout_minutes: int = Field(default=15, ge=1)
    login_ip_max_failures: int = Field(default=20, ge=1, description="Failed sign-ins from one address.")
    watch_seconds: int = Field(
        default=20,
        ge=0,
        description="How often the web server links newly ingested data and sends alerts; 0 turns it off.",
    )
    spark_master: str = Field(
        default="local[2]",
        description="Where `wholeplace link --backend spark` runs: local[N] or a cluster URL.",
    )

    @cached_property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'wholeplace.db').resolve()}"

    @property
    def secure_cookies(self) -> bool:
        return self.environment not in DEVELOPMENT_ENVIRONMENTS

    def login_policy(self) -> LoginPolicy:
        return LoginPolicy(
            max_failures=self.login_max_failures,
            lockout=timedelta(minutes=self.login_lockout_minutes),
            ip_max_failures=self.login_ip_max_failures,
        )

    def session_policy(self) -> SessionPolicy:
        return SessionPolicy(
            idle=timedelta(minutes=self.session_idle_minutes),
            absolute=timedelta(hours=self.session_absolute_hours),
        )

    def effective_secret_key(self) -> str:
        """The secret key given, or the one kept in the data directory (made on first use)."""
        if self.secret_key is not None:
            return self.secret_key.get_secret_value()
        return _kept_secret_key(self.data_dir / SECRET_KEY_FILE)

    def masked(self) -> dict[str, Any]:
        """The effective settings with secrets hidden, for `wholeplace config show`."""
        shown: dict[str, Any] = {}
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, SecretStr):
                value = "********"
            shown[name] = str(value) if isinstance(value, Path) else value
        shown["database_url"] = _mask_url_password(self.effective_database_url)
        shown["secret_key"] = (
            "******** (given)" if self.secret_key else f"******** (kept in {SECRET_KEY_FILE})"
        )
        return shown


def _kept_secret_key(path: Path) -> str:
    try:
        if path.exists():
            return path.read_text(encoding="ascii").strip()
        path.parent.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="ascii") as handle:
            handle.write(key)
        return key
    except OSError as error:
        raise ConfigurationError(
            f"Cannot read or create the secret key file {path}: {error.strerror}.",
            fix="Check that WHOLEPLACE_DATA_DIR is writable, or set WHOLEPLACE_SECRET_KEY.",
        ) from error


def _mask_url_password(url: str) -> str:
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    return parsed.render_as_string(hide_password=True)
