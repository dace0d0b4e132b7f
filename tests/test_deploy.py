"""docker-compose.yml and the Dockerfile: a real deployment on Neo4j (checked statically
here, where no Docker engine runs)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def test_compose_has_neo4j_with_healthcheck_and_the_api_waits_for_it() -> None:
    yaml = pytest.importorskip("yaml", reason="PyYAML is needed to read docker-compose.yml")
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    neo4j, api = compose["services"]["neo4j"], compose["services"]["api"]
    assert neo4j["image"].startswith("neo4j:5")
    assert "cypher-shell" in " ".join(neo4j["healthcheck"]["test"])
    assert "RETURN 1" in " ".join(neo4j["healthcheck"]["test"])
    assert {v.split(":")[1] for v in neo4j["volumes"]} == {"/data", "/logs"}
    assert api["build"] == "."
    assert api["depends_on"]["neo4j"]["condition"] == "service_healthy"
    assert api["environment"]["SCRM_NEO4J_URI"] == "bolt://neo4j:7687"
    assert "scrm" in api["command"] and "serve" in api["command"]


def test_compose_file_is_accepted_by_docker_compose(tmp_path: Path) -> None:
    tool = (["docker", "compose"] if shutil.which("docker") and subprocess.run(
        ["docker", "compose", "version"], capture_output=True).returncode == 0
        else ["docker-compose"] if shutil.which("docker-compose") else None)
    if tool is None:
        pytest.skip("neither 'docker compose' nor 'docker-compose' is installed")
    work = tmp_path / "deploy"
    shutil.copytree(REPO, work, ignore=shutil.ignore_patterns(".venv", ".git", "node_modules",
                                                                "*.lbdb*", "bench"))
    shutil.copy(REPO / ".env.neo4j.example", work / ".env.neo4j")
    proc = subprocess.run([*tool, "config", "-q"], cwd=work, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_dockerfile_installs_the_same_package_make_demo_installs() -> None:
    dockerfile = (REPO / "Dockerfile").read_text()
    pyproject = (REPO / "pyproject.toml").read_text()
    packages = set(re.findall(r'"(\w+)\*"', pyproject.split("[tool.setuptools]")[1]
                              .split("\n\n")[0]))
    assert packages == {"api", "graph", "ingest", "analytics"}
    for package in packages:
        assert f"COPY {package} ./{package}" in dockerfile
    assert "pip install ." in dockerfile
    assert "HEALTHCHECK" in dockerfile and "/health" in dockerfile
