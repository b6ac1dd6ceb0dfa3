"""The one container, built from docker/Dockerfile and smoke-run, as the test command's
last step (marker ``image``; needs root, buildah, podman and runc: scripts/bootstrap-host.sh).

scripts/image-smoke.sh does the work (a user can run it by hand, ``all`` or step by step);
this module drives it and checks what a user would: the engine is healthy and connected
to its Asterisk, a simulated call goes through the IVR to an agent and is recorded, the
image's HEALTHCHECK passes, nothing secret from the build host is in the image, and a
stop is clean and quick. It prints the build time, the image size and its largest layers.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "image-smoke.sh"
IMAGE = os.environ.get("TENURE_IMAGE", "localhost/tenure:ci")
ENGINE_CT = "tenure-ci"

pytestmark = [pytest.mark.image, pytest.mark.timeout(900)]


def smoke(step: str) -> str:
    """One step of scripts/image-smoke.sh; its stdout. On failure: its stderr and the
    containers' logs."""
    done = subprocess.run(
        ["bash", str(SCRIPT), step], cwd=ROOT, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        logs = subprocess.run(
            ["bash", str(SCRIPT), "logs"], cwd=ROOT, capture_output=True, text=True, check=False
        )
        pytest.fail(
            f"scripts/image-smoke.sh {step} failed ({done.returncode}):\n{done.stderr}\n"
            f"{logs.stderr}",
            pytrace=False,
        )
    return done.stdout


def podman(*args: str) -> str:
    return subprocess.run(["podman", *args], capture_output=True, text=True, check=True).stdout


def report(request: pytest.FixtureRequest, text: str) -> None:
    """A figure on the terminal, also when pytest captures output."""
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is None or capture is None:
        print(f"[image] {text}")
        return
    with capture.global_and_fixture_disabled():
        reporter.write_line(f"[image] {text}")


@pytest.fixture(scope="module")
def running(request: pytest.FixtureRequest) -> Iterator[dict[str, float]]:
    """The image built and running beside its Redis; removed afterwards (the cached
    Debian base and the Redis image built on it stay)."""
    load = Path("/proc/loadavg").read_text().split()[:3]
    started = time.monotonic()
    with _decoy_env():
        smoke("build")
    built = time.monotonic() - started
    smoke("up")
    timings = {"build": built, "up": time.monotonic() - started - built}
    report(
        request,
        f"built in {timings['build']:.0f} s, healthy {timings['up']:.0f} s after start "
        f"(load average {' '.join(load)} before the build)",
    )
    try:
        yield timings
    finally:
        smoke("clean")


@contextlib.contextmanager
def _decoy_env() -> Iterator[None]:
    """A docker/.env with a marker secret during the build, as a user who followed the
    README has (left alone if one exists): the image must not contain it."""
    env = ROOT / "docker" / ".env"
    if env.exists():
        yield
        return
    env.write_text(f"# decoy written by tests/image/test_image.py during a build\n{DECOY}\n")
    try:
        yield
    finally:
        env.unlink(missing_ok=True)


DECOY = "ENGINE_API_TOKEN=decoy-secret-from-the-build-host"


@pytest.fixture(scope="module")
def call(running: dict[str, float]) -> dict:
    return json.loads(smoke("call"))


def test_engine_is_healthy_and_connected_to_its_asterisk(
    call: dict, request: pytest.FixtureRequest
) -> None:
    status = call["status"]
    report(request, f"ARI and AMI connected {status['waited']} s after /health answered")
    assert status["ari"]["connected"], status
    assert status["ami"]["logged_in"], status
    assert status["redis"]["ok"], status
    assert status["skills"]["last_reload_errors"] == []
    assert status["wrong_token"] == 401, "the API answered a wrong token"


def test_simulated_call_goes_through_the_ivr_to_an_agent_and_is_recorded(call: dict) -> None:
    record = call["record"]
    assert record is not None, "no call record within 60 s"
    assert record["status"] == "completed"
    assert record["ivr_path"] == ["did:8000", "main:1"]
    assert record["queue"] == "technical"
    assert record["agent_id"], record
    assert record["connected_at"] is not None
    assert record["hangup_by"] == "caller"


def test_the_images_healthcheck_passes(running: dict[str, float]) -> None:
    smoke("health")


def test_engine_and_asterisk_run_unprivileged(running: dict[str, float]) -> None:
    listing = podman(
        "exec",
        ENGINE_CT,
        "sh",
        "-c",
        'for p in /proc/[0-9]*; do echo "$(stat -c %U $p) $(tr "\\0" " " < $p/cmdline)"; done',
    )
    procs = [line.split(" ", 1) for line in listing.splitlines() if " " in line]
    engine = [user for user, cmd in procs if "-m engine run" in cmd]
    asterisk = [user for user, cmd in procs if cmd.startswith("asterisk -f")]
    assert engine == ["tenure"], listing
    assert asterisk == ["asterisk"], listing
    # Root keeps only tini (PID 1) and the entrypoint's supervising shell (and this probe).
    supervisors = ("/usr/bin/tini ", "/bin/bash /usr/local/bin/tenure-entrypoint", "sh -c ")
    root = [cmd for user, cmd in procs if user == "root" and not cmd.startswith(supervisors)]
    assert root == [], listing


def test_image_has_no_secrets_from_the_build_host(
    running: dict[str, float], request: pytest.FixtureRequest
) -> None:
    config = json.loads(podman("image", "inspect", IMAGE))[0]
    env = config["Config"].get("Env") or []
    for item in env:
        name, _, value = item.partition("=")
        if re.search(r"PASSWORD|SECRET|TOKEN|KEY", name):
            assert not value, f"image sets {name}"
    history = podman("history", "--no-trunc", "--format", "{{.CreatedBy}}", IMAGE)
    assert not re.search(r"(?i)(password|secret|token)=\S", history), history
    mount = podman("image", "mount", IMAGE).strip()
    try:
        found = _secret_files(Path(mount))
    finally:
        podman("image", "unmount", IMAGE)
    assert found == [], f"secret-looking files in the image: {found}"
    report(request, "no secret-looking files, env or build history in the image")


# Names that hold credentials wherever they are; private keys by their content.
SECRET_NAMES = re.compile(
    r"^(\.env(\.(?!example$).+)?|id_(rsa|dsa|ecdsa|ed25519)|\.netrc|\.pypirc|pip\.conf|pip\.ini|"
    r"\.git-credentials|credentials|\.npmrc|config\.json|known_hosts|authorized_keys)$"
)
PRIVATE_KEY = b"PRIVATE KEY-----"
SCANNED = ("etc", "root", "home", "opt/tenure", "usr/local", "var/lib/tenure", "tmp")


def _secret_files(root: Path) -> list[str]:
    found = []
    for top in SCANNED:
        for dirpath, _dirnames, filenames in os.walk(root / top):
            rel = Path(dirpath).relative_to(root)
            if any(part in {".ssh", ".docker", ".git", ".aws", ".gnupg"} for part in rel.parts):
                found.append(str(rel))
            found += [str(rel / name) for name in filenames if _suspicious(Path(dirpath), name)]
    # The cache mounts leave their empty mount points, nothing more.
    for cache in ("root/.cache", "var/cache/tenure-models"):
        if any(path.is_file() for path in (root / cache).rglob("*")):
            found.append(f"{cache} (belongs in a build cache mount)")
    if (root / "opt" / "tenure" / "docker" / ".env").exists():
        found.append("opt/tenure/docker/.env")
    private = root / "etc" / "ssl" / "private"
    if private.is_dir():
        found += [f"etc/ssl/private/{p.name}" for p in private.iterdir()]
    for cert in (root / "usr/local/share/ca-certificates").glob("*"):
        if b"BEGIN CERTIFICATE" not in cert.read_bytes():
            found.append(f"usr/local/share/ca-certificates/{cert.name}")
    return found


def _suspicious(folder: Path, name: str) -> bool:
    """A credential's file name (outside installed Python packages), or a private key or
    the build's decoy secret in a small file."""
    path = folder / name
    if SECRET_NAMES.match(name):
        return "/opt/tenure/.venv/lib/" not in str(path)
    if path.is_symlink() or not path.is_file() or path.stat().st_size >= 1 << 20:
        return False
    head = path.read_bytes()
    return DECOY.encode() in head or (PRIVATE_KEY in head and b"EXAMPLE" not in head)


def test_image_is_built_on_a_dated_base_and_reports_its_size(
    running: dict[str, float], request: pytest.FixtureRequest
) -> None:
    config = json.loads(podman("image", "inspect", IMAGE))[0]
    base = config["Config"]["Labels"]["org.opencontainers.image.base.name"]
    assert re.fullmatch(r"localhost/debian:sid-\d{8}-slim", base), base
    size = config["Size"] / 1e6
    layers = []
    for line in podman(
        "history", "--no-trunc", "--format", "{{.Size}}\t{{.CreatedBy}}", IMAGE
    ).splitlines():
        size_text, _, created = line.partition("\t")
        command = re.sub(r"\s+", " ", created).split("/bin/sh -c ", 1)[-1]
        layers.append((size_text, command.removeprefix("#(nop) ")[:90]))
    largest = sorted(layers, key=lambda layer: _megabytes(layer[0]), reverse=True)[:4]
    report(request, f"image {IMAGE} {size:.0f} MB (target under 700 MB), base {base}")
    for size_text, created in largest:
        report(request, f"  {size_text:>9}  {created}")


def _megabytes(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)\s*([kMG]?B)", text.strip()).groups()  # type: ignore[union-attr]
    return float(number) * {"B": 1e-6, "kB": 1e-3, "MB": 1, "GB": 1e3}[unit]


def test_stop_is_clean_and_quick(running: dict[str, float], request: pytest.FixtureRequest) -> None:
    seconds = float(smoke("stop").strip())
    state = json.loads(podman("inspect", ENGINE_CT))[0]["State"]
    logs = subprocess.run(
        ["podman", "logs", "--tail", "40", ENGINE_CT], capture_output=True, text=True, check=True
    )
    report(request, f"podman stop took {seconds:.1f} s, exit code {state['ExitCode']}")
    # 143: the entrypoint's answer to SIGTERM once both processes have stopped (not 137,
    # which would mean podman had to kill it after its grace period).
    assert state["ExitCode"] in (0, 143), logs.stdout + logs.stderr
    assert "Asterisk cleanly ending" in logs.stdout + logs.stderr
