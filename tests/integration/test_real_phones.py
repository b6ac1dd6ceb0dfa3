"""Real SIP phones and a real carrier trunk (issue 15, parts 1-3), on the sandbox.

Three baresip processes on loopback addresses, started once for this module:
- ``agents`` (127.0.0.2) registers agent 1001 (G.711/G.722) and 1002 (G.722 only) and
  answers by itself; it plays a 1000 Hz tone;
- ``caller`` (127.0.0.3) calls in over the IP-authenticated trunk ``carrier`` of
  skills/trunks.yaml, presses 1 in the IVR; it plays a 440 Hz tone;
- ``customer`` (127.0.0.4) is the carrier's far end for the dialer: it answers, says a
  short "hello" (a 600 Hz burst) and stays silent, as a person does.
Each side records what it hears; a Goertzel check on each recording says whether the
other side's tone arrived. Agent 1003's phone never registers: it is never offered.
"""

from __future__ import annotations

import asyncio
import math
import shutil
import struct
import time
import wave
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.settings import Settings
from tests import storedb
from tests.integration.baresip import Baresip, hears
from tests.integration.dialer_helpers import new_campaign, open_api
from tests.integration.helpers import place_caller, sim_globals, wait_for

pytestmark = pytest.mark.integration

SKILLS = Path(__file__).with_name("phones_skills")
AGENT_TONE, CALLER_TONE, HELLO_TONE = 1000.0, 440.0, 600.0
CUSTOMER_NUMBER = "15550001"
TALK = 2.0  # seconds both sides play their tone to each other
HEARD = 0.2  # a tone's share of the received energy (a clean tone: about 0.9)


def _hello_wav(path: Path, rate: int = 8000) -> Path:
    """0.3 s silence, 0.7 s "hello" (600 Hz), then 6 s of silence."""
    frames = [0.0] * int(0.3 * rate)
    frames += [0.5 * math.sin(2 * math.pi * HELLO_TONE * n / rate) for n in range(int(0.7 * rate))]
    frames += [0.0] * int(6 * rate)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(b"".join(struct.pack("<h", int(v * 32767)) for v in frames))
    return path


class Phones:
    def __init__(self, settings: Settings, folder: Path) -> None:
        base = settings.media_port_end - 99  # the last 100 ports of the media range
        self.sip = f"127.0.0.1:{settings.sip_port}"
        password = settings.sip_agent_password
        self.agents = Baresip(
            "agents",
            "127.0.0.2",
            base,  # SIP on udp/tcp base, tls base + 1
            base + 10,  # ctrl_tcp
            folder,
            accounts=[
                f"<sip:1001@{self.sip}>;auth_pass={password};answermode=auto;regint=60",
                f"<sip:1002@{self.sip}>;auth_pass={password};answermode=auto;regint=60"
                ";audio_codecs=G722/16000/1",
            ],
            source=f"ausine,{AGENT_TONE:g}",
            rtp=(base + 20, base + 39),
        )
        self.caller = Baresip(
            "caller",
            "127.0.0.3",
            base + 2,
            base + 11,
            folder,
            accounts=["<sip:13800000001@127.0.0.3>;regint=0;answermode=manual"],
            source=f"ausine,{CALLER_TONE:g}",
            rtp=(base + 40, base + 59),
        )
        hello = _hello_wav(folder / "hello.wav")
        self.customer = Baresip(
            "customer",
            "127.0.0.4",
            base + 4,
            base + 12,
            folder,
            accounts=[f"<sip:{CUSTOMER_NUMBER}@127.0.0.4>;regint=0;answermode=auto"],
            source=f"aufile,{hello}",
            srate=8000,
            rtp=(base + 60, base + 79),
        )
        self.all = (self.agents, self.caller, self.customer)

    def trunks_yaml(self, dids: list[str]) -> str:
        return (
            "trunks:\n"
            "  carrier:\n"
            f"    host: {self.customer.addr}\n"
            f"    port: {self.customer.sip_port}\n"
            "    auth: ip\n"
            f"    match: [{self.caller.addr}, {self.customer.addr}]\n"
            f"    dids: [{', '.join(repr(d) for d in dids)}]\n"
            "    caller_id: '8000'\n"
            "    codecs: [ulaw, alaw]\n"
        )


@pytest.fixture(scope="module")
def phones(engine_settings: Settings, sandbox, tmp_path_factory) -> Iterator[Phones]:
    folder = tmp_path_factory.mktemp("phones")
    ph = Phones(engine_settings, folder)
    try:
        for phone in ph.all:
            phone.start()
        yield ph
    finally:
        for phone in ph.all:
            phone.stop()


@pytest.fixture
def skills_dir(phones: Phones, tmp_path: Path) -> Path:
    folder = tmp_path / "skills"
    shutil.copytree(SKILLS, folder)
    (folder / "trunks.yaml").write_text(phones.trunks_yaml(["8000", "8300", "8400"]))
    return folder


@pytest.fixture
async def phone_engine(engine_factory, skills_dir: Path):
    return await engine_factory(
        skills_dir=str(skills_dir),
        hold_music="",
        offer_pause_seconds=2.0,
        dialer_trunk="carrier",
        dialer_queue="general",
    )


async def agent(engine, agent_id: str) -> dict:
    return next(a for a in await engine.router.presence.list() if a["id"] == agent_id)


async def registered(engine, *ids: str) -> None:
    async def check() -> bool:
        return all([(await agent(engine, i))["registered"] for i in ids])

    await wait_for(check, timeout=20, what=f"agents {ids} registered")


async def until(phone: Baresip, kind: str, count: int = 1, timeout: float = 15.0) -> None:
    await wait_for(
        lambda: len(phone.seen(kind)) >= count, timeout=timeout, what=f"{phone.name} {kind}"
    )


async def media_path(ari, agent_id: str) -> dict[str, str]:
    """How the connected call runs in Asterisk: the bridge's technology and who is in it
    (the phone answers a moment before the engine bridges it)."""

    async def found() -> dict[str, str] | None:
        names = {c["id"]: c["name"] for c in await ari.channels()}
        for b in await ari.bridges():
            members = [names.get(c, "") for c in b["channels"]]
            if len(members) == 2 and any(m.startswith(f"PJSIP/{agent_id}-") for m in members):
                return {"technology": b["technology"], "members": " ".join(sorted(members))}
        return None

    return await wait_for(found, timeout=5, what=f"a bridge with {agent_id}'s phone")


async def one_call(ph: Phones, did: str, keys: str = "", during=None) -> dict[str, dict]:
    """The caller dials ``did`` over the trunk (pressing ``keys`` once answered), the agent
    phone answers, both play their tone for ``TALK`` s, the caller hangs up. What each
    side heard of the other's tone over the connected call (and what ``during`` returns,
    called once both are connected)."""
    ph.caller.clear()
    ph.agents.clear()
    ph.caller.command("dial", f"sip:{did}@{ph.sip}")
    await until(ph.caller, "CALL_ESTABLISHED")
    if keys:
        await asyncio.sleep(1.0)  # the menu's prompt
        for key in keys:
            ph.caller.command("sndcode", key)
            await asyncio.sleep(0.2)
            ph.caller.command("sndcode", "")  # key released
    await until(ph.agents, "CALL_ESTABLISHED")
    seen = await during() if during is not None else None
    await asyncio.sleep(TALK)
    ph.caller.command("hangup")
    await until(ph.caller, "CALL_CLOSED")
    await until(ph.agents, "CALL_CLOSED")
    await asyncio.sleep(0.3)  # recordings closed
    return {
        "agent heard": hears(ph.agents.received(), CALLER_TONE, last=TALK - 0.8),
        "caller heard": hears(ph.caller.received(), AGENT_TONE, last=TALK - 0.8),
        "during": seen,
    }


def two_way(heard: dict[str, dict]) -> bool:
    return heard["agent heard"]["tone"] > HEARD and heard["caller heard"]["tone"] > HEARD


async def test_callers_over_the_trunk_reach_a_registered_phone_with_two_way_audio(
    phones, phone_engine, skills_dir, ari
):
    engine = phone_engine
    await registered(engine, "1001", "1002")
    assert not (await agent(engine, "1003"))["registered"]
    assert not (await agent(engine, "1003"))["offerable"]
    results = []
    for n in range(10):

        async def during(n: int = n) -> dict[str, str]:
            path = await media_path(ari, "1001")
            if n == 4:  # a trunk edit applied by a PJSIP reload while this call is connected
                before = engine.phones.applied
                (skills_dir / "trunks.yaml").write_text(
                    phones.trunks_yaml(["8000", "8300", "8400", "8500"])
                )
                assert await engine.reload_skills()
                assert engine.phones.applied == before + 1
                etc = Path(engine.settings.sandbox_dir) / "rootfs/etc/asterisk"
                assert "exten => 8500," in (etc / "extensions_trunks.conf").read_text()
            return path

        results.append(await one_call(phones, "8000", keys="1", during=during))
    report = [
        f"call {n + 1}: agent heard {r['agent heard']['tone']:.2f}, caller heard "
        f"{r['caller heard']['tone']:.2f}, bridge {r['during']['technology']}"
        for n, r in enumerate(results)
    ]
    print("\n".join(report))
    assert sum(two_way(r) for r in results) == 10, report
    # through the core, never native RTP forwarding; the caller came in on the trunk
    assert {r["during"]["technology"] for r in results} == {"simple_bridge"}, report
    assert all("PJSIP/carrier-" in r["during"]["members"] for r in results), results
    records = (await engine.records.recent(100))[:10]
    assert {r["agent_id"] for r in records} == {"1001"}, "1003 (unregistered) never offered"
    a1003 = await agent(engine, "1003")
    assert (a1003["handled"], a1003["state"]) == (0, "available")


async def test_a_g722_only_phone_connects_and_hears(phones, phone_engine, sandbox, ari):
    await registered(phone_engine, "1002")
    codecs: list[str] = []

    async def codec() -> dict[str, str]:
        channels = [c["name"] for c in await ari.channels() if c["name"].startswith("PJSIP/1002")]
        codecs.append(sandbox.cli(f"core show channel {channels[0]}"))
        return await media_path(ari, "1002")

    loaded = sandbox.cli("module show like codec_")
    assert "codec_g722.so" in loaded and "codec_opus_open_source.so" in loaded, loaded
    heard = await one_call(phones, "8300", during=codec)
    assert "g722" in codecs[0].split("NativeFormats:", 1)[1].splitlines()[0], codecs[0]
    assert two_way(heard), heard


async def test_a_number_not_among_the_trunks_dids_is_refused(phones, phone_engine):
    before = len(await phone_engine.records.recent(100))
    phones.caller.clear()
    phones.caller.command("dial", f"sip:8999@{phones.sip}")
    await until(phones.caller, "CALL_CLOSED")
    assert not phones.caller.seen("CALL_ESTABLISHED")
    assert len(await phone_engine.records.recent(100)) == before


async def test_the_dialer_calls_out_through_the_trunk_and_amd_classifies(phones, phone_engine):
    engine = phone_engine
    await registered(engine, "1001")
    phones.customer.clear()
    phones.agents.clear()
    async with open_api(engine) as api:
        cid = await new_campaign(
            api, "through the trunk", "progressive", f"{CUSTOMER_NUMBER},c-1,UTC,1,Customer\n"
        )
        await api.call("POST", f"/dialer/campaigns/{cid}/start")
        await until(phones.customer, "CALL_ESTABLISHED", timeout=20)

        def attempts(db):
            return storedb.query(
                db,
                "SELECT amd_status, amd_cause, outcome, agent_id FROM attempts "
                "WHERE campaign_id = ?",
                cid,
            )

        async def classified():
            rows = await engine.db.run(attempts)
            return rows if rows and rows[0]["amd_status"] else None

        rows = await wait_for(classified, timeout=20, what="AMD's verdict")
        await api.call("POST", f"/dialer/campaigns/{cid}/stop")
    print(f"AMD: {rows[0]['amd_status']} ({rows[0]['amd_cause']})")
    # a short "hello" then silence: a person, as AMD hears it
    assert rows[0]["amd_status"] == "HUMAN", rows
    incoming = phones.customer.seen("CALL_ESTABLISHED")[0]
    assert "8000" in str(incoming), incoming  # the trunk's caller ID
    phones.customer.command("hangup")
    await until(phones.customer, "CALL_CLOSED")


async def test_a_rejected_offer_pause_ends_by_itself(phone_engine, ari):
    engine = phone_engine
    async with sim_globals(ari, {"SIM_AGENT_2001_MODE": "busy"}):
        channel = await place_caller(ari, "8400", "13900000001", hold=30)

        async def paused():
            a = await agent(engine, "2001")
            return a if (a["state"], a["reason"]) == ("paused", "busy") else None

        await wait_for(paused, timeout=15, what="2001 paused by the rejected offer")
        paused_seen = time.monotonic()
        await ari.hangup(channel)

        async def available():
            return (await agent(engine, "2001"))["state"] == "available"

        await wait_for(available, timeout=10, what="2001 available again by itself")
    assert time.monotonic() - paused_seen >= 1.5  # offer_pause_seconds = 2


async def test_a_phone_that_unregisters_is_not_offered_until_it_is_back(phones, phone_engine):
    """Live registration (AMI ContactStatus / device state), not only the start's sync."""
    engine = phone_engine
    await registered(engine, "1002")
    aor = f"sip:1002@{phones.sip}"
    phones.agents.command("uadel", aor)

    async def gone() -> bool:
        a = await agent(engine, "1002")
        return not a["registered"] and not a["offerable"]

    await wait_for(gone, timeout=10, what="1002 unregistered")
    phones.caller.clear()
    phones.agents.clear()
    phones.caller.command("dial", f"sip:8300@{phones.sip}")  # the wideband queue: 1002 only
    await until(phones.caller, "CALL_ESTABLISHED")
    await asyncio.sleep(2.0)
    assert not phones.agents.seen("CALL_INCOMING"), "an unregistered phone was rung"
    assert (await agent(engine, "1002"))["state"] == "available"
    phones.agents.command("uanew", phones.agents.accounts[1])
    await registered(engine, "1002")
    await until(phones.agents, "CALL_ESTABLISHED", timeout=10)  # the waiting call, offered now
    phones.caller.command("hangup")
    await until(phones.caller, "CALL_CLOSED")
    await until(phones.agents, "CALL_CLOSED")
