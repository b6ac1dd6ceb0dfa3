"""What the call path needs from other domains, as small protocols.

The composition root (``engine/app.py``) plugs real implementations in:
routing (``engine/routing``), profiles (``engine/profiles``), speech (``engine/speech``:
``SpeechPlan`` and ``Listening``).
Each has a trivial default here so the call path runs before a domain exists.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from engine import languages


@dataclass(frozen=True)
class Caller:
    """Who is calling, as far as the profile store knows (``identify`` result)."""

    customer_id: str
    name: str = ""
    language: str | None = None  # preferred language, e.g. "zh", "en"
    vip_tier: str | None = None  # e.g. "platinum"; None for ordinary callers
    value_percentile: float | None = None  # 0..100, 100 = highest spend
    risk_tier: str | None = None  # "high" | "medium" | "low"
    risk_score: float | None = None  # 0..1
    flags: frozenset[str] = frozenset()


class CallerLookup(Protocol):
    async def identify(self, caller_number: str) -> Caller | None: ...


class NoLookup:
    async def identify(self, caller_number: str) -> Caller | None:
        return None


@dataclass(frozen=True)
class RouteRequest:
    """A call that needs an agent."""

    call_id: str
    queue: str
    arrived_at: float  # epoch seconds the call entered the engine
    language: str | None = None
    topic: str | None = None  # IVR or speech intent, e.g. "technical"
    caller: Caller | None = None


@dataclass(frozen=True)
class Offer:
    """The router reserved ``agent_id`` for ``call_id``; the call path now rings the agent."""

    call_id: str
    agent_id: str
    endpoint: str  # dial string, e.g. "PJSIP/1001" or "Local/1001@sim-agents"
    hints: tuple[dict[str, Any], ...] = field(default=())  # e.g. knowledge-base answers


OfferCallback = Callable[[Offer], Awaitable[None]]


class Router(Protocol):
    """Matches waiting calls to agents. Reservation is atomic across engine instances."""

    def set_offer_callback(self, callback: OfferCallback) -> None: ...
    async def enqueue(self, request: RouteRequest) -> None: ...
    async def cancel(self, call_id: str) -> None: ...
    async def agent_failed(self, call_id: str, agent_id: str, reason: str) -> None: ...
    async def call_connected(self, call_id: str, agent_id: str) -> None: ...
    async def call_ended(self, call_id: str, agent_id: str) -> None: ...


@dataclass(frozen=True)
class SpeechPlan:
    """What speech can do for calls (pure): languages with a model, the first used when
    the caller's language is unknown; the (language, menu) pairs that have a grammar;
    whether connected calls are transcribed; the media asking "did you mean...?" per
    (language, menu, intent), when the language gives a confirmation."""

    languages: tuple[str, ...]
    menus: frozenset[tuple[str, str]] = frozenset()
    transcribe: bool = True
    confirmations: Mapping[tuple[str, str, str], tuple[str, ...]] = field(default_factory=dict)

    def confirm_media(self, lang: str, menu: str, intent: str) -> tuple[str, ...] | None:
        """What to play to confirm ``intent``; ``None``: an unsure match is a no-match."""
        return self.confirmations.get((lang, menu, intent))

    def _language(self, known: str | None) -> str | None:
        """The model language for ``known`` (``zh-CN`` is heard by ``zh``); ``known`` itself
        when no model speaks it (so nothing is heard); the first language when unknown."""
        if not known:
            return self.languages[0] if self.languages else None
        return languages.best_match(known, self.languages) or known

    def menu_language(self, menu: str, known: str | None) -> str | None:
        """The language to hear ``menu`` in, or ``None``: keys only."""
        lang = self._language(known)
        return lang if lang is not None and (lang, menu) in self.menus else None

    def talk_language(self, known: str | None) -> str | None:
        """The language to transcribe a connected call in, or ``None``: not transcribed."""
        lang = self._language(known)
        return lang if self.transcribe and lang in self.languages else None


Deliver = Callable[[Any], None]


class Listening(Protocol):
    """Hears call legs for the call path (``engine/speech/calls.py`` in the engine).
    ``listen`` gets the call (its caller, its emotion) for the listening budget: the leg
    may be heard at once or later, when a slot frees; it returns without waiting."""

    async def listen(
        self,
        call_id: str,
        role: str,
        channel: str,
        lang: str,
        menu: str | None,
        deliver: Deliver,
        call: Any = None,
    ) -> None: ...
    async def stop(self, call_id: str, role: str) -> None: ...
    async def emotion(self, call: Any, action: Any) -> None: ...
    async def finish(self, call_id: str, customer_id: str | None, at: float) -> None: ...
    async def answer(self, action: Any) -> None: ...
    def forget(self, call_id: str) -> None: ...


class NoListening:
    """Speech off: the call path never asks (no ``SpeechPlan``); if it does, it fails."""

    async def listen(
        self,
        call_id: str,
        role: str,
        channel: str,
        lang: str,
        menu: str | None,
        deliver: Deliver,
        call: Any = None,
    ) -> None:
        raise RuntimeError("speech is not enabled")

    async def stop(self, call_id: str, role: str) -> None:
        return None

    async def emotion(self, call: Any, action: Any) -> None:
        return None

    async def finish(self, call_id: str, customer_id: str | None, at: float) -> None:
        return None

    async def answer(self, action: Any) -> None:
        return None

    def forget(self, call_id: str) -> None:
        return None
