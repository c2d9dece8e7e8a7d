"""Settings from the environment, and database URL normalisation."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from pydantic import ValidationError

from hybridcx.config import Settings, normalize_database_url

SQLITE_PREFIX = "sqlite+aiosqlite:///"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for key in list(os.environ):
        if key.upper().startswith("HYBRIDCX_"):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)  # no stray .env file is picked up


def settings() -> Settings:
    return Settings(_env_file=None)  # type: ignore[call-arg]


def test_defaults() -> None:
    s = settings()
    assert s.host == "127.0.0.1"
    assert s.port == 8000
    assert s.data_dir == Path("./.hybridcx")
    assert s.database_url is None
    assert s.redis_url is None


def test_reads_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HYBRIDCX_HOST", "0.0.0.0")
    monkeypatch.setenv("HYBRIDCX_PORT", "9123")
    monkeypatch.setenv("HYBRIDCX_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("HYBRIDCX_DATABASE_URL", "postgresql+asyncpg://u:p@db:5432/cx")
    monkeypatch.setenv("HYBRIDCX_REDIS_URL", "redis://cache:6379/0")
    s = settings()
    assert s.host == "0.0.0.0"
    assert s.port == 9123
    assert s.data_dir == tmp_path / "data"
    assert s.database_url == "postgresql+asyncpg://u:p@db:5432/cx"
    assert s.redis_url == "redis://cache:6379/0"
    assert s.effective_database_url == "postgresql+asyncpg://u:p@db:5432/cx"


def test_env_names_are_case_insensitive(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("hybridcx_port", "8123")
    assert settings().port == 8123


def test_unprefixed_variables_are_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORT", "1234")
    monkeypatch.setenv("DATABASE_URL", "postgres://x/y")
    s = settings()
    assert s.port == 8000
    assert s.database_url is None


def test_invalid_port_is_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HYBRIDCX_PORT", "not-a-number")
    with pytest.raises(ValidationError):
        settings()


def test_default_database_is_a_sqlite_file_in_data_dir(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("HYBRIDCX_DATA_DIR", str(tmp_path / "data"))
    url = settings().effective_database_url
    assert url.startswith(SQLITE_PREFIX)
    file = Path(url[len(SQLITE_PREFIX) :])
    assert file.is_absolute()
    assert file == (tmp_path / "data" / "hybridcx.db").resolve()


def test_default_database_with_the_default_data_dir(tmp_path: Path) -> None:
    url = settings().effective_database_url
    assert url.startswith(SQLITE_PREFIX)
    file = Path(url[len(SQLITE_PREFIX) :])
    assert file.is_absolute()
    assert file == (tmp_path / ".hybridcx" / "hybridcx.db").resolve()


def test_database_url_from_env_is_normalized(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HYBRIDCX_DATABASE_URL", "postgres://u:p@db/cx")
    assert settings().effective_database_url == "postgresql+asyncpg://u:p@db/cx"


def test_policy_dir_is_inside_data_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HYBRIDCX_DATA_DIR", str(tmp_path / "data"))
    assert settings().policy_dir == tmp_path / "data" / "policies"


def test_constructor_arguments_override_defaults() -> None:
    s = Settings(_env_file=None, port=9000, host="::1")  # type: ignore[call-arg]
    assert (s.host, s.port) == ("::1", 9000)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgres://u:p@db:5432/cx", "postgresql+asyncpg://u:p@db:5432/cx"),
        ("postgresql://u:p@db:5432/cx", "postgresql+asyncpg://u:p@db:5432/cx"),
        ("postgresql+psycopg2://u:p@db/cx", "postgresql+asyncpg://u:p@db/cx"),
        ("postgresql+asyncpg://u:p@db/cx", "postgresql+asyncpg://u:p@db/cx"),
        ("sqlite:///tmp/x.db", "sqlite+aiosqlite:///tmp/x.db"),
        ("sqlite+aiosqlite:///tmp/x.db", "sqlite+aiosqlite:///tmp/x.db"),
        ("mysql+aiomysql://u@h/db", "mysql+aiomysql://u@h/db"),
    ],
)
def test_normalize_database_url(url: str, expected: str) -> None:
    assert normalize_database_url(url) == expected
