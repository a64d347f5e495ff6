"""HTTP routes, one module per resource, and their dependencies."""

from app.api import guide, health, questions

routers = [health.router, guide.router, questions.router]

__all__ = ["routers"]
