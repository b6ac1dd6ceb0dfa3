"""Real SIP phones for the tests: baresip (Debian) processes on loopback addresses,
driven over its ctrl_tcp socket, each playing its own tone (``ausine``) or a WAV
(``aufile``) and recording what it hears (``sndfile``: ``dump-<time>-dec.wav``).

    phone = Baresip("agents", "127.0.0.2", sip_port, ctrl_port, folder,
                    accounts=[...], source="ausine,1000")
    phone.start(); phone.command("dial", "sip:8100@127.0.0.1:15060"); ...; phone.stop()

(``tests/boxes.py`` ``Phone`` is one of these: an agent phone registered on a box.)

And the frequency check of a received recording (Goertzel).
"""

from __future__ import annotations

import contextlib
import json
import math
import shutil
import socket
import struct
import subprocess
import threading
import time
import wave
from pathlib import Path
from typing import Any

MODULES = ("g711", "g722", "opus", "ausine", "aufile", "sndfile", "account", "menu", "ctrl_tcp")
APPS = ("account", "menu", "ctrl_tcp")  # loaded with module_app, after the others


def require() -> str:
    """The baresip binary; the run fails (never skips) without it."""
    found = shutil.which("baresip")
    if found is None:
        raise RuntimeError(
            "baresip is not installed: the real-phone tests need it "
            "(apt-get install baresip; scripts/bootstrap-host.sh installs it)"
        )
    return found


class Baresip:
    def __init__(
        self,
        name: str,
        addr: str,
        sip_port: int,
        ctrl_port: int,
        folder: Path,
        accounts: list[str],
        source: str,
        rtp: tuple[int, int],
        srate: int = 48000,
        modules: tuple[str, ...] = MODULES,
    ) -> None:
        self.name, self.addr, self.sip_port, self.ctrl_port = name, addr, sip_port, ctrl_port
        self.folder = folder / name
        self.records = self.folder / "records"
        self.accounts = accounts
        self.source = source
        self.srate = srate
        self.rtp = rtp
        self.modules = modules
        self.proc: subprocess.Popen[bytes] | None = None
        self.sock: socket.socket | None = None
        self.events: list[dict[str, Any]] = []
        self.responses: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._reader: threading.Thread | None = None

    def _config(self) -> str:
        lines = [
            "poll_method epoll",
            f"sip_listen {self.addr}:{self.sip_port}",
            "call_local_timeout 120",
            "call_max_calls 4",
            "audio_buffer 20",
            f"audio_source {self.source}",
            "audio_alert none,none",
            "audio_player none,none",
            f"ausrc_srate {self.srate}",
            "ausrc_channels 2" if self.source.startswith("ausine") else "ausrc_channels 1",
            "rtp_stats no",
            "jitter_buffer_delay 5-10",
            f"rtp_ports {self.rtp[0]}-{self.rtp[1]}",
            "module_path /usr/lib/baresip/modules",
            *(f"module {m}.so" for m in self.modules if m not in APPS),
            *(f"module_app {m}.so" for m in APPS if m in self.modules),
            f"ctrl_tcp_listen {self.addr}:{self.ctrl_port}",
        ]
        if "sndfile" in self.modules:
            lines.append(f"snd_path {self.records}")
        return "\n".join(lines) + "\n"

    def start(self, timeout: float = 10.0) -> None:
        binary = require()
        self.folder.mkdir(parents=True, exist_ok=True)
        self.records.mkdir(exist_ok=True)
        (self.folder / "config").write_text(self._config())
        (self.folder / "accounts").write_text("\n".join(self.accounts) + "\n")
        (self.folder / "contacts").write_text("")
        log = open(self.folder / "baresip.log", "wb")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [binary, "-f", str(self.folder)],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"baresip {self.name} exited:\n{self.log()}")
            with contextlib.suppress(OSError):
                self.sock = socket.create_connection((self.addr, self.ctrl_port), timeout=1)
                break
            time.sleep(0.1)
        if self.sock is None:
            self.stop()
            raise RuntimeError(f"baresip {self.name}: no ctrl_tcp on {self.ctrl_port}")
        self.sock.settimeout(None)
        self._reader = threading.Thread(target=self._read, args=(self.sock,), daemon=True)
        self._reader.start()

    def log(self) -> str:
        path = self.folder / "baresip.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""

    def _read(self, sock: socket.socket) -> None:
        buf = b""
        while True:
            try:
                chunk = sock.recv(65536)
            except OSError:
                return
            if not chunk:
                return
            buf += chunk
            while b":" in buf:
                size, _, rest = buf.partition(b":")
                if not size.isdigit() or len(rest) < int(size) + 1:
                    break
                body, buf = rest[: int(size)], rest[int(size) + 1 :]
                with contextlib.suppress(ValueError):
                    msg = json.loads(body)
                    with self._lock:
                        (self.events if msg.get("event") else self.responses).append(msg)

    def command(self, command: str, params: str = "") -> None:
        assert self.sock is not None
        body = json.dumps({"command": command, "params": params, "token": command}).encode()
        self.sock.sendall(str(len(body)).encode() + b":" + body + b",")

    def seen(self, kind: str) -> list[dict[str, Any]]:
        with self._lock:
            return [e for e in self.events if e.get("type") == kind]

    def clear(self) -> None:
        with self._lock:
            self.events.clear()
        for wav in self.records.glob("*.wav"):
            wav.unlink()

    def received(self) -> Path | None:
        """The recording of what this phone heard on its last call."""
        found = sorted(self.records.glob("dump-*-dec.wav"))
        return found[-1] if found else None

    def stop(self) -> None:
        if self.sock is not None:
            with contextlib.suppress(OSError):
                self.command("quit")
            with contextlib.suppress(OSError):
                self.sock.close()
            self.sock = None
        if self.proc is not None and self.proc.poll() is None:
            try:
                self.proc.wait(3)
            except subprocess.TimeoutExpired:
                self.proc.terminate()
                try:
                    self.proc.wait(3)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
        self.proc = None


def samples(path: Path, skip: float = 0.5) -> tuple[list[float], int]:
    """Mono samples (first channel) of a 16-bit WAV, the first ``skip`` seconds dropped."""
    with wave.open(str(path)) as w:
        rate, channels, width = w.getframerate(), w.getnchannels(), w.getsampwidth()
        raw = w.readframes(w.getnframes())
    if width != 2:
        raise ValueError(f"{path}: {width * 8}-bit samples, expected 16")
    values = struct.unpack(f"<{len(raw) // 2}h", raw)[::channels]
    return [v / 32768.0 for v in values[int(skip * rate) :]], rate


def tone_power(values: list[float], rate: int, freq: float) -> float:
    """Goertzel: the share of the signal's energy at ``freq`` (0..1)."""
    if not values:
        return 0.0
    coeff = 2 * math.cos(2 * math.pi * freq / rate)
    s1 = s2 = 0.0
    for v in values:
        s1, s2 = v + coeff * s1 - s2, s1
    power = s1 * s1 + s2 * s2 - coeff * s1 * s2
    energy = sum(v * v for v in values)
    return power / (energy * len(values) / 2) if energy > 0 else 0.0


def hears(path: Path | None, freq: float, last: float = 1.5) -> dict[str, float]:
    """What a recording holds in its ``last`` seconds (the final 0.3 s, the hang-up,
    left out): seconds of audio, RMS level, and the energy share of ``freq``."""
    if path is None or not path.exists():
        return {"seconds": 0.0, "rms": 0.0, "tone": 0.0}
    values, rate = samples(path, skip=0.0)
    end = len(values) - int(0.3 * rate)
    window = values[max(0, end - int(last * rate)) : end]
    rms = math.sqrt(sum(v * v for v in window) / len(window)) if window else 0.0
    return {
        "seconds": round(len(values) / rate, 2),
        "rms": round(rms, 4),
        "tone": round(tone_power(window, rate, freq), 3),
    }
