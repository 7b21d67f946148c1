"""Input the database cannot store is rejected at the edge with a 4xx, on the real PostgreSQL: NUL characters,
ids beyond the 32-bit id columns, nulls for non-null columns, user ids longer than the column. Whatever still
slips through to the database as a data or integrity error is a 4xx too, never a 500."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from fastapi.testclient import TestClient

from app.main import create_app

from .conftest import run_migrate, settings_for

INT32_MAX = 2**31 - 1


@pytest.fixture
def client(database_url, jwks_server) -> Iterator[TestClient]:
    # A 500 must show up as a status code to assert on, not as an exception raised into the test.
    app = create_app(settings_for(database_url, f"{jwks_server.url}/api/auth/jwks"))
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def assert_422(response, field: str) -> None:
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["message"].startswith("invalid request: ") and field in body["message"], body
    assert isinstance(body["detail"], list) and body["detail"], body


def test_nul_characters_are_422(new_user):
    user = new_user()
    task = user.post("/tasks", json={"title": "ok"}).json()
    assert_422(user.post("/tasks", json={"title": "a\x00b"}), "title")
    assert_422(user.post("/tasks", json={"title": "ok", "description": "x\x00"}), "description")
    assert_422(user.put(f"/tasks/{task['id']}", json={"title": "\x00"}), "title")
    assert_422(user.put(f"/tasks/{task['id']}", json={"description": "\x00"}), "description")
    assert_422(user.chat("add milk\x00"), "message")
    assert_422(user.chat("\x00"), "message")
    # Nothing was stored, and the connection the failed requests used still works.
    assert [(t["title"], t["description"]) for t in user.get("/tasks").json()] == [("ok", None)]
    assert user.get("/conversations").json() == []


@pytest.mark.parametrize("bad_id", [INT32_MAX + 1, 2**63, 10**30, 0, -1])
def test_ids_outside_the_id_columns_are_422(new_user, bad_id):
    """Ids are PostgreSQL `serial`s: 1 to 2147483647. Anything else can never name a row, and is rejected as
    invalid input (422), like a non-numeric id, instead of being looked up (404)."""
    user = new_user()
    assert_422(user.get(f"/tasks/{bad_id}"), "task_id")
    assert_422(user.put(f"/tasks/{bad_id}", json={"title": "x"}), "task_id")
    assert_422(user.delete(f"/tasks/{bad_id}"), "task_id")
    assert_422(user.patch(f"/tasks/{bad_id}/complete"), "task_id")
    assert_422(user.get(f"/conversations/{bad_id}/messages"), "conversation_id")
    assert_422(user.chat("list tasks", conversation_id=bad_id), "conversation_id")
    assert user.get("/conversations").json() == [], "a rejected chat turn creates no conversation"


def test_the_largest_id_is_looked_up_and_not_found(new_user):
    user = new_user()
    assert user.get(f"/tasks/{INT32_MAX}").status_code == 404
    assert user.get(f"/conversations/{INT32_MAX}/messages").status_code == 404
    assert user.chat("list tasks", conversation_id=INT32_MAX).status_code == 404


def test_null_for_a_non_null_field_is_422(new_user):
    user = new_user()
    task = user.post("/tasks", json={"title": "keep me", "description": "d"}).json()
    assert_422(user.put(f"/tasks/{task['id']}", json={"completed": None}), "completed must not be null")
    assert_422(user.put(f"/tasks/{task['id']}", json={"title": None}), "title must not be null")
    assert_422(user.post("/tasks", json={"title": None}), "title")
    # A null description is allowed: it clears the description.
    cleared = user.put(f"/tasks/{task['id']}", json={"description": None})
    assert cleared.status_code == 200 and cleared.json()["description"] is None
    assert user.get(f"/tasks/{task['id']}").json()["title"] == "keep me"


def test_user_ids_the_column_cannot_hold_are_422(client, keys):
    """The token's `sub` must equal the path's user id; a sub that is too long or holds a NUL is refused after the
    token is checked (so anonymous callers still get 401), before the database sees it."""
    for user_id, path in (("u" * 256, "u" * 256), ("a\x00b", "a%00b")):
        headers = {"Authorization": f"Bearer {keys.token(user_id)}"}
        assert_422(client.get(f"/api/{path}/tasks", headers=headers), "user_id")
        assert_422(client.post(f"/api/{path}/tasks", headers=headers, json={"title": "x"}), "user_id")
        assert_422(client.post(f"/api/{path}/chat", headers=headers, json={"message": "add x"}), "user_id")
        assert client.get(f"/api/{path}/tasks").status_code == 401
    longest = "u" * 255
    headers = {"Authorization": f"Bearer {keys.token(longest)}"}
    created = client.post(f"/api/{longest}/tasks", headers=headers, json={"title": "fits"})
    assert created.status_code == 201, created.text


def test_chat_tool_calls_with_ids_beyond_the_column_fail_cleanly(new_user):
    """The agent's tools validate their arguments too: a huge id is a tool error the model can read, and no
    database error text (SQL, parameters, driver names) reaches the chat response."""
    user = new_user()
    for message in ("complete 99999999999", "delete 99999999999", "rename 99999999999 to x"):
        reply = user.chat(message)
        assert reply.status_code == 200, reply.text
        [call] = reply.json()["tool_calls"]
        assert "2147483647" in call["result"]["error"], call  # says why, instead of a bare "Error executing tool"
        text = reply.text.lower()
        for leak in ("sql", "psycopg", "numeric", "out of range for type", "parameters"):
            assert leak not in text, reply.text


@pytest.fixture
def constrained_database(make_database) -> str:
    """A database whose task table is stricter than the app knows: a title CHECK and a shorter description
    column, as a later migration or a DBA might add. Requests the app validates fine then fail in PostgreSQL."""
    url = make_database()
    assert run_migrate(url).returncode == 0
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("ALTER TABLE task ADD CONSTRAINT no_forbidden CHECK (title <> 'forbidden')")
        conn.execute("ALTER TABLE task ALTER COLUMN description TYPE varchar(5)")
    return url


def test_remaining_database_integrity_and_data_errors_are_4xx(constrained_database, jwks_server, keys):
    app = create_app(settings_for(constrained_database, f"{jwks_server.url}/api/auth/jwks"))
    headers = {"Authorization": f"Bearer {keys.token('erin')}"}
    with TestClient(app, raise_server_exceptions=False) as client:
        conflict = client.post("/api/erin/tasks", headers=headers, json={"title": "forbidden"})
        assert conflict.status_code == 409, conflict.text
        assert conflict.json() == {"detail": "the request conflicts with the stored data"}
        too_long = client.post("/api/erin/tasks", headers=headers, json={"title": "ok", "description": "123456"})
        assert too_long.status_code == 422, too_long.text
        assert too_long.json()["message"].startswith("invalid request: ")
        for response in (conflict, too_long):
            assert "no_forbidden" not in response.text and "varying" not in response.text, "no database text"
        # The session was rolled back: the same app keeps working.
        ok = client.post("/api/erin/tasks", headers=headers, json={"title": "fine", "description": "12345"})
        assert ok.status_code == 201, ok.text
        assert [t["title"] for t in client.get("/api/erin/tasks", headers=headers).json()] == ["fine"]
