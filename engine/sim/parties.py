"""Simulated parties in the sandbox dialplan (``dialplan/extensions.conf``), as the
parameters of an ARI originate (``POST /channels``) or the global variables that steer
them (``POST /asterisk/variable``). Pure: no I/O here.

    params = caller("8000", "13800138000", dtmf="1")
    await ari.originate(params.pop("endpoint"), channelId="c1", **params)

The caller's channel is ``c1``; the engine sees the other half, ``c1;2``, enter Stasis
with the arguments ``inbound, 8000`` and caller ID 13800138000; the keys arrive on it
as ``ChannelDtmfReceived``.
"""

from __future__ import annotations

from typing import Any

AGENT_MODES = ("answer", "noanswer", "busy", "congestion")
CUSTOMER_KINDS = {"human": "1", "noanswer": "2", "busy": "3", "machine": "4", "congestion": "5"}


def _secs(value: float) -> str:
    return f"{value:g}"


# What a caller from the telephone network brings: G.711 at 8 kHz. Without it ARI gives
# an originated Local channel every audio format and the channel settles on the richest,
# slin192: every sound, hold music and tap of the call is then resampled to and from
# 192 kHz, which cost Asterisk nearly three times the CPU of a 200-call benchmark.
CALLER_FORMATS = "ulaw"


def caller(
    did: str,
    caller_id: str,
    *,
    wav: str | list[str] | None = None,
    wav_delay: float = 0.5,
    dtmf: str | None = None,
    dtmf_delay: float = 1.0,
    hold: float | None = None,
    tone: str | None = None,
    record: str | None = None,
    formats: str = CALLER_FORMATS,
) -> dict[str, Any]:
    """A caller dialling ``did`` from ``caller_id``: plays ``wav`` (sound names relative
    to Asterisk's sounds folder, e.g. "tenure/zh-jishu-zhichi"), then sends ``dtmf``,
    then stays ``hold`` seconds (default: until the engine hangs up), playing ``tone``
    (Playtones, e.g. "440") meanwhile and, with ``record``, recording the call into
    Asterisk's monitor folder: ``<record>.wav`` both ways, ``<record>-heard.wav`` what
    the caller hears. ``formats`` is the caller's codec (G.711 by default, as from the
    network; "": whatever ARI picks for a Local channel, slin192).

    The caller ID is given twice on purpose: ``callerId`` reaches the engine's half of
    the Local channel by itself, and ``SIM_CALLER_ID`` makes [sim-dial-in] set it
    explicitly, so it holds even when an originate omits ``callerId``."""
    variables = {"SIM_CALLER_ID": caller_id}
    if wav:
        variables["SIM_WAV"] = wav if isinstance(wav, str) else "&".join(wav)
        variables["SIM_WAV_DELAY"] = _secs(wav_delay)
    if dtmf:
        variables["SIM_DTMF"] = dtmf
        variables["SIM_DTMF_DELAY"] = _secs(dtmf_delay)
    if hold is not None:
        variables["SIM_HOLD"] = _secs(hold)
    if tone:
        variables["SIM_TONE"] = tone
    if record:
        variables["SIM_RECORD"] = record
    # /n: no Local optimization, so the engine's channel (;2) lives for the whole call
    # even once it is bridged, and the caller's keys keep reaching it.
    return {
        "endpoint": f"Local/{did}@sim-dial-in/n",
        "context": "sim-caller",
        "extension": "s",
        "priority": 1,
        "callerId": caller_id,
        **({"formats": formats} if formats else {}),
        "variables": variables,
    }


def agent_endpoint(number: str) -> str:
    """Dial string of a simulated agent phone."""
    return f"Local/{number}@sim-agents"


def agent_globals(number: str, mode: str = "answer", delay: float | None = None) -> dict[str, str]:
    """Global variables that make simulated agent ``number`` answer (after ``delay``
    seconds of ringing), not answer or be busy (set each with ``ari.set_global``; an
    empty value restores the default)."""
    if mode not in AGENT_MODES:
        raise ValueError(f"mode must be one of {', '.join(AGENT_MODES)}, got {mode!r}")
    out = {f"SIM_AGENT_{number}_MODE": "" if mode == "answer" else mode}
    if delay is not None:
        out[f"SIM_AGENT_{number}_DELAY"] = _secs(delay)
    return out


def agent_defaults(delay: float | None = None, talk: float | None = None) -> dict[str, str]:
    """Globals for every simulated agent: ``delay`` seconds of ringing before answering
    (default 1) and ``talk`` seconds of talk before hanging up (default: until the caller
    does). ``None`` restores the default."""
    return {
        "SIM_AGENT_DELAY": "" if delay is None else _secs(delay),
        "SIM_AGENT_TALK": "" if talk is None else _secs(talk),
    }


def agent_speech(
    wav: str | list[str] | None = None,
    delay: float | None = None,
) -> dict[str, str]:
    """Globals that make every simulated agent say ``wav`` (sound names, as for callers)
    ``delay`` seconds (default 1) after answering. ``None`` restores silence."""
    return _says("SIM_AGENT", wav, delay)


def customer_speech(
    wav: str | list[str] | None = None,
    delay: float | None = None,
) -> dict[str, str]:
    """Globals that make every simulated human customer say ``wav`` ``delay`` seconds
    (default 1) after their greeting and its 3 s of silence. ``None`` restores silence."""
    return _says("SIM_CUSTOMER", wav, delay)


def _says(prefix: str, wav: str | list[str] | None, delay: float | None) -> dict[str, str]:
    sounds = "" if wav is None else wav if isinstance(wav, str) else "&".join(wav)
    return {f"{prefix}_WAV": sounds, f"{prefix}_WAV_DELAY": "" if delay is None else _secs(delay)}


def customer_number(kind: str, suffix: str = "001") -> str:
    """A number [sim-customers] treats as ``kind`` (human, noanswer, busy, machine,
    congestion): the first digit decides."""
    if kind not in CUSTOMER_KINDS:
        raise ValueError(f"kind must be one of {', '.join(CUSTOMER_KINDS)}, got {kind!r}")
    return CUSTOMER_KINDS[kind] + suffix


def customer_endpoint(number: str) -> str:
    """Dial string of a simulated outbound customer; the first digit picks the outcome:
    1 human, 2 no answer, 3 busy, 4 answering machine, 5 congestion."""
    return f"Local/{number}@sim-customers"


def outbound_amd(endpoint: str) -> dict[str, Any]:
    """Originate parameters that call ``endpoint`` (e.g. ``customer_endpoint(n)``) and,
    once answered, run AMD and hand the call to the engine as
    ``Stasis(app, outbound, AMDSTATUS, AMDCAUSE)`` ([outbound-amd])."""
    return {"endpoint": endpoint, "context": "outbound-amd", "extension": "s", "priority": 1}


def customer_globals(
    ring: float | None = None,
    talk: float | None = None,
    noanswer_ring: float | None = None,
    machine_wait: float | None = None,
) -> dict[str, str]:
    """Globals for every simulated customer: seconds of ringing before a human or a
    machine answers (default 3), a human's talk time (default: until hung up), how long
    a no-answer number rings (default 60) and how long a machine records after its beep
    (default 60). ``None`` restores the default."""
    pairs = (
        ("SIM_RING", ring),
        ("SIM_TALK", talk),
        ("SIM_NOANSWER_RING", noanswer_ring),
        ("SIM_MACHINE_WAIT", machine_wait),
    )
    return {name: "" if value is None else _secs(value) for name, value in pairs}
