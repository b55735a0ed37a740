"""The advisor workspace's web app (Starlette + Jinja2, server-rendered, accessible): routes,
session security, templates, static files, the widget's chat proxy and the public demo page."""
