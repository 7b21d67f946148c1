"""The MCP server (official `mcp` SDK) with the five task tools. One server is built per request for the
authenticated user, so no tool takes a user id: the model cannot reach another user's tasks."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field

from .db import Database
from .models import DESCRIPTION_MAX, ID_MAX, NO_NUL_PATTERN, NOT_BLANK_PATTERN, TITLE_MAX, Task
from .tasks import TaskNotFound, TaskStore

TOOL_NAMES = ("add_task", "list_tasks", "complete_task", "delete_task", "update_task")

INSTRUCTIONS = (
    "Tools to manage the user's todo list. Task ids are the numbers list_tasks returns; "
    "use list_tasks first when the user names a task by its title."
)


def _task(task: Task) -> dict[str, Any]:
    return {"task_id": task.id, "title": task.title, "description": task.description, "completed": task.completed}


# The model's arguments get the same limits as REST input, so nothing the database would refuse reaches it.
TaskId = Annotated[int, Field(ge=1, le=ID_MAX, description="Id of the task")]


def build_mcp_server(database: Database, user_id: str) -> MCPServer:
    server = MCPServer(name="todo", instructions=INSTRUCTIONS)

    def store_call(fn):  # a fresh session per call: tools run in worker threads, sessions must not be shared
        with database.session() as session:
            try:
                return fn(TaskStore(session, user_id))
            except TaskNotFound as exc:  # an expected answer for the model, not a crash to log
                raise ToolError(str(exc)) from exc

    @server.tool()
    def add_task(
        title: Annotated[
            str, Field(min_length=1, max_length=TITLE_MAX, pattern=NOT_BLANK_PATTERN, description="What to do")
        ],
        description: Annotated[
            str | None, Field(max_length=DESCRIPTION_MAX, pattern=NO_NUL_PATTERN, description="Optional details")
        ] = None,
    ) -> dict[str, Any]:
        """Add a task to the user's todo list."""
        task = store_call(lambda s: s.add(title.strip(), description))
        return {"task_id": task.id, "status": "created", "title": task.title}

    @server.tool()
    def list_tasks(
        status: Annotated[Literal["all", "pending", "completed"], Field(description="Which tasks")] = "all",
    ) -> dict[str, Any]:
        """List the user's tasks: all, only pending ones, or only completed ones."""
        tasks = store_call(lambda s: s.list(status))
        return {"status": status, "count": len(tasks), "tasks": [_task(t) for t in tasks]}

    @server.tool()
    def complete_task(task_id: TaskId) -> dict[str, Any]:
        """Mark a task as completed."""
        task = store_call(lambda s: s.set_completed(task_id, True))
        return {"task_id": task.id, "status": "completed", "title": task.title}

    @server.tool()
    def delete_task(task_id: TaskId) -> dict[str, Any]:
        """Delete a task."""
        task = store_call(lambda s: s.delete(task_id))
        return {"task_id": task.id, "status": "deleted", "title": task.title}

    @server.tool()
    def update_task(
        task_id: TaskId,
        title: Annotated[
            str | None, Field(max_length=TITLE_MAX, pattern=NO_NUL_PATTERN, description="New title")
        ] = None,
        description: Annotated[
            str | None, Field(max_length=DESCRIPTION_MAX, pattern=NO_NUL_PATTERN, description="New details")
        ] = None,
    ) -> dict[str, Any]:
        """Change a task's title and/or description."""
        changes: dict[str, Any] = {}
        if title is not None and title.strip():
            changes["title"] = title.strip()
        if description is not None:
            changes["description"] = description
        if not changes:
            raise ToolError("give a new title or description")
        task = store_call(lambda s: s.update(task_id, **changes))
        return {"task_id": task.id, "status": "updated", "title": task.title}

    return server
