"""The README's Docker section is exactly what a user types: its commands name files that
exist and fit together (docker/.env.example -> docker/.env -> docker/compose.yaml ->
docker/Dockerfile), with the same variable names everywhere. No container needed: the
image itself is built and run by tests/image/test_image.py from the same Dockerfile and
the same docker/.env.example."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
COMPOSE_TEXT = (ROOT / "docker" / "compose.yaml").read_text(encoding="utf-8")
COMPOSE = yaml.safe_load(COMPOSE_TEXT)
# two boxes, one PostgreSQL (docs/several-engines.md): same .env, plus POSTGRES_PASSWORD
CLUSTER_TEXT = (ROOT / "docker" / "compose.cluster.yaml").read_text(encoding="utf-8")
EXAMPLE = (ROOT / "docker" / ".env.example").read_text(encoding="utf-8")
DOCKERFILE = (ROOT / "docker" / "Dockerfile").read_text(encoding="utf-8")


def docker_section() -> str:
    return README.split("\n### Docker\n", 1)[1].split("\n## ", 1)[0]


def commands() -> list[list[str]]:
    block = re.search(r"```sh\n(.*?)```", docker_section(), re.S)
    assert block, "README's Docker section has no sh block"
    lines = [line.split("#", 1)[0].strip() for line in block.group(1).splitlines()]
    return [shlex.split(line) for line in lines if line]


def example_names() -> list[str]:
    return re.findall(r"^([A-Z][A-Z0-9_]*)=", EXAMPLE, re.M)


def test_every_command_is_one_a_user_can_type_here() -> None:
    cmds = commands()
    assert cmds[0] == ["cp", "docker/.env.example", "docker/.env"]
    for cmd in cmds[1:]:
        assert cmd[0] in {"docker", "curl"}, cmd
        if cmd[0] == "docker":
            assert cmd[1:4] == ["compose", "-f", "docker/compose.yaml"], cmd
            assert (ROOT / cmd[3]).is_file()
            services = [word for word in cmd[5:] if not word.startswith("-")]
            assert set(services) <= set(COMPOSE["services"]), cmd
    assert ["docker", "compose", "-f", "docker/compose.yaml", "up", "-d", "--build"] in cmds
    curl = next(cmd for cmd in cmds if cmd[0] == "curl")
    port = re.search(r":(\d+)/health$", curl[-1])
    assert port and f"EXPOSE {port.group(1)}" in DOCKERFILE, curl


def test_compose_builds_the_dockerfile_the_test_builds_and_reads_docker_env() -> None:
    build = COMPOSE["services"]["tenure"]["build"]
    assert (ROOT / "docker" / build["context"]).resolve() == ROOT
    assert build["dockerfile"] == "docker/Dockerfile"
    smoke = (ROOT / "scripts" / "image-smoke.sh").read_text(encoding="utf-8")
    assert "-f docker/Dockerfile" in smoke and "docker/.env.example" in smoke
    # docker compose reads .env from the compose file's folder: docker/.env.
    assert "docker/.env" in COMPOSE_TEXT


def test_variable_names_are_the_same_in_readme_example_and_compose() -> None:
    example = set(example_names())
    in_compose = set(re.findall(r"\$\{(ENGINE_[A-Z0-9_]+)", COMPOSE_TEXT))
    required = set(re.findall(r"\$\{(ENGINE_[A-Z0-9_]+):\?", COMPOSE_TEXT))
    in_readme = set(re.findall(r"\bENGINE_[A-Z0-9_]+", docker_section()))
    in_cluster = set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)", CLUSTER_TEXT))
    assert in_compose | {n for n in in_cluster if not n.startswith("ENGINE_")} == example, (
        "docker/.env.example and docker/compose.yaml (+ compose.cluster.yaml) differ"
    )
    assert in_cluster <= example, f"compose.cluster.yaml needs {in_cluster - example}"
    assert in_readme <= example, (
        f"README names what docker/.env.example lacks: {in_readme - example}"
    )
    assert required <= in_readme, f"README does not say to fill in {required - in_readme}"
    secrets = {
        n for n in example if n.startswith("ENGINE_") and re.search("PASSWORD|SECRET|TOKEN", n)
    }
    assert required == secrets - {
        "ENGINE_SIP_AGENT_PASSWORD",
        "ENGINE_SOFTPHONE_SECRET",  # optional: the desk's browser softphones
    }


def test_compose_stays_the_users_path() -> None:
    """The test's own ways (a locally built Redis, runc, ulimits, a private network
    namespace) stay in scripts/image-smoke.sh."""
    redis = COMPOSE["services"]["redis"]["image"]
    assert re.fullmatch(r"redis:[\w.-]+", redis), redis
    for word in ("localhost/", "runc", "ulimits", "tenure-redis", "network_mode: container"):
        assert word not in COMPOSE_TEXT, word
