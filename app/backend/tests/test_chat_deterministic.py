"""Chat without an LLM key: the deterministic agent, acting through the MCP tools, history in the database."""

from __future__ import annotations

import pytest


def test_a_conversation_creates_lists_completes_renames_and_deletes(new_user):
    user = new_user()
    first = user.chat("add buy milk")
    assert first.status_code == 200, first.text
    body = first.json()
    conversation = body["conversation_id"]
    [call] = body["tool_calls"]
    assert call["name"] == "add_task" and call["arguments"] == {"title": "buy milk"}
    milk = call["result"]["task_id"]
    assert body["response"] == f'Added task {milk}: "buy milk".'
    # The tool really wrote the task: the REST API sees it.
    assert [(t["id"], t["title"]) for t in user.get("/tasks").json()] == [(milk, "buy milk")]

    bread = user.chat("Add a task: bake bread", conversation).json()["tool_calls"][0]["result"]["task_id"]

    listing = user.chat("show pending tasks", conversation).json()
    assert listing["conversation_id"] == conversation
    assert listing["tool_calls"][0]["name"] == "list_tasks"
    assert listing["tool_calls"][0]["arguments"] == {"status": "pending"}
    assert listing["response"] == f"You have 2 pending tasks:\n{milk}. [ ] buy milk\n{bread}. [ ] bake bread"

    done = user.chat(f"complete {milk}", conversation).json()
    assert done["tool_calls"][0]["name"] == "complete_task"
    assert done["tool_calls"][0]["arguments"] == {"task_id": milk}
    assert done["response"] == f'Marked task {milk} "buy milk" as complete.'
    assert user.get(f"/tasks/{milk}").json()["completed"] is True

    assert user.chat("show pending tasks", conversation).json()["response"] == (
        f"You have 1 pending task:\n{bread}. [ ] bake bread"
    )
    assert user.chat("list completed tasks", conversation).json()["tool_calls"][0]["arguments"] == {
        "status": "completed"
    }
    assert user.chat("list tasks", conversation).json()["tool_calls"][0]["arguments"] == {"status": "all"}

    renamed = user.chat(f"rename {bread} to call mom", conversation).json()
    assert renamed["tool_calls"][0]["name"] == "update_task"
    assert renamed["tool_calls"][0]["arguments"] == {"task_id": bread, "title": "call mom"}
    assert renamed["response"] == f'Renamed task {bread} to "call mom".'
    assert user.get(f"/tasks/{bread}").json()["title"] == "call mom"

    deleted = user.chat(f"delete {bread}", conversation).json()
    assert deleted["tool_calls"][0]["name"] == "delete_task"
    assert deleted["response"] == f'Deleted task {bread} "call mom".'
    assert user.get(f"/tasks/{bread}").status_code == 404

    # Stateless server: every turn was stored, in order, in the one conversation.
    messages = user.get(f"/conversations/{conversation}/messages").json()
    assert len(messages) == 2 * 9
    assert [m["role"] for m in messages[:2]] == ["user", "assistant"]
    assert messages[0]["content"] == "add buy milk"
    assert messages[-1]["content"] == f'Deleted task {bread} "call mom".'
    assert [c["id"] for c in user.get("/conversations").json()] == [conversation]


def test_anything_else_gets_a_helpful_reply_and_no_tool_call(new_user):
    user = new_user()
    for text in ("hello", "what is the weather like?"):
        body = user.chat(text).json()
        assert body["tool_calls"] == []
        assert '"add buy milk"' in body["response"] and '"complete 3"' in body["response"]


def test_unknown_task_ids_get_a_plain_answer(new_user):
    user = new_user()
    body = user.chat("complete 987654").json()
    assert body["response"] == "Sorry: Task 987654 not found."
    assert body["tool_calls"][0]["result"] == {"error": "Task 987654 not found"}


def test_each_new_chat_without_id_starts_a_conversation(new_user):
    user = new_user()
    a = user.chat("list tasks").json()["conversation_id"]
    b = user.chat("list tasks").json()["conversation_id"]
    assert a != b
    assert len(user.get(f"/conversations/{a}/messages").json()) == 2


def test_chat_cannot_touch_another_users_tasks_or_conversations(new_user):
    alice, bob = new_user(), new_user()
    added = alice.chat("add alice only").json()
    task_id = added["tool_calls"][0]["result"]["task_id"]
    assert bob.chat(f"delete {task_id}").json()["response"] == f"Sorry: Task {task_id} not found."
    assert alice.get(f"/tasks/{task_id}").status_code == 200
    assert "alice only" not in bob.chat("list tasks").json()["response"]
    assert bob.chat("list tasks", added["conversation_id"]).status_code == 404
    assert bob.get(f"/conversations/{added['conversation_id']}/messages").status_code == 404


def test_chat_validation(new_user):
    user = new_user()
    assert user.post("/chat", json={}).status_code == 422
    assert user.post("/chat", json={"message": "   "}).status_code == 422
    assert user.post("/chat", json={"message": "x" * 4001}).status_code == 422
    assert user.chat("list tasks", 999999999).status_code == 404


@pytest.mark.parametrize(
    "message, tool, arguments",
    [
        ("Add task: call the plumber", "add_task", {"title": "call the plumber"}),
        ("add a new task to water the plants", "add_task", {"title": "water the plants"}),
        ('create "file taxes"', "add_task", {"title": "file taxes"}),
        ("remind me to pay rent", "add_task", {"title": "pay rent"}),
        ("mark 424242 as done", "complete_task", {"task_id": 424242}),
        ("finish task 424242", "complete_task", {"task_id": 424242}),
        ("remove #424242", "delete_task", {"task_id": 424242}),
        ('update task 424242 to "new title"', "update_task", {"task_id": 424242, "title": "new title"}),
        ("what are my tasks?", "list_tasks", {"status": "all"}),
        ("Show me my open todos", "list_tasks", {"status": "pending"}),
        ("which tasks are done", "list_tasks", {"status": "completed"}),
    ],
)
def test_phrasings(new_user, message, tool, arguments):
    [call] = new_user().chat(message).json()["tool_calls"]
    assert (call["name"], call["arguments"]) == (tool, arguments)
