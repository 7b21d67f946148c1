"""Phase II REST API on the real database."""

from __future__ import annotations


def test_create_then_read_update_complete_delete(new_user):
    user = new_user()
    created = user.post("/tasks", json={"title": "  buy milk ", "description": "2 litres"})
    assert created.status_code == 201, created.text
    task = created.json()
    assert task["title"] == "buy milk"
    assert task["description"] == "2 litres"
    assert task["completed"] is False
    assert task["user_id"] == user.id
    assert task["created_at"] and task["updated_at"]

    got = user.get(f"/tasks/{task['id']}")
    assert got.status_code == 200 and got.json() == task

    updated = user.put(f"/tasks/{task['id']}", json={"title": "buy oat milk"})
    assert updated.status_code == 200
    assert updated.json()["title"] == "buy oat milk"
    assert updated.json()["description"] == "2 litres"  # fields left out stay as they were
    assert updated.json()["updated_at"] > task["updated_at"]

    toggled = user.patch(f"/tasks/{task['id']}/complete")
    assert toggled.status_code == 200 and toggled.json()["completed"] is True
    toggled = user.patch(f"/tasks/{task['id']}/complete")
    assert toggled.json()["completed"] is False
    explicit = user.patch(f"/tasks/{task['id']}/complete", json={"completed": True})
    assert explicit.json()["completed"] is True
    explicit = user.patch(f"/tasks/{task['id']}/complete", json={"completed": True})
    assert explicit.json()["completed"] is True

    deleted = user.delete(f"/tasks/{task['id']}")
    assert deleted.status_code == 204 and deleted.content == b""
    assert user.get(f"/tasks/{task['id']}").status_code == 404
    assert user.get("/tasks").json() == []


def test_list_filters_by_status_in_creation_order(new_user):
    user = new_user()
    ids = [user.post("/tasks", json={"title": t}).json()["id"] for t in ("a", "b", "c")]
    user.patch(f"/tasks/{ids[1]}/complete")
    assert [t["title"] for t in user.get("/tasks").json()] == ["a", "b", "c"]
    assert [t["title"] for t in user.get("/tasks", params={"status": "all"}).json()] == ["a", "b", "c"]
    assert [t["title"] for t in user.get("/tasks", params={"status": "pending"}).json()] == ["a", "c"]
    assert [t["title"] for t in user.get("/tasks", params={"status": "completed"}).json()] == ["b"]


def test_unknown_ids_are_404_with_a_message(new_user):
    user = new_user()
    for response in (
        user.get("/tasks/999999"),
        user.put("/tasks/999999", json={"title": "x"}),
        user.delete("/tasks/999999"),
        user.patch("/tasks/999999/complete"),
    ):
        assert response.status_code == 404
        assert response.json()["detail"] == "Task 999999 not found"


def test_validation_errors_are_422_with_a_clear_message(new_user):
    user = new_user()
    cases = [
        (user.post("/tasks", json={}), "title: Field required"),
        (user.post("/tasks", json={"title": "   "}), "title must not be empty"),
        (user.post("/tasks", json={"title": "x" * 201}), "at most 200 characters"),
        (user.post("/tasks", json={"title": "ok", "description": "d" * 1001}), "description"),
        (user.post("/tasks", json={"title": "ok", "owner": "someone"}), "owner: Extra inputs are not permitted"),
        (user.post("/tasks", content=b"not json", headers=user.headers | {"content-type": "application/json"}), "JSON"),
        (user.put("/tasks/1", json={}), "give at least one of title, description, completed"),
        (user.put("/tasks/1", json={"title": None}), "title must not be null"),
        (user.get("/tasks", params={"status": "someday"}), "status"),
        (user.get("/tasks/abc"), "task_id"),
        (user.patch("/tasks/1/complete", json={"completed": "maybe"}), "completed"),
    ]
    for response, expected in cases:
        assert response.status_code == 422, response.text
        body = response.json()
        assert expected in body["message"], body
        assert body["message"].startswith("invalid request: ")
        assert isinstance(body["detail"], list) and body["detail"]


def test_users_never_see_each_others_tasks(new_user):
    alice, bob = new_user(), new_user()
    task = alice.post("/tasks", json={"title": "alice's secret"}).json()
    bob.post("/tasks", json={"title": "bob's"})

    assert [t["title"] for t in alice.get("/tasks").json()] == ["alice's secret"]
    assert [t["title"] for t in bob.get("/tasks").json()] == ["bob's"]
    # Someone else's id answers exactly like a missing one, and nothing changes.
    assert bob.get(f"/tasks/{task['id']}").status_code == 404
    assert bob.put(f"/tasks/{task['id']}", json={"title": "hijacked"}).status_code == 404
    assert bob.patch(f"/tasks/{task['id']}/complete").status_code == 404
    assert bob.delete(f"/tasks/{task['id']}").status_code == 404
    assert alice.get(f"/tasks/{task['id']}").json() == task


def test_cors_allows_the_configured_origin_only(client):
    allowed = client.options(
        "/api/u/tasks", headers={"Origin": "http://todo.test", "Access-Control-Request-Method": "GET"}
    )
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "http://todo.test"
    denied = client.options(
        "/api/u/tasks", headers={"Origin": "http://evil.test", "Access-Control-Request-Method": "GET"}
    )
    assert "access-control-allow-origin" not in denied.headers
