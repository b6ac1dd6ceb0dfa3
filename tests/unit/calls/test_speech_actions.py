"""Carrying out speech actions: a talk whose listener fails to start is tried once more."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from engine.calls import actions as a
from engine.calls import events as e
from engine.calls.speech_actions import perform


class FlakyListening:
    """A listener that fails its first ``failures`` starts, as an ARI call would."""

    def __init__(self, failures: int) -> None:
        self.failures, self.starts, self.heard = failures, 0, []

    async def listen(
        self,
        call_id: str,
        role: str,
        channel: str,
        lang: str,
        menu: str | None,
        deliver: Any,
        call: Any = None,
    ) -> None:
        self.starts += 1
        if self.starts <= self.failures:
            raise RuntimeError("ARI POST /bridges/x/addChannel: 404 Bridge not found")
        self.heard.append((call_id, role, channel, lang, menu))

    async def stop(self, call_id: str, role: str) -> None: ...
    async def emotion(self, call: Any, action: Any) -> None: ...
    async def finish(self, call_id: str, customer_id: str | None, at: float) -> None: ...
    async def answer(self, action: Any) -> None: ...
    def forget(self, call_id: str) -> None: ...


CALL = SimpleNamespace(call_id="c1")


async def test_a_talk_heard_on_the_second_try_reports_no_failure():
    listening, delivered = FlakyListening(failures=1), []
    await perform(listening, CALL, a.Listen("caller", "ch1", "zh", None), delivered.append)
    assert listening.heard == [("c1", "caller", "ch1", "zh", None)]
    assert delivered == []


async def test_a_talk_that_fails_twice_is_reported_once():
    listening, delivered = FlakyListening(failures=2), []
    await perform(listening, CALL, a.Listen("agent", "ch2", "zh", None), delivered.append)
    assert listening.starts == 2 and listening.heard == []
    assert delivered == [e.ListenFailed("agent", "RuntimeError")]


async def test_a_menu_falls_back_to_keys_after_one_failure():
    listening, delivered = FlakyListening(failures=1), []
    await perform(listening, CALL, a.Listen("caller", "ch1", "zh", "main"), delivered.append)
    assert listening.starts == 1, "the caller is not kept waiting for a second try"
    assert delivered == [e.ListenFailed("caller", "RuntimeError")]
