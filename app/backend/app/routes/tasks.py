"""Phase II REST API: the user's tasks."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Body, Depends, HTTPException, Path, Request, Response, status

from ..auth import CurrentUser
from ..models import ID_MAX, TaskComplete, TaskCreate, TaskRead, TaskUpdate
from ..tasks import TaskNotFound, TaskStore
from .errors import API, CONFLICT, NOT_FOUND

router = APIRouter(prefix="/api/{user_id}/tasks", tags=["tasks"], responses=API)


def store(request: Request, user_id: str = CurrentUser):
    with request.app.state.database.session() as session:
        yield TaskStore(session, user_id)


Store = Depends(store)
# Ids outside the serial column's range can name no task: 422 like any malformed id, not a database error.
TaskId = Annotated[int, Path(ge=1, le=ID_MAX)]


def _found(call):
    try:
        return call()
    except TaskNotFound as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=str(exc)) from exc


@router.get("", response_model=list[TaskRead])
def list_tasks(status: Literal["all", "pending", "completed"] = "all", tasks: TaskStore = Store):
    return tasks.list(status)


@router.post("", response_model=TaskRead, status_code=status.HTTP_201_CREATED, responses=CONFLICT)
def create_task(body: TaskCreate, tasks: TaskStore = Store):
    return tasks.add(body.title, body.description)


@router.get("/{task_id}", response_model=TaskRead, responses=NOT_FOUND)
def get_task(task_id: TaskId, tasks: TaskStore = Store):
    return _found(lambda: tasks.get(task_id))


@router.put("/{task_id}", response_model=TaskRead, responses=NOT_FOUND | CONFLICT)
def update_task(task_id: TaskId, body: TaskUpdate, tasks: TaskStore = Store):
    return _found(lambda: tasks.update(task_id, **body.model_dump(exclude_unset=True)))


@router.delete("/{task_id}", status_code=status.HTTP_204_NO_CONTENT, responses=NOT_FOUND | CONFLICT)
def delete_task(task_id: TaskId, tasks: TaskStore = Store) -> Response:
    _found(lambda: tasks.delete(task_id))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.patch("/{task_id}/complete", response_model=TaskRead, responses=NOT_FOUND | CONFLICT)
def complete_task(task_id: TaskId, body: TaskComplete | None = Body(default=None), tasks: TaskStore = Store):
    """Without a body, toggles completion; with `{"completed": true|false}`, sets it."""
    return _found(lambda: tasks.set_completed(task_id, body.completed if body else None))
