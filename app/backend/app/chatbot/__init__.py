"""The chat agent: it sees the conversation and changes tasks only through the MCP server's tools."""
