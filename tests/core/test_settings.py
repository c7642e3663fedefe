from pathlib import Path

import pytest
from pydantic import SecretStr

from wholeplace.core.errors import ConfigurationError
from wholeplace.core.settings import Settings


def test_settings_come_from_prefixed_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("WHOLEPLACE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("WHOLEPLACE_ENVIRONMENT", "staging")
    settings = Settings()
    assert settings.data_dir == tmp_path
    assert settings.environment == "staging"
    assert settings.secure_cookies


def test_default_database_is_a_sqlite_file_in_the_data_directory(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    assert settings.effective_database_url == f"sqlite:///{tmp_path.resolve() / 'wholeplace.db'}"


def test_secret_key_is_made_once_and_kept(tmp_path: Path) -> None:
    first = Settings(data_dir=tmp_path).effective_secret_key()
    again = Settings(data_dir=tmp_path).effective_secret_key()
    key_file = tmp_path / "keys" / "secret_key"
    assert first == again
    assert len(first) >= 48
    assert key_file.stat().st_mode & 0o777 == 0o600


def test_given_secret_key_wins_and_writes_nothing(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, secret_key=SecretStr("given-key"))
    assert settings.effective_secret_key() == "given-key"
    assert not (tmp_path / "keys").exists()


def test_masked_settings_hide_secrets_and_database_password(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path,
        secret_key=SecretStr("do-not-show"),
        database_url="postgresql+psycopg://app:hunter2@db.example:5432/wholeplace",
    )
    shown = str(settings.masked())
    assert "do-not-show" not in shown
    assert "hunter2" not in shown
    assert "app:***@db.example" in shown


def test_unwritable_data_directory_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(ConfigurationError, match="WHOLEPLACE_SECRET_KEY"):
        Settings(data_dir=blocker).effective_secret_key()
