"""The offline agent: plain commands mapped onto the MCP tools, with predictable replies (no LLM key needed)."""

from __future__ import annotations

import re
from typing import Any

from .toolbox import Toolbox

HELP = (
    'I can manage your tasks. Try: "add buy milk", "show pending tasks", "list tasks", '
    '"complete 3", "delete 2" or "rename 1 to call mom".'
)

_ID = r"(?:task\s+)?(?:number\s+|no\.?\s*)?#?(\d+)"
_ADD = re.compile(
    r"^(?:please\s+)?(?:add|create|new)(?:\s+(?:a|an|new))*(?:\s+(?:task|todo|item))?\s*[:\-]?\s+(?:to\s+)?(.+)$", re.I
)
_REMIND = re.compile(r"^(?:please\s+)?remind me to\s+(.+)$", re.I)
_COMPLETE = re.compile(
    rf"^(?:please\s+)?(?:complete|finish|done(?:\s+with)?|check(?:\s+off)?|mark)\s+{_ID}(?:\s+as\s+(?:done|complete(?:d)?|finished))?$",
    re.I,
)
_DELETE = re.compile(rf"^(?:please\s+)?(?:delete|remove|drop)\s+{_ID}$", re.I)
_RENAME = re.compile(rf"^(?:please\s+)?(?:rename|update|change|edit)\s+{_ID}\s+(?:to|into|as)\s*[:\-]?\s+(.+)$", re.I)
_LIST = re.compile(r"\b(?:list|show|what|which|display|see|view|get)\b.*\b(?:tasks?|todos?|to-dos?|list)\b", re.I)
_LIST_ONLY = re.compile(r"^(?:list|tasks|todos|my tasks|show all)$", re.I)


def _strip_quotes(text: str) -> str:
    text = text.strip().rstrip(".!")
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        text = text[1:-1]
    return text.strip()


def _status_of(message: str) -> str:
    lowered = message.lower()
    if re.search(r"\b(pending|open|incomplete|unfinished|remaining|todo|to do|not done|left)\b", lowered):
        return "pending"
    if re.search(r"\b(completed|complete|done|finished)\b", lowered):
        return "completed"
    return "all"


def _format_list(data: dict[str, Any]) -> str:
    status = data.get("status", "all")
    tasks = data.get("tasks", [])
    label = {"pending": "pending ", "completed": "completed ", "all": ""}[status]
    if not tasks:
        return f"You have no {label}tasks."
    lines = [f"{t['task_id']}. [{'x' if t['completed'] else ' '}] {t['title']}" for t in tasks]
    noun = "task" if len(tasks) == 1 else "tasks"
    return f"You have {len(tasks)} {label}{noun}:\n" + "\n".join(lines)


async def respond(message: str, history: list[dict[str, str]], tools: Toolbox) -> str:
    """Act on `message` through `tools` and return the reply. History is unused: every command stands alone."""
    text = message.strip()

    if match := _RENAME.match(text):
        task_id, title = int(match.group(1)), _strip_quotes(match.group(2))
        result = await tools.call("update_task", {"task_id": task_id, "title": title})
        return f'Renamed task {task_id} to "{result.data["title"]}".' if result.ok else f"Sorry: {result.data}."

    if match := _COMPLETE.match(text):
        task_id = int(match.group(1))
        result = await tools.call("complete_task", {"task_id": task_id})
        return f'Marked task {task_id} "{result.data["title"]}" as complete.' if result.ok else f"Sorry: {result.data}."

    if match := _DELETE.match(text):
        task_id = int(match.group(1))
        result = await tools.call("delete_task", {"task_id": task_id})
        return f'Deleted task {task_id} "{result.data["title"]}".' if result.ok else f"Sorry: {result.data}."

    if match := (_ADD.match(text) or _REMIND.match(text)):
        title = _strip_quotes(match.group(1))
        if title:
            result = await tools.call("add_task", {"title": title})
            return (
                f'Added task {result.data["task_id"]}: "{result.data["title"]}".'
                if result.ok
                else f"Sorry: {result.data}."
            )

    if _LIST_ONLY.match(text) or _LIST.search(text):
        result = await tools.call("list_tasks", {"status": _status_of(text)})
        return _format_list(result.data) if result.ok else f"Sorry: {result.data}."

    if re.match(r"^(hi|hello|hey|help|\?)\b", text, re.I):
        return "Hello! " + HELP
    return "I didn't understand that. " + HELP
