"""An MCP client session connected in-process to the user's MCP server; records every tool call it makes."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from mcp.client import Client
from mcp.server.mcpserver import MCPServer

from ..models import ToolCall


@dataclass
class ToolResult:
    ok: bool
    data: Any  # the tool's JSON result, or its error message
    text: str


@dataclass
class Toolbox:
    server: MCPServer
    calls: list[ToolCall] = field(default_factory=list)
    _client: Client | None = None

    async def __aenter__(self) -> Toolbox:
        self._client = Client(self.server)
        await self._client.__aenter__()
        return self

    async def __aexit__(self, *exc: Any) -> None:
        assert self._client is not None
        await self._client.__aexit__(*exc)

    async def list_tools(self) -> list[Any]:
        assert self._client is not None
        return list((await self._client.list_tools()).tools)

    async def call(self, name: str, arguments: dict[str, Any]) -> ToolResult:
        assert self._client is not None
        result = await self._client.call_tool(name, arguments)
        text = "\n".join(getattr(part, "text", "") for part in result.content)
        data: Any = result.structured_content
        if data is None:
            try:
                data = json.loads(text)
            except ValueError:
                data = text
        if result.is_error:
            # The SDK prefixes the exception text; users should only see the reason.
            data = text.split(": ", 1)[1] if text.startswith("Error executing tool") and ": " in text else text
        self.calls.append(
            ToolCall(name=name, arguments=arguments, result=data if not result.is_error else {"error": data})
        )
        return ToolResult(ok=not result.is_error, data=data, text=text)
