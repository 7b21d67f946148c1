"""Fixtures: a fresh PostgreSQL database per test run (migrated by the real command), a JWKS server, the app."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from app.main import create_app

from .support import AUDIENCE, ISSUER, JsonServer, KeyRing

BACKEND = Path(__file__).resolve().parents[1]
REPO = BACKEND.parents[1]


def _admin_url() -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url
    script = REPO / "test" / "support" / "postgres.sh"
    done = subprocess.run(["bash", str(script)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.exit(f"could not start PostgreSQL: {done.stderr.strip()}\nfix: bash test/support/postgres.sh", 3)
    return done.stdout.strip().splitlines()[-1]


def with_database(url: str, name: str) -> str:
    base, _, _ = url.rpartition("/")
    return f"{base}/{name}"


def run_migrate(database_url: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"} | {"DATABASE_URL": database_url}
    return subprocess.run(
        [sys.executable, "-m", "app.migrate"], cwd=BACKEND, env=env, capture_output=True, text=True, timeout=60
    )


@pytest.fixture(scope="session")
def admin_url() -> str:
    return _admin_url()


@pytest.fixture(scope="session")
def make_database(admin_url: str) -> Iterator[Any]:
    """Create uniquely named databases (so concurrent runs never collide) and drop them at the end."""
    created: list[str] = []

    def make() -> str:
        name = f"todo_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        created.append(name)
        return with_database(admin_url, name)

    yield make
    with psycopg.connect(admin_url, autocommit=True) as conn:
        for name in created:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def database_url(make_database: Any) -> str:
    url = make_database()
    done = run_migrate(url)
    assert done.returncode == 0, done.stdout + done.stderr
    return url


@pytest.fixture(scope="session")
def keys() -> KeyRing:
    ring = KeyRing()
    ring.add("k1", "EdDSA")
    return ring


@pytest.fixture(scope="session")
def jwks_server(keys: KeyRing) -> Iterator[JsonServer]:
    with JsonServer(lambda method, path, body: (200, keys.jwks())) as server:
        yield server


def settings_for(database_url: str, jwks_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = dict(
        database_url=database_url,
        jwks_url=jwks_url,
        jwt_issuer=ISSUER,
        jwt_audience=AUDIENCE,
        cors_origins=["http://todo.test"],
        log_level="WARNING",
        jwks_min_refresh=0.0,
    )
    return Settings(**(values | overrides))


@pytest.fixture
def client(database_url: str, jwks_server: JsonServer) -> Iterator[TestClient]:
    app = create_app(settings_for(database_url, f"{jwks_server.url}/api/auth/jwks"))
    with TestClient(app) as test_client:
        yield test_client


class User:
    def __init__(self, client: TestClient, keys: KeyRing, user_id: str):
        self.client, self.id = client, user_id
        self.headers = {"Authorization": f"Bearer {keys.token(user_id)}"}

    def get(self, path: str, **kw: Any):
        return self.client.get(f"/api/{self.id}{path}", **({"headers": self.headers} | kw))

    def post(self, path: str, **kw: Any):
        return self.client.post(f"/api/{self.id}{path}", **({"headers": self.headers} | kw))

    def put(self, path: str, **kw: Any):
        return self.client.put(f"/api/{self.id}{path}", **({"headers": self.headers} | kw))

    def patch(self, path: str, **kw: Any):
        return self.client.patch(f"/api/{self.id}{path}", **({"headers": self.headers} | kw))

    def delete(self, path: str, **kw: Any):
        return self.client.delete(f"/api/{self.id}{path}", **({"headers": self.headers} | kw))

    def chat(self, message: str, conversation_id: int | None = None):
        body: dict[str, Any] = {"message": message}
        if conversation_id is not None:
            body["conversation_id"] = conversation_id
        return self.post("/chat", json=body)


@pytest.fixture
def new_user(client: TestClient, keys: KeyRing):
    """Users with fresh random ids: tests share one database and must not see each other's rows."""
    return lambda: User(client, keys, f"user-{uuid.uuid4().hex[:12]}")
