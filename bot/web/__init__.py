"""The advisor workspace (Starlette + Jinja2, server-rendered, accessible)."""
