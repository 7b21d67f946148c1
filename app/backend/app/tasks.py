"""Task operations for one user: the single place both the REST routes and the MCP tools go through."""

from __future__ import annotations

from typing import Literal

from sqlmodel import Session, col, select

from .models import Task, utcnow

Status = Literal["all", "pending", "completed"]


class TaskNotFound(LookupError):
    def __init__(self, task_id: int):
        super().__init__(f"Task {task_id} not found")
        self.task_id = task_id


class TaskStore:
    def __init__(self, session: Session, user_id: str):
        self.session = session
        self.user_id = user_id

    def list(self, status: Status = "all") -> list[Task]:
        query = select(Task).where(Task.user_id == self.user_id)
        if status == "pending":
            query = query.where(col(Task.completed).is_(False))
        elif status == "completed":
            query = query.where(col(Task.completed).is_(True))
        return list(self.session.exec(query.order_by(col(Task.id))))

    def get(self, task_id: int) -> Task:
        task = self.session.get(Task, task_id)
        # Someone else's task answers exactly like a missing one: ids must not leak across users.
        if task is None or task.user_id != self.user_id:
            raise TaskNotFound(task_id)
        return task

    def add(self, title: str, description: str | None = None) -> Task:
        task = Task(user_id=self.user_id, title=title, description=description)
        return self._save(task)

    def update(self, task_id: int, **changes: object) -> Task:
        task = self.get(task_id)
        for name, value in changes.items():
            setattr(task, name, value)
        task.updated_at = utcnow()
        return self._save(task)

    def set_completed(self, task_id: int, completed: bool | None = None) -> Task:
        task = self.get(task_id)
        return self.update(task_id, completed=(not task.completed) if completed is None else completed)

    def delete(self, task_id: int) -> Task:
        task = self.get(task_id)
        self.session.delete(task)
        self.session.commit()
        return task

    def _save(self, task: Task) -> Task:
        self.session.add(task)
        self.session.commit()
        self.session.refresh(task)
        return task
