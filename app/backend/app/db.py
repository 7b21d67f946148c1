"""Database engine: created from DATABASE_URL on first use, disposed on shutdown."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import Engine, text
from sqlmodel import Session, create_engine

from .config import sqlalchemy_url


class DatabaseNotConfigured(RuntimeError):
    pass


def make_engine(database_url: str) -> Engine:
    if not database_url:
        raise DatabaseNotConfigured("DATABASE_URL is not set; set it to postgresql://user:password@host:5432/db")
    return create_engine(
        sqlalchemy_url(database_url),
        pool_pre_ping=True,  # a database restart must not leave dead connections in the pool
        pool_size=5,
        max_overflow=5,
        pool_timeout=10,
        connect_args={"connect_timeout": 3},  # below the readiness probe timeout
    )


class Database:
    def __init__(self, database_url: str):
        self._url = database_url
        self._engine: Engine | None = None

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = make_engine(self._url)
        return self._engine

    def session(self) -> Session:
        return Session(self.engine, expire_on_commit=False)

    def sessions(self) -> Iterator[Session]:
        with self.session() as session:
            yield session

    def ping(self) -> None:
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    def dispose(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None
