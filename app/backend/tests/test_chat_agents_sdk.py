"""Chat with OPENAI_API_KEY set: the OpenAI Agents SDK talks real HTTP to a scripted OpenAI-compatible server on
127.0.0.1 (OPENAI_BASE_URL), and its tool calls run through the MCP tools into the database."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.main import create_app

from .conftest import User, settings_for
from .support import JsonServer

SCRIPT = {
    "please remember to buy bread": ("add_task", {"title": "buy bread"}),
    "what is still open?": ("list_tasks", {"status": "pending"}),
}


def completion(message: dict[str, Any], finish: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": 0,
        "model": "fake-model",
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
        "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
    }


def fake_openai(method: str, path: str, body: Any) -> tuple[int, Any]:
    if method != "POST" or not path.endswith("/chat/completions"):
        return 404, {"error": {"message": f"unexpected {method} {path}"}}
    messages = body["messages"]
    last = messages[-1]
    if last["role"] == "tool":
        result = json.loads(last["content"])
        text = (
            f'Added "{result["title"]}" as task {result["task_id"]}.'
            if "task_id" in result
            else f"You have {result['count']} open task(s)."
        )
        return 200, completion({"role": "assistant", "content": text}, "stop")
    if last["content"] == "explode":
        return 500, {"error": {"message": "scripted failure", "type": "server_error"}}
    name, arguments = SCRIPT[last["content"]]
    call = {
        "id": f"call_{len(messages)}",
        "type": "function",
        "function": {"name": name, "arguments": json.dumps(arguments)},
    }
    return 200, completion({"role": "assistant", "content": None, "tool_calls": [call]}, "tool_calls")


@pytest.fixture
def llm() -> Iterator[JsonServer]:
    with JsonServer(fake_openai) as server:
        yield server


@pytest.fixture
def llm_user(database_url, jwks_server, keys, llm) -> Iterator[User]:
    settings = settings_for(
        database_url,
        f"{jwks_server.url}/api/auth/jwks",
        openai_api_key="sk-test-key",
        openai_base_url=f"{llm.url}/v1",
        openai_model="fake-model",
    )
    with TestClient(create_app(settings)) as client:
        yield User(client, keys, "llm-user")


def test_agents_sdk_calls_the_mcp_tools_and_keeps_history(llm_user, llm):
    first = llm_user.chat("please remember to buy bread")
    assert first.status_code == 200, first.text
    body = first.json()
    [call] = body["tool_calls"]
    assert call["name"] == "add_task" and call["arguments"] == {"title": "buy bread"}
    task_id = call["result"]["task_id"]
    assert body["response"] == f'Added "buy bread" as task {task_id}.'
    assert [t["title"] for t in llm_user.get("/tasks").json()] == ["buy bread"]

    # What the model was offered: exactly the MCP server's five tools, with their schemas.
    request = llm.requests[0]
    assert request["headers"]["authorization"] == "Bearer sk-test-key"
    assert request["body"]["model"] == "fake-model"
    offered = {t["function"]["name"]: t["function"] for t in request["body"]["tools"]}
    assert sorted(offered) == ["add_task", "complete_task", "delete_task", "list_tasks", "update_task"]
    assert offered["add_task"]["parameters"]["required"] == ["title"]
    # The second request carried the tool's real result back to the model.
    tool_message = llm.requests[1]["body"]["messages"][-1]
    assert tool_message["role"] == "tool" and json.loads(tool_message["content"])["task_id"] == task_id

    second = llm_user.chat("what is still open?", body["conversation_id"]).json()
    assert second["tool_calls"][0]["arguments"] == {"status": "pending"}
    assert second["response"] == "You have 1 open task(s)."
    # Stateless server: the earlier turn came back from the database into the model's input.
    replayed = [(m["role"], m.get("content")) for m in llm.requests[2]["body"]["messages"] if m["role"] != "system"]
    assert replayed == [
        ("user", "please remember to buy bread"),
        ("assistant", f'Added "buy bread" as task {task_id}.'),
        ("user", "what is still open?"),
    ]
    stored = llm_user.get(f"/conversations/{body['conversation_id']}/messages").json()
    assert [m["role"] for m in stored] == ["user", "assistant", "user", "assistant"]


def test_a_failing_model_is_a_502_that_names_the_settings(llm_user):
    response = llm_user.chat("explode")
    assert response.status_code == 502
    assert "OPENAI_API_KEY, OPENAI_BASE_URL and OPENAI_MODEL" in response.json()["detail"]
