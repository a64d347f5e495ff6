"""compose.yaml for scale: it parses, and it is consistent with the app (Docker itself is not run here)."""

from __future__ import annotations

import re

import yaml

from app.settings import ROOT, Settings

# Read by uvicorn itself, not by Settings (proxy headers from nginx).
UVICORN_ENV = {"FORWARDED_ALLOW_IPS"}


def test_compose_has_replicas_behind_a_proxy_with_health_checks_and_volumes() -> None:
    doc = yaml.safe_load((ROOT / "compose.yaml").read_text())
    services = doc["services"]
    assert {"proxy", "app", "db", "chroma", "redis"} <= set(services)
    for name, svc in services.items():
        assert svc.get("healthcheck", {}).get("test"), f"{name} has no health check"
    app = services["app"]
    assert app["deploy"]["replicas"] >= 2
    assert {d for d in app["depends_on"]} == {"db", "chroma", "redis"}
    assert all(v["condition"] == "service_healthy" for v in app["depends_on"].values())
    assert "/readyz" in " ".join(app["healthcheck"]["test"])
    env = app["environment"]
    known = {n.upper() for n in Settings.model_fields} | UVICORN_ENV
    assert set(env) <= known, set(env) - known
    assert env["DATABASE_URL"].startswith("postgresql") and env["CHROMA_HOST"] == "chroma"
    assert env["REDIS_URL"].startswith("redis://redis:") and int(env["WORKERS"]) >= 2
    assert env["PROMETHEUS_MULTIPROC_DIR"]
    declared = set(doc["volumes"])
    for name in ("db", "chroma", "redis"):
        mounts = [v.split(":")[0] for v in services[name]["volumes"]]
        assert mounts and set(mounts) <= declared, name
    Settings(**{k.lower(): v for k, v in env.items() if k not in UVICORN_ENV},  # the app accepts this config
             _env_file=None)  # type: ignore[call-arg]


def test_the_proxy_config_points_at_the_app_and_hides_metrics() -> None:
    doc = yaml.safe_load((ROOT / "compose.yaml").read_text())
    mount = doc["services"]["proxy"]["volumes"][0].split(":")[0]
    conf = (ROOT / mount.removeprefix("./")).read_text()
    assert re.search(r"server\s+app:8000;", conf)
    assert re.search(r"location = /metrics \{[^}]*deny all;", conf)
    assert "X-Request-ID $request_id" in conf
