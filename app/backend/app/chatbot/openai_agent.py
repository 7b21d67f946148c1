"""The LLM agent (OpenAI Agents SDK). Its only tools are the MCP server's, exposed as function tools that call
through the in-process MCP client session, so every action goes through the same MCP tool implementations."""

from __future__ import annotations

import json
import os
from typing import Any

# Traces would be exported to OpenAI's servers; the app sends them nowhere.
os.environ.setdefault("OPENAI_AGENTS_DISABLE_TRACING", "1")

from agents import Agent, FunctionTool, OpenAIChatCompletionsModel, Runner, set_tracing_disabled  # noqa: E402
from openai import AsyncOpenAI  # noqa: E402

from ..config import Settings  # noqa: E402
from .toolbox import Toolbox  # noqa: E402

set_tracing_disabled(True)

INSTRUCTIONS = """You are a helpful assistant that manages the user's todo list.
Use the tools for every change and every question about tasks; never claim a change you did not make with a tool.
Task ids are the numbers list_tasks returns; when the user names a task by title, call list_tasks first.
Confirm what you did in one or two short sentences. If a tool reports an error, explain it plainly."""

MAX_TURNS = 8


def _function_tool(toolbox: Toolbox, tool: Any) -> FunctionTool:
    name = tool.name

    async def invoke(_ctx: Any, arguments: str) -> str:
        try:
            parsed = json.loads(arguments or "{}")
        except ValueError:
            return "Error: the arguments were not valid JSON"
        result = await toolbox.call(name, parsed if isinstance(parsed, dict) else {})
        return json.dumps(result.data) if result.ok else f"Error: {result.data}"

    return FunctionTool(
        name=name,
        description=tool.description or name,
        params_json_schema=tool.input_schema,
        on_invoke_tool=invoke,
        strict_json_schema=False,
    )


def make_client(settings: Settings) -> AsyncOpenAI:
    return AsyncOpenAI(
        api_key=settings.openai_api_key, base_url=settings.openai_base_url or None, timeout=60, max_retries=1
    )


async def respond(message: str, history: list[dict[str, str]], tools: Toolbox, settings: Settings) -> str:
    mcp_tools = await tools.list_tools()
    agent = Agent(
        name="Todo assistant",
        instructions=INSTRUCTIONS,
        model=OpenAIChatCompletionsModel(model=settings.openai_model, openai_client=make_client(settings)),
        tools=[_function_tool(tools, t) for t in mcp_tools],
    )
    items: list[Any] = [{"role": m["role"], "content": m["content"]} for m in history]
    items.append({"role": "user", "content": message})
    result = await Runner.run(agent, input=items, max_turns=MAX_TURNS)
    return str(result.final_output or "").strip() or "Done."
