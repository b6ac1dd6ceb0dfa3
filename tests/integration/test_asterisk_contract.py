"""The engine's contract with the running Asterisk: every ARI operation the client uses
exists in Asterisk's own API description, and AMI answers the engine's login."""

from __future__ import annotations

import re

import aiohttp
import pytest

from engine.ami.client import AmiClient
from engine.ari.client import basic_auth
from engine.ari.errors import AriError, originator_gone
from engine.ari.operations import OPERATIONS

pytestmark = pytest.mark.integration


async def _api_declarations(settings) -> set[tuple[str, str]]:
    auth = {"Authorization": basic_auth(settings.ari_user, settings.ari_password)}
    base = settings.ari_url.rstrip("/")
    found: set[tuple[str, str]] = set()
    async with aiohttp.ClientSession(headers=auth) as session:
        async with session.get(f"{base}/api-docs/resources.json") as resp:
            assert resp.status == 200
            resources = await resp.json(content_type=None)
        for api in resources["apis"]:
            name = api["path"].rsplit("/", 1)[-1].replace("{format}", "json")
            async with session.get(f"{base}/api-docs/{name}") as resp:
                assert resp.status == 200, name
                declaration = await resp.json(content_type=None)
            for entry in declaration["apis"]:
                for op in entry["operations"]:
                    found.add((op["httpMethod"], entry["path"]))
    return found


def _normalise(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "{}", path)


async def test_every_ari_operation_the_client_uses_exists(engine_settings, sandbox):
    declared = {(m, _normalise(p)) for m, p in await _api_declarations(engine_settings)}
    assert len(declared) > 50, "Asterisk described its API"
    missing = {
        name: op for name, op in OPERATIONS.items() if (op[0], _normalise(op[1])) not in declared
    }
    assert not missing, f"operations not in this Asterisk's /ari/api-docs: {missing}"


async def test_ami_login_and_core_status(engine_settings, sandbox):
    s = engine_settings
    client = AmiClient(s.ami_host, s.ami_port, s.ami_user, s.ami_secret)
    await client.connect()
    try:
        reply = await client.action({"Action": "CoreStatus"})
        assert reply.success
        assert "CoreCurrentCalls" in dict(reply)
    finally:
        client.close()


async def test_ami_refuses_a_wrong_secret(engine_settings, sandbox):
    s = engine_settings
    client = AmiClient(s.ami_host, s.ami_port, s.ami_user, "not-the-secret")
    with pytest.raises(TimeoutError):
        await client.connect(timeout=3)
    client.close()


async def test_an_originate_from_a_channel_that_hung_up_is_read_as_originator_gone(ari):
    """The agent's leg names the caller as originator: if the caller has hung up in the
    meantime, Asterisk refuses the originate, and the engine must tell that from an agent
    it cannot reach (which would be blamed)."""
    with pytest.raises(AriError) as refused:
        await ari.originate(
            "Local/1000@sim-agents/n", app="tenure-contract", originator="gone-caller-0"
        )
    assert originator_gone(refused.value), refused.value
    with pytest.raises(AriError) as other:
        await ari.originate("Nonsense/1000", app="tenure-contract")
    assert not originator_gone(other.value), other.value
