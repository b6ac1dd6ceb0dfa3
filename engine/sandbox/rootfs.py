"""The sandbox's Debian sid root filesystem: debootstrap, then docker/install-asterisk.sh
inside it, cached until that script (or the mirror) changes. Built into a temporary
folder and renamed into place, so an interrupted build never leaves half a rootfs."""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from engine.sandbox.config import INSTALL_SCRIPT, install_script_digest

PSEUDO = ("proc", "dev")


class SandboxError(RuntimeError):
    pass


def require_root() -> None:
    if os.geteuid() != 0:
        raise SandboxError(
            "the sandbox needs root (debootstrap, chroot and mounts); run it with sudo"
        )


@contextlib.contextmanager
def locked(sandbox_dir: Path) -> Iterator[None]:
    """One sandbox command at a time per folder (two test sessions starting together)."""
    sandbox_dir.mkdir(parents=True, exist_ok=True)
    with open(sandbox_dir / "lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        yield


def _step(message: str, started: float) -> None:
    print(f"[sandbox {time.monotonic() - started:5.1f}s] {message}", file=sys.stderr, flush=True)


def mounts_under(path: Path, mountinfo: str | None = None) -> list[str]:
    """Mount points at or below ``path`` (from /proc/self/mountinfo), deepest first."""
    if mountinfo is None:
        mountinfo = Path("/proc/self/mountinfo").read_text()
    base = os.path.realpath(path)
    found = []
    for line in mountinfo.splitlines():
        fields = line.split()
        if len(fields) < 5:
            continue
        point = re.sub(r"\\([0-7]{3})", lambda m: chr(int(m[1], 8)), fields[4])  # \040...
        if point == base or point.startswith(base + "/"):
            found.append(point)
    return sorted(found, key=len, reverse=True)


def mount_pseudo(root: Path) -> None:
    """Bind /proc and /dev into the chroot (Asterisk and apt need them)."""
    for name in PSEUDO:
        target = root / name
        target.mkdir(exist_ok=True)
        if not os.path.ismount(target):
            subprocess.run(["mount", "--bind", f"/{name}", str(target)], check=True)


def unmount_pseudo(root: Path) -> None:
    """Unmount everything below the root (lazily: a process may still hold it)."""
    for point in mounts_under(root):
        subprocess.run(["umount", "-l", point], check=False, capture_output=True)


def remove_tree(path: Path) -> None:
    """rmtree, but never through a bind mount (that would empty the host's /dev)."""
    unmount_pseudo(path)
    left = mounts_under(path)
    if left:
        raise SandboxError(f"refusing to delete {path}: still mounted: {', '.join(left)}")
    shutil.rmtree(path)


def _run(cmd: list[str], started: float, what: str) -> None:
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert proc.stdout is not None
    tail: list[str] = []
    last = 0.0
    for line in proc.stdout:
        tail = [*tail, line.rstrip()][-30:]
        if time.monotonic() - last > 5:  # a progress line every few seconds
            last = time.monotonic()
            _step(f"{what}: {line.strip()[:100]}", started)
    if proc.wait() != 0:
        raise SandboxError(f"{what} failed (exit {proc.returncode}):\n" + "\n".join(tail))


def is_current(sandbox_dir: Path, mirror: str) -> bool:
    root, stamp = sandbox_dir / "rootfs", sandbox_dir / "rootfs.stamp"
    return root.is_dir() and stamp.exists() and stamp.read_text() == install_script_digest(mirror)


def asterisk_version(root: Path) -> str | None:
    """The installed ``asterisk`` package's version, from the rootfs's dpkg database."""
    try:
        status = (root / "var/lib/dpkg/status").read_text(errors="replace")
    except OSError:
        return None
    for block in status.split("\n\n"):
        lines = block.splitlines()
        if "Package: asterisk" in lines and any(
            ln.startswith("Status: install ok installed") for ln in lines
        ):
            return next((ln.split(": ", 1)[1] for ln in lines if ln.startswith("Version: ")), None)
    return None


def build(sandbox_dir: Path, mirror: str, force: bool = False) -> bool:
    """Build the root filesystem unless the cached one is current. True if built.
    The caller makes sure no Asterisk runs from the old one (``Sandbox.build``)."""
    require_root()
    if not force and is_current(sandbox_dir, mirror):
        return False
    if shutil.which("debootstrap") is None:
        raise SandboxError("debootstrap is not installed (apt-get install debootstrap)")
    root, stamp = sandbox_dir / "rootfs", sandbox_dir / "rootfs.stamp"
    started = time.monotonic()
    sandbox_dir.mkdir(parents=True, exist_ok=True)
    new = sandbox_dir / "rootfs.new"
    if new.exists():
        remove_tree(new)
    _step(f"debootstrap Debian sid into {new} (about a minute)", started)
    _run(["debootstrap", "--variant=minbase", "sid", str(new), mirror], started, "debootstrap")
    shutil.copy(INSTALL_SCRIPT, new / "tmp" / "install-asterisk.sh")
    shutil.copy("/etc/resolv.conf", new / "etc" / "resolv.conf")
    mount_pseudo(new)
    try:
        _step("installing Asterisk with docker/install-asterisk.sh", started)
        _run(["chroot", str(new), "/bin/sh", "/tmp/install-asterisk.sh"], started, "install")
    finally:
        unmount_pseudo(new)
    (new / "tmp" / "install-asterisk.sh").unlink(missing_ok=True)
    stamp.unlink(missing_ok=True)
    if root.exists():
        remove_tree(root)
    new.rename(root)
    stamp.write_text(install_script_digest(mirror))
    _step(f"root filesystem ready (Asterisk {asterisk_version(root)})", started)
    return True
