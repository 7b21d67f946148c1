"""The MCP server through a real MCP client session: the five tools, their schemas, per-user scoping."""

from __future__ import annotations

import anyio
from mcp.client import Client

from app.db import Database
from app.mcp_server import TOOL_NAMES, build_mcp_server


def run(coro_fn):
    return anyio.run(coro_fn)


def test_tools_are_listed_with_schemas_and_no_user_id(database_url):
    database = Database(database_url)

    async def main():
        async with Client(build_mcp_server(database, "mcp-a")) as client:
            return {t.name: t for t in (await client.list_tools()).tools}

    tools = run(main)
    database.dispose()
    assert sorted(tools) == sorted(TOOL_NAMES)
    assert tools["add_task"].input_schema["required"] == ["title"]
    assert tools["list_tasks"].input_schema["properties"]["status"]["enum"] == ["all", "pending", "completed"]
    for name in ("complete_task", "delete_task", "update_task"):
        assert tools[name].input_schema["required"] == ["task_id"]
    for tool in tools.values():
        assert "user_id" not in tool.input_schema.get("properties", {})
        assert tool.description


def test_tools_act_on_their_users_tasks_only(database_url):
    database = Database(database_url)

    async def main():
        async with Client(build_mcp_server(database, "mcp-a")) as a, Client(build_mcp_server(database, "mcp-b")) as b:
            added = await a.call_tool("add_task", {"title": "water plants", "description": "balcony"})
            task_id = added.structured_content["task_id"] if added.structured_content else None
            import json

            data = json.loads(added.content[0].text)
            task_id = data["task_id"]
            assert data == {"task_id": task_id, "status": "created", "title": "water plants"}

            listed = json.loads((await b.call_tool("list_tasks", {"status": "all"})).content[0].text)
            assert listed["tasks"] == []
            stolen = await b.call_tool("complete_task", {"task_id": task_id})
            assert stolen.is_error and f"Task {task_id} not found" in stolen.content[0].text
            assert (await b.call_tool("delete_task", {"task_id": task_id})).is_error

            done = json.loads((await a.call_tool("complete_task", {"task_id": task_id})).content[0].text)
            assert done == {"task_id": task_id, "status": "completed", "title": "water plants"}
            pending = json.loads((await a.call_tool("list_tasks", {"status": "pending"})).content[0].text)
            completed = json.loads((await a.call_tool("list_tasks", {"status": "completed"})).content[0].text)
            assert pending["count"] == 0
            assert completed["tasks"] == [
                {"task_id": task_id, "title": "water plants", "description": "balcony", "completed": True}
            ]
            renamed = json.loads(
                (await a.call_tool("update_task", {"task_id": task_id, "title": "water all plants"})).content[0].text
            )
            assert renamed["status"] == "updated" and renamed["title"] == "water all plants"
            assert (await a.call_tool("update_task", {"task_id": task_id})).is_error
            assert (await a.call_tool("list_tasks", {"status": "someday"})).is_error
            assert (await a.call_tool("add_task", {"title": ""})).is_error
            deleted = json.loads((await a.call_tool("delete_task", {"task_id": task_id})).content[0].text)
            assert deleted == {"task_id": task_id, "status": "deleted", "title": "water all plants"}
            assert (await a.call_tool("delete_task", {"task_id": task_id})).is_error

    run(main)
    database.dispose()
