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
the ``line_actions`` it returns, in order (``line_effects.py``). Everything runs in the
campaign's one task, so a campaign's lines never race each other.

Dial: ``POST /channels`` into the engine's app (``appArgs dialer,<campaign>``) so the
``Dial`` events say busy / no answer / congestion; on answer the channel continues into
the ``[outbound-amd]`` context, and comes back as ``Stasis(app, outbound, AMDSTATUS,
AMDCAUSE)``. A person gets an agent through routing (or the preview agent), within the
guard's 2 s; the agent's phone is originated with ``appArgs dialer-agent,<line>`` and
bridged when it answers (desk card and screen pop through the call observers).

Preview (``preview.py``): ``preview_next(agent)`` hands the agent the best callable
contact (status ``previewing``, kept for that agent until accepted or skipped);
``preview_accept`` re-checks compliance, reserves that very agent in the shared pool (so
no inbound call can take them meanwhile) and dials; a person is bridged straight to them.
``skip`` puts the contact back for later (``SKIP_FOR``).
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any

from engine.ari.errors import AriError, AriNotFound
from engine.calls.ports import Offer
from engine.calls.state import InboundCall
from engine.dialer.campaigns import dial_store, store
from engine.dialer.campaigns.deps import Deps
from engine.dialer.campaigns.line_effects import LineEffects
from engine.dialer.campaigns.preview import PreviewMode
from engine.dialer.campaigns.reserve import eligible_agents
from engine.dialer.core import campaign as decide
from engine.dialer.core import line_events as e
from engine.dialer.core.guard import AbandonGuard
from engine.dialer.core.line import Line
from engine.dialer.core.pacing import Allowance, Predictive, Progressive, Snapshot
from engine.logs import get_logger

log = get_logger(__name__)
TICK = 1.0
CALLBACK_SYNC = 30.0
SWEEP = 15.0


class CampaignRunner(LineEffects, PreviewMode):
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
