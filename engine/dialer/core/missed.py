"""What a line went through while the engine could not hear Asterisk's events. Pure.

After an ARI (re)connect, and on the periodic sweep, a campaign holds each line against
Asterisk's channel list (``GET /channels``). Two ways events get lost:

- the event socket closed: Asterisk deactivates the app, so a channel that reaches
  ``Stasis()`` meanwhile (AMD done, an agent answering) fails to enter it and hangs up
  (the dialplan first plays a person the identification message);
- the socket went half-open (a network fault the 20 s heartbeat has not caught yet):
  the app stays active, channels enter Stasis and wait there, the events go nowhere.

``missed`` names what to carry out as the lost events would have been.
"""

from __future__ import annotations

from typing import Any, Literal

AMD_CONTEXT = "outbound-amd"  # the dialplan context the engine continues lines into
Missed = Literal[
    "gone", "verdict-lost", "answered", "verdict", "agent-answered", "agent-gone", "message-over?"
]


def stasis_args(channel: dict[str, Any], app: str) -> list[str]:
    """The Stasis arguments of a channel waiting in ``app`` (from ``GET /channels``), else
    ``[]``: ``Stasis(engine,outbound,HUMAN,HUMAN-811-800)`` -> ``["outbound", "HUMAN",
    "HUMAN-811-800"]``."""
    plan = channel.get("dialplan") or {}
    parts = str(plan.get("app_data") or "").split(",")
    if plan.get("app_name") != "Stasis" or parts[0] != app:
        return []
    return parts[1:]


def missed(
    state: str,
    line: dict[str, Any] | None,
    agent: dict[str, Any] | None,
    has_agent_leg: bool,
    app: str,
) -> Missed | None:
    """What happened unseen to a line in ``state``, given its channel (``line``) and its
    agent's (``agent``) as Asterisk lists them now (``None``: gone); ``None``: nothing
    missed, or nothing that can be told."""
    if line is None:
        # AMD was listening: the customer had answered, and the verdict (a person, maybe)
        # was lost with the call; the guard counts it abandoned (the safe side)
        return "verdict-lost" if state == "detecting" else "gone"
    args = stasis_args(line, app)
    if state == "detecting" and _after_failed_stasis(line):
        return "verdict-lost"  # still playing the identification message
    if state == "ringing" and line.get("state") == "Up" and args[:1] == ["dialer"]:
        return "answered"
    if state == "detecting" and args[:1] == ["outbound"]:
        return "verdict"
    if state in ("connecting", "talking") and has_agent_leg:
        if agent is None:
            return "agent-gone"
        if state == "connecting" and stasis_args(agent, app)[:1] == ["dialer-agent"]:
            return "agent-answered"
    if state in ("message", "closing"):
        return "message-over?"  # its playback may have ended unseen
    return None


def _after_failed_stasis(channel: dict[str, Any]) -> bool:
    """Past AMD and a Stasis() that failed: ``[outbound-amd]``'s fallback is running."""
    plan = channel.get("dialplan") or {}
    return plan.get("context") == AMD_CONTEXT and plan.get("app_name") not in (
        "AMD",
        "Stasis",
        "",
        None,
    )
