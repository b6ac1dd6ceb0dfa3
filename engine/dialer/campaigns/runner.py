"""One running campaign: a task, a mailbox, its pacer and abandon guard, its lines; it
carries out what the pure core decides.

Every second (and when an agent becomes free or a line ends) ``tick`` builds the
``Snapshot`` from live state (the campaign queue's agents in Redis, its lines in
flight), asks the pacer and the guard how many lines to dial, picks that many callable
contacts (``core.campaign.choose``: DNC, opt-outs, attempts, retry intervals, calling
window in the contact's zone) and dials them. Preview campaigns dial only what an
agent accepted, with that agent reserved. Pause stops new dials (calls in progress go
on); stop ends the campaign once its lines are done. A manual campaign whose contacts
are all final is ``done``.

A line's life is ``core.line.Line``: the runner turns ARI events (``Dial``,
``StasisStart``, ``ChannelDestroyed``, ``PlaybackFinished``), routing's offers and the
guard's decisions into ``line_events``, hands them to ``Line.handle`` and carries out
the ``line_actions`` it returns, in order. Everything runs in the campaign's one task,
so a campaign's lines never race each other.

Dial: ``POST /channels`` into the engine's app (``appArgs dialer,<campaign>``) so the
``Dial`` events say busy / no answer / congestion; on answer the channel continues into
the ``[outbound-amd]`` context, and comes back as ``Stasis(app, outbound, AMDSTATUS,
AMDCAUSE)``. A person gets an agent through routing (or the preview agent), within the
guard's 2 s; the agent's phone is originated with ``appArgs dialer-agent,<line>`` and
bridged when it answers (desk card and screen pop through the call observers).

Preview: ``preview_next(agent)`` hands the agent the best callable contact (status
``previewing``, kept for that agent until accepted or skipped); ``preview_accept``
re-checks compliance, reserves that very agent in the shared pool (so no inbound call
can take them meanwhile) and dials; a person is bridged straight to them. ``skip`` puts
the contact back for later (``SKIP_FOR``).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import math
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

from engine.ari.errors import AriError, AriNotFound
from engine.calls import events as ce
from engine.calls import speech_actions
from engine.calls.ports import Caller, Offer, RouteRequest
from engine.calls.state import InboundCall
from engine.dialer.campaigns import dial_store, store
from engine.dialer.campaigns.deps import Deps
from engine.dialer.campaigns.reserve import eligible_agents
from engine.dialer.core import campaign as decide
from engine.dialer.core import line_actions as a
from engine.dialer.core import line_events as e
from engine.dialer.core.actions import Abandon, Bridge, DialerAction, HoldFor
from engine.dialer.core.compliance import ring_timeout
from engine.dialer.core.guard import AbandonGuard
from engine.dialer.core.line import Line
from engine.dialer.core.missed import AMD_CONTEXT
from engine.dialer.core.pacing import Allowance, Predictive, Progressive, Snapshot
from engine.errors import Conflict
from engine.logs import get_logger

log = get_logger(__name__)
TICK = 1.0
CALLBACK_SYNC = 30.0
SWEEP = 15.0
SKIP_FOR = 900.0
PUBLIC = (
    "id",
    "number",
    "customer_id",
    "name",
    "timezone",
    "priority",
    "due_at",
    "attempts",
    "last_outcome",
    "status",
    "agent_id",
)


def public(row: dict[str, Any]) -> dict[str, Any]:
    return {k: row.get(k) for k in PUBLIC}


class CampaignRunner:
    def __init__(
        self, deps: Deps, campaign: dict[str, Any], clock: Callable[[], float] = time.time
    ) -> None:
        self.deps, self.clock = deps, clock
        self.id: int = campaign["id"]
        self.campaign = campaign
        self.status: str = campaign["status"]
        self.policy = store.policy_of(campaign)
        self.compliance = self.policy.compliance()
        self.guard = AbandonGuard(
            replace(self.policy.guard(), message="&".join(deps.settings.identification))
        )
        mode = campaign["mode"]
        self.pacer = (
            Predictive(
                wrapup=deps.settings.wrapup,
                max_lines=deps.settings.max_lines,
                cancel_after=deps.settings.cancel_after,
            )
            if mode == "predictive"
            else Progressive()
        )
        self.topic = "callback" if campaign["kind"] == "callback" else "campaign"
        self.lines: dict[str, Line] = {}
        self.calls: dict[str, InboundCall] = {}  # line -> what desk and screen pop see
        self.outcomes: dict[str, int] = {}
        self.skips: dict[str, int] = {}
        self.hung_up = 0  # ringing lines the pacer hung up
        # what the dialplan plays a person if the engine is unreachable after AMD
        self.identify_sounds = "&".join(
            m.split(":", 1)[1] for m in deps.settings.identification if m.startswith("sound:")
        )
        self.mailbox: asyncio.Queue[tuple[Any, tuple[Any, ...]]] = asyncio.Queue()
        self._tick_wanted = False
        self._synced_at = self._swept = -math.inf
        self._tasks: list[asyncio.Task[Any]] = []
        self.finished = asyncio.Event()
        self._stopped = False

    # -- lifecycle ---------------------------------------------------------------------
    async def start(self) -> None:
        now, db = self.clock(), self.deps.db
        await db.run(dial_store.recover, self.id, now)
        for at, abandoned, number in await db.run(
            dial_store.live_answers, self.id, now - self.guard.config.window
        ):
            self.guard.restore(at, abandoned, number)
        if self._stopped:  # stopped while starting (the engine shut down): no tasks
            return
        self._tasks = [
            asyncio.create_task(self._run(), name=f"dialer-{self.id}"),
            asyncio.create_task(self._ticker(), name=f"dialer-tick-{self.id}"),
        ]

    async def stop(self) -> None:
        """Stop the tasks (the engine shuts down); lines in Asterisk are left as they are."""
        self._stopped = True
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    def post(self, fn: Callable[..., Awaitable[Any]], *args: Any) -> None:
        self.mailbox.put_nowait((fn, args))

    def kick(self) -> None:
        if not self._tick_wanted:
            self._tick_wanted = True
            self.post(self.tick)

    async def ask(self, fn: Callable[..., Awaitable[Any]], *args: Any) -> Any:
        """Run ``fn`` in the campaign's task and return its result (HTTP, control)."""
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()

        async def run() -> None:
            try:
                future.set_result(await fn(*args))
            except Exception as exc:
                future.set_exception(exc)

        self.post(run)
        return await future

    async def _run(self) -> None:
        while not self.finished.is_set():
            fn, args = await self.mailbox.get()
            try:
                await fn(*args)
            except Exception:
                log.exception("dialer.step_failed", campaign=self.id, step=fn.__name__)

    async def _ticker(self) -> None:
        while not self.finished.is_set():
            await asyncio.sleep(TICK)
            self.kick()

    async def set_status(self, status: str) -> None:
        self.status = status
        self.kick()

    # -- pacing --------------------------------------------------------------------------
    def agents(self) -> list[str]:
        """The agents who can take this campaign's live answers."""
        return eligible_agents(self.deps.router.config, self.campaign["queue"])

    def pacer_lines(self) -> list[Line]:
        """The pacer's lines in flight: ringing (not being hung up) or in AMD."""
        return decide.pacer_lines(list(self.lines.values()))

    async def queued_for(self, agents: list[str]) -> int:
        """Calls waiting in routing (inbound, or other campaigns' live answers) in every
        queue these agents serve: each will take one of them before a new live answer."""
        config, ours, mine = self.deps.router.config, set(agents), set(self.lines)
        count = 0
        for name in config.queues:
            if ours & set(eligible_agents(config, name)):
                waiting = await self.deps.reservations.waiting_ids(name)
                count += sum(1 for call_id, _ in waiting if call_id not in mine)
        return count

    async def snapshot(self, now: float) -> Snapshot:
        """What the pacer sees: this campaign's agents, its lines in flight and those of
        campaigns sharing its agents (after its own: ``cancels`` indices stay its own), and
        every call already waiting for these agents (its held live answers, inbound calls,
        other campaigns' live answers)."""
        agents = self.agents()
        t = await self.deps.reservations.team(agents, now)
        queued = await self.queued_for(agents)
        lines = self.pacer_lines() + self.deps.peer_lines(self.id, set(agents))
        return decide.snapshot(
            now, t.free, t.talking, t.wrapping, lines, self.guard.waiting + queued
        )

    async def hang_up_risky(self, snap: Snapshot, allowance: Allowance, now: float) -> int:
        """Hang up the lines the pacer no longer wants (``core.campaign.to_hang_up``);
        their end is recorded as no answer."""
        done = 0
        for line in decide.to_hang_up(
            self.pacer, snap, allowance, decide.ringing_pool(self.lines.values())
        ):
            line.handle(e.HangUpRinging(), now)
            try:
                await self.deps.ari.hangup(line.id)
            except AriNotFound:
                pass  # it ended meanwhile: its end event follows
            except AriError as exc:  # still ringing: it stays a line like any other
                line.handle(e.HangUpRingingFailed(), now)
                log.warning("dialer.hang_up_failed", line=line.id, error=str(exc))
                continue
            if isinstance(self.pacer, Predictive):
                self.pacer.record_cancel(now, now - line.dialed_at)
            done += 1
        if done:
            self.hung_up += done
            log.info("dialer.lines_hung_up", campaign=self.id, lines=done)
        return done

    async def tick(self) -> None:
        self._tick_wanted = False
        now = self.clock()
        await self.apply(list(self.guard.expire(now)), now)
        claims = self.deps.claims
        if claims is not None:
            held = await claims.hold_campaign(self.id)
            if held != claims.instance:  # another engine runs it now: dial nothing more
                log.warning("dialer.campaign_held_elsewhere", campaign=self.id, engine=held)
                self.status = "stopped"
            if self.lines:
                await claims.refresh((line.number, line.id) for line in self.lines.values())
        if now - self._swept >= SWEEP:
            await self.sweep(now)
        if (
            self.status == "running"
            and self.campaign["kind"] == "callback"
            and now - self._synced_at >= CALLBACK_SYNC
        ):
            self._synced_at = now
            await self.deps.db.run(dial_store.sync_callbacks, self.id, now)
        if self.status == "running" and self.campaign["mode"] != "preview":
            async with self.deps.pacing:  # campaigns sharing agents pace one at a time
                await self.pace(now)
        await self._maybe_finish(now)

    async def pace(self, now: float) -> None:
        snap, allowance = await self.snapshot(now), self.guard.allowance(now)
        if await self.hang_up_risky(snap, allowance, now):
            snap = await self.snapshot(now)
        n = decide.dials_wanted(
            self.pacer, snap, allowance, self.deps.settings.max_lines, self.deps.lines_in_flight()
        )
        if n > 0:
            await self.dial_next(n, now)

    async def sweep(self, now: float) -> None:
        """Lines whose end the event stream missed (the socket was down): Asterisk is the
        truth, a channel it no longer has is a line that ended."""
        self._swept = now
        for line in list(self.lines.values()):
            if now - line.dialed_at < SWEEP:
                continue
            try:
                await self.deps.ari.call("get_channel", channelId=line.id)
            except AriNotFound:
                log.warning("dialer.line_vanished", line=line.id, state=line.state)
                await self.catch_up(line, None, None)
            except AriError:
                continue

    async def _maybe_finish(self, now: float) -> None:
        if self.lines:
            return
        if self.status == "running" and self.campaign["kind"] == "manual":
            left = (await self.deps.db.run(store.progress, self.id, now))["contacts"]
            if left["pending"] == 0:
                await self.deps.db.run(store.finish, self.id, now)
                self.status = "done"
        if self.status in ("stopped", "done"):
            self.finished.set()

    # -- dialing ---------------------------------------------------------------------------
    async def callable_contacts(self, n: int, now: float) -> list[dict[str, Any]]:
        """Up to ``n`` contacts compliance allows now, best first (``core.campaign.choose``);
        the others passed over get their next time or a final status."""
        rows = await self.deps.db.run(dial_store.candidates, self.id, now, max(50, 4 * n))
        choice = decide.choose(
            rows, n, now, self.policy.timezone, self.compliance, self.policy.ring_seconds
        )
        for reason in choice.reasons:
            self.skips[reason] = self.skips.get(reason, 0) + 1
        if choice.updates:
            await self.deps.db.run(dial_store.set_statuses, choice.updates, now)
        return choice.dial

    async def dial_next(self, n: int, now: float) -> None:
        for row in await self.callable_contacts(n, now):
            line_id = self.line_id(row)
            if await self.claim(row["number"], line_id, now):
                await self.dial(row, None, now, line_id)

    async def claim(self, number: str, line_id: str, since: float) -> bool:
        """Claim ``number`` for ``line_id`` across engines (``claims.py``); refused when
        another engine dials it now or an attempt on it started or ended since the
        candidates were read (``since``): the next tick judges it with that history."""
        claims = self.deps.claims
        if claims is None:
            return True
        reason = None
        if not await claims.claim(number, line_id):
            reason = "claimed-elsewhere"
        elif await self.deps.db.run(dial_store.dialled_since, number, since):
            await claims.release(number, line_id)
            reason = "dialled-elsewhere"
        if reason is not None:
            self.skips[reason] = self.skips.get(reason, 0) + 1
            log.info("dialer.claim_refused", campaign=self.id, reason=reason)
        return reason is None

    def line_id(self, row: dict[str, Any]) -> str:
        return f"dialer-{self.id}-{row['id']}-{secrets.token_hex(3)}"

    async def dial(
        self, row: dict[str, Any], agent_id: str | None, now: float, line_id: str | None = None
    ) -> Line:
        line_id = line_id or self.line_id(row)
        attempt_id = await self.deps.db.run(
            dial_store.start_attempt, self.id, row, line_id, agent_id, now
        )
        line = Line(
            line_id,
            attempt_id,
            row,
            now,
            reserved_agent=agent_id,
            leave_message=self.policy.machine == "message",
        )
        self.lines[line.id] = line
        self.deps.track(line.id, self)
        self.deps.track(f"{line.id}-agent", self)
        s = self.deps.settings
        try:
            await self.deps.ari.originate(
                s.trunk.format(number=row["number"]),
                channelId=line.id,
                app=s.app,
                appArgs=f"dialer,{self.id}",
                timeout=math.ceil(row["ring_timeout"]),
                **({"callerId": s.caller_id} if s.caller_id else {}),
                variables={
                    "TENURE_DIALER": f"{self.id}:{attempt_id}",
                    "TENURE_IDENTIFY": self.identify_sounds,
                },
            )
        except AriError as exc:
            log.warning("dialer.originate_failed", campaign=self.id, error=str(exc))
            await self.handle(line, e.OriginateFailed(), self.clock())
        return line

    # -- events in -------------------------------------------------------------------------
    async def on_event(self, event: dict[str, Any]) -> None:
        handler = {
            "Dial": self._on_dial,
            "StasisStart": self._on_stasis,
            "ChannelDestroyed": self._on_destroyed,
            "PlaybackFinished": self._on_playback,
        }.get(event.get("type", ""))
        if handler is not None:
            await handler(event, self.clock())

    async def _on_dial(self, event: dict[str, Any], now: float) -> None:
        peer, status = (event.get("peer") or {}).get("id", ""), event.get("dialstatus", "")
        line = self.line_of(peer)
        if line is not None and peer == line.id:
            await self.handle(line, e.DialStatus(status), now)
        elif line is not None and peer == line.agent_channel:
            await self.handle(line, e.AgentDialStatus(status), now)

    async def _on_stasis(self, event: dict[str, Any], now: float) -> None:
        channel = (event.get("channel") or {}).get("id", "")
        args = event.get("args") or [""]
        line = self.lines.get(args[1]) if args[0] == "dialer-agent" else self.line_of(channel)
        if line is None:
            await self.quiet(self.deps.ari.hangup(channel))
        elif args[0] == "dialer":
            await self.handle(line, e.Answered(), now)
        elif args[0] == "outbound":
            await self.handle(
                line, e.Verdict(args[1] if len(args) > 1 else "", ",".join(args[2:])), now
            )
        elif args[0] == "dialer-agent":
            await self.handle(line, e.AgentAnswered(channel), now)

    async def _on_destroyed(self, event: dict[str, Any], now: float) -> None:
        channel = (event.get("channel") or {}).get("id", "")
        line = self.line_of(channel)
        if line is not None and channel == line.id:
            await self.handle(line, e.CustomerGone(int(event.get("cause") or 0)), now)
        elif line is not None:
            await self.handle(line, e.AgentGone(), now)

    async def _on_playback(self, event: dict[str, Any], now: float) -> None:
        line = self.line_of(event["playback"].get("target_uri", "").split(":", 1)[-1])
        if line is not None:
            await self.handle(line, e.PlaybackFinished(), now)

    async def on_offer(self, offer: Offer) -> None:
        """Routing offers an agent for one of this campaign's live answers."""
        now = self.clock()
        await self.expire()
        line = self.lines.get(offer.call_id)
        if line is None:
            await self.deps.router.call_ended(offer.call_id, offer.agent_id)
            return
        await self.handle(line, e.Offered(offer), now)

    def line_of(self, channel: str) -> Line | None:
        line = self.lines.get(channel)
        if line is None and channel.endswith("-agent"):
            line = self.lines.get(channel[: -len("-agent")])
        return line

    # -- what the event socket missed ------------------------------------------------
    def line_legs(self) -> dict[str, str | None]:
        """Each line's customer channel -> its agent leg's channel, if any."""
        return {line.id: line.agent_channel for line in self.lines.values()}

    async def reconcile(
        self, channels: dict[str, dict[str, Any]], known: dict[str, str | None]
    ) -> int:
        """After an ARI (re)connect, from Asterisk's channel list: what each line went
        through while the events were lost (``core.campaign.judge``), carried out as those
        events would have been. Only lines whose legs were all ``known`` (``line_legs``)
        before the list was asked for are judged. Returns how many lines it concerned."""
        moved = 0
        for line in decide.to_judge(list(self.lines.values()), known):
            if line.id in self.lines and line.state != "ended":
                moved += await self.catch_up(
                    line, channels.get(line.id), channels.get(line.agent_channel or "")
                )
        if moved:
            log.warning("dialer.lines_reconciled", campaign=self.id, lines=moved)
        return moved

    async def catch_up(
        self, line: Line, chan: dict[str, Any] | None, agent: dict[str, Any] | None
    ) -> bool:
        what, event = decide.judge(line, chan, agent, self.deps.settings.app)
        if event is not None:
            await self.handle(line, event, self.clock())
        elif what == "message-over?":
            try:
                await self.deps.ari.call("get_playback", playbackId=line.playback_id)
                return False  # still playing
            except AriNotFound:
                await self.quiet(self.deps.ari.hangup(line.id))
            except AriError:
                return False
        return what is not None

    # -- carrying out what the line decides ----------------------------------------------
    async def handle(self, line: Line, event: e.LineEvent, now: float) -> None:
        for action in line.handle(event, now):
            await _EXECUTE[type(action)](self, line, action, now)

    async def apply(self, actions: list[DialerAction], now: float) -> None:
        """The guard's decisions: an agent for a line (``Bridge``), a deadline to wake up
        at (``HoldFor``), no agent in time (``Abandon``)."""
        for action in actions:
            if not isinstance(action, Bridge | HoldFor | Abandon):
                continue
            line = self.lines.get(action.call_id)
            if line is None:
                continue
            if isinstance(action, Bridge):
                offer = line.offer or Offer(
                    line.id, action.agent_id, await self.deps.reservations.endpoint(action.agent_id)
                )
                await self.handle(line, e.Connect(offer), now)
            elif isinstance(action, HoldFor):
                loop = asyncio.get_running_loop()
                loop.call_at(
                    loop.time() + max(0.0, action.deadline - now) + 0.01, self.post, self.expire
                )
            elif isinstance(action, Abandon):
                await self.handle(line, e.NoAgent(), now)

    async def expire(self) -> None:
        await self.apply(list(self.guard.expire(self.clock())), self.clock())

    async def quiet(self, coro: Any) -> None:
        try:
            await coro
        except AriError as exc:
            if not isinstance(exc, AriNotFound):
                log.warning("dialer.ari_error", campaign=self.id, error=str(exc))

    async def _continue_to_amd(self, line: Line, act: a.ContinueToAmd, now: float) -> None:
        try:
            await self.deps.ari.call(
                "continue_in_dialplan",
                channelId=act.channel,
                context=AMD_CONTEXT,
                extension="s",
                priority=1,
            )
        except AriError as exc:
            log.warning("dialer.amd_failed", line=line.id, error=str(exc))
            await self.handle(line, e.AmdUnreachable(), now)

    async def _hang_up(self, line: Line, act: a.HangUp, now: float) -> None:
        await self.quiet(self.deps.ari.hangup(act.channel))

    async def _play(self, line: Line, act: a.Play, now: float) -> None:
        s = self.deps.settings
        media = s.identification if act.message == "identification" else s.machine_message
        try:
            await self.deps.ari.play(act.channel, act.playback_id, list(media))
        except AriError:
            await self.handle(line, e.PlayFailed(), now)

    async def _enqueue(self, line: Line, act: a.Enqueue, now: float) -> None:
        try:
            await self.deps.router.enqueue(
                RouteRequest(act.call_id, self.campaign["queue"], now, topic=self.topic)
            )
        except Exception as exc:  # Redis down: no agent can come; the 2 s rule abandons it
            log.warning("dialer.enqueue_failed", line=line.id, error=str(exc))

    async def _cancel_route(self, line: Line, act: a.CancelRoute, now: float) -> None:
        await self.deps.router.cancel(act.call_id)

    async def _release_agent(self, line: Line, act: a.ReleaseAgent, now: float) -> None:
        await self.deps.router.call_ended(act.call_id, act.agent_id)

    async def _agent_failed(self, line: Line, act: a.AgentFailed, now: float) -> None:
        await self.deps.router.agent_failed(act.call_id, act.agent_id, act.reason)

    async def _call_connected(self, line: Line, act: a.CallConnected, now: float) -> None:
        await self.deps.router.call_connected(act.call_id, act.agent_id)

    async def _call_agent(self, line: Line, act: a.CallAgent, now: float) -> None:
        try:
            await self.deps.ari.originate(
                act.endpoint,
                channelId=act.channel,
                app=self.deps.settings.app,
                appArgs=f"dialer-agent,{act.line_id}",
                callerId=act.caller_id,
                timeout=int(self.deps.settings.agent_ring_timeout),
                variables={"TENURE_AGENT": act.agent_id, "TENURE_CALL": act.line_id},
            )
        except AriError as exc:
            log.warning("dialer.agent_originate_failed", line=line.id, error=str(exc))
            await self.handle(line, e.AgentUnreachable("originate-failed"), now)

    async def _bridge_legs(self, line: Line, act: a.BridgeLegs, now: float) -> None:
        ari = self.deps.ari
        try:
            await ari.create_bridge(act.bridge_id, name=line.id)
            await ari.add_channel(act.bridge_id, [act.customer, act.agent])
        except AriError as exc:
            log.warning("dialer.bridge_failed", line=line.id, error=str(exc))
            await self.handle(line, e.BridgeFailed(act.agent), now)
            return
        await self.handle(line, e.Bridged(act.agent), now)

    async def _destroy_bridge(self, line: Line, act: a.DestroyBridge, now: float) -> None:
        await self.quiet(self.deps.ari.destroy_bridge(act.bridge_id))

    async def _guard_live(self, line: Line, act: a.GuardLiveAnswer, now: float) -> None:
        await self.apply(
            self.guard.live_answer(line.id, line.number, now, act.agent_id, late=act.late), now
        )

    async def _guard_agent_free(self, line: Line, act: a.GuardAgentFree, now: float) -> None:
        bridges = [x for x in self.guard.agent_free(act.agent_id, now) if isinstance(x, Bridge)]
        if bridges and bridges[0].call_id != line.id:
            log.warning("dialer.guard_order", offer=line.id, guard=bridges[0].call_id)

    async def _guard_hangup(self, line: Line, act: a.GuardHangup, now: float) -> None:
        self.guard.hangup(line.id, now)

    async def _guard_cut_off(self, line: Line, act: a.GuardCutOff, now: float) -> None:
        self.guard.cut_off(line.id, line.number, now)

    async def _guard_lost(self, line: Line, act: a.GuardLost, now: float) -> None:
        self.guard.lost(line.id, line.number, now)

    async def _pacer_dial(self, line: Line, act: a.PacerDial, now: float) -> None:
        if isinstance(self.pacer, Predictive):
            self.pacer.record_dial(
                now,
                act.ring_seconds,
                act.outcome,  # type: ignore[arg-type]
                act.amd_seconds,
            )

    async def _pacer_talk(self, line: Line, act: a.PacerTalk, now: float) -> None:
        if isinstance(self.pacer, Predictive):
            self.pacer.record_talk(now, act.seconds)

    async def _record_answer(self, line: Line, act: a.RecordAnswer, now: float) -> None:
        await self.deps.db.run(
            dial_store.answered,
            act.attempt_id,
            act.answered_at,
            act.amd_status,
            act.amd_cause,
            act.live,
        )

    async def _record_attempt(self, line: Line, act: a.RecordAttempt, now: float) -> None:
        self.outcomes[act.outcome] = self.outcomes.get(act.outcome, 0) + 1
        await self.deps.db.run(
            dial_store.finish_attempt,
            self.campaign["kind"],
            act.attempt_id,
            act.outcome,
            now,
            self.policy,
            act.message_left,
            act.details,
        )

    async def _talk_ended(self, line: Line, act: a.TalkEnded, now: float) -> None:
        await self.deps.db.run(dial_store.talk_ended, act.attempt_id, act.seconds, now)

    async def _open_call(self, line: Line, act: a.OpenCall, now: float) -> None:
        """The talk began: a call object for the desk card, the screen pop and speech."""
        call = self.deps.new_call(line.id)
        call.status, call.caller_channel, call.caller_number = "connected", line.id, line.number
        call.agent_channel, call.offer = act.agent_channel, line.offer
        customer = line.contact.get("customer_id")
        language = line.contact.get("language")
        call.caller = (
            Caller(customer, name=line.contact.get("name") or "", language=language)
            if customer
            else None
        )
        call.record.update(
            caller_number=line.number,
            customer_id=customer,
            agent_id=line.agent_id or "",
            language=language,
            queue=self.campaign["queue"],
            topic=self.topic,
            arrived_at=line.dialed_at,
            answered_at=line.answered_at,
            connected_at=now,
            direction="outbound",
            campaign_id=self.id,
        )
        self.calls[line.id] = call
        await self.deps.notify(call)
        call.speech = self.deps.speech_plan()  # None: speech off, nothing is heard
        await self.hear(line, ce.HearTalk())

    async def _closed(self, line: Line, act: a.Closed, now: float) -> None:
        self.guard.forget(line.id)
        if self.deps.claims is not None:
            await self.deps.claims.release(line.number, line.id)
        self.lines.pop(line.id, None)
        self.deps.untrack(line.id)
        if line.agent_channel:
            self.deps.untrack(line.agent_channel)
        call = self.calls.get(line.id)
        if call is not None:
            await self.hear(line, ce.TalkOver())
            self.calls.pop(line.id, None)
            call.status = "ended"
            call.record.update(ended_at=self.clock(), status="completed")
            await self.deps.notify(call)
        self.kick()

    async def _warn(self, line: Line, act: a.Warn, now: float) -> None:
        log.warning(act.event, campaign=self.id, line=line.id)

    # -- speech on a line's talk ----------------------------------------------------------
    async def hear(self, line: Line, event: ce.CallEvent) -> None:
        """Feed a speech event to the line's call and carry out what it decides: both legs
        transcribed, emotion scored (agent hint, supervisor alert, the customer's
        profile), the transcript to the profile at the end, as for an inbound call."""
        call = self.calls.get(line.id)
        if call is None:
            return
        await speech_actions.hear(
            self.deps.listening(),
            call,
            event,
            self.clock(),
            functools.partial(self.post, self.heard, line.id),
        )

    async def heard(self, line_id: str, event: ce.CallEvent) -> None:
        line = self.lines.get(line_id)
        if line is not None:
            await self.hear(line, event)

    # -- preview -------------------------------------------------------------------------
    def _require_preview(self) -> None:
        if self.campaign["mode"] != "preview":
            raise Conflict(
                f"campaign {self.id} is not a preview campaign",
                campaign_id=self.id,
                mode=self.campaign["mode"],
            )
        if self.status != "running":
            raise Conflict(f"campaign {self.id} is {self.status}", campaign_id=self.id)

    async def preview_next(self, agent_id: str) -> dict[str, Any] | None:
        self._require_preview()
        db, now = self.deps.db, self.clock()
        held = await db.run(dial_store.previewing, self.id, agent_id)
        if held is not None:
            return public(held)
        rows = await self.callable_contacts(1, now)
        if not rows:
            return None
        await db.run(dial_store.set_status, rows[0]["id"], "previewing", now, None, None, agent_id)
        return public({**rows[0], "status": "previewing", "agent_id": agent_id})

    async def preview_skip(self, contact_id: int, agent_id: str) -> dict[str, Any]:
        row = await self._previewed(contact_id, agent_id)
        now = self.clock()
        await self.deps.db.run(
            dial_store.set_status, contact_id, "pending", now, now + SKIP_FOR, None, None
        )
        return {**public(row), "status": "pending", "next_at": now + SKIP_FOR}

    async def preview_accept(self, contact_id: int, agent_id: str) -> dict[str, Any]:
        row = await self._previewed(contact_id, agent_id)
        now = self.clock()
        decision, (status, next_at) = decide.preview_check(
            row, now, self.policy.timezone, self.compliance
        )
        if not decision.allowed:
            await self.deps.db.run(
                dial_store.set_status, contact_id, status, now, next_at, decision.reason
            )
            raise Conflict(
                f"contact {contact_id} may not be called now: {decision.reason}",
                contact_id=contact_id,
                reason=decision.reason,
            )
        ring = ring_timeout(self.compliance, self.policy.ring_seconds)
        line_id = self.line_id(row)
        if not await self.claim(row["number"], line_id, now):
            raise Conflict(
                f"contact {contact_id} is being called from another engine",
                contact_id=contact_id,
                reason="claimed-elsewhere",
            )
        reserved = await self.deps.reservations.reserve_agent(
            agent_id, line_id, now, ring + 60.0, self.deps.router.instance, self.campaign["queue"]
        )
        if reserved is None:
            if self.deps.claims is not None:
                await self.deps.claims.release(row["number"], line_id)
            raise Conflict(f"agent {agent_id} is not available", agent_id=agent_id)
        line = await self.dial({**row, "ring_timeout": ring}, agent_id, now, line_id)
        return {**public(row), "status": "dialing", "line": line.id}

    async def _previewed(self, contact_id: int, agent_id: str) -> dict[str, Any]:
        self._require_preview()
        row = await self.deps.db.run(dial_store.contact, self.id, contact_id)
        if row["status"] != "previewing" or row["agent_id"] != agent_id:
            raise Conflict(
                f"contact {contact_id} is not in agent {agent_id}'s preview",
                contact_id=contact_id,
                status=row["status"],
            )
        return row


_EXECUTE: dict[type, Callable[[CampaignRunner, Line, Any, float], Awaitable[None]]] = {
    a.ContinueToAmd: CampaignRunner._continue_to_amd,
    a.HangUp: CampaignRunner._hang_up,
    a.Play: CampaignRunner._play,
    a.Enqueue: CampaignRunner._enqueue,
    a.CancelRoute: CampaignRunner._cancel_route,
    a.ReleaseAgent: CampaignRunner._release_agent,
    a.AgentFailed: CampaignRunner._agent_failed,
    a.CallConnected: CampaignRunner._call_connected,
    a.CallAgent: CampaignRunner._call_agent,
    a.BridgeLegs: CampaignRunner._bridge_legs,
    a.DestroyBridge: CampaignRunner._destroy_bridge,
    a.GuardLiveAnswer: CampaignRunner._guard_live,
    a.GuardAgentFree: CampaignRunner._guard_agent_free,
    a.GuardHangup: CampaignRunner._guard_hangup,
    a.GuardCutOff: CampaignRunner._guard_cut_off,
    a.GuardLost: CampaignRunner._guard_lost,
    a.PacerDial: CampaignRunner._pacer_dial,
    a.PacerTalk: CampaignRunner._pacer_talk,
    a.RecordAnswer: CampaignRunner._record_answer,
    a.RecordAttempt: CampaignRunner._record_attempt,
    a.TalkEnded: CampaignRunner._talk_ended,
    a.OpenCall: CampaignRunner._open_call,
    a.Closed: CampaignRunner._closed,
    a.Warn: CampaignRunner._warn,
}
