"""One running campaign: a task, a mailbox, its pacer and abandon guard, its lines.

Every second (and when an agent becomes free or a line ends) ``tick`` builds the
``Snapshot`` from live state (the campaign queue's agents in Redis, its lines in
flight), asks the pacer and the guard how many lines to dial, picks that many callable
contacts with ``compliance.pick`` (DNC, opt-outs, attempts, retry intervals, calling
window in the contact's zone) and dials them. Preview campaigns dial only what an
agent accepted, with that agent reserved. Pause stops new dials (calls in progress go
on); stop ends the campaign once its lines are done. A manual campaign whose contacts
are all final is ``done``.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from engine.ari.errors import AriError, AriNotFound
from engine.dialer.campaigns import dial_store, store
from engine.dialer.campaigns.deps import Deps
from engine.dialer.campaigns.linecalls import LineCalls
from engine.dialer.campaigns.preview import Preview
from engine.dialer.campaigns.reserve import eligible_agents, team
from engine.dialer.core import ordering, outcomes
from engine.dialer.core.compliance import Attempt, Contact, pick
from engine.dialer.core.guard import AbandonGuard
from engine.dialer.core.line import Line
from engine.dialer.core.pacing import Allowance, Predictive, Progressive, Snapshot
from engine.logs import get_logger

log = get_logger(__name__)
TICK = 1.0
CALLBACK_SYNC = 30.0
SWEEP = 15.0


class CampaignRunner(LineCalls, Preview):
    def __init__(self, deps: Deps, campaign: dict[str, Any],
                 clock: Callable[[], float] = time.time) -> None:
        self.deps, self.clock = deps, clock
        self.id: int = campaign["id"]
        self.campaign = campaign
        self.status: str = campaign["status"]
        self.policy = store.policy_of(campaign)
        self.compliance = self.policy.compliance()
        self.guard = AbandonGuard(replace(self.policy.guard(),
                                          message="&".join(deps.settings.identification)))
        mode = campaign["mode"]
        self.pacer = Predictive(wrapup=deps.settings.wrapup, max_lines=deps.settings.max_lines,
                                cancel_after=deps.settings.cancel_after) \
            if mode == "predictive" else Progressive()
        self.topic = "callback" if campaign["kind"] == "callback" else "campaign"
        self.lines: dict[str, Line] = {}
        self.outcomes: dict[str, int] = {}
        self.skips: dict[str, int] = {}
        self.hung_up = 0                      # ringing lines the pacer hung up
        # what the dialplan plays a person if the engine is unreachable after AMD
        self.identify_sounds = "&".join(m.split(":", 1)[1] for m in deps.settings.identification
                                        if m.startswith("sound:"))
        self.mailbox: asyncio.Queue[tuple[Any, tuple[Any, ...]]] = asyncio.Queue()
        self._tick_wanted = False
        self._synced_at = self._swept = -math.inf
        self._tasks: list[asyncio.Task[Any]] = []
        self.finished = asyncio.Event()

    # -- lifecycle ---------------------------------------------------------------------
    async def start(self) -> None:
        now, db = self.clock(), self.deps.db
        await db.run(dial_store.recover, self.id, now)
        for at, abandoned, number in await db.run(dial_store.live_answers, self.id,
                                                  now - self.guard.config.window):
            self.guard.restore(at, abandoned, number)
        self._tasks = [asyncio.create_task(self._run(), name=f"dialer-{self.id}"),
                       asyncio.create_task(self._ticker(), name=f"dialer-tick-{self.id}")]

    async def stop(self) -> None:
        """Stop the tasks (the engine shuts down); lines in Asterisk are left as they are."""
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
    def pacer_record(self, now: float, ring: float, outcome: str, amd: float | None) -> None:
        if isinstance(self.pacer, Predictive):
            self.pacer.record_dial(now, ring, outcome, amd)  # type: ignore[arg-type]

    def pacer_talk(self, now: float, seconds: float) -> None:
        if isinstance(self.pacer, Predictive):
            self.pacer.record_talk(now, seconds)

    def agents(self) -> list[str]:
        """The agents who can take this campaign's live answers."""
        return eligible_agents(self.deps.router.config, self.campaign["queue"])

    def ringing_pool(self) -> list[Line]:
        """The pacer's lines still ringing, in ``Snapshot.ringing`` order."""
        return [ln for ln in self.lines.values() if ln.reserved_agent is None
                and ln.state == "ringing" and ln.hung_up_at is None]

    def pacer_lines(self) -> list[Line]:
        """The pacer's lines in flight: ringing (not being hung up) or in AMD."""
        return [*self.ringing_pool(), *(ln for ln in self.lines.values()
                                        if ln.reserved_agent is None and ln.state == "detecting")]

    async def queued_for(self, agents: list[str]) -> int:
        """Calls waiting in routing (inbound, or other campaigns' live answers) in every
        queue these agents serve: each will take one of them before a new live answer."""
        config, ours, mine = self.deps.router.config, set(agents), set(self.lines)
        count = 0
        for name in config.queues:
            if ours & set(eligible_agents(config, name)):
                waiting = await self.deps.router.store.waiting_ids(name)
                count += sum(1 for call_id, _ in waiting if call_id not in mine)
        return count

    async def snapshot(self, now: float) -> Snapshot:
        """What the pacer sees: this campaign's agents, its lines in flight and those of
        campaigns sharing its agents (after its own: ``cancels`` indices stay its own), and
        every call already waiting for these agents (its held live answers, inbound calls,
        other campaigns' live answers)."""
        agents = self.agents()
        t = await team(self.deps.router.store, agents, now)
        queued = await self.queued_for(agents)
        lines = self.pacer_lines() + self.deps.peer_lines(self.id, set(agents))
        return Snapshot(now, t.free, t.talking, t.wrapping,
                        tuple(now - ln.dialed_at for ln in lines if ln.state == "ringing"
                              and ln.hung_up_at is None),
                        tuple(now - (ln.answered_at or now) for ln in lines
                              if ln.state == "detecting"),
                        self.guard.waiting + queued)

    async def hang_up_risky(self, snap: Snapshot, allowance: Allowance, now: float) -> int:
        """Hang up the lines the pacer no longer wants (rung >= 15 s, and a person
        answering now would likely find no agent); their end is recorded as no answer."""
        if not isinstance(self.pacer, Predictive):
            return 0
        ringing = self.ringing_pool()      # the first lines of ``snap.ringing``
        done = 0
        for line in [ringing[i] for i in self.pacer.cancels(snap, allowance)
                     if i < len(ringing)]:
            line.hung_up_at = now
            try:
                await self.deps.ari.hangup(line.id)
            except AriNotFound:
                pass                        # it ended meanwhile: its end event follows
            except AriError as exc:         # still ringing: it stays a line like any other
                line.hung_up_at = None
                log.warning("dialer.hang_up_failed", line=line.id, error=str(exc))
                continue
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
        if now - self._swept >= SWEEP:
            await self.sweep(now)
        if self.status == "running" and self.campaign["kind"] == "callback" \
                and now - self._synced_at >= CALLBACK_SYNC:
            self._synced_at = now
            await self.deps.db.run(dial_store.sync_callbacks, self.id, now)
        if self.status == "running" and self.campaign["mode"] != "preview":
            async with self.deps.pacing:       # campaigns sharing agents pace one at a time
                await self.pace(now)
        await self._maybe_finish(now)

    async def pace(self, now: float) -> None:
        snap, allowance = await self.snapshot(now), self.guard.allowance(now)
        if await self.hang_up_risky(snap, allowance, now):
            snap = await self.snapshot(now)
        wanted = self.pacer.dials(snap, allowance)
        room = self.deps.settings.max_lines - self.deps.lines_in_flight()
        if min(wanted, room) > 0:
            await self.dial_next(min(wanted, room), now)

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
        """Up to ``n`` contacts compliance allows now, best first; the others passed over
        get their next time (or a final status: DNC, opt-out, no attempts left)."""
        rows = ordering.order(await self.deps.db.run(dial_store.candidates, self.id, now,
                                                     max(50, 4 * n)), now)
        by_id = {str(r["id"]): r for r in rows}
        cands = [(Contact(str(r["id"]), r["number"], r["timezone"] or self.policy.timezone,
                          bool(r["opted_out"])),
                  [Attempt(datetime.fromtimestamp(at, UTC), outcome)
                   for at, outcome in r["history"]]) for r in rows]
        dials, skipped = pick(cands, n, datetime.fromtimestamp(now, UTC), self.compliance,
                              lambda number: number in {r["number"] for r in rows if r["dnc"]},
                              ring=self.policy.ring_seconds)
        updates = []
        for contact, decision in skipped:
            self.skips[decision.reason] = self.skips.get(decision.reason, 0) + 1
            step = outcomes.skipped(decision.reason, decision.retry_at.timestamp()
                                    if decision.retry_at else None, now)
            updates.append((int(contact.id), step.status, step.next_at,
                            None if step.status == "pending" else decision.reason))
        if updates:
            await self.deps.db.run(dial_store.set_statuses, updates, now)
        return [{**by_id[d.contact_id], "ring_timeout": d.ring_timeout} for d in dials]

    async def dial_next(self, n: int, now: float) -> None:
        for row in await self.callable_contacts(n, now):
            await self.dial(row, None, now)

    def line_id(self, row: dict[str, Any]) -> str:
        return f"dialer-{self.id}-{row['id']}-{secrets.token_hex(3)}"

    async def dial(self, row: dict[str, Any], agent_id: str | None, now: float,
                   line_id: str | None = None) -> Line:
        line_id = line_id or self.line_id(row)
        attempt_id = await self.deps.db.run(dial_store.start_attempt, self.id, row, line_id,
                                            agent_id, now)
        line = Line(line_id, attempt_id, row, now, reserved_agent=agent_id)
        self.lines[line.id] = line
        self.deps.track(line.id, self)
        self.deps.track(f"{line.id}-agent", self)
        s = self.deps.settings
        try:
            await self.deps.ari.originate(
                s.trunk.format(number=row["number"]), channelId=line.id, app=s.app,
                appArgs=f"dialer,{self.id}", timeout=math.ceil(row["ring_timeout"]),
                variables={"TENURE_DIALER": f"{self.id}:{attempt_id}",
                           "TENURE_IDENTIFY": self.identify_sounds})
        except AriError as exc:
            log.warning("dialer.originate_failed", campaign=self.id, error=str(exc))
            await self.unanswered(line, "failed", self.clock())
        return line
