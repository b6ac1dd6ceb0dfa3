"""The sandbox Asterisk: the engine's configuration installed into the cached root
filesystem, Asterisk run in a chroot on loopback ports, stopped cleanly.

    box = Sandbox(settings); box.up(); ...; box.down()

``up`` is idempotent: a running sandbox with the same configuration is left alone;
a changed configuration (new credentials, ports...) is installed and Asterisk restarted.
Commands on one sandbox folder are serialised with a file lock.
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

from engine.phones import pjsip
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
        # Inside the rootfs, so a rebuilt rootfs never passes for a configured one.
        self.config_stamp = self.root / "etc" / "asterisk" / ".tenure-config.sha256"

    @property
    def sounds_dir(self) -> Path:
        """Host path of the folder the sim dialplan plays ``tenure/<name>`` from."""
        return self.root / "usr" / "share" / "asterisk" / "sounds" / "tenure"

    @property
    def messages_log(self) -> Path:
        return self.root / "var" / "log" / "asterisk" / "messages.log"

    # -- state --------------------------------------------------------------------
    def _ours(self, pid: int) -> bool:
        """Is ``pid`` an Asterisk running inside this sandbox's root filesystem?"""
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            return (
                argv[0] == b"asterisk"
                and b"-f" in argv  # not an `asterisk -rx`
                and Path(os.readlink(f"/proc/{pid}/root")) == self.root.resolve()
            )
        except OSError:
            return False

    def pid(self) -> int | None:
        """Asterisk's pid: from the pid file, else found in /proc (a lost pid file)."""
        with contextlib.suppress(OSError, ValueError):
            pid = int(self.pidfile.read_text())
            if self._ours(pid):
                return pid
        if not self.root.is_dir():
            return None
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit() and self._ours(int(entry.name)):
                return int(entry.name)
        return None

    def _ari_ok(self) -> bool:
        s = self.settings
        token = base64.b64encode(f"{s.ari_user}:{s.ari_password}".encode()).decode()
        req = urllib.request.Request(
            f"{s.ari_url.rstrip('/')}/asterisk/info", headers={"Authorization": f"Basic {token}"}
        )
        try:
            with urllib.request.urlopen(req, timeout=2) as resp:
                return bool(resp.status == 200)
        except (urllib.error.URLError, OSError):
            return False

    def _ami_ok(self) -> bool:
        try:
            with socket.create_connection(
                (self.settings.ami_host, self.settings.ami_port), timeout=2
            ) as sock:
                return sock.recv(64).startswith(b"Asterisk Call Manager")
        except OSError:
            return False

    def _fully_booted(self) -> bool:
        try:
            done = subprocess.run(
                ["chroot", str(self.root), "asterisk", "-rx", "core waitfullybooted"],
                capture_output=True,
                text=True,
                timeout=5,
            )
        except subprocess.TimeoutExpired:
            return False
        return done.returncode == 0 and "fully booted" in done.stdout

    def status(self) -> dict[str, Any]:
        built = self.root.is_dir() and (self.dir / "rootfs.stamp").exists()
        pid = self.pid()
        return {
            "rootfs": str(self.root) if built else None,
            "rootfs_current": rootfs.is_current(self.dir, self.settings.sandbox_mirror),
            "asterisk": rootfs.asterisk_version(self.root) if built else None,
            "running": pid is not None,
            "pid": pid,
            "ari": pid is not None and self._ari_ok(),
            "ami": pid is not None and self._ami_ok(),
        }

    # -- build and configure -------------------------------------------------------
    def build(self, force: bool = False) -> bool:
        """Build the root filesystem if needed; a sandbox running from a stale one is
        stopped first."""
        with rootfs.locked(self.dir):
            return self._build(force)

    def _build(self, force: bool) -> bool:
        if not force and rootfs.is_current(self.dir, self.settings.sandbox_mirror):
            return False
        if self.pid() is not None:
            self._down()
        return rootfs.build(self.dir, self.settings.sandbox_mirror, force=True)

    def install_config(self) -> bool:
        """Write the rendered configuration and sounds; True if Asterisk must restart
        for it (trunk files alone are applied by a reload: ``apply_trunks``)."""
        files = config.render(self.settings)
        want = config.digest({k: v for k, v in files.items() if k not in pjsip.TRUNK_FILES})
        if self.config_stamp.exists() and self.config_stamp.read_text() == want:
            render.install_prompts(self.settings, self.sounds_dir)  # an edited question
            return False
        render.install(self.settings, self.root / "etc" / "asterisk", self.sounds_dir)
        self.config_stamp.write_text(want)
        return True

    def apply_trunks(self) -> bool:
        """Write changed trunk files (skills/trunks.yaml) and reload PJSIP and the
        dialplan in the running Asterisk: calls in progress continue. True if changed."""
        etc = self.root / "etc" / "asterisk"
        files = config.render(self.settings)
        changed = False
        for name in pjsip.TRUNK_FILES:
            path = etc / name
            if not path.exists() or path.read_text() != files[name]:
                path.write_text(files[name])
                path.chmod(0o640)
                changed = True
        if changed and self.pid() is not None:
            self.cli("module reload res_pjsip.so")
            self.cli("dialplan reload")
        return changed

    def _hosts(self) -> None:
        """The chroot resolves the machine's own name (Asterisk looks it up on calls)."""
        name = socket.gethostname()
        hosts = self.root / "etc" / "hosts"
        want = f"127.0.0.1\tlocalhost\n127.0.1.1\t{name}\n::1\tlocalhost ip6-localhost\n"
        with contextlib.suppress(OSError):
            if not hosts.exists() or name not in hosts.read_text().split():
                hosts.write_text(want)

    def _check_ports(self) -> None:
        s = self.settings
        for kind, host, port in (
            ("ARI/HTTP", s.ari_host, s.ari_port),
            ("AMI", s.ami_host, s.ami_port),
        ):
            with socket.socket() as sock:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                try:
                    sock.bind((host, port))
                except OSError:
                    raise SandboxError(
                        f"{kind} port {host}:{port} is already taken by another process "
                        f"(see `ss -ltnp 'sport = :{port}'`); stop it or choose another "
                        f"port in the settings"
                    ) from None
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            try:
                udp.bind((s.sip_host, s.sip_port))
            except OSError:
                raise SandboxError(
                    f"SIP port udp/{s.sip_port} is already taken by another "
                    f"process (see `ss -lunp 'sport = :{s.sip_port}'`); "
                    f"set sip_port to a free one"
                ) from None

    # -- run ----------------------------------------------------------------------
    def up(self) -> str:
        """Build (cached), configure and start; returns "started", "restarted" (the
        configuration changed), "trunks reloaded" (only skills/trunks.yaml did) or
        "already up"."""
        rootfs.require_root()
        config.render(self.settings)  # missing secrets: fail before building
        with rootfs.locked(self.dir):
            self._build(force=False)
            changed = self.install_config()
            outcome = "started"
            if self.pid() is not None:
                if not changed and self._ari_ok():
                    return "trunks reloaded" if self.apply_trunks() else "already up"
                self._down()
                outcome = "restarted"
            self._start()
            return outcome

    def _start(self) -> None:
        self._check_ports()
        self._hosts()
        rootfs.mount_pseudo(self.root)
        (self.root / "var" / "run" / "asterisk").mkdir(parents=True, exist_ok=True)
        with open(self.logfile, "ab") as out:
            out.write(f"\n=== {time.strftime('%F %T')} sandbox up\n".encode())
            out.flush()
            proc = subprocess.Popen(
                ["chroot", str(self.root), "asterisk", "-f"],
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        self.pidfile.write_text(str(proc.pid))
        deadline = time.monotonic() + BOOT_TIMEOUT
        booted = False
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                self._down()
                raise SandboxError(
                    f"Asterisk exited during boot (code {proc.returncode}):\n" + self.log_tail()
                )
            booted = booted or self._fully_booted()
            if booted and self._ari_ok() and self._ami_ok():
                return
            time.sleep(0.2)
        self._down()
        raise SandboxError(
            f"Asterisk did not boot and answer ARI and AMI within "
            f"{BOOT_TIMEOUT:.0f}s:\n" + self.log_tail()
        )

    def down(self) -> str:
        rootfs.require_root()
        with rootfs.locked(self.dir):
            return self._down()

    def _down(self) -> str:
        pid = self.pid()
        if pid is None:
            self.pidfile.unlink(missing_ok=True)
            rootfs.unmount_pseudo(self.root)
            return "not running"
        with contextlib.suppress(subprocess.SubprocessError, OSError):
            subprocess.run(
                ["chroot", str(self.root), "asterisk", "-rx", "core stop now"],
                timeout=10,
                capture_output=True,
            )
        for sig, wait in ((None, 10.0), (signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
            if sig is not None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, sig)
            deadline = time.monotonic() + wait
            while time.monotonic() < deadline and Path(f"/proc/{pid}").exists():
                with contextlib.suppress(ChildProcessError):
                    os.waitpid(pid, os.WNOHANG)  # reap it if we started it
                time.sleep(0.1)
            if not Path(f"/proc/{pid}").exists():
                break
        self.pidfile.unlink(missing_ok=True)
        rootfs.unmount_pseudo(self.root)
        return "stopped"

    def cli(self, command: str) -> str:
        """Run an Asterisk CLI command (``asterisk -rx``) in the running sandbox."""
        done = subprocess.run(
            ["chroot", str(self.root), "asterisk", "-rx", command],
            capture_output=True,
            text=True,
            timeout=20,
        )
        if done.returncode != 0:
            raise SandboxError(
                f"asterisk -rx {command!r} failed: {(done.stderr or done.stdout).strip()}"
            )
        return done.stdout

    def log_tail(self, lines: int = 30) -> str:
        out: list[str] = []
        for path in (self.messages_log, self.logfile):
            if path.exists():
                text = path.read_text(errors="replace").splitlines()[-lines:]
                out += [f"--- {path}", *text]
        return "\n".join(out) or "(no Asterisk log yet)"
