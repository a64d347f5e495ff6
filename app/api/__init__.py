"""HTTP routes, one module per resource, and their dependencies."""

from app.api import grading, guide, health, interviews, progress, questions

routers = [health.router, guide.router, questions.router, interviews.router, grading.router, progress.router]

__all__ = ["routers"]
