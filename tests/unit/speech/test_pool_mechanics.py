"""The recognition pool's mechanics with a fake recogniser (no model needed): results on
the event loop in order, the IVR lane, closing, and 1,000 sessions without leaks."""

from __future__ import annotations

import asyncio
import threading
import time

from engine.speech.degrade import Policy
from engine.speech.pool import RecognitionPool


class FakeRecognizer:
    """Decodes at ``rtf`` x real time (sleeping, like Vosk's C code, without the GIL)."""

    def __init__(self, rtf: float = 0.0) -> None:
        self.rtf, self.seen, self.skipped = rtf, 0, 0.0

    def skip(self, seconds: float) -> None:
        self.skipped += seconds

    def accept(self, pcm: bytes, partials: bool = True) -> list:
        time.sleep(self.rtf * len(pcm) / 32000)
        self.seen += len(pcm)
        return [("chunk", self.seen, threading.get_ident())]

    def finish(self) -> list:
        return [("final", self.seen, threading.get_ident())]

    def deferred(self) -> list:
        return []  # (no menu final owes its emotion evidence)


FRAME = bytes(640)


async def test_results_arrive_on_the_loop_in_order_and_the_last_final_before_close():
    pool = RecognitionPool(workers=2)
    got: list = []
    session = pool.open("leg", FakeRecognizer, on_result=got.extend)
    for _ in range(50):
        session.feed(FRAME)
        await asyncio.sleep(0)
    await session.close()
    assert got[-1][0] == "final" and got[-1][1] == 50 * 640
    seen = [item[1] for item in got]
    assert seen == sorted(seen)
    assert all(item[2] != threading.get_ident() for item in got), "decoded off the loop"
    await pool.close()


async def test_an_ivr_menu_is_served_while_every_worker_is_saturated():
    pool = RecognitionPool(workers=1, policy=Policy(raise_at=(1e9, 1e9, 1e9)))
    busy = [
        pool.open(f"busy-{i}", lambda: FakeRecognizer(rtf=3.0), on_result=lambda r: None)
        for i in range(3)
    ]
    answered: list[float] = []
    loop = asyncio.get_running_loop()
    ivr = pool.open(
        "ivr", FakeRecognizer, menu=True, on_result=lambda r: answered.append(loop.time())
    )
    for _ in range(25):  # half a second of audio, paced
        for session in busy:
            session.feed(FRAME)
        sent = loop.time()
        ivr.feed(FRAME)
        await asyncio.sleep(0.02)
        # a busy chunk takes 0.3 s to decode: the IVR must not wait behind one
        assert answered and answered[-1] - sent < 0.1, "IVR waited behind free-form decoding"
    await ivr.close()
    await asyncio.gather(*(s.close(timeout=0.2) for s in busy))
    await pool.close()


async def test_agent_audio_is_dropped_first_and_timestamps_know_it():
    pool = RecognitionPool(workers=1, policy=Policy(raise_at=(0.2, 10.0, 20.0), hold=0.0))
    recognizers: dict[str, FakeRecognizer] = {}

    def factory(name):
        def make():
            recognizers[name] = FakeRecognizer(rtf=2.0)
            return recognizers[name]

        return make

    agent = pool.open("agent", factory("agent"), role="agent", on_result=lambda r: None)
    caller = pool.open("caller", factory("caller"), role="caller", on_result=lambda r: None)
    for _ in range(40):
        agent.feed(FRAME)
        caller.feed(FRAME)
        await asyncio.sleep(0.01)
    assert pool.level >= 1 and agent.dropped > 0 and caller.dropped == 0
    await asyncio.gather(agent.close(timeout=5), caller.close(timeout=5))
    assert recognizers["agent"].skipped > 0
    await pool.close()


async def test_a_thousand_sessions_leave_no_thread_task_or_queue_behind():
    threads, tasks = threading.active_count(), len(asyncio.all_tasks())
    pool = RecognitionPool(workers=2)
    for n in range(1000):
        session = pool.open(
            f"leg-{n}",
            FakeRecognizer,
            role="agent" if n % 2 else "caller",
            menu=n % 3 == 0,
            on_result=lambda r: None,
        )
        session.feed(FRAME)
        await session.close()
    assert pool.sessions == {} and pool.waiting == 0
    await pool.close()
    assert threading.active_count() == threads
    assert len(asyncio.all_tasks()) == tasks


async def test_a_failing_recogniser_is_contained():
    pool = RecognitionPool(workers=1)

    def broken():
        raise RuntimeError("model exploded")

    session = pool.open("leg", broken, on_result=lambda r: None)
    session.feed(FRAME)
    await session.close(timeout=2)
    assert pool.sessions == {}
    await pool.close()


async def test_a_finished_leg_frees_its_recognizer_on_the_worker():
    pool = RecognitionPool(workers=1)
    for n in range(3):
        session = pool.open(f"leg-{n}", FakeRecognizer, on_result=lambda r: None)
        session.feed(FRAME)
        await session.close()
        assert session._recognizer is None
    await pool.close()
