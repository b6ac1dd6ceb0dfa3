"""The sandbox Asterisk: the engine's configuration installed into the cached root
filesystem, Asterisk run in a chroot on loopback ports, stopped cleanly.

    box = Sandbox(settings); box.up(); ...; box.down()

``up`` is idempotent: a running sandbox with the same configuration is left alone;
a changed configuration (new credentials, ports...) is installed and Asterisk restarted.
"""

from __future__ import annotations

import base64
import contextlib
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from engine.sandbox import config, render, rootfs
from engine.sandbox.rootfs import SandboxError
from engine.settings import Settings

BOOT_TIMEOUT = 60.0


class Sandbox:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.dir = Path(settings.sandbox_dir)
        self.root = self.dir / "rootfs"
        self.pidfile = self.dir / "asterisk.pid"
        self.logfile = self.dir / "asterisk.out"
        self.config_stamp = self.dir / "config.stamp"

    @property
    def sounds_dir(self) -> Path:
        """Host path of the folder the sim dialplan plays ``tenure/<name>`` from."""
        return self.root / "usr" / "share" / "asterisk" / "sounds" / "tenure"

    # -- state --------------------------------------------------------------------
    def pid(self) -> int | None:
        try:
            pid = int(self.pidfile.read_text())
            if Path(os.readlink(f"/proc/{pid}/root")).resolve() == self.root.resolve():
                return pid
        except (OSError, ValueError):
            pass
        return None

    def _ari_ok(self) -> bool:
        s = self.settings
        token = base64.b64encode(f"{s.ari_user}:{s.ari_password}".encode()).decode()
        req = urllib.request.Request(f"{s.ari_url.rstrip('/')}/asterisk/info",
                                     headers={"Authorization": f"Basic {token}"})
        try:
            with urllib.request.urlopen(req, timeout=2) as resp:
                return bool(resp.status == 200)
        except (urllib.error.URLError, OSError):
            return False

    def _ami_ok(self) -> bool:
        try:
            with socket.create_connection((self.settings.ami_host, self.settings.ami_port),
                                          timeout=2) as sock:
                return sock.recv(64).startswith(b"Asterisk Call Manager")
        except OSError:
            return False

    def status(self) -> dict[str, Any]:
        version = None
        if (self.dir / "rootfs.stamp").exists():
            found = list((self.root / "usr/share/doc").glob("asterisk/changelog.Debian.gz"))
            version = "installed" if found else "unknown"
        pid = self.pid()
        return {"rootfs": str(self.root) if version else None, "asterisk": version,
                "running": pid is not None, "pid": pid,
                "ari": pid is not None and self._ari_ok(),
                "ami": pid is not None and self._ami_ok()}

    # -- build and configure -------------------------------------------------------
    def build(self, force: bool = False) -> bool:
        return rootfs.build(self.dir, self.settings.sandbox_mirror, force)

    def install_config(self) -> bool:
        """Write the rendered configuration and sounds; True if anything changed."""
        want = config.digest(config.render(self.settings))
        if self.config_stamp.exists() and self.config_stamp.read_text() == want:
            return False
        render.install(self.settings, self.root / "etc" / "asterisk", self.sounds_dir)
        self.config_stamp.write_text(want)
        return True

    def _check_ports(self) -> None:
        s = self.settings
        for kind, host, port in (("ARI/HTTP", s.ari_host, s.ari_port),
                                 ("AMI", s.ami_host, s.ami_port)):
            with socket.socket() as sock:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                try:
                    sock.bind((host, port))
                except OSError:
                    raise SandboxError(
                        f"{kind} port {host}:{port} is already taken by another process "
                        f"(see `ss -ltnp 'sport = :{port}'`); stop it or choose another "
                        f"port in the settings") from None
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            try:
                udp.bind(("127.0.0.1", s.sip_port))
            except OSError:
                raise SandboxError(f"SIP port udp/{s.sip_port} is already taken by another "
                                   f"process; set sip_port to a free one") from None

    # -- run ----------------------------------------------------------------------
    def up(self) -> str:
        rootfs.require_root()
        self.build()
        changed = self.install_config()
        if self.pid() is not None:
            if not changed and self._ari_ok():
                return "already up"
            self.down()
        self._check_ports()
        rootfs.mount_pseudo(self.root)
        (self.root / "var" / "run" / "asterisk").mkdir(parents=True, exist_ok=True)
        with open(self.logfile, "ab") as out:
            proc = subprocess.Popen(["chroot", str(self.root), "asterisk", "-f"],
                                    stdout=out, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, start_new_session=True)
        self.pidfile.write_text(str(proc.pid))
        deadline = time.monotonic() + BOOT_TIMEOUT
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise SandboxError(f"Asterisk exited during boot (code {proc.returncode}):\n"
                                   + self.log_tail())
            if self._ari_ok() and self._ami_ok():
                return "started"
            time.sleep(0.2)
        self.down()
        raise SandboxError(f"Asterisk did not answer ARI and AMI within {BOOT_TIMEOUT:.0f}s:\n"
                           + self.log_tail())

    def down(self) -> str:
        pid = self.pid()
        if pid is None:
            rootfs.unmount_pseudo(self.root)
            return "not running"
        with contextlib.suppress(subprocess.SubprocessError, OSError):
            subprocess.run(["chroot", str(self.root), "asterisk", "-rx", "core stop now"],
                           timeout=10, capture_output=True)
        for sig, wait in ((None, 10.0), (signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
            if sig is not None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, sig)
            deadline = time.monotonic() + wait
            while time.monotonic() < deadline and Path(f"/proc/{pid}").exists():
                with contextlib.suppress(ChildProcessError):
                    os.waitpid(pid, os.WNOHANG)
                time.sleep(0.1)
            if not Path(f"/proc/{pid}").exists():
                break
        self.pidfile.unlink(missing_ok=True)
        rootfs.unmount_pseudo(self.root)
        return "stopped"

    def cli(self, command: str) -> str:
        """Run an Asterisk CLI command (``asterisk -rx``) in the sandbox."""
        done = subprocess.run(["chroot", str(self.root), "asterisk", "-rx", command],
                              capture_output=True, text=True, timeout=20)
        return done.stdout

    def log_tail(self, lines: int = 30) -> str:
        out: list[str] = []
        for path in (self.root / "var/log/asterisk/messages.log", self.logfile):
            if path.exists():
                text = path.read_text(errors="replace").splitlines()[-lines:]
                out += [f"--- {path}", *text]
        return "\n".join(out) or "(no Asterisk log yet)"
