"""Routing against a real redis-server: atomic reservations, restarts, reloads (issue 3).

Uses the session's ``redis_url`` and the per-test flushed ``redis_client`` fixtures.
Time is a fake clock where escalation matters; asyncio sleeps stay real and short.
"""

from __future__ import annotations

import asyncio
import random
import shutil
from pathlib import Path

import pytest
import redis.asyncio as aioredis

from engine.calls.ports import Caller, Offer, RouteRequest
from engine.routing import recovery
from engine.routing.config import load_config
from engine.routing.service import RoutingService

pytestmark = pytest.mark.integration
SKILLS = Path(__file__).resolve().parents[2] / "skills"
ROUTING_FILES = ["agents.yaml", "queues.yaml", "vip.yaml", "knowledge-base.yaml"]


async def wait_for(check, timeout: float = 5.0, what: str = "condition"):
    for _ in range(int(timeout / 0.05)):
        if check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


class Clock:
    def __init__(self) -> None:
        self.t = 1_800_000_000.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def skills_dir(tmp_path: Path) -> Path:
    for name in ROUTING_FILES:
        shutil.copy(SKILLS / name, tmp_path / name)
    return tmp_path


class Harness:
    """A RoutingService whose offers are recorded (the call path's side, simulated)."""

    def __init__(
        self,
        redis: aioredis.Redis,
        skills_dir: Path,
        instance: str = "e1",
        clock: Clock | None = None,
        wrapup: float = 0.0,
        watch: bool = False,
    ) -> None:
        self.clock = clock or Clock()
        self.svc = RoutingService(
            redis,
            load_config(skills_dir),
            prefix="rt",
            ring_timeout=5,
            wrapup_seconds=wrapup,
            clock=self.clock,
            instance=instance,
            skills_dir=skills_dir,
            watch=watch,
        )
        self.offers: list[Offer] = []
        self.svc.set_offer_callback(self._on_offer)

    async def _on_offer(self, offer: Offer) -> None:
        self.offers.append(offer)

    def offer_for(self, call_id: str) -> Offer | None:
        return next((o for o in reversed(self.offers) if o.call_id == call_id), None)

    async def call(
        self,
        call_id: str,
        queue: str,
        lang: str = "en",
        topic: str | None = None,
        caller: Caller | None = None,
    ) -> None:
        await self.svc.enqueue(RouteRequest(call_id, queue, self.clock(), lang, topic, caller))

    async def only(self, *agent_ids: str) -> None:
        """Log everyone out except ``agent_ids``."""
        for agent_id in self.svc.config.agents:
            if agent_id not in agent_ids:
                await self.svc.presence.logout(agent_id)


@pytest.fixture
async def harness(redis_client, skills_dir):
    h = Harness(redis_client, skills_dir)
    await h.svc.start()
    yield h
    await h.svc.stop()


async def test_technical_call_reaches_an_expert(harness):
    await harness.only("1001", "1006", "1008")  # expert, two general agents
    await harness.call("t1", "technical", topic="technical")
    assert harness.offer_for("t1").agent_id == "1001"
    assert harness.offer_for("t1").endpoint == "Local/1001@sim-agents"


async def test_vip_overtakes_earlier_callers_and_reaches_platinum(harness):
    await harness.only()
    for i in range(3):
        await harness.call(f"c{i}", "general")
        harness.clock.t += 1
    await harness.call("vip", "general", caller=Caller("x", value_percentile=99))
    await harness.svc.presence.login("1006")  # general agent: oldest ordinary call
    await harness.svc.match_agent("1006")
    assert harness.offer_for("c0").agent_id == "1006"
    await harness.svc.presence.login("1009")  # platinum: the VIP goes first
    await harness.svc.match_agent("1009")
    assert harness.offer_for("vip").agent_id == "1009"
    assert {"kind": "vip", "tier": "platinum"} in harness.offer_for("vip").hints


async def test_escalation_to_general_agent_with_knowledge_base_hint(harness):
    await harness.only("1006")
    await harness.call("t1", "technical", topic="technical")
    assert harness.offer_for("t1") is None
    harness.clock.t += 61  # step: general agents + KB hint
    await wait_for(lambda: harness.offer_for("t1"), timeout=3, what="escalated offer")
    offer = harness.offer_for("t1")
    assert offer.agent_id == "1006"
    kb = next(h for h in offer.hints if h["kind"] == "knowledge-base")
    assert kb["topic"] == "technical" and kb["language"] == "en" and "router" in kb["text"]


async def test_ring_timeout_pauses_agent_and_caller_goes_to_the_front(harness):
    await harness.only("1006")
    await harness.call("a", "general")
    await harness.call("b", "general")
    await harness.svc.agent_failed("a", "1006", "no-answer")
    agent = await harness.svc.store.agent("1006")
    assert (agent["state"], agent["reason"]) == ("paused", "ring-timeout")
    harness.clock.t += 1
    await harness.call("c", "general", caller=Caller("y", risk_tier="high"))  # boosted
    await harness.svc.presence.unpause("1006")
    await harness.svc.match_agent("1006")
    assert harness.offers[-1].call_id == "a"  # back in front of everyone


async def test_scripts_are_in_redis_before_the_first_call(redis_client, skills_dir):
    """A start loads the routing scripts into Redis's script cache: the first call's
    enqueue and reservation do not meet NOSCRIPT and send their scripts whole."""
    await redis_client.script_flush()
    h = Harness(redis_client, skills_dir)
    await h.svc.start()
    try:
        shas = [script.sha for script in h.svc.store.scripts]
        assert len(shas) == 4 and await redis_client.script_exists(*shas) == [True] * 4
    finally:
        await h.svc.stop()


async def test_wrapup_then_next_call(redis_client, skills_dir):
    h = Harness(redis_client, skills_dir, wrapup=0.3)
    await h.svc.start()
    try:
        await h.only("1006")
        await h.call("a", "general")
        await h.call("b", "general")
        await h.svc.call_connected("a", "1006")
        await h.svc.call_ended("a", "1006")
        assert (await h.svc.store.agent("1006"))["state"] == "wrapup"
        assert h.offer_for("b") is None
        h.clock.t += 0.3
        await wait_for(lambda: h.offer_for("b"), timeout=3, what="offer after wrap-up")
    finally:
        await h.svc.stop()


async def test_cancel_while_ringing_frees_the_agent_and_counts_abandoned(harness):
    await harness.only("1006")
    await harness.call("a", "general")
    await harness.call("b", "general")
    await harness.svc.cancel("a")  # caller hung up while 1006 rang
    assert harness.offer_for("b").agent_id == "1006"
    stats = {q["queue"]: q for q in await _queues(harness)}
    assert stats["general"]["abandoned"] == 1 and stats["general"]["waiting"] == 1


async def test_unregistered_phone_is_not_offered_calls(harness):
    await harness.only("1006")
    await harness.svc.set_device_state("1006", False)
    await harness.call("a", "general")
    assert harness.offer_for("a") is None
    await harness.svc.set_device_state("1006", True)
    await wait_for(lambda: harness.offer_for("a"), timeout=3, what="offer after registration")


async def test_metrics_service_level_and_occupancy(harness):
    await harness.only("1006")
    await harness.call("a", "general")
    harness.clock.t += 5
    await harness.svc.call_connected("a", "1006")
    harness.clock.t += 5
    general = next(q for q in await _queues(harness) if q["queue"] == "general")
    assert (general["answered"], general["service_level"], general["waiting"]) == (1, 100.0, 0)
    agent = next(a for a in await harness.svc.presence.list() if a["id"] == "1006")
    assert agent["state"] == "on_call" and 0 < agent["occupancy"] <= 1


async def test_broken_yaml_is_refused_and_routing_goes_on(harness, skills_dir):
    version = harness.svc.config.version
    queues = skills_dir / "queues.yaml"
    queues.write_text(queues.read_text().replace("skills: {general: 1}", "skills: {general: 11}"))
    assert await harness.svc.reload_now() is False
    assert harness.svc.config.version == version
    assert harness.svc.reload_errors[0].startswith(f"{queues}:")
    await harness.only("1006")
    await harness.call("a", "general")  # still routed by the last good config
    assert harness.offer_for("a").agent_id == "1006"
    queues.write_text(queues.read_text().replace("{general: 11}", "{general: 4}"))
    assert await harness.svc.reload_now() is True
    assert harness.svc.config.queues["general"].skills == (("general", 4),)


async def test_file_watcher_reloads_on_change(redis_client, skills_dir):
    h = Harness(redis_client, skills_dir, watch=True)
    await h.svc.start()
    try:
        await asyncio.sleep(0.3)
        vip = skills_dir / "vip.yaml"
        vip.write_text(vip.read_text().replace("priority_boost: 300", "priority_boost: 250"))
        await wait_for(
            lambda: h.svc.config.tier("platinum").priority_boost == 250,
            timeout=5,
            what="hot reload",
        )
    finally:
        await h.svc.stop()


async def test_reload_keeps_waiting_calls_in_place(harness, skills_dir):
    await harness.only()
    for i in range(3):
        await harness.call(f"c{i}", "billing")
        harness.clock.t += 1
    queues = skills_dir / "queues.yaml"  # billing removed: calls move, in order
    text = queues.read_text()
    start = text.index("  billing:")
    queues.write_text(text[:start] + text[text.index("  vip:") :])
    assert await harness.svc.reload_now()
    await harness.svc.presence.login("1006")
    for i in range(3):
        await harness.svc.match_agent("1006")
        assert harness.offers[-1].call_id == f"c{i}"
        await harness.svc.call_ended(f"c{i}", "1006")


async def test_waiting_calls_survive_an_engine_restart(redis_client, skills_dir):
    clock = Clock()
    first = Harness(redis_client, skills_dir, instance="e1", clock=clock)
    await first.svc.start()
    await first.only()
    await first.call("old", "general")
    clock.t += 10
    await first.call("new", "general")
    await first.svc.stop()
    clock.t += 5
    second = Harness(redis_client, skills_dir, instance="e1", clock=clock)
    await second.svc.start()
    try:
        await second.call("new", "general")  # the call path re-enqueues its calls
        await second.call("old", "general")
        waiting = await second.svc.store.waiting_ids("general")
        assert [c for c, _ in waiting] == ["old", "new"]
        assert waiting[0][1] == clock.t - 15  # original place in line kept
        await second.svc.presence.login("1006")
        await second.svc.match_agent("1006")
        assert second.offers[-1].call_id == "old"
    finally:
        await second.svc.stop()


async def test_two_engines_never_double_book_an_agent(redis_client, redis_url, skills_dir):
    other = aioredis.from_url(redis_url, decode_responses=True)
    engines = [
        Harness(redis_client, skills_dir, instance="e1"),
        Harness(other, skills_dir, instance="e2"),
    ]
    busy: dict[str, str] = {}
    done: list[str] = []
    conflicts: list[str] = []

    def recorder(h: Harness):
        async def on_offer(offer: Offer) -> None:
            if offer.agent_id in busy:
                conflicts.append(f"{offer.agent_id}: {busy[offer.agent_id]} + {offer.call_id}")
            busy[offer.agent_id] = offer.call_id
            asyncio.get_running_loop().call_later(
                random.uniform(0.005, 0.03), lambda: h.svc.spawn(finish(h, offer))
            )

        return on_offer

    async def finish(h: Harness, offer: Offer) -> None:
        await h.svc.call_connected(offer.call_id, offer.agent_id)
        busy.pop(offer.agent_id, None)
        done.append(offer.call_id)
        await h.svc.call_ended(offer.call_id, offer.agent_id)

    for h in engines:
        h.svc.set_offer_callback(recorder(h))
        await h.svc.start()
    try:
        rng = random.Random(3)
        calls = [
            (
                engines[i % 2],
                f"call{i}",
                rng.choice(["general", "technical", "billing"]),
                rng.choice(["en", "en", "zh"]),
            )
            for i in range(120)
        ]
        await asyncio.gather(*(h.call(cid, q, lang) for h, cid, q, lang in calls))
        await wait_for(lambda: len(done) == len(calls), timeout=30, what="every call served")
        assert conflicts == []
        assert sorted(done) == sorted(cid for _, cid, _, _ in calls)
    finally:
        for h in engines:
            await h.svc.stop()
        await other.aclose()


async def _queues(h: Harness) -> list[dict]:
    from engine.routing.metrics import queue_metrics

    return await queue_metrics(h.svc.store, h.svc.config, h.clock())


async def test_offer_crosses_engines_and_skips_stopped_ones(redis_client, redis_url, skills_dir):
    other = aioredis.from_url(redis_url)  # bytes replies: both kinds work
    one, two = Harness(redis_client, skills_dir, "e1"), Harness(other, skills_dir, "e2")
    await one.svc.start()
    await two.svc.start()
    try:
        await one.only()
        await one.call("mine", "general")
        await two.svc.presence.login("1006")  # e2's free agent, e1's call
        await two.svc.match_agent("1006")
        await wait_for(lambda: one.offer_for("mine"), timeout=3, what="offer via pub/sub")
        assert two.offers == [] and one.offer_for("mine").agent_id == "1006"
        await two.call("theirs", "general")
        await two.svc.stop()  # its calls wait for it to come back
        await one.svc.presence.login("1007")
        assert await one.svc.match_agent("1007") is False
    finally:
        await one.svc.stop()
        await two.svc.stop()
        await other.aclose()


async def test_agents_of_an_engine_whose_heartbeat_expired_are_freed_by_another(
    redis_client, redis_url, skills_dir
):
    other = aioredis.from_url(redis_url, decode_responses=True)
    live, doomed = Harness(redis_client, skills_dir, "e1"), Harness(other, skills_dir, "e2")
    await live.svc.start()
    await doomed.svc.start()
    try:
        await live.only("1006", "1007")
        await doomed.call("talking", "general")
        await doomed.call("ringing", "general")
        talking, ringing = doomed.offer_for("talking"), doomed.offer_for("ringing")
        await doomed.svc.call_connected("talking", talking.agent_id)
        agent = await live.svc.store.agent(talking.agent_id)
        assert (agent["state"], agent["engine"]) == ("on_call", "e2")
        assert await recovery.release_orphans(live.svc) == 0  # e2 is alive: hands off
        await doomed.svc.stop()  # its heartbeat is gone (as 5 s after a SIGKILL)
        assert await recovery.release_orphans(live.svc) == 2
        assert (await live.svc.store.agent(talking.agent_id))["state"] == "available"
        assert (await live.svc.store.agent(ringing.agent_id))["state"] == "available"
        assert (await live.svc.store.call("ringing"))["state"] == "detached"  # for e2 to claim
    finally:
        await live.svc.stop()
        await other.aclose()
