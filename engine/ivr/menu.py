"""IVR menu state: pure, no I/O.

An ``IvrSession`` walks one caller through the menus of an ``IvrConfig``. Each method
returns what should happen next; the call path turns that into ARI requests. Time
never enters here: the call path fires ``on_timeout`` when the digit timer expires.

Speech: ``on_intent`` routes a recognised intent exactly as the key of the same option
would (``target_for_intent``: the option whose key, topic, queue, menu or language is
the intent's name); ``on_no_match`` replays like a wrong key, and after ``NO_MATCH_LIMIT``
no-matches the menu is DTMF only (``speech_allowed``). An unsure match is never routed
on its own: ``on_confirm`` asks "did you mean...?" (``Confirm``); key 1 or a spoken yes
(``on_yes``) routes to it, anything else (another key, a no-match, the timeout) returns
to the menu, counted like a timeout. A language menu (every option
sets a language) is skipped when the caller's profile already gives one it offers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from engine import languages


@dataclass(frozen=True)
class Target:
    """Where a key press (or the DID, or the default) leads: a queue or another menu."""

    queue: str | None = None
    menu: str | None = None
    topic: str | None = None
    language: str | None = None


@dataclass(frozen=True)
class Menu:
    name: str
    prompt: tuple[str, ...]  # ARI media URIs, e.g. "sound:hello"
    options: dict[str, Target]
    default: Target  # after the last timeout or invalid entry
    timeout: float = 5.0  # seconds to wait for a key after the prompt
    retries: int = 2  # replays of the prompt before the default
    invalid: tuple[str, ...] = ("sound:please-try-again",)


@dataclass(frozen=True)
class IvrConfig:
    menus: dict[str, Menu]
    entry: Target  # for DIDs not listed in ``dids``
    dids: dict[str, Target] = field(default_factory=dict)


@dataclass(frozen=True)
class PlayMenu:
    menu: str
    media: tuple[str, ...]
    timeout: float


@dataclass(frozen=True)
class Route:
    queue: str
    topic: str | None
    language: str | None


@dataclass(frozen=True)
class Confirm:
    """Ask the caller whether they meant ``intent`` of ``menu`` (key 1 or "yes")."""

    menu: str
    intent: str
    timeout: float


@dataclass(frozen=True)
class ConfirmAnswer:
    """The caller's answer to "did you mean ``intent``?" in ``menu``: ``yes`` or not, and
    how (``key:1``, ``key:2``, ``say:yes``, ``say:no``, ``timeout``)."""

    menu: str
    intent: str
    yes: bool
    how: str


Step = PlayMenu | Route | Confirm
CONFIRM_KEY = "1"
NO_MATCH_LIMIT = 2  # speech no-matches in one menu before it falls back to keys only


def target_for_intent(menu: Menu, intent: str) -> Target | None:
    """The option a speech intent stands for: the one whose key, topic, queue, menu or
    language is named ``intent`` (the first in file order), else the menu's default if
    it is so named; ``None`` when nothing in the menu answers to it."""
    if intent in menu.options:
        return menu.options[intent]
    for target in (*menu.options.values(), menu.default):
        if intent in (target.topic, target.queue, target.menu, target.language):
            return target
    return None


def is_language_menu(menu: Menu) -> bool:
    return bool(menu.options) and all(t.language for t in menu.options.values())


class IvrSession:
    """One caller's way through the menus. ``path`` records every step for the call record."""

    def __init__(self, config: IvrConfig, did: str = "") -> None:
        self.config = config
        self.did = did
        self.menu: Menu | None = None
        self.attempts = 0
        self.path: list[str] = []
        self.language: str | None = None
        self.topic: str | None = None
        self.preferred: str | None = None  # the caller's profile language
        self.no_matches: dict[str, int] = {}
        self.dtmf_only: set[str] = set()  # menus where speech gave up
        self.confirming: str | None = None  # the intent asked about, awaiting key 1 / yes
        self.answered: ConfirmAnswer | None = None  # the last answer, until taken

    def start(self, preferred: str | None = None) -> Step:
        self.preferred = preferred
        target = self.config.dids.get(self.did, self.config.entry)
        self.path.append(f"did:{self.did}" if self.did in self.config.dids else "entry")
        return self._go(target)

    def on_digit(self, digit: str) -> Step:
        menu = self._current()
        if self.confirming is not None:
            return self._answered(menu, yes=digit == CONFIRM_KEY, how=f"key:{digit}")
        target = menu.options.get(digit)
        if target is None:
            self.path.append(f"{menu.name}:{digit}?")
            return self._retry(menu, invalid=True)
        self.path.append(f"{menu.name}:{digit}")
        return self._go(target)

    def on_intent(self, intent: str) -> Step:
        """A recognised speech intent: routed like the key of the same option (also while
        a confirmation is asked: the caller said clearly what they want)."""
        menu = self._current()
        self.confirming = None
        target = target_for_intent(menu, intent)
        if target is None:
            self.path.append(f"{menu.name}:say:{intent}?")
            return self._retry(menu, invalid=True)
        self.path.append(f"{menu.name}:say:{intent}")
        return self._go(target)

    def on_confirm(self, intent: str) -> Step:
        """An unsure match: ask whether the caller meant ``intent``; an intent the menu
        has no option for is a no-match."""
        menu = self._current()
        if target_for_intent(menu, intent) is None:
            return self.on_no_match()
        self.confirming = intent
        self.path.append(f"{menu.name}:confirm:{intent}?")
        return Confirm(menu.name, intent, menu.timeout)

    def on_yes(self) -> Step:
        """A spoken yes: the answer to a confirmation; otherwise a no-match."""
        menu = self._current()
        if self.confirming is None:
            return self.on_no_match()
        return self._answered(menu, yes=True, how="say:yes")

    def on_no_match(self) -> Step:
        """Speech that names no intent: like a wrong key; the second turns speech off.
        The answer to a confirmation that is not yes returns to the menu."""
        menu = self._current()
        if self.confirming is not None:
            return self._answered(menu, yes=False, how="say:no")
        count = self.no_matches[menu.name] = self.no_matches.get(menu.name, 0) + 1
        self.path.append(f"{menu.name}:no-match")
        if count >= NO_MATCH_LIMIT and menu.name not in self.dtmf_only:
            self.dtmf_only.add(menu.name)
            self.path.append(f"{menu.name}:keys-only")
        return self._retry(menu, invalid=True)

    def take_answer(self) -> ConfirmAnswer | None:
        """The answer to a confirmation given since the last call, if any (once)."""
        answer, self.answered = self.answered, None
        return answer

    def speech_allowed(self, menu: str) -> bool:
        return menu not in self.dtmf_only

    def on_timeout(self) -> Step:
        menu = self._current()
        if self.confirming is not None:
            return self._answered(menu, yes=False, how="timeout")
        self.path.append(f"{menu.name}:timeout")
        return self._retry(menu, invalid=False)

    # -- internals -----------------------------------------------------------
    def _current(self) -> Menu:
        if self.menu is None:
            raise RuntimeError("the IVR session is not in a menu")
        return self.menu

    def _answered(self, menu: Menu, yes: bool, how: str) -> Step:
        intent, self.confirming = self.confirming, None
        assert intent is not None
        self.path.append(f"{menu.name}:confirm:{intent}:{'yes' if yes else 'no'}:{how}")
        self.answered = ConfirmAnswer(menu.name, intent, yes, how)
        target = target_for_intent(menu, intent)
        if yes and target is not None:
            return self._go(target)
        return self._retry(menu, invalid=False)  # back to the menu, counted like a timeout

    def _retry(self, menu: Menu, invalid: bool) -> Step:
        self.attempts += 1
        if self.attempts > menu.retries:
            self.path.append(f"{menu.name}:default")
            return self._go(menu.default)
        media = (menu.invalid + menu.prompt) if invalid else menu.prompt
        return PlayMenu(menu.name, media, menu.timeout)

    def _go(self, target: Target) -> Step:
        if target.language:
            self.language = target.language
        if target.topic:
            self.topic = target.topic
        if target.queue is not None:
            self.menu = None
            return Route(target.queue, self.topic, self.language)
        if target.menu is None or target.menu not in self.config.menus:
            raise KeyError(f"unknown IVR menu {target.menu!r}")
        menu = self.config.menus[target.menu]
        if self.preferred and not self.language and is_language_menu(menu):
            offered = {
                t.language: t for t in menu.options.values() if t.language and t.menu != menu.name
            }
            match = languages.best_match(self.preferred, offered)  # zh-CN takes zh
            known = offered[match] if match is not None else None
            if known is not None:  # the profile already says which language
                self.path.append(f"{menu.name}:profile:{self.preferred}")
                return self._go(known)
        self.menu = menu
        self.attempts = 0
        self.confirming = None
        return PlayMenu(self.menu.name, self.menu.prompt, self.menu.timeout)
