"""The sandbox's Debian sid root filesystem: debootstrap, then docker/install-asterisk.sh
inside it, cached until that script (or the mirror) changes. Built into a temporary
folder and renamed into place, so an interrupted build never leaves half a rootfs."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from engine.sandbox.config import INSTALL_SCRIPT, install_script_digest


class SandboxError(RuntimeError):
    pass


def require_root() -> None:
    if os.geteuid() != 0:
        raise SandboxError("the sandbox needs root (debootstrap, chroot and mounts); "
                           "run it with sudo")


def _step(message: str, started: float) -> None:
    print(f"[sandbox {time.monotonic() - started:5.1f}s] {message}", file=sys.stderr,
          flush=True)


def mount_pseudo(root: Path) -> None:
    """Bind /proc and /dev into the chroot (Asterisk and apt need them)."""
    for name in ("proc", "dev"):
        target = root / name
        target.mkdir(exist_ok=True)
        if not os.path.ismount(target):
            subprocess.run(["mount", "--bind", f"/{name}", str(target)], check=True)


def unmount_pseudo(root: Path) -> None:
    for name in ("dev", "proc"):
        target = root / name
        if os.path.ismount(target):
            subprocess.run(["umount", "-l", str(target)], check=False)


def _run(cmd: list[str], started: float, what: str) -> None:
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert proc.stdout is not None
    tail: list[str] = []
    last = 0.0
    for line in proc.stdout:
        tail = [*tail, line.rstrip()][-30:]
        if time.monotonic() - last > 5:        # a progress line every few seconds
            last = time.monotonic()
            _step(f"{what}: {line.strip()[:100]}", started)
    if proc.wait() != 0:
        raise SandboxError(f"{what} failed (exit {proc.returncode}):\n" + "\n".join(tail))


def build(sandbox_dir: Path, mirror: str, force: bool = False) -> bool:
    """Build the root filesystem unless the cached one is current. True if built."""
    require_root()
    root, stamp = sandbox_dir / "rootfs", sandbox_dir / "rootfs.stamp"
    want = install_script_digest(mirror)
    if not force and root.is_dir() and stamp.exists() and stamp.read_text() == want:
        return False
    if shutil.which("debootstrap") is None:
        raise SandboxError("debootstrap is not installed (apt-get install debootstrap)")
    started = time.monotonic()
    sandbox_dir.mkdir(parents=True, exist_ok=True)
    new = sandbox_dir / "rootfs.new"
    if new.exists():
        unmount_pseudo(new)
        shutil.rmtree(new)
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
    if root.exists():
        unmount_pseudo(root)
        shutil.rmtree(root)
    new.rename(root)
    stamp.write_text(want)
    _step("root filesystem ready", started)
    return True
