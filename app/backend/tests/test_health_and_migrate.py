"""Liveness vs readiness, and the schema command the chart runs as a Job."""

from __future__ import annotations

import json
import logging

import psycopg
from fastapi.testclient import TestClient

from app.main import create_app

from .conftest import run_migrate, settings_for
from .support import free_port


def test_health_and_ready_with_a_database(client):
    assert client.get("/health").json() == {"status": "ok"}
    ready = client.get("/ready")
    assert ready.status_code == 200 and ready.json() == {"status": "ok", "database": "ok"}


def test_ready_is_503_but_health_200_when_the_database_is_down(jwks_server):
    down = f"postgresql://postgres:postgres@127.0.0.1:{free_port()}/todo"
    with TestClient(create_app(settings_for(down, jwks_server.url))) as client:
        assert client.get("/health").status_code == 200
        ready = client.get("/ready")
        assert ready.status_code == 503
        assert ready.json()["status"] == "unavailable"
        assert "refused" in ready.json()["reason"].lower() or "connect" in ready.json()["reason"].lower()


def test_api_is_503_json_when_the_database_is_down(jwks_server, keys):
    down = f"postgresql://postgres:postgres@127.0.0.1:{free_port()}/todo"
    with TestClient(create_app(settings_for(down, jwks_server.url))) as client:
        headers = {"Authorization": f"Bearer {keys.token('alice')}"}
        for response in (
            client.get("/api/alice/tasks", headers=headers),
            client.post("/api/alice/chat", headers=headers, json={"message": "list tasks"}),
        ):
            assert response.status_code == 503
            assert response.json() == {"detail": "the database is unavailable; try again shortly"}


def test_ready_follows_the_database_going_away_and_coming_back(make_database, admin_url, jwks_server):
    """A real database that disappears under a running app: readiness must notice, then recover."""
    url = make_database()
    name = url.rsplit("/", 1)[1]
    with TestClient(create_app(settings_for(url, jwks_server.url))) as client:
        assert client.get("/ready").status_code == 200
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
            conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))
        assert client.get("/ready").status_code == 503
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        assert client.get("/ready").status_code == 200


def test_ready_is_503_without_database_url(jwks_server):
    with TestClient(create_app(settings_for("", jwks_server.url))) as client:
        ready = client.get("/ready")
        assert ready.status_code == 503
        assert "DATABASE_URL is not set" in ready.json()["reason"]


def _tables(url: str) -> set[str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'").fetchall()
    return {r[0] for r in rows}


def test_migrate_creates_the_tables_and_is_idempotent(make_database):
    url = make_database()
    assert _tables(url) == set()
    first = run_migrate(url.replace("postgresql://", "postgres://"))  # both URL spellings are accepted
    assert first.returncode == 0, first.stderr
    assert _tables(url) == {"task", "conversation", "message"}
    second = run_migrate(url)
    assert second.returncode == 0, second.stderr
    logs = [json.loads(line) for line in (first.stdout + second.stdout).splitlines()]
    assert [entry["created_tables"] for entry in logs] == ["conversation,message,task", "none"]
    assert _tables(url) == {"task", "conversation", "message"}


def test_migrate_keeps_existing_rows(database_url):
    with psycopg.connect(database_url) as conn:
        conn.execute(
            "INSERT INTO task (user_id, title, completed, created_at, updated_at)"
            " VALUES ('keep', 'kept', false, now(), now())"
        )
    assert run_migrate(database_url).returncode == 0
    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT count(*) FROM task WHERE user_id = 'keep'").fetchone() == (1,)


def test_migrate_failure_says_what_to_fix():
    done = run_migrate(f"postgresql://postgres:postgres@127.0.0.1:{free_port()}/nowhere")
    assert done.returncode == 1
    entry = json.loads(done.stdout.strip().splitlines()[-1])
    assert entry["level"] == "error" and "DATABASE_URL" in entry["message"]
    assert "postgres:postgres" not in done.stdout, "the password must not reach the logs"
    missing = run_migrate("")
    assert missing.returncode == 2 and "DATABASE_URL is not set" in missing.stdout


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def test_ready_gives_a_short_reason_and_logs_the_details(jwks_server):
    """/ready is reachable without a token: it must not hand out the database's host, port or user."""
    port = free_port()
    down = f"postgresql://dbadmin-x7:s3cret-pw@127.0.0.1:{port}/tododb"
    with TestClient(create_app(settings_for(down, jwks_server.url))) as client:
        records = _Records()
        logging.getLogger("app").addHandler(records)
        try:
            ready = client.get("/ready")
        finally:
            logging.getLogger("app").removeHandler(records)
    assert ready.status_code == 503
    assert ready.json() == {
        "status": "unavailable",
        "database": "unreachable",
        "reason": "cannot connect to the database",
    }
    for secret in ("127.0.0.1", str(port), "dbadmin-x7", "s3cret-pw", "tododb"):
        assert secret not in ready.text
    logged = [r for r in records.records if r.getMessage().startswith("not ready")]
    assert logged and str(port) in getattr(logged[0], "reason", ""), "operators find the details in the log"
    assert all("s3cret-pw" not in str(vars(r)) for r in records.records)
