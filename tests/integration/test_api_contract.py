"""The API's description and figures against the real engine (issue 14 item 5): the OpenAPI
3.1 document covers every route, bodies are validated against it, a schemathesis fuzz of
the whole API gets no 5xx, and /metrics answers Prometheus text."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import inspect

from tests.storedb import query

pytestmark = pytest.mark.integration
ST = Path(sys.executable).with_name("st")


def _url(engine, path: str) -> str:  # type: ignore[no-untyped-def]
    return f"http://{engine.settings.http_host}:{engine.settings.http_port}{path}"


def _auth(engine) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {"Authorization": f"Bearer {engine.settings.api_token}"}


async def test_openapi_describes_every_route_and_bodies_are_checked(engine):
    async with aiohttp.ClientSession() as http:
        async with http.get(_url(engine, "/openapi.json")) as resp:
            assert resp.status == 200
            doc = await resp.json()
        assert doc["openapi"] == "3.1.0"
        routes = {
            (r.method.lower(), r.resource.canonical)
            for r in engine.http.router.routes()
            if r.method not in ("HEAD", "*") and not r.resource.canonical.startswith("/static")
        }
        described = {(m, p) for p, ops in doc["paths"].items() for m in ops}
        assert routes == described
        assert doc["paths"]["/agents/{agent_id}/{action}"]["post"]["parameters"][1]["schema"] == {
            "enum": ["login", "logout", "unpause"]
        }
        async with http.get(_url(engine, "/docs")) as resp:
            assert resp.status == 200 and "/desk/disposition" in await resp.text()
        bad = {"call_id": "c1", "outcome": "maybe"}
        async with http.post(
            _url(engine, "/desk/disposition"), json=bad, headers=_auth(engine)
        ) as resp:
            assert resp.status == 400
            body = await resp.json()
            assert body["error_id"] == "invalid-request" and body["details"]["field"] == "outcome"
        async with http.post(
            _url(engine, "/dialer/dnc"), json={"numbers": "123"}, headers=_auth(engine)
        ) as resp:
            assert resp.status == 400 and (await resp.json())["details"]["field"] == "numbers"


async def test_metrics_are_prometheus_text(engine):
    async with aiohttp.ClientSession() as http:
        async with http.get(_url(engine, "/metrics")) as resp:
            assert resp.status == 401
        async with http.get(_url(engine, "/metrics"), headers=_auth(engine)) as resp:
            assert resp.status == 200 and resp.content_type == "text/plain"
            text = await resp.text()
    assert 'tenure_agents{state="available"} 4.0' in text
    assert 'tenure_queue_waiting{queue="billing"} 0.0' in text
    for name in ("tenure_calls_live", "tenure_speech_legs", "tenure_speech_lag_seconds"):
        assert f"# TYPE {name} gauge" in text


async def _fuzz(engine, folder: Path, token: str, *extra: str) -> None:  # type: ignore[no-untyped-def]
    """``st run`` in ``folder`` (a test's tmp_path): schemathesis keeps its cache and crash
    files in ``.schemathesis/`` of its working folder, never in the repository."""
    proc = await asyncio.create_subprocess_exec(
        str(ST),
        "run",
        _url(engine, "/openapi.json"),
        "--header",
        f"Authorization: Bearer {token}",
        "--checks",
        "not_a_server_error",
        "--max-examples",
        os.environ.get("TENURE_FUZZ_EXAMPLES", "8"),
        "--exclude-path",
        "/events",
        "--request-timeout",
        "10",
        "--generation-deterministic",
        "--no-color",
        *extra,
        cwd=folder,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(proc.communicate(), 600)
    report = out.decode(errors="replace")
    print(report[-1500:])
    assert proc.returncode == 0, report[-6000:]


def _snapshot(db) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Every table's rows, hashed: any insert, update or delete changes it."""
    return {
        t: hash(
            tuple(sorted(tuple(map(repr, r.values())) for r in query(db, f"SELECT * FROM {t}")))
        )
        for t in inspect(db).get_table_names()
    }


async def test_fuzzing_the_api_finds_no_server_error(engine, tmp_path):
    """schemathesis generates requests from /openapi.json (valid and invalid bodies, odd
    path parameters) and checks that none gets a 5xx. The event stream is left out (it
    never ends by design)."""
    await _fuzz(engine, tmp_path, engine.settings.api_token)
    assert (tmp_path / ".schemathesis").is_dir()  # its cache went there


async def test_refused_requests_touch_no_data(engine, tmp_path):
    """Fuzzed requests that are refused change nothing in SQLite: every route with a
    wrong token, and invalid bodies (schemathesis' negative mode) with the right one."""
    before = await engine.db.run(_snapshot)
    await _fuzz(engine, tmp_path, "not-the-token")
    await _fuzz(
        engine,
        tmp_path,
        engine.settings.api_token,
        "--mode",
        "negative",
        "--include-method",
        "POST",
        "--include-path-regex",
        "^/(desk/disposition|dialer/campaigns|dialer/dnc|me/settings|login"
        "|profiles/events/batch|wallboard/calls/.*)$",
    )
    assert await engine.db.run(_snapshot) == before
