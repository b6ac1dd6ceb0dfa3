"""Load ``skills/ivr.yaml`` into an ``IvrConfig``, refusing what it does not understand.

``build`` is the domain builder ``engine.skills.catalogue`` calls after the JSON Schema
(``engine/skills/schemas/ivr.schema.json``); its errors name ``file:line:column``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from engine.ivr.menu import IvrConfig, Menu, Target
from engine.skills import loader
from engine.skills.loader import Doc, SkillFileError


class IvrConfigError(SkillFileError):
    pass


_TARGET_KEYS = {"queue", "menu", "topic", "language"}


def _target(raw: Any, where: str) -> Target:
    if not isinstance(raw, dict) or not raw:
        raise IvrConfigError(f"{where}: expected a mapping with queue or menu")
    unknown = set(raw) - _TARGET_KEYS
    if unknown:
        raise IvrConfigError(f"{where}: unknown key(s) {sorted(unknown)}")
    if ("queue" in raw) == ("menu" in raw):
        raise IvrConfigError(f"{where}: give exactly one of queue or menu")
    return Target(**{k: str(v) for k, v in raw.items()})


def _media(raw: Any, where: str) -> tuple[str, ...]:
    items = [raw] if isinstance(raw, str) else raw
    if not isinstance(items, list) or not all(isinstance(i, str) and ":" in i for i in items):
        raise IvrConfigError(f"{where}: expected media URIs like 'sound:hello'")
    return tuple(items)


def parse(data: Any, source: str = "ivr.yaml") -> IvrConfig:
    if not isinstance(data, dict) or "menus" not in data:
        raise IvrConfigError(f"{source}: expected a mapping with 'menus'")
    menus: dict[str, Menu] = {}
    for name, raw in (data.get("menus") or {}).items():
        where = f"{source}: menus.{name}"
        if not isinstance(raw, dict):
            raise IvrConfigError(f"{where}: expected a mapping")
        options = {
            str(k): _target(v, f"{where}.options.{k}")
            for k, v in (raw.get("options") or {}).items()
        }
        bad_keys = [k for k in options if k not in "0123456789*#" or len(k) != 1]
        if bad_keys:
            raise IvrConfigError(f"{where}.options: keys must be one DTMF digit, got {bad_keys}")
        menus[str(name)] = Menu(
            name=str(name),
            prompt=_media(raw.get("prompt"), f"{where}.prompt"),
            options=options,
            default=_target(raw.get("default"), f"{where}.default"),
            timeout=float(raw.get("timeout", 5.0)),
            retries=int(raw.get("retries", 2)),
            invalid=_media(raw.get("invalid", "sound:please-try-again"), f"{where}.invalid"),
        )
    entry = data.get("entry") or {}
    config = IvrConfig(
        menus=menus,
        entry=_target(entry.get("default"), f"{source}: entry.default"),
        dids={
            str(k): _target(v, f"{source}: entry.dids.{k}")
            for k, v in (entry.get("dids") or {}).items()
        },
    )
    targets = [
        ("entry.default", config.entry),
        *((f"entry.dids.{k}", t) for k, t in config.dids.items()),
    ]
    for menu in menus.values():
        targets += [
            (f"menus.{menu.name}.default", menu.default),
            *((f"menus.{menu.name}.options.{k}", t) for k, t in menu.options.items()),
        ]
    for where, target in targets:
        if target.menu is not None and target.menu not in menus:
            raise IvrConfigError(
                f"{source}: {where}.menu: a target names unknown menu {target.menu!r}"
            )
    return config


def build(doc: Doc) -> IvrConfig:
    try:
        return parse(doc.data, doc.path)
    except IvrConfigError as exc:
        raise IvrConfigError(loader.positioned(doc, exc.issues[0])) from None


def load(path: str | Path) -> IvrConfig:
    """The IVR config of ``path``; raises ``SkillFileError`` (``IvrConfigError``: the
    menus themselves) with ``file:line:column: reason``."""
    return build(loader.load(path))
