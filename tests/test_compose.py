"""docker-compose.yml: the self-hosted topology is complete and keeps its secrets out of git.

Docker does not run here; the same topology runs natively in the service tests.
"""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def _compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))


def test_compose_has_prefect_self_hosting_topology():
    services = _compose()["services"]
    assert {"postgres", "redis", "prefect-server", "prefect-services", "castline"} <= set(services)
    server = services["prefect-server"]
    assert "--no-services" in server["command"]
    assert services["prefect-services"]["command"] == "prefect server services start"
    for name in ("prefect-server", "prefect-services"):
        env = services[name]["environment"]
        assert env["PREFECT_API_DATABASE_CONNECTION_URL"].startswith("postgresql+asyncpg://")
        assert env["PREFECT_MESSAGING_BROKER"] == "prefect_redis.messaging"
        assert env["PREFECT_REDIS_MESSAGING_HOST"] == "redis"


def test_every_long_running_service_has_a_health_check():
    services = _compose()["services"]
    for name in ("postgres", "redis", "prefect-server", "castline"):
        assert "healthcheck" in services[name], name
    assert services["castline"]["depends_on"]["prefect-server"]["condition"] == "service_healthy"


def test_castline_service_builds_and_keeps_data_on_a_volume():
    castline = _compose()["services"]["castline"]
    assert castline["build"] == "."
    assert (ROOT / "Dockerfile").exists()
    assert any(v.startswith("./data:") for v in castline["volumes"])
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert "ffmpeg" in dockerfile and "flows.serve" in dockerfile


def test_ui_is_local_and_api_protected_by_basic_auth_from_env():
    services = _compose()["services"]
    assert all(p.startswith("127.0.0.1:") for p in services["prefect-server"]["ports"])
    auth = services["prefect-server"]["environment"]["PREFECT_SERVER_API_AUTH_STRING"]
    assert auth.startswith("${") and ":?" in auth  # taken from .env, required, never literal
    assert services["castline"]["environment"]["PREFECT_API_AUTH_STRING"].startswith("${")
    assert (ROOT / ".env.example").exists()
    assert ".env" in (ROOT / ".gitignore").read_text(encoding="utf-8").split()
