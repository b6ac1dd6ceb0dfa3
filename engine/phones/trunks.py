"""Carrier trunks from ``skills/trunks.yaml``. Pure: a checked document in, ``Trunk``
values out (rules a JSON Schema cannot express raise ``file:line:column`` errors).

    trunks:
      carrier:                       # the endpoint's name: the dialer dials PJSIP/<n>@carrier
        host: sip.carrier.example    # where outbound calls (and registration) go
        auth: ip                     # ip: its calls are recognised by address (match)
        match: [203.0.113.0/24]      #   (default: host)
        dids: ["8005550100"]         # numbers it may call in on (absent: any)
        caller_id: "8005550100"      # outbound caller ID
        codecs: [ulaw, alaw]
      other:
        host: sip.other.example
        auth: register               # we register; its calls come to our contact
        username: "4401234"
        password_env: TENURE_TRUNK_OTHER_PASSWORD   # the secret stays in the environment
        prefix: "0"
        nat: {rtp_symmetric: true, force_rport: true, rewrite_contact: true}

The JSON Schema is ``engine/skills/schemas/trunks.schema.json``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from engine.skills.loader import Doc, SkillFileError

DEFAULT_CODECS = ("ulaw", "alaw")


class TrunkError(SkillFileError):
    pass


@dataclass(frozen=True)
class Trunk:
    name: str
    host: str
    port: int = 5060
    transport: str = "udp"
    auth: str = "ip"
    match: tuple[str, ...] = ()
    username: str = ""
    password_env: str = ""
    dids: tuple[str, ...] = ()
    prefix: str = ""
    caller_id: str = ""
    codecs: tuple[str, ...] = DEFAULT_CODECS
    rtp_symmetric: bool = True
    force_rport: bool = True
    rewrite_contact: bool = True

    @property
    def registers(self) -> bool:
        return self.auth == "register"

    @property
    def context(self) -> str:
        """The dialplan context its calls enter (``extensions_trunks.conf``)."""
        return f"from-trunk-{self.name}"

    @property
    def sources(self) -> tuple[str, ...]:
        """Addresses its calls are recognised by (both kinds: a carrier we register with
        calls from its servers too)."""
        return self.match or (self.host,)

    def dial_string(self) -> str:
        """The dialer's dial string for this trunk, ``{number}`` to be replaced."""
        return f"PJSIP/{self.prefix}{{number}}@{self.name}"


@dataclass(frozen=True)
class Trunks:
    trunks: tuple[Trunk, ...] = ()

    def get(self, name: str) -> Trunk | None:
        return next((t for t in self.trunks if t.name == name), None)

    def names(self) -> list[str]:
        return [t.name for t in self.trunks]


NONE = Trunks()


def _trunk(name: str, raw: Mapping[str, Any]) -> tuple[Trunk, list[tuple[list[str], str]]]:
    nat = raw.get("nat") or {}
    trunk = Trunk(
        name=name,
        host=str(raw["host"]),
        port=int(raw.get("port", 5060)),
        transport=str(raw.get("transport", "udp")),
        auth=str(raw.get("auth", "ip")),
        match=tuple(str(m) for m in raw.get("match") or ()),
        username=str(raw.get("username", "")),
        password_env=str(raw.get("password_env", "")),
        dids=tuple(str(d) for d in raw.get("dids") or ()),
        prefix=str(raw.get("prefix", "")),
        caller_id=str(raw.get("caller_id", "")),
        codecs=tuple(str(c) for c in raw.get("codecs") or DEFAULT_CODECS),
        rtp_symmetric=bool(nat.get("rtp_symmetric", True)),
        force_rport=bool(nat.get("force_rport", True)),
        rewrite_contact=bool(nat.get("rewrite_contact", True)),
    )
    problems: list[tuple[list[str], str]] = []
    if trunk.registers and not (trunk.username and trunk.password_env):
        problems.append(([name, "auth"], "auth: register needs username and password_env"))
    if trunk.password_env and not trunk.username:
        problems.append(([name, "password_env"], "password_env needs a username"))
    if len(set(trunk.dids)) != len(trunk.dids):
        problems.append(([name, "dids"], "a DID is listed twice"))
    return trunk, problems


def build(doc: Doc) -> Trunks:
    """The trunks of a schema-checked ``trunks.yaml`` document."""
    data = doc.data or {}
    out: list[Trunk] = []
    issues: list[str] = []
    owner: dict[str, str] = {}
    for name, raw in (data.get("trunks") or {}).items():
        trunk, problems = _trunk(str(name), raw)
        issues += [f"{doc.mark(['trunks', *where])}: {reason}" for where, reason in problems]
        for did in trunk.dids:
            if did in owner:
                issues.append(
                    f"{doc.mark(['trunks', trunk.name, 'dids'])}: DID {did} is also "
                    f"trunk {owner[did]}'s"
                )
            owner.setdefault(did, trunk.name)
        out.append(trunk)
    if issues:
        raise TrunkError(issues)
    return Trunks(tuple(out))


def passwords(trunks: Trunks, environ: Mapping[str, str]) -> dict[str, str]:
    """Trunk name -> password from the environment; a missing variable is an error
    (a registering trunk without its secret would fail quietly at the carrier)."""
    out: dict[str, str] = {}
    missing: list[str] = []
    for t in trunks.trunks:
        if not t.password_env:
            continue
        value = environ.get(t.password_env, "")
        if not value:
            missing.append(f"{t.name} ({t.password_env})")
        elif any(c in value for c in "\n;"):
            raise TrunkError(f"trunk {t.name}: {t.password_env} must not contain ';' or newline")
        out[t.name] = value
    if missing:
        raise TrunkError(f"trunk password variable(s) not set: {', '.join(missing)}")
    return out
