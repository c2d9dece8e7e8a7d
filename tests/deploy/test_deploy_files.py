"""The container recipe, checked statically: the compose file's services, health checks and
ordering, the Dockerfile's stages, user and health check, the proxy's WebSocket handling, the
image's pinned dependencies against pyproject.toml, and deploy/smoke.sh (which builds and runs
the image with podman, outside the test suite) against the compose file it imitates."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]


def compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())  # type: ignore[no-any-return]


def test_compose_has_the_services_and_health_checks() -> None:
    services = compose()["services"]
    assert set(services) == {"postgres", "redis", "migrate", "hybridcx-1", "hybridcx-2", "proxy"}
    for name, service in services.items():
        if name != "migrate":  # a one-shot job
            assert service.get("healthcheck", {}).get("test"), f"{name} has no health check"
    for replica in ("hybridcx-1", "hybridcx-2"):
        service = services[replica]
        assert "/readyz" in " ".join(service["healthcheck"]["test"])
        assert service["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        assert service["depends_on"]["redis"]["condition"] == "service_healthy"
        env = service["environment"]
        assert env["HYBRIDCX_MIGRATE_ON_START"] == "false"
        assert env["HYBRIDCX_REDIS_URL"].startswith("redis://redis:")
        assert "@postgres:5432/" in env["HYBRIDCX_DATABASE_URL"]
        # Shared keys: a replica must read what the other one encrypted.
        assert env["HYBRIDCX_ENCRYPTION_KEYS"].startswith("${")
        assert env["HYBRIDCX_BLIND_INDEX_KEY"].startswith("${")
        assert "ports" not in service  # reached only through the proxy
    assert services["migrate"]["command"] == ["hybridcx", "db", "upgrade"]
    assert services["postgres"]["image"].startswith("pgvector/pgvector:")  # the shared store
    proxy = services["proxy"]
    assert {d: c["condition"] for d, c in proxy["depends_on"].items()} == {
        "hybridcx-1": "service_healthy",
        "hybridcx-2": "service_healthy",
    }


def test_proxy_carries_websockets_to_both_replicas() -> None:
    conf = (ROOT / "deploy" / "nginx.conf").read_text()
    assert re.findall(r"server (hybridcx-\d):8000", conf) == ["hybridcx-1", "hybridcx-2"]
    ws = conf[conf.index("location /ws/") :]
    ws = ws[: ws.index("}")]
    assert "proxy_set_header Upgrade $http_upgrade;" in ws
    assert "proxy_set_header Connection $connection_upgrade;" in ws
    assert "proxy_http_version 1.1;" in ws
    assert "location = /metrics { return 404; }" in conf


def test_dockerfile_is_multi_stage_non_root_and_checks_models() -> None:
    text = (ROOT / "Dockerfile").read_text()
    stages = re.findall(r"^FROM \S+ AS (\w+)", text, re.MULTILINE)
    assert stages == ["build", "runtime"]
    runtime = text[text.index("AS runtime") :]
    user = re.findall(r"^USER (\S+)", runtime, re.MULTILINE)
    assert user and not user[-1].startswith(("root", "0"))
    assert "sha256sum -c" in runtime
    assert "COPY --from=build /opt/hybridcx /opt/hybridcx" in runtime
    assert not re.search(r"\b(curl|wget|pip install)\b", runtime)  # nothing fetched at run time
    assert "HYBRIDCX_NLU_MODEL_DIR=/opt/hybridcx/nlu" in runtime
    assert "/readyz" in runtime
    assert "hybridcx nlu train" in text[: text.index("AS runtime")]


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[ ;]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def test_image_dependencies_are_pinned_and_agree_with_pyproject() -> None:
    pins = {}
    for line in (ROOT / "requirements" / "runtime.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            name, version = line.split("==")
            pins[name.lower().replace("_", "-")] = version
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    for requirement in project["dependencies"]:
        name = _name(requirement)
        assert name in pins, f"{name} is missing from requirements/runtime.txt"
        exact = re.search(r"==([\w.]+)", requirement)
        if exact:
            assert pins[name] == exact.group(1), f"{name}: {pins[name]} != {exact.group(1)}"


def test_image_health_check_follows_the_configured_port() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    health = dockerfile[dockerfile.index("HEALTHCHECK") :].splitlines()
    command = " ".join(health[:2])
    assert "/readyz" in command
    assert "HYBRIDCX_PORT" in command  # a server moved off 8000 is still checked where it listens


def test_smoke_script_runs_the_compose_services_as_compose_does() -> None:
    """deploy/smoke.sh starts compose's services by hand; it must not drift from the file."""
    smoke = (ROOT / "deploy" / "smoke.sh").read_text()
    services = compose()["services"]
    for key in services["hybridcx-1"]["environment"]:
        assert f"-e {key}=" in smoke, f"deploy/smoke.sh does not pass {key} to the replicas"
    for key in services["postgres"]["environment"]:
        assert f"-e {key}=" in smoke, f"deploy/smoke.sh does not pass {key} to postgres"
    postgres_command = " ".join(services["postgres"]["command"])
    assert postgres_command in smoke
    assert " ".join(services["migrate"]["command"]) in smoke
    redis_command = " ".join(c or '""' for c in services["redis"]["command"])
    assert f"localhost/hybridcx-standin-redis:1 {redis_command} " in smoke
    for name in ("postgres", "redis", "hybridcx-1", "hybridcx-2"):
        alias = "hybridcx-$n" if name.startswith("hybridcx-") else name
        assert f"--network-alias {alias}" in smoke
    assert "deploy/nginx.conf:/etc/nginx/conf.d/default.conf:ro" in smoke
    assert "deploy/smoke_check.py" in smoke
