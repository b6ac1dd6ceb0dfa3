"""Simulated parties in the sandbox dialplan (``dialplan/extensions.conf``), as the
parameters of an ARI originate (``POST /channels``). Pure: no I/O here.

    params = caller("8000", "13800138000", dtmf="1")
    await ari.originate(params.pop("endpoint"), channelId="c1", **params)

The caller's channel is ``c1``; the engine sees the other half, ``c1;2``.
"""

from __future__ import annotations

from typing import Any


def caller(did: str, caller_id: str, *, wav: str | list[str] | None = None,
           wav_delay: float = 0.5, dtmf: str | None = None, dtmf_delay: float = 1.0,
           hold: float | None = None) -> dict[str, Any]:
    """A caller dialling ``did`` from ``caller_id``: plays ``wav`` (sound names relative
    to Asterisk's sounds folder, e.g. "tenure/zh-jishu-zhichi"), then sends ``dtmf``,
    then stays ``hold`` seconds (default: until the engine hangs up)."""
    variables = {"SIM_CALLER_ID": caller_id}
    if wav:
        variables["SIM_WAV"] = wav if isinstance(wav, str) else "&".join(wav)
        variables["SIM_WAV_DELAY"] = f"{wav_delay:g}"
    if dtmf:
        variables["SIM_DTMF"] = dtmf
        variables["SIM_DTMF_DELAY"] = f"{dtmf_delay:g}"
    if hold is not None:
        variables["SIM_HOLD"] = f"{hold:g}"
    return {"endpoint": f"Local/{did}@sim-dial-in/n", "context": "sim-caller",
            "extension": "s", "priority": 1, "callerId": caller_id, "variables": variables}


def agent_endpoint(number: str) -> str:
    """Dial string of a simulated agent phone."""
    return f"Local/{number}@sim-agents"


def customer_endpoint(number: str) -> str:
    """Dial string of a simulated outbound customer; the first digit picks the outcome:
    1 human, 2 no answer, 3 busy, 4 answering machine, 5 congestion."""
    return f"Local/{number}@sim-customers"


def agent_globals(number: str, mode: str = "answer", delay: float | None = None
                  ) -> dict[str, str]:
    """Global variables that make simulated agent ``number`` answer, not answer or be
    busy (set each with ``ari.set_global``; an empty value restores the default)."""
    if mode not in {"answer", "noanswer", "busy"}:
        raise ValueError(f"mode must be answer, noanswer or busy, got {mode!r}")
    out = {f"SIM_AGENT_{number}_MODE": "" if mode == "answer" else mode}
    if delay is not None:
        out[f"SIM_AGENT_{number}_DELAY"] = f"{delay:g}"
    return out
