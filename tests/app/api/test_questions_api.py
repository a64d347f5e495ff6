"""The question list: filters, no exemplars or rubrics leaked, 404 and 422 on bad ids and filters."""

from __future__ import annotations

from fastapi.testclient import TestClient

from app.main import create_app
from app.settings import Settings


def test_list_filters_and_hides_rubrics(settings: Settings) -> None:
    c = TestClient(create_app(settings))
    everything = c.get("/api/questions").json()
    assert everything and all("exemplars" not in q and "rubric" not in q for q in everything)
    pm = c.get("/api/questions", params={"level": "pm", "type": "ai_product_design"}).json()
    assert pm and all(q["level"] == "pm" and q["type"] == "ai_product_design" for q in pm)
    one = c.get(f"/api/questions/{pm[0]['id']}").json()
    assert one["id"] == pm[0]["id"]


def test_unknown_question_and_bad_filters(settings: Settings) -> None:
    c = TestClient(create_app(settings))
    assert c.get("/api/questions/nope").status_code == 404
    r = c.get("/api/questions", params={"level": "wizard"})
    assert r.status_code == 422 and "level" in r.json()["error"]["message"]
