"""A bounded schemathesis run over /openapi.json with every check: no server errors, no conformance failures.

Rate limits are off here so that the generated requests reach the routes instead of stopping at a 429.
Requests carry the custom header the web app sends, so state-changing calls get past the CSRF check.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings

from app.main import create_app
from app.runtime import build_runtime, wait_ready
from app.settings import ROOT, Settings
from tests.fakes import MemoryStore

MAX_EXAMPLES = 12  # per operation; about 20 operations, so a few hundred requests in all (bounded)


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory, real_embedder: Any) -> Iterator[FastAPI]:
    """The real embedding model: the retrieval and grading paths then run exactly as in production."""
    data = tmp_path_factory.mktemp("schemathesis")
    s = Settings(data_dir=data, content_dir=ROOT / "content", rate_limit_address="", rate_limit_candidate="",
                 rate_limit_expensive="", _env_file=None)  # type: ignore[call-arg]
    rt = build_runtime(s)
    application = create_app(s, rt, embedder=real_embedder, store=MemoryStore())
    from fastapi.testclient import TestClient

    with TestClient(application):
        assert wait_ready(rt, 60), rt.error
        yield application


def test_the_api_conforms_to_its_schema(app: FastAPI) -> None:
    """Every operation, MAX_EXAMPLES generated cases each, with all of schemathesis's response checks."""
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    failures: dict[str, str] = {}
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @settings(max_examples=MAX_EXAMPLES, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def check(case: schemathesis.Case) -> None:
            case.call_and_validate(headers={"X-Requested-With": "schemathesis"})

        try:
            check()
        except (Exception, BaseExceptionGroup) as exc:  # every failing operation, reported together
            failures[operation.label] = f"{exc.__class__.__name__}: {str(exc)[:1500]}"
    assert operations >= 15
    assert not failures, "\n\n".join(f"{k}\n{v}" for k, v in failures.items())


def test_every_json_response_of_every_route_is_described(app: FastAPI) -> None:
    """Each 2xx response has a JSON schema with properties (arrays by their items), so clients know the shape."""
    doc = app.openapi()
    schemas = doc["components"]["schemas"]

    def resolve(s: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in s:
            s = schemas[str(s["$ref"]).rsplit("/", 1)[-1]]
        return resolve(s["items"]) if s.get("type") == "array" else s

    def described(resp: dict[str, Any]) -> bool:
        content = resp.get("content", {})
        if "text/event-stream" in content:  # Server-Sent Events: one event's shape (OpenAPI 3.2's itemSchema)
            return "properties" in resolve(content["text/event-stream"].get("itemSchema", {}))
        return "properties" in resolve(content.get("application/json", {}).get("schema", {}))

    undescribed = [(method, path, code) for path, ops in doc["paths"].items() for method, op in ops.items()
                   for code, resp in op["responses"].items() if code.startswith("2") and not described(resp)]
    assert len(doc["paths"]) >= 15 and not undescribed
