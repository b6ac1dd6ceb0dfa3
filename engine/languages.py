"""Matching a customer's language tag (BCP 47: ``zh``, ``zh-CN``, ``en-GB``) to what the
engine offers (speech models, IVR language options). Pure.

A profile says ``zh-CN`` where the Mandarin model and the IVR's language menu say ``zh``:
they are the same language for hearing and routing. An exact tag wins over a shared
primary language, so a ``zh-TW`` option is still chosen for ``zh-TW`` when it exists.
"""

from __future__ import annotations

from collections.abc import Iterable


def primary(tag: str) -> str:
    """The primary language subtag, lower case: ``zh-CN`` -> ``zh``."""
    return tag.replace("_", "-").split("-", 1)[0].lower()


def best_match(tag: str | None, offered: Iterable[str]) -> str | None:
    """The offered tag for ``tag``: the same tag (case-insensitive), else the first with the
    same primary language; ``None`` when nothing offered speaks it."""
    if not tag:
        return None
    options = list(offered)
    wanted = tag.replace("_", "-").lower()
    for option in options:
        if option.replace("_", "-").lower() == wanted:
            return option
    base = primary(tag)
    return next((option for option in options if primary(option) == base), None)
