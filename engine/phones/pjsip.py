"""The ONE renderer of the engine's PJSIP (and trunk dialplan) configuration. Pure:
settings, trunks and their passwords in; file name -> text out.

Used by ``engine/sandbox/config.py`` (the sandbox and the Docker entrypoint render every
file through it) and by ``engine/phones/service.py`` (a trunk edit in ``skills/`` is
rendered and applied with a PJSIP reload). ``asterisk-config/pjsip.conf`` holds the
endpoint templates and includes one file per section:

    pjsip_transports.conf   transports (bind address, NAT: external addresses, local nets)
    pjsip_agents.conf       one endpoint, AOR and auth per agent phone
    pjsip_trunks.conf       one endpoint, AOR, identify (and auth, registration) per trunk
    extensions_trunks.conf  [from-trunk-<name>]: a trunk's DIDs into [inbound]

A new section (a WebSocket transport and WebRTC endpoints, say) is one more function
returning its text, one more entry in ``SECTIONS`` and one ``#include`` line in
pjsip.conf.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from engine.phones.trunks import Trunk, Trunks
from engine.softphone.render import pjsip_webrtc

CODECS = ("ulaw", "alaw", "g722", "opus", "gsm")
MAX_AGENT_PHONES = 1000


class PjsipConfigError(ValueError):
    pass


@dataclass(frozen=True)
class PhoneSettings:
    """What the renderer reads of the engine's settings (``from_settings``)."""

    sip_host: str = "127.0.0.1"
    sip_port: int = 5060
    sip_agents: str = "1001-1010"
    sip_agent_password: str = ""
    sip_agent_codecs: str = "g722,ulaw,alaw,opus"
    sip_external_address: str = ""
    sip_local_net: str = ""
    softphone_secret: str = ""
    instance_id: str = ""
    cluster_peers: str = ""


def from_settings(settings: object) -> PhoneSettings:
    return PhoneSettings(**{f: getattr(settings, f) for f in PhoneSettings.__dataclass_fields__})


def codecs(spec: str, what: str = "sip_agent_codecs") -> list[str]:
    """``"g722, ulaw"`` -> ["g722", "ulaw"]; an unknown codec is an error."""
    out = [c.strip().lower() for c in spec.split(",") if c.strip()]
    bad = [c for c in out if c not in CODECS]
    if bad or not out:
        raise PjsipConfigError(
            f"{what}: {', '.join(bad) or 'empty'}: codecs are {', '.join(CODECS)}"
        )
    return list(dict.fromkeys(out))


def agent_numbers(spec: str) -> list[str]:
    """``"1001-1003,2001"`` -> ["1001", "1002", "1003", "2001"]."""
    out: list[str] = []
    for part in (p.strip() for p in spec.split(",")):
        if not part:
            continue
        first, _, last = part.partition("-")
        if not first.isdigit() or (last and not last.isdigit()):
            raise PjsipConfigError(
                f"sip_agents: {part!r} is not a number or a range like 1001-1010"
            )
        if not last:
            out.append(first)
            continue
        if int(last) < int(first) or int(last) - int(first) >= MAX_AGENT_PHONES:
            raise PjsipConfigError(f"sip_agents: bad range {part!r}")
        out += [str(n).zfill(len(first)) for n in range(int(first), int(last) + 1)]
    return list(dict.fromkeys(out))


def _nets(spec: str) -> list[str]:
    return [n.strip() for n in spec.split(",") if n.strip()]


def transports(s: PhoneSettings) -> str:
    """The UDP transport; behind NAT, the public address Asterisk writes into SIP and
    SDP for peers outside ``sip_local_net``."""
    lines = [
        "; Generated from the settings sip_host, sip_port, sip_external_address, sip_local_net.",
        "[transport-udp]",
        "type = transport",
        "protocol = udp",
        f"bind = {s.sip_host}:{s.sip_port}",
    ]
    if s.sip_external_address:
        lines += [
            f"external_media_address = {s.sip_external_address}",
            f"external_signaling_address = {s.sip_external_address}",
        ]
    lines += [f"local_net = {net}" for net in _nets(s.sip_local_net)]
    return "\n".join(lines) + "\n"


def agents(s: PhoneSettings) -> str:
    """One endpoint, AOR and auth per agent phone, on pjsip.conf's agent templates."""
    head = "; Generated from the settings sip_agents, sip_agent_password, sip_agent_codecs.\n"
    if not s.sip_agent_password:
        return head + "; sip_agent_password is empty: no agent phones.\n"
    if any(c in s.sip_agent_password for c in "\n;"):
        raise PjsipConfigError("sip_agent_password must not contain a newline or ';'")
    allow = ",".join(codecs(s.sip_agent_codecs))
    blocks = [head]
    for n in agent_numbers(s.sip_agents):
        blocks.append(
            f"[{n}](agent-endpoint)\nauth = {n}\naors = {n}\ncallerid = <{n}>\n"
            f"allow = {allow}\n"
            f"[{n}](agent-aor)\n"
            f"[{n}](agent-auth)\nusername = {n}\n"
            f"password = {s.sip_agent_password}\n"
        )
    return "\n".join(blocks)


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def trunk(t: Trunk, password: str = "") -> str:
    uri = f"sip:{t.host}:{t.port}" + (";transport=tcp" if t.transport == "tcp" else "")
    out = [
        f"; ---- trunk {t.name}: {t.auth} auth",
        f"[{t.name}]",
        "type = endpoint",
        f"context = {t.context}",
        "disallow = all",
        f"allow = {','.join(t.codecs)}",
        "direct_media = no",
        "dtmf_mode = rfc4733",
        f"rtp_symmetric = {_yes(t.rtp_symmetric)}",
        f"force_rport = {_yes(t.force_rport)}",
        f"rewrite_contact = {_yes(t.rewrite_contact)}",
        "send_pai = yes",
        "trust_id_inbound = yes",
        f"aors = {t.name}",
    ]
    if t.caller_id:  # the From user of outbound calls (the dialer sets the caller ID too)
        out.append(f"from_user = {t.caller_id}")
    if password:
        out.append(f"outbound_auth = {t.name}-auth")
    out += ["", f"[{t.name}]", "type = aor", f"contact = {uri}", "qualify_frequency = 60"]
    out += ["", f"[{t.name}]", "type = identify", f"endpoint = {t.name}"]
    out += [f"match = {m}" for m in t.sources]
    if password:
        out += [
            "",
            f"[{t.name}-auth]",
            "type = auth",
            "auth_type = userpass",
            f"username = {t.username}",
            f"password = {password}",
        ]
    if t.registers:
        out += [
            "",
            f"[{t.name}]",
            "type = registration",
            f"outbound_auth = {t.name}-auth",
            f"server_uri = {uri}",
            f"client_uri = sip:{t.username}@{t.host}:{t.port}",
            f"contact_user = {t.username}",
            "retry_interval = 30",
            "forbidden_retry_interval = 300",
            "expiration = 300",
            f"endpoint = {t.name}",
            "line = yes",
        ]
    return "\n".join(out) + "\n"


def trunks(ts: Trunks, secrets: Mapping[str, str]) -> str:
    head = "; Generated from skills/trunks.yaml (engine/phones/pjsip.py).\n"
    if not ts.trunks:
        return head + "; no trunks.\n"
    return head + "\n".join(trunk(t, secrets.get(t.name, "")) for t in ts.trunks)


def trunk_dialplan(ts: Trunks) -> str:
    """Per trunk a context: its DIDs (or any number) go to [inbound]; others hear that
    the number is not in service (cause 1, unallocated)."""
    out = ["; Generated from skills/trunks.yaml (engine/phones/pjsip.py)."]
    for t in ts.trunks:
        out.append(f"[{t.context}]")
        if t.dids:
            out += [f"exten => {did},1,Goto(inbound,{did},1)" for did in t.dids]
            out += [f"exten => {p},1,Hangup(1)" for p in ("_X.", "_+X.")]
        else:
            out += [f"exten => {p},1,Goto(inbound,${{EXTEN}},1)" for p in ("_X.", "_+X.")]
        out.append("")
    return "\n".join(out) + "\n"


Section = Callable[[PhoneSettings, Trunks, Mapping[str, str]], str]


def cluster_peers(spec: str) -> list[tuple[str, str, int]]:
    """``box-a=10.0.0.1:5060,box-b=10.0.0.2:5060`` -> [(instance_id, host, port)]."""
    peers = []
    for item in filter(None, (part.strip() for part in spec.split(","))):
        name, sep, address = item.partition("=")
        host, colon, port = address.rpartition(":")
        if not sep or not colon or not port.isdigit() or not name.strip() or not host:
            raise PjsipConfigError(
                f"cluster_peers: expected instance_id=host:port entries, got {item!r}"
            )
        if any(c in name + host for c in " \n;[]"):
            raise PjsipConfigError(f"cluster_peers: bad characters in {item!r}")
        peers.append((name.strip(), host.strip(), int(port)))
    return peers


def pjsip_cluster(s: PhoneSettings) -> str:
    """A trunk to every other engine's Asterisk (``cluster_peers``), named after its
    instance_id and identified by its address: calls for an agent whose phone is
    registered on that box go out as PJSIP/<ext>@<instance_id>; calls coming in from a
    peer go to [from-cluster], which rings the phone registered here."""
    out = ["; Generated from the setting cluster_peers.\n"]
    for name, host, port in cluster_peers(s.cluster_peers):
        if name == s.instance_id:
            continue
        out.append(
            f"[{name}](cluster-endpoint)\naors = {name}\n"
            f"[{name}](cluster-aor)\ncontact = sip:{host}:{port}\n"
            f"[{name}](cluster-identify)\nendpoint = {name}\nmatch = {host}\n"
        )
    return "\n".join(out)


SECTIONS: dict[str, Section] = {
    "pjsip_transports.conf": lambda s, ts, pw: transports(s),
    "pjsip_agents.conf": lambda s, ts, pw: agents(s),
    "pjsip_trunks.conf": lambda s, ts, pw: trunks(ts, pw),
    "extensions_trunks.conf": lambda s, ts, pw: trunk_dialplan(ts),
    "pjsip_cluster.conf": lambda s, ts, pw: pjsip_cluster(s),
    "pjsip_webrtc.conf": lambda s, ts, pw: pjsip_webrtc(
        agent_numbers(s.sip_agents), s.softphone_secret, s.sip_host
    ),
}
# Files a trunk edit changes (applied by a reload, no restart).
TRUNK_FILES = ("pjsip_trunks.conf", "extensions_trunks.conf")


def render(s: PhoneSettings, ts: Trunks, secrets: Mapping[str, str]) -> dict[str, str]:
    """Every section's file."""
    return {name: section(s, ts, secrets) for name, section in SECTIONS.items()}
