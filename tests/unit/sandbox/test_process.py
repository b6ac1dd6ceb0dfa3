"""Starting a helper server: ready, exited at start (its log says why), or never ready."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.sandbox.process import reap, start_server


class Broken(RuntimeError):
    pass


def test_a_server_that_answers_is_returned_running(tmp_path):
    flag = tmp_path / "up"
    proc = start_server(
        ["sh", "-c", f"touch {flag}; exec sleep 30"],
        tmp_path / "s.log",
        flag.exists,
        name="sleeper",
        error=Broken,
        timeout=10,
    )
    assert proc.poll() is None
    proc.terminate()
    reap(proc)


def test_a_server_that_exits_at_start_says_why(tmp_path):
    with pytest.raises(Broken, match=r"(?s)bad exited at start:.*port 1 is taken"):
        start_server(
            ["sh", "-c", "echo 'port 1 is taken'; exit 3"],
            tmp_path / "s.log",
            lambda: False,
            name="bad",
            error=Broken,
            timeout=10,
        )


def test_a_server_that_never_answers_is_stopped(tmp_path):
    pid = tmp_path / "pid"
    with pytest.raises(Broken, match=r"mute did not answer in 0\.3s"):
        start_server(
            ["sh", "-c", f"echo $$ > {pid}; exec sleep 30"],
            tmp_path / "s.log",
            lambda: False,
            name="mute",
            error=Broken,
            timeout=0.3,
        )
    if pid.exists():  # it got as far as starting: it was stopped and reaped
        assert not Path(f"/proc/{pid.read_text().strip()}").exists()
